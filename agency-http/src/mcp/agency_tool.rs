//! An agency as an MCP tool: `message` (and optionally `recipient_agent`) in, the agency's final
//! answer out, a progress notification for each step of the run when the client asked for them.

use std::sync::Arc;

use agency_core::RunEvent;
use futures::StreamExt;
use rmcp::model::{CallToolResult, ProgressNotificationParam, Tool as McpTool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde::Deserialize;
use serde_json::{Value, json};

use super::handler::{error_result, output_result};
use crate::Principal;
use crate::agency::{AgencyRequest, SharedAgency, UserMessage, prepare, settle};

/// The arguments of an agency's tool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    message: String,
    recipient_agent: Option<String>,
}

/// The tool `agency` is listed as.
pub(super) fn describe(agency: &SharedAgency) -> McpTool {
    let agents = agency.template.agent_names();
    let schema = json!({
        "type": "object",
        "properties": {
            "message": {"type": "string", "minLength": 1, "description": "What to ask the agency"},
            "recipient_agent": {
                "type": "string", "enum": agents,
                "description": "The agent that gets the message (default: the agency's entry point)",
            },
        },
        "required": ["message"],
        "additionalProperties": false,
    });
    let schema = schema.as_object().cloned().unwrap_or_default();
    McpTool::new(
        agency.route.clone(),
        format!(
            "Ask the agency '{}' (agents: {}); answers with its final answer.",
            agency.template.name(),
            agents.join(", ")
        ),
        Arc::new(schema),
    )
}

/// Runs the agency on `args`: a refused request or a failed run is an `isError` result, a
/// cancelled request (the client's `notifications/cancelled`, or it went away) stops the run.
pub(super) async fn call(
    agency: &SharedAgency,
    args: Value,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, ErrorData> {
    let ask = match Ask::deserialize(&args) {
        Ok(ask) if !ask.message.is_empty() => ask,
        Ok(_) => return Ok(invalid("`message` must not be empty")),
        Err(e) => return Ok(invalid(&e.to_string())),
    };
    if let Some(agent) = &ask.recipient_agent
        && !agency.template.agent_names().iter().any(|a| a == agent)
    {
        let agents = agency.template.agent_names().join(", ");
        return Ok(invalid(&format!(
            "recipient_agent '{agent}' is not an agent of this agency ({agents})"
        )));
    }
    // The auth layer put the caller's principal on the HTTP request, which rmcp passes along.
    let principal = context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>().cloned())
        .unwrap_or_else(Principal::anonymous);
    let request = AgencyRequest {
        message: UserMessage::Text(ask.message),
        chat_history: None,
        recipient_agent: ask.recipient_agent,
        file_ids: None,
        file_urls: None,
        additional_instructions: None,
        user_context: None,
        client_config: None,
        generate_chat_name: None,
        chat_id: None,
    };
    let mut p = match prepare(agency, &principal, request, true).await {
        Ok(p) => p,
        Err(e) => return Ok(error_result(&e.body())),
    };
    p.config.run_id = Some(uuid::Uuid::new_v4().to_string());
    let mut run = p
        .agency
        .run_streamed(p.input, p.recipient.as_deref(), p.config);
    let token = context.meta.get_progress_token();
    let mut step = 0u32;
    loop {
        let event = tokio::select! {
            event = run.next() => event,
            // Dropping the run cancels it.
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error("the request was cancelled", None));
            }
        };
        let Some(event) = event else { break };
        if let (Some(token), Some(message)) = (&token, progress(&event)) {
            step += 1;
            let note = ProgressNotificationParam::new(token.clone(), f64::from(step))
                .with_message(message);
            if let Err(e) = context.peer.notify_progress(note).await {
                tracing::debug!("MCP: a progress notification was not sent: {e}");
            }
        }
    }
    Ok(match settle(agency, run.finish().await) {
        Ok(out) => output_result(out.final_output),
        Err(e) => error_result(&e.body()),
    })
}

/// What a step of the run says to the client.
fn progress(event: &RunEvent) -> Option<String> {
    match event {
        RunEvent::AgentUpdated { meta } => Some(format!("{} is working", meta.agent)),
        RunEvent::ToolCalled { meta, call } => Some(format!("{} calls {}", meta.agent, call.name)),
        RunEvent::HandoffOccurred { meta, target, .. } => {
            Some(format!("{} hands the conversation to {target}", meta.agent))
        }
        _ => None,
    }
}

fn invalid(message: &str) -> CallToolResult {
    error_result(&json!({"error": format!("invalid arguments: {message}")}))
}
