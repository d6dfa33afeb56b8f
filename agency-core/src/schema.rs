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
//! assert_eq!(strict["properties"]["count"]["maximum"], u32::MAX);
//! ```

mod integer;
mod keywords;
mod lenient;
pub(crate) mod reference;
mod strict;
mod strict_error;
pub(crate) mod visit;

use schemars::JsonSchema;
use serde_json::Value;

pub use lenient::to_lenient;
pub use strict::to_strict;
pub use strict_error::{SchemaPath, StrictSchemaError};

pub(crate) use integer::{bound_integers, range as integer_range};

/// The JSON schema (draft 2020-12, without `$schema`) of `T`, as schemars generates it, with
/// referenced types under `$defs`, and with the range of its Rust type on each integer
/// (`minimum`/`maximum`: schemars only writes both for the 8- and 16-bit types).
///
/// ```
/// let schema = agency_core::schema::generate::<(u32, i64)>();
/// assert_eq!(schema["prefixItems"][0]["maximum"], u32::MAX);
/// assert_eq!(schema["prefixItems"][1]["minimum"], i64::MIN);
/// assert_eq!(schema["prefixItems"][1]["maximum"], i64::MAX);
/// ```
pub fn generate<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.meta_schema = None;
        })
        .with_transform(schemars::transform::RecursiveTransform(
            integer::bound_by_format,
        ));
    settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// A schema as it is sent to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSchema {
    /// In strict form when `strict`, else lenient.
    pub schema: Value,
    /// The schema arguments are validated against (and the OpenAPI document shows): `schema`
    /// with the string `format`s strict mode cannot send (`uri`, for one) kept.
    pub input: Value,
    /// Whether it is sent with `strict: true`.
    pub strict: bool,
    /// Why strict mode was asked for and could not be had (also logged as a warning).
    pub warning: Option<String>,
}

/// `raw` rewritten for the model: in strict mode when `strict` is asked for and the schema can
/// be strict, else lenient. When strict mode was asked for and is not possible, the warning
/// (naming `what`, as in `"tool 'add'"`) is logged and returned.
///
/// ```
/// use agency_core::schema;
/// use std::collections::BTreeMap;
///
/// let raw = schema::generate::<BTreeMap<String, u32>>();
/// let map = schema::for_model(&raw, true, "tool 'count'");
/// assert!(!map.strict);
/// assert!(map.warning.unwrap().starts_with("tool 'count' cannot use OpenAI strict mode"));
/// assert_eq!(schema::for_model(&raw, false, "tool 'count'").warning, None);
/// ```
pub fn for_model(raw: &Value, strict: bool, what: &str) -> ModelSchema {
    let lenient = |warning| {
        let schema = to_lenient(raw);
        ModelSchema {
            input: schema.clone(),
            schema,
            strict: false,
            warning,
        }
    };
    if !strict {
        return lenient(None);
    }
    match to_strict(raw) {
        Ok(schema) => ModelSchema {
            input: strict::to_strict_with_formats(raw).unwrap_or_else(|_| schema.clone()),
            schema,
            strict: true,
            warning: None,
        },
        Err(why) => {
            let warning = format!(
                "{what} cannot use OpenAI strict mode ({why}); it is sent with strict: false"
            );
            tracing::warn!("{warning}");
            lenient(Some(warning))
        }
    }
}
