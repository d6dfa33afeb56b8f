//! The runtime of agency-rs: tools, their schemas and validation, and the registry that the
//! `#[tool]` macro feeds.
//!
//! Most users depend on the `agency` facade crate and never name this crate; everything here is
//! re-exported there.

mod context;
mod error;
mod registry;
pub mod schema;
mod tool;
pub mod validate;

#[doc(hidden)]
pub mod __private;

pub use context::{ToolContext, UserContext};
pub use error::{RegistryError, ToolError};
pub use registry::{ToolRegistration, Toolbox};
pub use tool::{Tool, ToolBuilder, ToolFuture};
pub use validate::{FieldError, Loc};
