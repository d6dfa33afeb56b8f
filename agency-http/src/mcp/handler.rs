//! The MCP server's handler: `initialize`, `tools/list` and `tools/call` over the served tools
//! and agencies.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agency_core::{States, Tool, Toolbox};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool as McpTool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::agency_tool;
use crate::agency::SharedAgency;

/// What a name of `tools/call` runs.
enum Entry {
    Tool(Tool),
    Agency(SharedAgency),
}

/// The tools the server lists, built once, and what each name runs.
pub(super) struct Catalog {
    listed: Vec<McpTool>,
    by_name: HashMap<String, Entry>,
}

impl Catalog {
    /// The served tools, then one tool per agency (an agency whose route is a tool's name is
    /// left out, with a warning: the tool keeps its name).
    pub(super) fn new(tools: &Toolbox, agencies: &[SharedAgency]) -> Self {
        let mut catalog = Catalog {
            listed: Vec::new(),
            by_name: HashMap::new(),
        };
        for tool in tools.iter() {
            let schema = object(tool.input_schema());
            let described = McpTool::new(
                tool.name().to_owned(),
                tool.description().to_owned(),
                schema,
            );
            catalog.listed.push(described);
            catalog
                .by_name
                .insert(tool.name().to_owned(), Entry::Tool(tool.clone()));
        }
        for agency in agencies {
            if catalog.by_name.contains_key(&agency.route) {
                tracing::warn!(
                    "MCP: agency '{}' is not listed as a tool: a tool already has the name '{}'",
                    agency.template.name(),
                    agency.route
                );
                continue;
            }
            catalog.listed.push(agency_tool::describe(agency));
            catalog
                .by_name
                .insert(agency.route.clone(), Entry::Agency(agency.clone()));
        }
        catalog
    }
}

/// `schema` as a JSON object (a tool's input schema always is one).
fn object(schema: &Value) -> Arc<JsonObject> {
    Arc::new(schema.as_object().cloned().unwrap_or_default())
}

/// One handler per request (stateless): cloning it is a few reference counts.
#[derive(Clone)]
pub(super) struct McpServer {
    pub catalog: Arc<Catalog>,
    pub tool_timeout: Duration,
    pub states: States,
    pub deadline: CancellationToken,
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("agency-rs", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "The tools and agencies of this server. An agency's tool takes a `message` and answers with the agency's final answer.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.catalog.listed.clone()))
    }

    #[tracing::instrument(name = "mcp_call", skip_all, fields(tool = %request.name))]
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(entry) = self.catalog.by_name.get(request.name.as_ref()) else {
            return Err(ErrorData::invalid_params(
                format!(
                    "no tool is named '{}' (tools/list lists them)",
                    request.name
                ),
                None,
            ));
        };
        let args = Value::Object(request.arguments.unwrap_or_default());
        let result = match entry {
            Entry::Tool(tool) => {
                let call = crate::routes::tools::invoke(
                    tool,
                    args,
                    self.tool_timeout,
                    self.states.clone(),
                    &self.deadline,
                );
                // The client cancelling the request stops the call.
                let outcome = tokio::select! {
                    outcome = call => outcome,
                    () = context.ct.cancelled() => return Err(cancelled()),
                };
                match outcome {
                    Ok(output) => output_result(output),
                    Err(e) => error_result(&e.body()),
                }
            }
            Entry::Agency(agency) => agency_tool::call(agency, args, &context).await?,
        };
        Ok(result.into())
    }
}

fn cancelled() -> ErrorData {
    ErrorData::internal_error("the request was cancelled", None)
}

/// A tool's output: its text (a JSON string's own text, any other value as JSON), and the value
/// as structured content when it is an object.
pub(super) fn output_result(output: Value) -> CallToolResult {
    let text = match &output {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    if output.is_object() {
        result.structured_content = Some(output);
    }
    result
}

/// A failed call, as MCP says a tool's own failure is reported: `isError` and what went wrong,
/// for the model to read (the JSON error body of the HTTP routes).
pub(super) fn error_result(body: &Value) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(body.to_string())])
}
