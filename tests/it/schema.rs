//! Tool schemas for the model (API.md §13): the OpenAI strict-mode rewrite of schemars output,
//! checked by snapshots and by the strict-mode invariants, and the lenient form.

#![allow(dead_code)] // The types only exist for their schemas.

use std::collections::{BTreeMap, HashMap};

use agency::{Tool, ToolError};
use agency_core::schema::{self, StrictSchemaError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::{AddArgs, Address, Priority, Size};

/// Optional fields of every kind.
#[derive(JsonSchema, Deserialize)]
struct Optionals {
    /// A note, if any
    note: Option<String>,
    count: Option<u32>,
    /// Retries, 3 when left out
    #[serde(default = "three")]
    retries: u8,
    /// A priority, if any
    priority: Option<Priority>,
    labels: Option<Vec<String>>,
}

fn three() -> u8 {
    3
}

/// One order line.
#[derive(JsonSchema, Deserialize)]
struct Line {
    /// Product code
    sku: String,
    /// How many
    qty: u32,
}

/// Who ordered.
#[derive(JsonSchema, Deserialize)]
struct Customer {
    name: String,
    /// Their email address
    email: Option<String>,
}

/// Place an order.
#[derive(JsonSchema, Deserialize)]
struct Order {
    /// Who orders
    customer: Customer,
    /// What they order
    lines: Vec<Line>,
    /// A line offered on top, if any
    gift: Option<Line>,
    size: Size,
    priority: Priority,
}

/// Number types: `format` goes, bounds stay.
#[derive(JsonSchema, Deserialize)]
struct Numbers {
    small: u8,
    count: u32,
    offset: i64,
    ratio: f64,
    weights: Vec<f32>,
    #[schemars(range(min = 1, max = 10))]
    rating: i32,
}

/// A tree: references to the root schema.
#[derive(JsonSchema, Deserialize)]
struct Tree {
    label: String,
    /// Sub-trees
    children: Vec<Tree>,
    parent: Option<Box<Tree>>,
}

/// A tagged enum: `oneOf` of objects.
#[derive(JsonSchema, Deserialize)]
enum Shape {
    Circle { radius: f64 },
    Square(f64),
    Dot,
}

#[derive(JsonSchema, Deserialize)]
struct Drawing {
    shapes: Vec<Shape>,
}

#[derive(JsonSchema, Deserialize)]
struct WithMap {
    name: String,
    /// Free-form labels
    labels: HashMap<String, String>,
}

#[derive(JsonSchema, Deserialize)]
struct WithNestedMap {
    lines: Vec<Tagged>,
}

#[derive(JsonSchema, Deserialize)]
struct Tagged {
    tags: BTreeMap<String, u32>,
}

#[derive(JsonSchema, Deserialize)]
struct WithTuple {
    point: (i32, i32),
}

#[derive(JsonSchema, Deserialize)]
struct WithAnyValue {
    /// Anything at all
    extra: Value,
}

#[derive(JsonSchema, Deserialize)]
struct NoArgs {}

fn strict<T: JsonSchema>() -> Value {
    let strict = schema::to_strict(&schema::generate::<T>()).unwrap();
    assert_strict_invariants(&strict, "");
    strict
}

/// What OpenAI strict mode requires of every subschema.
fn assert_strict_invariants(schema: &Value, at: &str) {
    let Value::Object(map) = schema else {
        panic!("{at}: a subschema is not an object: {schema}");
    };
    assert!(!map.contains_key("oneOf"), "{at}: oneOf left");
    assert!(!map.contains_key("default"), "{at}: default left");
    assert!(!map.contains_key("$schema"), "{at}: $schema left");
    if map.contains_key("$ref") {
        assert_eq!(map.len(), 1, "{at}: keywords next to $ref");
    }
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
        _ => vec![],
    };
    if types.contains(&"integer") || types.contains(&"number") {
        assert!(!map.contains_key("format"), "{at}: format on a number");
    }
    if types.contains(&"object") || map.contains_key("properties") {
        assert_eq!(
            map.get("additionalProperties"),
            Some(&json!(false)),
            "{at}: open object"
        );
        let properties = map["properties"].as_object().unwrap();
        let keys: Vec<Value> = properties.keys().map(|k| json!(k)).collect();
        assert_eq!(
            map["required"],
            Value::Array(keys),
            "{at}: not all properties required"
        );
        for (name, property) in properties {
            assert_strict_invariants(property, &format!("{at}.{name}"));
        }
    }
    if let Some(items) = map.get("items") {
        assert_strict_invariants(items, &format!("{at}[]"));
    }
    for keyword in ["anyOf", "allOf"] {
        for branch in map
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            assert_strict_invariants(branch, at);
        }
    }
    for (name, def) in map
        .get("$defs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        assert_strict_invariants(def, name);
    }
}

/// The original tool's schema, plus the range of `i64` on each integer (the original took Python's
/// unbounded integers; this server cannot, and its schema says so).
#[test]
fn strict_add_matches_the_original_tool_schema_with_the_range_of_i64() {
    insta::assert_json_snapshot!("strict_add", strict::<AddArgs>());
}

#[test]
fn strict_address() {
    insta::assert_json_snapshot!("strict_address", strict::<Address>());
}

#[test]
fn strict_optional_fields_become_required_and_nullable() {
    let schema = strict::<Optionals>();
    let props = &schema["properties"];
    assert_eq!(props["note"]["type"], json!(["string", "null"]));
    // A field with a serde default was not nullable: it becomes so.
    assert_eq!(props["retries"]["type"], json!(["integer", "null"]));
    assert_eq!(props["retries"]["maximum"], 255);
    assert_eq!(props["priority"]["anyOf"][1], json!({"type": "null"}));
    insta::assert_json_snapshot!("strict_optionals", schema);
}

#[test]
fn strict_nested_structs_enums_and_lists() {
    let schema = strict::<Order>();
    // The documented field of a struct type is inlined: OpenAI refuses keywords next to a $ref.
    assert_eq!(
        schema["properties"]["customer"]["description"],
        "Who orders"
    );
    assert!(schema["properties"]["customer"].get("$ref").is_none());
    // The documented enum: unit variants with doc comments, a oneOf of consts, now an anyOf.
    assert!(schema["$defs"]["Priority"]["anyOf"].is_array());
    insta::assert_json_snapshot!("strict_order", schema);
}

#[test]
fn strict_numbers_lose_format_and_keep_bounds_with_the_range_of_their_type() {
    let schema = strict::<Numbers>();
    let props = &schema["properties"];
    assert_eq!(
        props["small"],
        json!({"type": "integer", "minimum": 0, "maximum": 255})
    );
    assert_eq!(
        props["count"],
        json!({"type": "integer", "minimum": 0, "maximum": u32::MAX})
    );
    assert_eq!(
        props["offset"],
        json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX})
    );
    // A range of its own, inside the type's, stays.
    assert_eq!(
        props["rating"],
        json!({"type": "integer", "minimum": 1, "maximum": 10})
    );
    assert_eq!(props["ratio"], json!({"type": "number"}));
    insta::assert_json_snapshot!("strict_numbers", schema);
}

#[test]
fn strict_recursive_and_tagged_types() {
    insta::assert_json_snapshot!("strict_tree", strict::<Tree>());
    insta::assert_json_snapshot!("strict_drawing", strict::<Drawing>());
}

#[test]
fn strict_struct_without_fields_is_an_empty_closed_object() {
    assert_eq!(
        strict::<NoArgs>(),
        json!({
            "type": "object",
            "title": "NoArgs",
            "additionalProperties": false,
            "properties": {},
            "required": [],
        })
    );
}

#[test]
fn strict_is_idempotent() {
    let once = strict::<Order>();
    assert_eq!(schema::to_strict(&once).unwrap(), once);
}

fn strict_error<T: JsonSchema>() -> StrictSchemaError {
    schema::to_strict(&schema::generate::<T>()).unwrap_err()
}

#[test]
fn maps_cannot_be_strict_and_the_error_names_the_field() {
    let err = strict_error::<WithMap>();
    assert!(matches!(&err, StrictSchemaError::Map { at } if at.as_str() == "labels"));
    assert_eq!(
        err.to_string(),
        "field `labels` is a map with free-form keys, and strict mode needs every key declared; \
         use a struct, or a Vec of key/value structs"
    );
    // Inside a referenced type, the path starts with the type's name.
    let err = strict_error::<WithNestedMap>();
    assert!(
        matches!(&err, StrictSchemaError::Map { at } if at.as_str() == "Tagged.tags"),
        "{err}"
    );
}

#[test]
fn tuples_any_values_and_non_objects_cannot_be_strict() {
    let err = strict_error::<WithTuple>();
    assert!(
        matches!(&err, StrictSchemaError::Tuple { at } if at.as_str() == "point"),
        "{err}"
    );
    assert!(err.to_string().starts_with("field `point` is a tuple"));

    let err = strict_error::<WithAnyValue>();
    assert!(
        matches!(&err, StrictSchemaError::AnyValue { at } if at.as_str() == "extra"),
        "{err}"
    );

    let err = strict_error::<Vec<i32>>();
    assert!(
        matches!(&err, StrictSchemaError::RootNotObject { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("of type `array`"), "{err}");
    let err = strict_error::<Value>();
    assert!(
        matches!(&err, StrictSchemaError::RootNotObject { .. }),
        "{err}"
    );
}

#[test]
fn a_tool_that_cannot_be_strict_is_sent_non_strict_with_a_warning() {
    let tool = Tool::builder("label")
        .description("Label things.")
        .handler(|args: WithMap, _ctx| async move { Ok::<_, ToolError>(args.labels.len()) });
    assert!(!tool.is_strict());
    assert_eq!(tool.definition()["strict"], false);
    assert_eq!(tool.warnings().len(), 1);
    assert!(
        tool.warnings()[0].contains("field `labels` is a map"),
        "{}",
        tool.warnings()[0]
    );
    // The lenient schema keeps the map open and the optional fields optional.
    let parameters = tool.parameters();
    assert_eq!(
        parameters["properties"]["labels"]["additionalProperties"],
        json!({"type": "string"})
    );
}

#[test]
fn lenient_schema_only_drops_what_openai_refuses() {
    let raw = schema::generate::<Optionals>();
    let lenient = schema::to_lenient(&raw);
    let props = &lenient["properties"];
    assert_eq!(
        props["count"],
        json!({"type": ["integer", "null"], "minimum": 0, "maximum": u32::MAX})
    );
    assert_eq!(lenient.get("required"), raw.get("required"));
    assert!(lenient.get("additionalProperties").is_none());
    // A property named like a keyword is a property, not a keyword.
    let with_format = json!({
        "type": "object",
        "properties": {"format": {"type": "number", "format": "double"}},
        "required": ["format"],
    });
    assert_eq!(
        schema::to_lenient(&with_format),
        json!({"type": "object", "properties": {"format": {"type": "number"}}, "required": ["format"]})
    );
    insta::assert_json_snapshot!("lenient_optionals", lenient);
}
