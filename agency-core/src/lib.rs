//! The runtime of agency-rs: tools, their schemas and validation, and the registry that the
//! `#[tool]` macro feeds.
//!
//! Most users depend on the `agency` facade crate and never name this crate; everything here is
//! re-exported there.

pub mod agency;
pub mod agent;
mod agent_registration;
mod context;
mod error;
pub mod event;
pub mod item;
pub mod model;
mod pricing;
mod registry;
pub mod run;
pub mod schema;
mod tool;
mod usage;
pub mod validate;

#[doc(hidden)]
pub mod __private;

pub use agency::{Agency, AgencyBuilder, AgencyError, AgencyRegistration, IntoAgency, IntoAgent};
pub use agent::{Agent, AgentBuilder, AgentError};
pub use agent_registration::AgentRegistration;
pub use context::{ToolContext, UserContext};
pub use error::{RegistryError, ToolError};
pub use event::RunEvent;
pub use item::{Entry, Item, Meta};
pub use pricing::{ModelPrice, PriceTable};
pub use registry::{ToolRegistration, Toolbox};
pub use run::{CancelMode, RunConfig, RunControl, RunError, RunFailure, RunOutput, RunStream};
pub use tool::{Tool, ToolBuilder, ToolFuture};
pub use usage::Usage;
pub use validate::{FieldError, Loc};
