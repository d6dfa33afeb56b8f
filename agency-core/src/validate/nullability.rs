//! Whether a schema accepts `null`, which decides when a required property may be omitted and
//! when an explicit `null` is passed on as an absent field.

use serde_json::Value;

use crate::schema::reference;

/// How many `$ref`s to follow before giving up (a cycle of references).
const MAX_REFS: u32 = 16;

/// Whether `schema` says explicitly that `null` is valid (a `null` type, a `null` branch, a
/// `null` in an `enum`...). A schema that accepts anything (`true`, `{}`) does not count: a
/// `serde_json::Value` field still has to be sent.
pub(super) fn admits_null(root: &Value, schema: &Value) -> bool {
    admits_null_within(root, schema, 0)
}

fn admits_null_within(root: &Value, schema: &Value, refs: u32) -> bool {
    let Value::Object(map) = schema else {
        return false;
    };
    if refs < MAX_REFS
        && let Some(target) = map
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| reference::resolve(root, r))
        && admits_null_within(root, target, refs + 1)
    {
        return true;
    }
    let typed_null = match map.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    typed_null
        || matches!(map.get("const"), Some(Value::Null))
        || matches!(map.get("enum"), Some(Value::Array(values)) if values.contains(&Value::Null))
        || ["anyOf", "oneOf"].iter().any(|k| {
            matches!(map.get(*k), Some(Value::Array(branches))
                if refs < MAX_REFS && branches.iter().any(|b| admits_null_within(root, b, refs + 1)))
        })
}

/// Whether `schema` accepts only `null` (`{"type": "null"}`, the null branch of an optional).
/// `$ref`s are not followed: a reference names a real type.
pub(super) fn null_only(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return false;
    };
    match map.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().all(|t| t == "null") && !types.is_empty(),
        _ => {
            matches!(map.get("const"), Some(Value::Null))
                || matches!(map.get("enum"), Some(Value::Array(values))
                    if values.iter().all(Value::is_null) && !values.is_empty())
        }
    }
}

/// Whether an explicit `null` for a property with this schema is passed to the tool as an
/// absent field: the schema is optional-like (null or something else), so the Rust field is an
/// `Option` or has a `#[serde(default)]` that strict mode made nullable.
pub(super) fn drops_null(root: &Value, schema: &Value) -> bool {
    !null_only(schema) && admits_null(root, schema)
}
