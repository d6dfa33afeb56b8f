//! The schema of a non-strict tool.

use serde_json::Value;

use super::keywords::is_numeric;
use super::visit::subschemas_mut;

/// The schema of a non-strict tool: what schemars generated, minus what OpenAI refuses anyway
/// (`$schema`, and `format` on numbers such as `int64` or `double`). `required` and
/// `additionalProperties` stay as generated, so optional fields may be omitted and, unless the type
/// says `deny_unknown_fields`, unknown fields are accepted.
///
/// ```
/// let raw = serde_json::json!({
///     "$schema": "https://json-schema.org/draft/2020-12/schema",
///     "type": "object",
///     "properties": {"n": {"type": "integer", "format": "int64"}},
/// });
/// let lenient = agency_core::schema::to_lenient(&raw);
/// assert_eq!(lenient, serde_json::json!({
///     "type": "object",
///     "properties": {"n": {"type": "integer"}},
/// }));
/// ```
pub fn to_lenient(schema: &Value) -> Value {
    let mut out = schema.clone();
    clean(&mut out);
    out
}

/// Removes `$schema` and numeric `format`s from `schema` and every subschema in it.
fn clean(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    map.shift_remove("$schema");
    if is_numeric(map) {
        map.shift_remove("format");
    }
    subschemas_mut(map, clean);
}
