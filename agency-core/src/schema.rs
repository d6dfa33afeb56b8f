//! JSON schemas of tool inputs: generation from Rust types (schemars) and the rewrite to OpenAI
//! strict mode.
//!
//! ```
//! use agency_core::schema;
//!
//! #[derive(schemars::JsonSchema)]
//! struct Args {
//!     /// How many
//!     count: u32,
//!     /// An optional note
//!     note: Option<String>,
//! }
//!
//! let strict = schema::to_strict(&schema::generate::<Args>()).unwrap();
//! assert_eq!(strict["required"], serde_json::json!(["count", "note"]));
//! assert_eq!(strict["additionalProperties"], false);
//! assert_eq!(strict["properties"]["note"]["type"], serde_json::json!(["string", "null"]));
//! assert!(strict["properties"]["count"].get("format").is_none());
//! ```

mod keywords;
mod lenient;
pub(crate) mod reference;
mod strict;
mod strict_error;

use schemars::JsonSchema;
use serde_json::Value;

pub use lenient::to_lenient;
pub use strict::to_strict;
pub use strict_error::{SchemaPath, StrictSchemaError};

/// The JSON schema (draft 2020-12, without `$schema`) of `T`, as schemars generates it, with
/// referenced types under `$defs`.
pub fn generate<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.meta_schema = None;
    });
    settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}
