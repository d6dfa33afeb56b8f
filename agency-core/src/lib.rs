//! The runtime of agency-rs, everything but HTTP:
//!
//! - [`Tool`]s with their JSON schemas (rewritten for OpenAI strict mode, [`schema`]) and a
//!   pydantic-compatible validator for their arguments ([`validate`]); the registry the `#[tool]`
//!   macro feeds ([`Toolbox`]);
//! - [`Agent`]s (instructions, tools, a model) and [`Agency`]s (agents joined by `send_message`
//!   flows and handoffs);
//! - the run loop ([`run`]): model turns, parallel tool calls, sub-agent messages and handoffs,
//!   cancellation, usage and cost ([`Usage`], [`PriceTable`]);
//! - typed conversation items ([`item`]) and run events ([`RunEvent`]);
//! - the [`Model`](model::Model) trait with the OpenAI back ends (Responses API and Chat
//!   Completions) over async-openai ([`model`]).
//!
//! Data flows one way: macro → registry → agency and tool values → run loop → typed events. The
//! `agency-http` crate turns the events into HTTP answers. Most users depend on the `agency`
//! facade crate, which re-exports what they need.

#![warn(missing_docs)]

pub mod agency;
pub mod agent;
mod chat_name;
mod context;
mod error;
pub mod event;
pub mod item;
pub mod model;
mod pricing;
mod redact;
mod registration;
mod registry;
pub mod run;
pub mod schema;
mod state;
pub mod thread;
mod tool;
mod toolset;
mod usage;
pub mod validate;

#[doc(hidden)]
pub mod __private;

pub use agency::{Agency, AgencyBuilder, AgencyError, AgencyRegistration, IntoAgency, IntoAgent};
pub use agent::{Agent, AgentBuilder, AgentError};
pub use context::{SharedState, ToolContext, UserContext};
pub use error::{RegistryError, ToolError, ToolSchemaError};
pub use event::RunEvent;
pub use item::{Entry, Item, Meta};
pub use pricing::{ModelPrice, PriceTable};
pub use redact::redact_url;
pub use registration::{AgentRegistration, Registration, ToolRegistration};
pub use registry::Toolbox;
pub use run::{CancelMode, RunConfig, RunControl, RunError, RunFailure, RunOutput, RunStream};
pub use state::{MissingState, State, StateKey, States};
pub use tool::{DEFAULT_TOOL_TIMEOUT, Tool, ToolBuilder, ToolFuture};
pub use toolset::Toolset;
pub use usage::Usage;
pub use validate::{FieldError, Loc};
