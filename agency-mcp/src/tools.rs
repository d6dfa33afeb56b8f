//! An MCP server's tools as agency tools: the schema for the model, the call forwarded.

use std::collections::HashSet;
use std::sync::Arc;

use agency_core::{Tool, ToolContext, ToolError};
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use rmcp::{Peer, RoleClient};
use serde_json::{Map, Value};

/// `listed` as tools whose calls go to `peer`. A name OpenAI does not accept is made one that
/// it does (the server still gets its own); a tool whose schema the validator cannot use is
/// left out with a warning.
pub(crate) fn agency_tools(
    server: &str,
    strict: bool,
    peer: &Peer<RoleClient>,
    listed: Vec<rmcp::model::Tool>,
) -> Vec<Tool> {
    let mut tools = Vec::with_capacity(listed.len());
    for listed in listed {
        let name = agency_names::sanitize(&listed.name);
        let schema = Value::Object((*listed.input_schema).clone());
        let forward = Forward {
            peer: peer.clone(),
            server: Arc::from(server),
            name: Arc::from(listed.name.as_ref()),
            optional: Arc::new(optional_properties(&schema)),
        };
        let mut builder = Tool::builder(name.clone()).strict(strict);
        if let Some(description) = listed.description.as_deref() {
            builder = builder.description(description.to_owned());
        }
        let tool = builder.schema_handler(schema, move |args, ctx| forward.clone().call(args, ctx));
        match tool.check() {
            Ok(()) => tools.push(tool),
            Err(error) => tracing::warn!(
                "MCP server '{server}': the tool '{}' is left out: {error}",
                listed.name
            ),
        }
    }
    tools
}

/// The top-level properties a schema does not require: strict mode makes the model send
/// `null` for them when it means "not given", which the server may refuse, so those are
/// dropped before the call.
fn optional_properties(schema: &Value) -> HashSet<String> {
    let required: HashSet<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema["properties"]
        .as_object()
        .map(|p| {
            p.keys()
                .filter(|k| !required.contains(k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// One tool's way to its server.
#[derive(Clone)]
struct Forward {
    peer: Peer<RoleClient>,
    server: Arc<str>,
    name: Arc<str>,
    optional: Arc<HashSet<String>>,
}

impl Forward {
    /// Calls the tool with `args`; a cancelled run (or a call past its timeout) drops the
    /// request, which tells the server to stop.
    async fn call(self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let arguments: Map<String, Value> = match args {
            Value::Object(map) => map
                .into_iter()
                .filter(|(k, v)| !(v.is_null() && self.optional.contains(k)))
                .collect(),
            _ => Map::new(),
        };
        let params = CallToolRequestParams::new(self.name.to_string()).with_arguments(arguments);
        let result = tokio::select! {
            result = self.peer.call_tool(params) => result,
            () = ctx.cancellation().cancelled() => {
                return Err(ToolError::new(format!(
                    "the call of '{}' on MCP server '{}' was cancelled",
                    self.name, self.server
                )));
            }
        };
        match result {
            Ok(result) => output(result),
            Err(error) => Err(ToolError::new(format!(
                "MCP server '{}' could not run '{}': {error}",
                self.server, self.name
            ))),
        }
    }
}

/// The call's result as the tool's output: its structured content when there is some, else its
/// text; a result flagged as an error is the tool's error, which the model is shown.
fn output(result: CallToolResult) -> Result<Value, ToolError> {
    let text = || {
        result
            .content
            .iter()
            .map(|block| match block {
                ContentBlock::Text(text) => text.text.clone(),
                ContentBlock::Image(image) => format!("[image: {}]", image.mime_type),
                ContentBlock::Audio(audio) => format!("[audio: {}]", audio.mime_type),
                other => serde_json::to_string(other).unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if result.is_error == Some(true) {
        return Err(ToolError::new(text()));
    }
    match &result.structured_content {
        Some(value) => Ok(value.clone()),
        None => Ok(Value::String(text())),
    }
}
