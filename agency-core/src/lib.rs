//! The runtime of agency-rs: tools, their schemas and validation, and the registry that the
//! `#[tool]` macro feeds.
//!
//! Most users depend on the `agency` facade crate and never name this crate; everything here is
//! re-exported there.

pub mod agency;
pub mod agent;
mod context;
mod error;
pub mod event;
pub mod item;
pub mod model;
mod pricing;
mod registration;
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
pub use context::{ToolContext, UserContext};
pub use error::{RegistryError, ToolError};
pub use event::{EventMeta, RunEvent};
pub use pricing::{ModelPrice, PriceTable};
pub use registration::{AgentRegistration, Registration, ToolRegistration};
pub use registry::Toolbox;
pub use run::{CancelMode, RunConfig, RunControl, RunError, RunFailure, RunOutput, RunStream};
pub use tool::{Tool, ToolBuilder, ToolFuture};
pub use usage::Usage;
pub use validate::{FieldError, Loc};
