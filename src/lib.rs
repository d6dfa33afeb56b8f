//! # agency
//!
//! Turn annotated Rust functions and structs into LLM tools, and serve them over HTTP with an
//! OpenAPI document and docs pages.
//!
//! ```
//! use agency::prelude::*;
//!
//! /// Add two integers and return the sum.
//! #[tool]
//! fn add(
//!     /// First addend
//!     a: i64,
//!     /// Second addend
//!     b: i64,
//! ) -> i64 {
//!     a + b
//! }
//!
//! /// Format a postal address from a street and a zip code.
//! #[tool]
//! struct Address {
//!     /// Street name and number
//!     street: String,
//!     /// Numeric postal code
//!     zip_code: u32,
//! }
//!
//! impl Address {
//!     async fn run(self, ctx: &ToolContext) -> Result<String, ToolError> {
//!         Ok(format!("{}, {} (for {})", self.street, self.zip_code, ctx.agent().unwrap_or("HTTP")))
//!     }
//! }
//!
//! let tool = add::tool();
//! assert_eq!(tool.name(), "add");
//! assert_eq!(tool.definition()["parameters"]["properties"]["a"]["description"], "First addend");
//!
//! // Every #[tool] of the program, found without a hand-kept list.
//! let tools = agency::Toolbox::discover().unwrap();
//! assert!(tools.get("add").is_some() && tools.get("Address").is_some());
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let args = serde_json::json!({"street": "1 Main St", "zip_code": 12345});
//! let out = Address::tool().call(args, ToolContext::new()).await.unwrap();
//! assert_eq!(out, "1 Main St, 12345 (for HTTP)");
//! # });
//! ```
//!
//! See [`tool`](macro@tool) for everything `#[tool]` accepts, [`agent`](macro@agent) for agents
//! and [`agency`](macro@agency) for agencies.
//!
//! ## Cargo features
//!
//! - `cli` (default; implies `server`): `agency::main()`, `agency::main!()`, `agency::Chat` (the
//!   terminal conversation): clap and tracing-subscriber;
//! - `server` (default): `agency::http`, the axum server with its OpenAPI document and docs
//!   pages;
//! - `sqlite` (default), `postgres`: those thread stores ([`thread::open`]);
//! - `redis` (default; implies `server`): `agency::redis`, `--redis`;
//! - `otel`: `agency::otel`, spans exported over OTLP.
//!
//! With `default-features = false` only the run loop (tools, agents, agencies, models, thread
//! stores) is compiled.

#![warn(missing_docs)]

#[cfg(feature = "cli")]
mod cli;

pub use agency_core::agent::{DEFAULT_MAX_TURNS, default_model};
/// Conversation items, typed: messages, function calls and outputs, reasoning; with metadata.
pub use agency_core::item;
/// Models: the `Model` trait, the OpenAI back ends, typed model events, client configuration.
pub use agency_core::model;
/// Running agents: configuration, cancellation, streams, outputs and errors.
pub use agency_core::run;
/// JSON schemas for the model: the strict-mode rewrite.
pub use agency_core::schema;
/// Server-side conversations: the `ThreadStore` trait, `Threads`, and the stores: in memory,
/// SQLite and Postgres ([`thread::open`] a URL).
pub mod thread {
    pub use agency_core::thread::*;
    pub use agency_threads::*;
}
/// Argument validation with pydantic's lax rules and error shapes: types, bounds, lengths,
/// patterns and string formats.
pub use agency_core::validate;
pub use agency_core::{
    Agency, AgencyBuilder, AgencyError, AgencyRegistration, Agent, AgentBuilder, AgentError,
    AgentRegistration, CancelMode, Entry, FieldError, IntoAgency, IntoAgent, Item, Loc, Meta,
    MissingState, ModelPrice, PriceTable, RegistryError, RunConfig, RunControl, RunError, RunEvent,
    RunFailure, RunOutput, RunStream, State, StateKey, States, Tool, ToolBuilder, ToolContext,
    ToolError, ToolFuture, ToolRegistration, ToolSchemaError, Toolbox, Toolset, Usage, UserContext,
};
pub use agency_macros::{agency, agent, tool};

#[doc(hidden)]
pub use agency_core::__private;
#[cfg(feature = "cli")]
pub use cli::{Chat, Error, Program, Result, main, main_with};

/// serde, for your own parameter and output types: `#[derive(agency::serde::Deserialize)]` with
/// `#[serde(crate = "agency::serde")]`, so your crate needs no direct dependency on it.
#[doc(no_inline)]
pub use agency_core::__private::serde;

/// schemars, for your own parameter and output types: `#[derive(agency::schemars::JsonSchema)]`
/// with `#[schemars(crate = "agency::schemars")]`, so your crate needs no direct dependency on it.
#[doc(no_inline)]
pub use agency_core::__private::schemars;

/// The HTTP server: routes, OpenAPI document, docs pages, auth, CORS.
#[cfg(feature = "server")]
pub use agency_http as http;
/// OpenTelemetry: the spans exported over OTLP (`agency::main()` does it when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set).
#[cfg(feature = "otel")]
pub use agency_otel as otel;

/// The tools of MCP servers for agents (`#[agent(mcp = [...])]`, `AgentBuilder::toolset`):
/// the `agency-mcp` crate.
#[cfg(feature = "mcp")]
pub use agency_mcp as mcp;
/// Many processes, one service: the Redis run registry (cancel and resume streams across
/// server processes; `--redis`).
#[cfg(feature = "redis")]
pub use agency_redis as redis;

/// The items most programs need: `use agency::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "server")]
    pub use crate::http::Server;
    pub use crate::item::{Content, FunctionCall, FunctionCallOutput, Message, Part, Role};
    pub use crate::{
        Agency, AgencyBuilder, AgencyError, Agent, CancelMode, Entry, Item, Meta, RunConfig,
        RunEvent, RunOutput, State, Tool, ToolContext, ToolError, UserContext, tool,
    };
    // The attribute macros only: `crate::agency` and `crate::agent` also name modules, which
    // would shadow the `agency` crate itself in `agency::main()`.
    pub use agency_macros::{agency, agent};
}
