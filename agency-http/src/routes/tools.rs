//! `POST /tool/{name}`: one route per tool.

use std::sync::Arc;
use std::time::Duration;

use agency_core::{States, Tool, ToolContext, ToolError, Toolbox};
use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::ApiError;
use crate::body::{BodyLimit, JsonObject};
use crate::error::json_response;

/// The path of `tool`'s route.
pub fn tool_path(name: &str) -> String {
    format!("/tool/{name}")
}

/// A router with `POST /tool/{name}` for each tool: concrete paths, so an unknown name is a 404
/// and another method a 405. Auth is the caller's: a layer in front of these routes.
pub(crate) fn router(
    tools: &Toolbox,
    body_limit: usize,
    timeout: Duration,
    stop: &CancellationToken,
    states: &States,
) -> Router {
    tools.iter().fold(Router::new(), |router, tool| {
        let route = ToolRoute {
            tool: tool.clone(),
            body_limit,
            timeout,
            stop: Arc::new(stop.clone()),
            states: states.clone(),
        };
        router.route(&tool_path(tool.name()), post(call_tool).with_state(route))
    })
}

/// The state of one tool's route.
#[derive(Clone)]
struct ToolRoute {
    tool: Tool,
    body_limit: usize,
    /// The timeout for a tool that sets none.
    timeout: Duration,
    /// Fires when the server's shutdown deadline passes: a call still running is answered 503.
    /// Behind an `Arc`: the state is cloned per request, and cloning a token takes a lock that
    /// every core would contend for.
    stop: Arc<CancellationToken>,
    /// The server's shared values (`State<T>`).
    states: States,
}

impl FromRef<ToolRoute> for BodyLimit {
    fn from_ref(route: &ToolRoute) -> BodyLimit {
        BodyLimit(route.body_limit)
    }
}

/// Calls the tool with the body and maps the outcome to the wire shapes.
async fn call_tool(
    State(ToolRoute {
        tool,
        timeout,
        stop,
        states,
        ..
    }): State<ToolRoute>,
    JsonObject(args): JsonObject,
) -> Response {
    match invoke(&tool, Value::Object(args), timeout, states, &stop).await {
        Ok(output) => json_response(StatusCode::OK, &ToolOutput { response: &output }),
        Err(e) => e.into_response(),
    }
}

/// Calls `tool` with `args` (validated against its schema first) as a served tool is called: the
/// server's default timeout and shared values, a 503 when `stop` (the shutdown deadline) fires
/// first, its errors as [`ApiError`]s (422 for invalid arguments, 504 past its timeout, 500
/// otherwise). Dropping the future tells the tool to stop.
pub(crate) async fn invoke(
    tool: &Tool,
    args: Value,
    timeout: Duration,
    states: States,
    stop: &CancellationToken,
) -> Result<Value, ApiError> {
    let ctx = ToolContext::new()
        .with_default_timeout(timeout)
        .with_states(states);
    // A client that goes away drops this future: tools that watch `ctx.is_cancelled()` (or
    // spawned work holding the token) are told to stop.
    let _cancel_on_drop = ctx.cancellation().clone().drop_guard();
    // Biased, the tool first: a call that is ready at once never registers with the shared
    // token (which takes its lock).
    let result = tokio::select! {
        biased;
        result = tool.call(args, ctx) => result,
        () = stop.cancelled() => return Err(ApiError::Failed {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: format!("the server is shutting down: tool '{}' did not finish within the shutdown deadline and was stopped", tool.name()),
        }),
    };
    result.map_err(|e| tool_error(tool.name(), e))
}

#[derive(serde::Serialize)]
struct ToolOutput<'a> {
    response: &'a Value,
}

fn tool_error(name: &str, e: ToolError) -> ApiError {
    match e {
        ToolError::InvalidArguments { errors, .. } => ApiError::invalid_body(errors),
        ToolError::Failed(message) => {
            tracing::debug!(tool = name, "tool failed: {message}");
            ApiError::failed(message)
        }
        e @ ToolError::TimedOut { .. } => {
            tracing::warn!(tool = name, "{e}");
            ApiError::Failed {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: e.to_string(),
            }
        }
        other => {
            // A panic (already reported by the panic hook), a cancellation, ...
            tracing::error!(tool = name, "{other}");
            ApiError::failed(other.to_string())
        }
    }
}
