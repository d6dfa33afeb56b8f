//! Schemas from outside (issue 9): integer ranges, `pattern` and `format` over `POST /tool/{name}`
//! and in `/openapi.json`, and tool schemas the validator cannot use refused at startup.

use agency::http::{Server, ServerError};
use agency::{RegistryError, Tool, ToolContext, ToolError, Toolbox};
use reqwest::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::add_tool;
use crate::support::http::{Running, start};

#[allow(dead_code)] // read through the schema only
#[derive(Deserialize, JsonSchema)]
struct Booking {
    /// Seats to book
    seats: u32,
    /// Floor, from the ground floor
    floor: i8,
    /// Room code: three capital letters
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    room: String,
    /// Calendar link
    #[schemars(url)]
    link: Option<String>,
    /// Idempotency key
    #[schemars(extend("format" = "uuid"))]
    key: Option<String>,
}

fn booking() -> Tool {
    Tool::builder("book")
        .description("Book a room.")
        .handler(|b: Booking, _ctx| async move { Ok::<_, ToolError>(b.seats) })
}

async fn serve() -> Running {
    start(
        Server::builder()
            .tool(booking())
            .tool(add_tool())
            .build()
            .unwrap(),
    )
    .await
}

async fn book(s: &Running, body: Value) -> (StatusCode, Value) {
    let r = s.post_json("/tool/book", &body).await;
    (r.status, r.body)
}

#[tokio::test]
async fn out_of_range_integers_get_pydantic_bound_errors() {
    let s = serve().await;
    let (status, body) = book(
        &s,
        json!({"seats": "4294967296", "floor": -129, "room": "ABC"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "less_than_equal", "loc": ["body", "seats"],
             "msg": "Input should be less than or equal to 4294967295",
             "input": "4294967296", "ctx": {"le": 4_294_967_295_u32}},
            {"type": "greater_than_equal", "loc": ["body", "floor"],
             "msg": "Input should be greater than or equal to -128",
             "input": -129, "ctx": {"ge": -128}},
        ]})
    );
    // A 30-digit integer: what the document says about it is what the server answers.
    let r = s
        .post(
            "/tool/book",
            r#"{"seats":123456789012345678901234567890,"floor":0,"room":"ABC"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["detail"][0]["type"], "less_than_equal");
    // The edges of the range are valid.
    let (status, body) = book(&s, json!({"seats": u32::MAX, "floor": 127, "room": "ABC"})).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"response": u32::MAX}))
    );
}

#[tokio::test]
async fn patterns_and_formats_are_checked() {
    let s = serve().await;
    let (status, body) = book(
        &s,
        json!({"seats": 1, "floor": 0, "room": "abc", "link": "not a url", "key": "42"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "string_pattern_mismatch", "loc": ["body", "room"],
             "msg": "String should match pattern '^[A-Z]{3}$'",
             "input": "abc", "ctx": {"pattern": "^[A-Z]{3}$"}},
            {"type": "url_parsing", "loc": ["body", "link"],
             "msg": "Input should be a valid URL, relative URL without a base",
             "input": "not a url", "ctx": {"error": "relative URL without a base"}},
            {"type": "uuid_parsing", "loc": ["body", "key"],
             "msg": "Input should be a valid UUID, invalid length: found 2",
             "input": "42", "ctx": {"error": "invalid length: found 2"}},
        ]})
    );
    let (status, body) = book(
        &s,
        json!({"seats": 1, "floor": 0, "room": "ABC", "link": "https://cal.example/r/1",
               "key": "67e55044-10b1-426f-9247-bb680e5fe0c8"}),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"response": 1})));
}

#[tokio::test]
async fn the_document_shows_ranges_patterns_and_formats() {
    let s = serve().await;
    let doc = s.get("/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    let book = &schemas["book"]["properties"];
    assert_eq!(
        (&book["seats"]["minimum"], &book["seats"]["maximum"]),
        (&json!(0), &json!(u32::MAX))
    );
    assert_eq!(
        (&book["floor"]["minimum"], &book["floor"]["maximum"]),
        (&json!(-128), &json!(127))
    );
    assert_eq!(book["room"]["pattern"], "^[A-Z]{3}$");
    // Strict mode cannot send `uri` to the model, but it is checked, so the document has it.
    assert_eq!(book["link"]["format"], "uri");
    assert_eq!(book["key"]["format"], "uuid");
    let add = &schemas["add"]["properties"]["a"];
    assert_eq!(
        (&add["minimum"], &add["maximum"]),
        (&json!(i64::MIN), &json!(i64::MAX))
    );
    let tool = booking();
    assert!(
        tool.parameters()["properties"]["link"]
            .get("format")
            .is_none()
    );
    assert_eq!(
        tool.parameters()["properties"]["seats"]["maximum"],
        u32::MAX
    );
}

#[allow(dead_code)] // read through the schema only
#[derive(Deserialize, JsonSchema)]
struct Payment {
    #[schemars(extend("multipleOf" = 0))]
    cents: u64,
}

#[tokio::test]
async fn tools_whose_schema_the_validator_cannot_use_are_refused_at_startup() {
    let pay =
        Tool::builder("pay").handler(|p: Payment, _ctx| async move { Ok::<_, ToolError>(p.cents) });
    let err = Server::builder().tool(pay.clone()).build().unwrap_err();
    let ServerError::Registry(RegistryError::InvalidToolSchema(refused)) = &err else {
        panic!("{err}");
    };
    assert_eq!(refused.tool, "pay");
    assert_eq!(
        err.to_string(),
        "tool 'pay' has an input schema the argument validator cannot use: field `cents` has `multipleOf: 0`, which must be a number greater than 0"
    );
    // Called anyway, it refuses to run.
    let call = pay.call(json!({"cents": 5}), ToolContext::new()).await;
    assert!(matches!(call, Err(ToolError::InvalidSchema(_))), "{call:?}");

    let code = Tool::builder("code").json_handler(
        json!({"type": "object", "properties": {"code": {"type": "string", "pattern": "(?<=a)b"}}}),
        |args, _ctx| async move { Ok::<_, ToolError>(args) },
    );
    let err = Toolbox::new().with(code).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "tool 'code' has an input schema the argument validator cannot use: field `code` has `pattern: \"(?<=a)b\"`, which is not a valid regular expression: look-around"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn keywords_left_unchecked_are_named_in_the_tool_warnings() {
    let host = Tool::builder("ping").json_handler(
        json!({"type": "object", "properties": {
            "host": {"type": "string", "format": "hostname"},
            "n": {"type": "integer"},
        }}),
        |args, _ctx| async move { Ok::<_, ToolError>(args) },
    );
    assert_eq!(
        host.warnings(),
        [
            "tool 'ping': the argument validator does not check `format: hostname` (field `host`); arguments are not refused for them"
        ]
    );
    // A hand-written integer gets the range the validator takes, in the document too.
    assert_eq!(host.input_schema()["properties"]["n"]["maximum"], u64::MAX);
    assert!(
        host.parameters()["properties"]["n"]
            .get("maximum")
            .is_none()
    );
    assert!(booking().warnings().is_empty());
}
