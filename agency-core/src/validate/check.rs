//! The one walk over a schema before it is used: compiles its `pattern`s, finds the keywords that
//! would make validation misbehave ([`SchemaError`]), and lists those the validator does not
//! check.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::SchemaError;
use super::format;
use super::json::compare_numbers;
use super::pattern::Patterns;
use crate::schema::SchemaPath;
use crate::schema::visit::{Slot, subschemas};

/// Keywords that constrain a value and that the validator leaves unchecked. (`uniqueItems` is
/// not among them: like pydantic for a `set`, the validator takes duplicates, which the Rust set
/// then drops.)
const UNCHECKED: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "contains",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
];

/// Keywords whose value must be a number.
const NUMBERS: &[&str] = &["minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"];

/// Keywords whose value must be a non-negative integer, as `(lower, upper)` pairs.
const COUNTS: &[(&str, &str)] = &[
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
];

/// Nesting beyond which the walk stops (serde_json stops parsing at 128 levels).
const MAX_DEPTH: usize = 256;

/// What the walk found.
#[derive(Debug, Default)]
pub(super) struct Compiled {
    pub(super) patterns: Patterns,
    /// The keywords the validator does not check, each with where: "`not` (field `a`)".
    pub(super) unchecked: Vec<String>,
    /// What makes the schema unusable, in schema order.
    pub(super) problems: Vec<SchemaError>,
}

/// Walks `schema` and every subschema in it.
pub(super) fn compile(schema: &Value) -> Compiled {
    let mut compiled = Compiled::default();
    walk(&mut compiled, schema, &SchemaPath::default(), 0);
    compiled
}

fn walk(out: &mut Compiled, schema: &Value, at: &SchemaPath, depth: usize) {
    let Value::Object(map) = schema else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    node(out, map, at);
    subschemas(map, |slot, subschema| {
        let at = match slot {
            Slot::Entry("properties", name) => at.property(name),
            Slot::Entry("$defs" | "definitions", name) => SchemaPath::definition(name),
            Slot::Keyword("items") | Slot::Element("prefixItems") => at.items(),
            _ => at.clone(),
        };
        walk(out, subschema, &at, depth + 1);
    });
}

/// Checks the keywords of one schema object.
fn node(out: &mut Compiled, map: &Map<String, Value>, at: &SchemaPath) {
    let wrong_type = |keyword: &str, value: &Value, expected| SchemaError::KeywordType {
        at: at.clone(),
        keyword: keyword.to_owned(),
        value: value.to_string(),
        expected,
    };
    if let Some(step) = map.get("multipleOf")
        && !step.as_f64().is_some_and(|f| f > 0.0)
    {
        out.problems.push(SchemaError::MultipleOf {
            at: at.clone(),
            value: step.to_string(),
        });
    }
    for keyword in NUMBERS {
        if let Some(value) = map.get(*keyword)
            && !value.is_number()
        {
            out.problems.push(wrong_type(keyword, value, "a number"));
        }
    }
    for (lower, upper) in [
        ("minimum", "maximum"),
        ("exclusiveMinimum", "maximum"),
        ("minimum", "exclusiveMaximum"),
        ("exclusiveMinimum", "exclusiveMaximum"),
    ] {
        let (Some(low @ Value::Number(l)), Some(high @ Value::Number(h))) =
            (map.get(lower), map.get(upper))
        else {
            continue;
        };
        let inclusive = lower == "minimum" && upper == "maximum";
        let empty = match compare_numbers(l, h) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => !inclusive,
            _ => false,
        };
        if empty {
            out.problems.push(empty_range(at, lower, low, upper, high));
        }
    }
    for (lower, upper) in COUNTS {
        for keyword in [lower, upper] {
            if let Some(value) = map.get(*keyword)
                && value.as_u64().is_none()
            {
                out.problems
                    .push(wrong_type(keyword, value, "a non-negative integer"));
            }
        }
        if let (Some(low), Some(high)) = (map.get(*lower), map.get(*upper))
            && let (Some(l), Some(h)) = (low.as_u64(), high.as_u64())
            && l > h
        {
            out.problems.push(empty_range(at, lower, low, upper, high));
        }
    }
    match map.get("pattern") {
        None => {}
        Some(Value::String(pattern)) => {
            if let Err(e) = out.patterns.add(pattern) {
                out.problems.push(SchemaError::Pattern {
                    at: at.clone(),
                    pattern: pattern.clone(),
                    reason: regex_reason(&e),
                });
            }
        }
        Some(other) => out.problems.push(wrong_type("pattern", other, "a string")),
    }
    match map.get("format") {
        None => {}
        Some(Value::String(name)) if format::is_known(name) => {}
        Some(Value::String(name)) => out.unchecked.push(format!("`format: {name}` ({at})")),
        Some(other) => out.problems.push(wrong_type("format", other, "a string")),
    }
    for keyword in UNCHECKED {
        if map.contains_key(*keyword) {
            out.unchecked.push(format!("`{keyword}` ({at})"));
        }
    }
}

fn empty_range(
    at: &SchemaPath,
    lower: &'static str,
    low: &Value,
    upper: &'static str,
    high: &Value,
) -> SchemaError {
    SchemaError::EmptyRange {
        at: at.clone(),
        lower,
        lower_value: low.to_string(),
        upper,
        upper_value: high.to_string(),
    }
}

/// The last line of the regex parser's message (`unclosed group`): the others repeat the
/// pattern with a caret under the fault.
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().last().unwrap_or_default();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value) -> Vec<String> {
        compile(&schema)
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn unusable_keywords_are_found_with_their_place() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "number", "multipleOf": -2},
                "b": {"type": "string", "pattern": "(unclosed"},
                "c": {"type": "integer", "minimum": 5, "maximum": 3},
                "d": {"type": "array", "items": {"type": "string", "minLength": -1}},
                "e": {"type": "integer", "exclusiveMinimum": 3, "maximum": 3},
                "f": {"type": "string", "minLength": 3, "maxLength": 2, "format": 1},
                "g": {"type": "integer", "maximum": "10"},
            },
            "$defs": {"Inner": {"type": "number", "multipleOf": 0}},
        });
        assert_eq!(
            problems(schema),
            [
                "field `a` has `multipleOf: -2`, which must be a number greater than 0",
                "field `b` has `pattern: \"(unclosed\"`, which is not a valid regular expression: unclosed group",
                "field `c` has `minimum: 5` above `maximum: 3`, so no value is valid",
                "field `d[]` has `minLength: -1`, which must be a non-negative integer",
                "field `e` has `exclusiveMinimum: 3` above `maximum: 3`, so no value is valid",
                "field `f` has `minLength: 3` above `maxLength: 2`, so no value is valid",
                "field `f` has `format: 1`, which must be a string",
                "field `g` has `maximum: \"10\"`, which must be a number",
                "field `Inner` has `multipleOf: 0`, which must be a number greater than 0",
            ]
        );
    }

    #[test]
    fn usable_schemas_compile_their_patterns_and_list_what_goes_unchecked() {
        let schema = json!({
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z]{3}$", "format": "hostname"},
                "n": {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 7, "multipleOf": 0.5},
                "id": {"type": "string", "format": "uuid"},
                "tags": {"type": "array", "uniqueItems": true, "items": {"not": {"const": ""}}},
            },
        });
        let compiled = compile(&schema);
        assert!(compiled.problems.is_empty());
        assert!(!compiled.patterns.matches("^[A-Z]{3}$", "ABCD"));
        assert_eq!(
            compiled.unchecked,
            [
                "`format: hostname` (field `code`)",
                "`not` (field `tags[]`)"
            ]
        );
    }
}
