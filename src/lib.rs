//! # agency
//!
//! Turn annotated Rust functions and structs into LLM tools, and serve them over HTTP with an
//! OpenAPI document and docs pages.
//!
//! ```ignore
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
//! let tool = add::tool();
//! assert_eq!(tool.name(), "add");
//! assert_eq!(tool.definition()["parameters"]["properties"]["a"]["description"], "First addend");
//! ```

mod cli;

pub use agency_core::*;
pub use cli::{Error, Result, main};
pub use agency_macros::tool;

/// The HTTP server: routes, OpenAPI document, docs pages, auth, CORS.
pub use agency_http as http;

/// The items most programs need: `use agency::prelude::*;`.
pub mod prelude {
    pub use crate::{Tool, ToolContext, ToolError, UserContext, tool};
}
