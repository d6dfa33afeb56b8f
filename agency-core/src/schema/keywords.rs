//! Small facts about JSON schema keywords shared by the strict and lenient rewrites.

use serde_json::{Map, Value};

/// Whether the schema's `type` (a string or an array of strings) names `name`.
pub(crate) fn has_type(schema: &Map<String, Value>, name: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    }
}

/// Whether the schema is numeric (`integer` or `number`), where `format` is only a size hint.
pub(crate) fn is_numeric(schema: &Map<String, Value>) -> bool {
    has_type(schema, "integer") || has_type(schema, "number")
}

/// The string formats OpenAI strict mode accepts; any other `format` is dropped.
pub(crate) const STRICT_STRING_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Keywords whose value is one subschema.
pub(crate) const SUBSCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Keywords whose value is an array of subschemas.
pub(crate) const SUBSCHEMA_LIST_KEYWORDS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];

/// Keywords whose value is a map from names to subschemas.
pub(crate) const SUBSCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
