//! The tools of MCP servers for agency-rs agents.
//!
//! An [`McpServer`] names a server: a streamable HTTP endpoint ([`McpServer::http`]) or a
//! program spoken to over its standard input and output ([`McpServer::stdio`]). Given to an
//! agent (`#[agent(mcp = [...])]`, or [`AgentBuilder::toolset`](agency_core::AgentBuilder::toolset)),
//! its tools are offered to the model beside the agent's own:
//!
//! - their schemas are rewritten for OpenAI's strict mode like the agent's own tools, or sent
//!   non-strict with a warning when they cannot be;
//! - calls are checked against the schema, then forwarded; when the run is cancelled (or the
//!   call passes its timeout) the MCP request is cancelled too;
//! - the server is reached when a run first needs it (or [`McpServer::connect`]): one that is
//!   down is reported in the log and tried again on a later run (after 1 s, 2 s, 4 s ... up to a
//!   minute), its tools left out meanwhile; the run goes on, and nothing crashes.
//!
//! ```no_run
//! use agency_core::Agent;
//! use agency_mcp::McpServer;
//!
//! let agent = Agent::builder("Researcher")
//!     .toolset(McpServer::http("http://127.0.0.1:8931/mcp").name("search"))
//!     .toolset(McpServer::stdio("uvx", ["mcp-server-time"]))
//!     .build();
//! ```

mod error;
mod server;
mod tools;

pub use error::McpError;
pub use server::{DEFAULT_CONNECT_TIMEOUT, IntoMcpServer, McpServer};
