//! The schema of a non-strict tool.

use serde_json::Value;

use super::keywords::{
    SUBSCHEMA_KEYWORDS, SUBSCHEMA_LIST_KEYWORDS, SUBSCHEMA_MAP_KEYWORDS, is_numeric,
};

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
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if SUBSCHEMA_KEYWORDS.contains(&key) {
            clean(value);
        } else if SUBSCHEMA_LIST_KEYWORDS.contains(&key) {
            if let Value::Array(list) = value {
                list.iter_mut().for_each(clean);
            }
        } else if SUBSCHEMA_MAP_KEYWORDS.contains(&key)
            && let Value::Object(named) = value
        {
            named.values_mut().for_each(clean);
        }
    }
}
