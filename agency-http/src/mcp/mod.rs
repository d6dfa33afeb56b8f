//! The MCP server (`ServerOptions::enable_mcp`, on by default): `/mcp` over MCP's streamable
//! HTTP transport (rmcp), stateless, so that any process behind a load balancer can answer any
//! request. Agent hosts (Claude Desktop, IDEs, other agents) see:
//!
//! - every served tool, with the schema and the validation of `POST /tool/{name}`;
//! - each agency as a tool named after its route: `message` in, the final answer out, progress
//!   notifications while it runs (when the client sends a progress token).
//!
//! The bearer token is checked as on every protected route (a layer in front of `/mcp`).

mod agency_tool;
mod handler;

use std::sync::Arc;
use std::time::Duration;

use agency_core::{States, Toolbox};
use axum::Router;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::agency::SharedAgency;
use handler::{Catalog, McpServer};

/// The path of the MCP endpoint.
pub const MCP_PATH: &str = "/mcp";

/// What the MCP endpoint serves and how.
pub(crate) struct Served<'a> {
    pub tools: &'a Toolbox,
    pub agencies: &'a [SharedAgency],
    pub states: &'a States,
    pub tool_timeout: Duration,
    pub body_limit: usize,
    /// Fires when the server shuts down: open streams end.
    pub shutdown: &'a CancellationToken,
    /// Fires at the shutdown deadline: tool calls still running are stopped.
    pub deadline: &'a CancellationToken,
    /// Whether a bearer token guards the endpoint (then any `Host` is accepted: the token is
    /// the protection DNS rebinding would get around).
    pub auth: bool,
}

/// `/mcp`: POST (JSON-RPC messages), GET and DELETE as the transport answers them statelessly.
pub(crate) fn router(served: Served<'_>) -> Router {
    let server = McpServer {
        catalog: Arc::new(Catalog::new(served.tools, served.agencies)),
        tool_timeout: served.tool_timeout,
        states: served.states.clone(),
        deadline: served.deadline.clone(),
    };
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(served.body_limit)
        .with_cancellation_token(served.shutdown.child_token());
    if served.auth {
        config = config.disable_allowed_hosts();
    }
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new().route_service(MCP_PATH, service)
}
