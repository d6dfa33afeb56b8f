//! Argument validation (API.md §10): pydantic-compatible errors and lax coercions, checked against
//! the transcripts of the original server (`spec/reference/01`–`19`, without the `body` prefix of
//! `loc` that the HTTP layer adds).

#![allow(dead_code)] // The types only exist for their schemas.

use agency::{Tool, ToolContext, ToolError};
use agency_core::schema;
use agency_core::validate::validate;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::{AddArgs, Address, Priority, Size};

/// One order line.
#[derive(JsonSchema, Deserialize)]
struct Line {
    sku: String,
    qty: u32,
}

/// Who ordered.
#[derive(JsonSchema, Deserialize)]
struct Customer {
    name: String,
    email: Option<String>,
}

#[derive(JsonSchema, Deserialize)]
struct Order {
    /// Who orders
    customer: Customer,
    lines: Vec<Line>,
    gift: Option<Line>,
    priority: Priority,
    size: Option<Size>,
}

#[derive(JsonSchema, Deserialize)]
struct Optionals {
    note: Option<String>,
    count: Option<u32>,
    #[serde(default = "three")]
    retries: u8,
}

fn three() -> u8 {
    3
}

#[derive(JsonSchema, Deserialize)]
struct Scalars {
    flag: bool,
    ratio: f64,
    small: u8,
    #[schemars(length(min = 2, max = 3))]
    code: String,
    #[schemars(length(min = 1, max = 2))]
    tags: Vec<String>,
}

#[derive(JsonSchema, Deserialize)]
#[serde(untagged)]
enum IntOrText {
    Int(i64),
    Text(String),
}

#[derive(JsonSchema, Deserialize)]
enum Shape {
    Circle { radius: f64 },
    Square(f64),
}

#[derive(JsonSchema, Deserialize)]
struct Unions {
    value: IntOrText,
    shape: Shape,
}

#[derive(JsonSchema, Deserialize)]
struct Tree {
    label: String,
    children: Vec<Tree>,
}

fn strict<T: JsonSchema>() -> Value {
    schema::to_strict(&schema::generate::<T>()).unwrap()
}

fn lenient<T: JsonSchema>() -> Value {
    schema::to_lenient(&schema::generate::<T>())
}

/// The errors as the HTTP layer serializes them (minus the `body` prefix).
#[track_caller]
fn errors(schema: &Value, input: Value) -> Value {
    match validate(schema, input) {
        Ok(value) => panic!("expected errors, got {value}"),
        Err(errors) => serde_json::to_value(errors).unwrap(),
    }
}

#[track_caller]
fn valid(schema: &Value, input: Value) -> Value {
    match validate(schema, input) {
        Ok(value) => value,
        Err(errors) => panic!(
            "expected valid, got {}",
            serde_json::to_value(errors).unwrap()
        ),
    }
}

/// Parses like the HTTP layer does (a huge integer literal becomes a float).
fn body(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn reference_add_valid_cases() {
    let add = strict::<AddArgs>();
    // 01, 02 (numeric string), 07 (bool), and a few more lax integers.
    assert_eq!(
        valid(&add, body(r#"{"a":2,"b":3}"#)),
        json!({"a": 2, "b": 3})
    );
    assert_eq!(
        valid(&add, body(r#"{"a":"2","b":3}"#)),
        json!({"a": 2, "b": 3})
    );
    assert_eq!(
        valid(&add, body(r#"{"a":true,"b":1}"#)),
        json!({"a": 1, "b": 1})
    );
    assert_eq!(
        valid(&add, json!({"a": " 2 ", "b": 2.0})),
        json!({"a": 2, "b": 2})
    );
    assert_eq!(
        valid(&add, json!({"a": "-7", "b": false})),
        json!({"a": -7, "b": 0})
    );
}

#[test]
fn reference_add_error_cases() {
    let add = strict::<AddArgs>();
    // 03
    assert_eq!(
        errors(&add, body(r#"{"a":"two","b":3}"#)),
        json!([{"type":"int_parsing","loc":["a"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"two"}])
    );
    // 04
    assert_eq!(
        errors(&add, body(r#"{"a":2}"#)),
        json!([{"type":"missing","loc":["b"],"msg":"Field required","input":{"a":2}}])
    );
    // 05
    assert_eq!(
        errors(&add, body(r#"{"a":1,"b":2,"c":3}"#)),
        json!([{"type":"extra_forbidden","loc":["c"],"msg":"Extra inputs are not permitted","input":3}])
    );
    // 06
    assert_eq!(
        errors(&add, body(r#"{"a":2.5,"b":1}"#)),
        json!([{"type":"int_from_float","loc":["a"],"msg":"Input should be a valid integer, got a number with a fractional part","input":2.5}])
    );
    // 08
    assert_eq!(
        errors(&add, body(r#"{"a":null,"b":1}"#)),
        json!([{"type":"int_type","loc":["a"],"msg":"Input should be a valid integer","input":null}])
    );
    // 10 and 19 (a form-encoded body reaches validation as a string)
    assert_eq!(
        errors(&add, body("[1,2]")),
        json!([{"type":"model_attributes_type","loc":[],"msg":"Input should be a valid dictionary or object to extract fields from","input":[1,2]}])
    );
    assert_eq!(
        errors(&add, json!("a=1&b=2")),
        json!([{"type":"model_attributes_type","loc":[],"msg":"Input should be a valid dictionary or object to extract fields from","input":"a=1&b=2"}])
    );
    // 11: an empty body is `null`
    assert_eq!(
        errors(&add, Value::Null),
        json!([{"type":"missing","loc":[],"msg":"Field required","input":null}])
    );
    // 12 differs on purpose: the original summed Python big integers; an i64 cannot hold it, and
    // the schema says so with the range of i64, which the error names as pydantic would.
    assert_eq!(
        errors(&add, body(r#"{"a":123456789012345678901234567890,"b":1}"#)),
        json!([{"type":"less_than_equal","loc":["a"],"msg":"Input should be less than or equal to 9223372036854775807","input":1.2345678901234568e29,"ctx":{"le":9223372036854775807_i64}}])
    );
    assert_eq!(
        errors(
            &add,
            json!({"a": "-123456789012345678901234567890", "b": 1})
        ),
        json!([{"type":"greater_than_equal","loc":["a"],"msg":"Input should be greater than or equal to -9223372036854775808","input":"-123456789012345678901234567890","ctx":{"ge":i64::MIN}}])
    );
    // Without a bound, it is too large to parse.
    assert_eq!(
        errors(
            &json!({"type": "integer"}),
            body("123456789012345678901234567890")
        ),
        json!([{"type":"int_parsing_size","loc":[],"msg":"Unable to parse input string as an integer, exceeded maximum size","input":1.2345678901234568e29}])
    );
}

#[test]
fn reference_address_cases() {
    let address = strict::<Address>();
    // 15
    assert_eq!(
        valid(&address, body(r#"{"street":"Main St 1","zip_code":12345}"#)),
        json!({"street": "Main St 1", "zip_code": 12345})
    );
    // 16
    assert_eq!(
        errors(&address, body(r#"{"street":"Main St 1","zip_code":"abc"}"#)),
        json!([{"type":"int_parsing","loc":["zip_code"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}])
    );
    // 17
    assert_eq!(
        errors(&address, body(r#"{"street":"Main St 1"}"#)),
        json!([{"type":"missing","loc":["zip_code"],"msg":"Field required","input":{"street":"Main St 1"}}])
    );
    // 18 differs on purpose: Address is strict here, so the extra field is refused.
    assert_eq!(
        errors(
            &address,
            body(r#"{"street":"Main St 1","zip_code":1,"extra":true}"#)
        ),
        json!([{"type":"extra_forbidden","loc":["extra"],"msg":"Extra inputs are not permitted","input":true}])
    );
    // Not a string: pydantic does not turn numbers into strings.
    assert_eq!(
        errors(&address, json!({"street": 1, "zip_code": 1})),
        json!([{"type":"string_type","loc":["street"],"msg":"Input should be a valid string","input":1}])
    );
    // The bound of u32 is kept from schemars; the error shows the value as sent.
    assert_eq!(
        errors(&address, json!({"street": "x", "zip_code": "-1"})),
        json!([{"type":"greater_than_equal","loc":["zip_code"],"msg":"Input should be greater than or equal to 0","input":"-1","ctx":{"ge":0}}])
    );
}

#[test]
fn a_lenient_schema_lets_extra_fields_through_like_the_original() {
    let address = lenient::<Address>();
    assert_eq!(
        valid(
            &address,
            json!({"street": "Main St 1", "zip_code": "1", "extra": true})
        ),
        json!({"street": "Main St 1", "zip_code": 1, "extra": true})
    );
}

#[test]
fn every_error_is_listed_with_its_full_path_in_field_order() {
    let order = strict::<Order>();
    let input = json!({
        "customer": {"name": 7},
        "lines": [{"sku": 1, "qty": "x"}, {"sku": "a"}, {"sku": "b", "qty": 2, "note": "?"}],
        "priority": "low",
        "extra": 1,
    });
    assert_eq!(
        errors(&order, input),
        json!([
            {"type":"string_type","loc":["customer","name"],"msg":"Input should be a valid string","input":7},
            {"type":"string_type","loc":["lines",0,"sku"],"msg":"Input should be a valid string","input":1},
            {"type":"int_parsing","loc":["lines",0,"qty"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},
            {"type":"missing","loc":["lines",1,"qty"],"msg":"Field required","input":{"sku":"a"}},
            {"type":"extra_forbidden","loc":["lines",2,"note"],"msg":"Extra inputs are not permitted","input":"?"},
            {"type":"extra_forbidden","loc":["extra"],"msg":"Extra inputs are not permitted","input":1},
        ])
    );
    let errors = validate(&order, json!({"lines": "none"})).unwrap_err();
    let summary: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        summary,
        [
            "customer: Field required",
            "lines: Input should be a valid list",
            "priority: Field required"
        ]
    );
}

#[test]
fn missing_shows_the_object_as_sent_before_coercion() {
    let order = strict::<Order>();
    let input = json!({"lines": [{"qty": "2"}], "priority": "high"});
    let errors = errors(&order, input);
    assert_eq!(errors[0]["loc"], json!(["customer"]));
    assert_eq!(
        errors[0]["input"],
        json!({"lines": [{"qty": "2"}], "priority": "high"})
    );
    assert_eq!(
        errors[1],
        json!({"type":"missing","loc":["lines",0,"sku"],"msg":"Field required","input":{"qty":"2"}})
    );
}

#[test]
fn wrong_container_types() {
    let order = strict::<Order>();
    let input = json!({"customer": "bob", "lines": {"sku": "a"}, "priority": "low"});
    assert_eq!(
        errors(&order, input),
        json!([
            {"type":"dict_type","loc":["customer"],"msg":"Input should be a valid dictionary","input":"bob"},
            {"type":"list_type","loc":["lines"],"msg":"Input should be a valid list","input":{"sku":"a"}},
        ])
    );
}

#[test]
fn enum_errors_list_the_expected_values() {
    let order = strict::<Order>();
    let base = json!({"customer": {"name": "Ann"}, "lines": []});
    let with = |priority: Value, size: Value| {
        let mut input = base.clone();
        input["priority"] = priority;
        input["size"] = size;
        input
    };
    // The documented enum is an anyOf of consts; it still reports one `enum` error.
    assert_eq!(
        errors(&order, with(json!("urgent"), json!("Small"))),
        json!([{"type":"enum","loc":["priority"],"msg":"Input should be 'low', 'medium' or 'high'","input":"urgent","ctx":{"expected":"'low', 'medium' or 'high'"}}])
    );
    // The plain enum is an `enum` keyword, made nullable by strict mode; null is not listed.
    assert_eq!(
        errors(&order, with(json!("low"), json!("Medium"))),
        json!([{"type":"enum","loc":["size"],"msg":"Input should be 'Small' or 'Large'","input":"Medium","ctx":{"expected":"'Small' or 'Large'"}}])
    );
    assert_eq!(
        valid(&order, with(json!("medium"), json!("Large")))["size"],
        json!("Large")
    );
    let literal = json!({"const": "on"});
    assert_eq!(
        errors(&literal, json!("off")),
        json!([{"type":"literal_error","loc":[],"msg":"Input should be 'on'","input":"off","ctx":{"expected":"'on'"}}])
    );
}

#[test]
fn scalar_coercions_and_their_errors() {
    let scalars = strict::<Scalars>();
    let ok = valid(
        &scalars,
        json!({"flag": "yes", "ratio": " 2.5 ", "small": "255", "code": "ab", "tags": ["x"]}),
    );
    assert_eq!(
        ok,
        json!({"flag": true, "ratio": 2.5, "small": 255, "code": "ab", "tags": ["x"]})
    );
    for (flag, expected) in [("off", false), ("TRUE", true), ("0", false), ("on", true)] {
        let input = json!({"flag": flag, "ratio": 1, "small": 0, "code": "ab", "tags": ["x"]});
        assert_eq!(valid(&scalars, input)["flag"], expected, "{flag}");
    }
    // An integer is a valid float and stays as it is.
    let input = json!({"flag": 1, "ratio": 3, "small": 1.0, "code": "abc", "tags": ["x", "y"]});
    assert_eq!(
        valid(&scalars, input),
        json!({"flag": true, "ratio": 3, "small": 1, "code": "abc", "tags": ["x", "y"]})
    );

    let input = json!({"flag": "maybe", "ratio": "abc", "small": 256, "code": "a", "tags": []});
    assert_eq!(
        errors(&scalars, input),
        json!([
            {"type":"bool_parsing","loc":["flag"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"},
            {"type":"float_parsing","loc":["ratio"],"msg":"Input should be a valid number, unable to parse string as a number","input":"abc"},
            {"type":"less_than_equal","loc":["small"],"msg":"Input should be less than or equal to 255","input":256,"ctx":{"le":255}},
            {"type":"string_too_short","loc":["code"],"msg":"String should have at least 2 characters","input":"a","ctx":{"min_length":2}},
            {"type":"too_short","loc":["tags"],"msg":"List should have at least 1 item after validation, not 0","input":[],"ctx":{"field_type":"List","min_length":1,"actual_length":0}},
        ])
    );
    let input =
        json!({"flag": [], "ratio": null, "small": -1, "code": "abcd", "tags": ["a", "b", "c"]});
    assert_eq!(
        errors(&scalars, input),
        json!([
            {"type":"bool_type","loc":["flag"],"msg":"Input should be a valid boolean","input":[]},
            {"type":"float_type","loc":["ratio"],"msg":"Input should be a valid number","input":null},
            {"type":"greater_than_equal","loc":["small"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}},
            {"type":"string_too_long","loc":["code"],"msg":"String should have at most 3 characters","input":"abcd","ctx":{"max_length":3}},
            {"type":"too_long","loc":["tags"],"msg":"List should have at most 2 items after validation, not 3","input":["a","b","c"],"ctx":{"field_type":"List","max_length":2,"actual_length":3}},
        ])
    );
    // Lengths count characters, not bytes.
    let input = json!({"flag": true, "ratio": 1, "small": 1, "code": "été", "tags": ["x"]});
    assert_eq!(valid(&scalars, input)["code"], "été");
}

#[test]
fn optional_fields_may_be_omitted_and_null_means_absent() {
    let optionals = strict::<Optionals>();
    // Strict mode made every field required and nullable; clients still omit them.
    assert_eq!(valid(&optionals, json!({})), json!({}));
    // An explicit null reaches the tool as an absent field (so a serde default applies).
    assert_eq!(
        valid(
            &optionals,
            json!({"note": null, "count": "3", "retries": null})
        ),
        json!({"count": 3})
    );
    assert_eq!(
        errors(&optionals, json!({"count": "many", "retries": 300})),
        json!([
            {"type":"int_parsing","loc":["count"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"many"},
            {"type":"less_than_equal","loc":["retries"],"msg":"Input should be less than or equal to 255","input":300,"ctx":{"le":255}},
        ])
    );
    // An optional struct: null, absent, or valid with coercions.
    let order = strict::<Order>();
    let base = json!({"customer": {"name": "Ann", "email": null}, "lines": [], "priority": "low"});
    assert_eq!(
        valid(&order, base.clone()),
        json!({"customer": {"name": "Ann"}, "lines": [], "priority": "low"})
    );
    let mut with_gift = base.clone();
    with_gift["gift"] = json!({"sku": "g", "qty": "1"});
    assert_eq!(
        valid(&order, with_gift)["gift"],
        json!({"sku": "g", "qty": 1})
    );
    // For [X, null], only X's errors are reported.
    let mut bad_gift = base;
    bad_gift["gift"] = json!({"sku": "g"});
    assert_eq!(
        errors(&order, bad_gift),
        json!([{"type":"missing","loc":["gift","qty"],"msg":"Field required","input":{"sku":"g"}}])
    );
}

#[tokio::test]
async fn a_strict_tool_gets_defaults_for_omitted_and_null_fields() {
    let tool = Tool::builder("opts").handler(|args: Optionals, _ctx| async move {
        Ok::<_, ToolError>(json!([args.note, args.count, args.retries]))
    });
    assert!(tool.is_strict());
    let out = tool
        .call(json!({"count": "2", "retries": null}), ToolContext::new())
        .await
        .unwrap();
    assert_eq!(out, json!([null, 2, 3]));
    let err = tool
        .call(json!({"count": 1.5}), ToolContext::new())
        .await
        .unwrap_err();
    match err {
        ToolError::InvalidArguments { errors, .. } => assert_eq!(errors[0].kind, "int_from_float"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unions_prefer_an_exact_match_then_the_first_lax_one() {
    let unions = lenient::<Unions>();
    let shape = json!({"Square": 2});
    // "5" is a string exactly: it stays a string, not coerced to the integer branch.
    assert_eq!(
        valid(&unions, json!({"value": "5", "shape": shape}))["value"],
        "5"
    );
    assert_eq!(
        valid(&unions, json!({"value": 5, "shape": shape}))["value"],
        5
    );
    // 5.0 matches no branch exactly; the integer branch takes it with a coercion.
    assert_eq!(
        valid(&unions, json!({"value": 5.0, "shape": shape}))["value"],
        5
    );
    assert_eq!(
        valid(
            &unions,
            json!({"value": 1, "shape": {"Circle": {"radius": "1.5"}}})
        )["shape"],
        json!({"Circle": {"radius": 1.5}})
    );
    // No branch fits: the errors of the closest branch (the one of the right shape).
    assert_eq!(
        errors(
            &unions,
            json!({"value": [], "shape": {"Circle": {"radius": "big"}}})
        ),
        json!([
            {"type":"int_type","loc":["value"],"msg":"Input should be a valid integer","input":[]},
            {"type":"float_parsing","loc":["shape","Circle","radius"],"msg":"Input should be a valid number, unable to parse string as a number","input":"big"},
        ])
    );
}

#[test]
fn type_arrays_with_several_types() {
    let schema = json!({"type": ["integer", "string"]});
    assert_eq!(valid(&schema, json!("7")), json!("7"));
    assert_eq!(valid(&schema, json!(7.0)), json!(7));
    assert_eq!(
        errors(&schema, json!(null)),
        json!([{"type":"int_type","loc":[],"msg":"Input should be a valid integer","input":null}])
    );
}

#[test]
fn recursive_schemas_validate_nested_values() {
    let tree = strict::<Tree>();
    let input = json!({"label": "root", "children": [{"label": "a", "children": [{"label": 1, "children": []}]}]});
    assert_eq!(
        errors(&tree, input),
        json!([{"type":"string_type","loc":["children",0,"children",0,"label"],"msg":"Input should be a valid string","input":1}])
    );
}

#[test]
fn reference_cycles_and_deep_input_do_not_overflow_the_stack() {
    let cycle = json!({"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"});
    let errors = validate(&cycle, json!(1)).unwrap_err();
    assert_eq!(errors[0].kind, "recursion_loop");

    let nested = json!({"type": "array", "items": {"$ref": "#"}});
    let mut deep = json!([]);
    for _ in 0..1000 {
        deep = json!([deep]);
    }
    let errors = validate(&nested, deep).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, "recursion_loop");

    let mut fine = json!([]);
    for _ in 0..100 {
        fine = json!([fine]);
    }
    assert!(validate(&nested, fine).is_ok());
}

/// A recursive type whose variants are told apart by their key only.
#[derive(JsonSchema, Deserialize)]
enum Expr {
    Num(f64),
    Neg(Box<Expr>),
    Abs(Box<Expr>),
}

/// A recursive untagged type with two branches of the same shape.
#[derive(JsonSchema, Deserialize)]
#[serde(untagged)]
enum Ambiguous {
    Leaf(i64),
    Left(Vec<Ambiguous>),
    Right(Vec<Ambiguous>),
}

#[derive(JsonSchema, Deserialize)]
struct Nested {
    expr: Expr,
    tree: Ambiguous,
}

#[test]
fn nested_unions_take_linear_work_and_ambiguous_ones_are_bounded() {
    let schema = lenient::<Nested>();
    let mut expr = json!({"Num": "1.5"});
    let mut tree = json!(1);
    for _ in 0..60 {
        expr = json!({"Neg": expr});
        tree = json!([tree]);
    }
    let out = valid(&schema, json!({"expr": expr, "tree": tree}));
    let mut leaf = &out["expr"];
    while let Some(inner) = leaf.get("Neg") {
        leaf = inner;
    }
    assert_eq!(leaf, &json!({"Num": 1.5}));

    // Two branches of the same shape with an invalid leaf at depth 60 would take 2^60 tries:
    // the walker gives up with an error instead of hanging.
    let mut bad = json!("x");
    for _ in 0..60 {
        bad = json!([bad]);
    }
    let found = errors(&schema, json!({"expr": {"Num": 1}, "tree": bad}));
    assert_eq!(
        found,
        json!([{"type":"value_error","loc":["tree"],"msg":"Value error, too many union alternatives to try for this input","input":found[0]["input"]}])
    );
    // A shallow one still gets the real error, from the closest branch.
    let found = errors(&schema, json!({"expr": {"Num": 1}, "tree": [["x"]]}));
    assert_eq!(found[0]["type"], "int_parsing");
    assert_eq!(found[0]["loc"], json!(["tree", 0, 0]));
}

// ---------------------------------------------------------------------------------------------
// Schemas from outside (issue 9): integer ranges, patterns, formats, unusable schemas.

#[derive(JsonSchema, Deserialize)]
struct Ranges {
    tiny: i8,
    count: u32,
    big: u64,
    #[schemars(range(min = 1, max = 10))]
    rating: i32,
}

#[test]
fn integers_out_of_their_type_range_break_its_bounds() {
    let schema = strict::<Ranges>();
    let ok = json!({"tiny": -128, "count": u32::MAX, "big": u64::MAX, "rating": 10});
    assert_eq!(valid(&schema, ok.clone()), ok);
    assert_eq!(
        errors(
            &schema,
            json!({"tiny": 128, "count": -1, "big": "18446744073709551616", "rating": 11})
        ),
        json!([
            {"type":"less_than_equal","loc":["tiny"],"msg":"Input should be less than or equal to 127","input":128,"ctx":{"le":127}},
            {"type":"greater_than_equal","loc":["count"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}},
            {"type":"less_than_equal","loc":["big"],"msg":"Input should be less than or equal to 18446744073709551615","input":"18446744073709551616","ctx":{"le":u64::MAX}},
            {"type":"less_than_equal","loc":["rating"],"msg":"Input should be less than or equal to 10","input":11,"ctx":{"le":10}},
        ])
    );
}

#[test]
fn string_formats_get_pydantic_errors() {
    let field = |format: &str| json!({"type": "object", "properties": {"v": {"type": "string", "format": format}}});
    for (format, good, bad, kind, msg) in [
        (
            "date-time",
            "2024-02-29T23:59:59Z",
            "2024-02-29 25:00",
            "datetime_parsing",
            "Input should be a valid datetime, hour value is outside expected range of 0-23",
        ),
        (
            "date",
            "2024-02-29",
            "2023-02-29",
            "date_parsing",
            "Input should be a valid date in the format YYYY-MM-DD, day value is outside expected range",
        ),
        (
            "email",
            "ada@example.com",
            "ada@example",
            "value_error",
            "value is not a valid email address: The part after the @-sign is not valid. It should have a period.",
        ),
        (
            "ipv4",
            "127.0.0.1",
            "127.0.0.256",
            "ip_v4_address",
            "Input is not a valid IPv4 address",
        ),
        (
            "ipv6",
            "2001:db8::1",
            "2001:db8::g",
            "ip_v6_address",
            "Input is not a valid IPv6 address",
        ),
        (
            "uri",
            "urn:isbn:0451450523",
            "http://exa mple.com",
            "url_parsing",
            "Input should be a valid URL, invalid international domain name",
        ),
    ] {
        let schema = field(format);
        assert_eq!(
            valid(&schema, json!({"v": good})),
            json!({"v": good}),
            "{format}"
        );
        let found = errors(&schema, json!({"v": bad}));
        assert_eq!(
            (found[0]["type"].as_str(), found[0]["msg"].as_str()),
            (Some(kind), Some(msg)),
            "{format}"
        );
        assert_eq!(found[0]["input"], bad);
    }
    // Not a string at all is a type error, as before; an unknown format accepts anything.
    assert_eq!(
        errors(&field("uuid"), json!({"v": 1}))[0]["type"],
        "string_type"
    );
    assert_eq!(
        valid(&field("x-custom"), json!({"v": "?"})),
        json!({"v": "?"})
    );
}

#[test]
fn patterns_are_searched_and_reported_with_the_pattern() {
    let validator = agency_core::validate::Validator::new(json!({
        "type": "array",
        "items": {"type": "string", "pattern": "[0-9]+", "maxLength": 4},
    }))
    .unwrap();
    assert_eq!(
        validator.validate(json!(["a1", "22"])),
        Ok(json!(["a1", "22"]))
    );
    let found =
        serde_json::to_value(validator.validate(json!(["abc", "12345"])).unwrap_err()).unwrap();
    assert_eq!(
        found,
        json!([
            {"type":"string_pattern_mismatch","loc":[0],"msg":"String should match pattern '[0-9]+'","input":"abc","ctx":{"pattern":"[0-9]+"}},
            {"type":"string_too_long","loc":[1],"msg":"String should have at most 4 characters","input":"12345","ctx":{"max_length":4}},
        ])
    );
}

#[test]
fn schemas_that_would_make_validation_misbehave_are_refused_and_never_panic() {
    use agency_core::validate::{SchemaError, Validator};
    let schema = json!({"type": "integer", "multipleOf": -1});
    assert!(matches!(
        Validator::new(schema.clone()),
        Err(SchemaError::MultipleOf { .. })
    ));
    // Validated anyway, i64::MIN % -1 (which overflows) does not panic.
    assert_eq!(validate(&schema, json!(i64::MIN)), Ok(json!(i64::MIN)));
    let (validator, problems) =
        Validator::compile(json!({"type": "string", "minLength": 3, "maxLength": 1}));
    assert_eq!(problems.len(), 1);
    assert_eq!(
        errors(validator.schema(), json!("ab"))[0]["type"],
        "string_too_short"
    );
}
