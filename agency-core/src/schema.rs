//! JSON schemas of tool inputs: generation from Rust types (schemars) and the rewrite to OpenAI
//! strict mode.

use schemars::JsonSchema;
use serde_json::Value;

/// The JSON schema (draft 2020-12, without `$schema`) of `T`, as schemars generates it, with
/// referenced types under `$defs`.
pub fn generate<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.meta_schema = None;
    });
    settings.into_generator().into_root_schema_for::<T>().to_value()
}

/// Rewrites a schema to OpenAI strict mode (see API.md §13). `Err` says why it cannot be strict.
pub fn to_strict(schema: &Value) -> Result<Value, String> {
    // Filled in by the strict-mode rewrite.
    Ok(schema.clone())
}

/// The schema of a non-strict tool: what schemars generated, minus what OpenAI refuses anyway.
pub fn to_lenient(schema: &Value) -> Value {
    schema.clone()
}
