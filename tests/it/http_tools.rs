//! The tool routes, auth, CORS, OpenAPI document and docs pages, through a real server bound on
//! 127.0.0.1:0 and a real HTTP client. Cases are numbered as in `spec/reference/INDEX.md`.

use agency::http::{Server, ServerError, ServerOptions};
use agency::{RegistryError, Tool, ToolError, Toolbox};
use reqwest::{Method, StatusCode};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::http::{Reply, Running, TOKEN, assert_no_dangling_refs, start};

// ---------------------------------------------------------------------------------------------
// Tools of the quickstart, plus a failing, a panicking and a nested one.

use crate::support::{add_tool as add, address_tool as address};

#[derive(Deserialize, JsonSchema)]
struct Nothing {}

fn failing() -> Tool {
    Tool::builder("fail")
        .description("Always fails.")
        .handler(|_: Nothing, _ctx| async move { Err::<(), _>(ToolError::new("the disk is full")) })
}

fn panicking() -> Tool {
    Tool::builder("boom")
        .description("Always panics.")
        .handler(|_: Nothing, _ctx| async move {
            if true {
                panic!("kaboom");
            }
            Ok::<(), ToolError>(())
        })
}

#[allow(dead_code)] // read through the schema only
#[derive(Deserialize, JsonSchema)]
struct Item {
    /// Stock keeping unit
    sku: String,
    /// How many
    qty: u32,
}

#[derive(Deserialize, JsonSchema)]
struct Order {
    /// Who orders
    customer: String,
    /// A note for the warehouse
    note: Option<String>,
    /// What is ordered
    items: Vec<Item>,
}

fn order() -> Tool {
    Tool::builder("order")
        .description("Count the items of an order.")
        .handler(|o: Order, _ctx| async move {
            let total: u32 = o.items.iter().map(|i| i.qty).sum();
            Ok::<_, ToolError>(json!({"customer": o.customer, "note": o.note, "total": total}))
        })
}

fn all_tools() -> Toolbox {
    [add(), address(), failing(), panicking(), order()]
        .into_iter()
        .try_fold(Toolbox::new(), Toolbox::with)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// A running server and a client.

async fn serve(options: ServerOptions) -> Running {
    start(
        Server::builder()
            .tools(all_tools())
            .options(options)
            .build()
            .unwrap(),
    )
    .await
}

async fn serve_default() -> Running {
    serve(ServerOptions::default()).await
}

impl Running {
    async fn assert_add_works(&self) {
        let r = self.post("/tool/add", r#"{"a":2,"b":3}"#).await;
        assert_eq!(
            (r.status, r.json()),
            (StatusCode::OK, json!({"response": 5}))
        );
    }
}

fn detail(r: &Reply) -> Vec<Value> {
    match r.json().get("detail") {
        Some(Value::Array(d)) => d.clone(),
        _ => panic!("no detail list in {}", r.text()),
    }
}

// ---------------------------------------------------------------------------------------------
// Reference cases that hold with any validator.

/// Case, method, path, content type, body, expected status, expected body.
type Case = (
    &'static str,
    Method,
    &'static str,
    Option<&'static str>,
    &'static str,
    u16,
    Value,
);

#[tokio::test]
async fn reference_cases_with_exact_bodies() {
    let s = serve_default().await;
    let cases: &[Case] = &[
        (
            "01",
            Method::POST,
            "/tool/add",
            Some("application/json"),
            r#"{"a":2,"b":3}"#,
            200,
            json!({"response": 5}),
        ),
        (
            "10",
            Method::POST,
            "/tool/add",
            Some("application/json"),
            "[1,2]",
            422,
            json!({"detail":[{"type":"model_attributes_type","loc":["body"],
                "msg":"Input should be a valid dictionary or object to extract fields from","input":[1,2]}]}),
        ),
        (
            "11",
            Method::POST,
            "/tool/add",
            Some("application/json"),
            "",
            422,
            json!({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}),
        ),
        (
            "13",
            Method::GET,
            "/tool/add",
            None,
            "",
            405,
            json!({"detail":"Method Not Allowed"}),
        ),
        (
            "14",
            Method::POST,
            "/tool/nope",
            Some("application/json"),
            r#"{"a":1}"#,
            404,
            json!({"detail":"Not Found"}),
        ),
        (
            "15",
            Method::POST,
            "/tool/Address",
            Some("application/json"),
            r#"{"street":"Main St 1","zip_code":12345}"#,
            200,
            json!({"response":"Main St 1, 12345"}),
        ),
        (
            "19",
            Method::POST,
            "/tool/add",
            Some("application/x-www-form-urlencoded"),
            "a=1&b=2",
            422,
            json!({"detail":[{"type":"model_attributes_type","loc":["body"],
                "msg":"Input should be a valid dictionary or object to extract fields from","input":"a=1&b=2"}]}),
        ),
        (
            "42",
            Method::GET,
            "/nope",
            None,
            "",
            404,
            json!({"detail":"Not Found"}),
        ),
    ];
    for (case, method, path, content_type, body, status, expected) in cases {
        let headers: Vec<(&str, &str)> = content_type
            .iter()
            .map(|ct| ("content-type", *ct))
            .collect();
        let r = s
            .request(method.clone(), path, &headers, body.to_string())
            .await;
        assert_eq!(r.status.as_u16(), *status, "case {case}: {}", r.text());
        assert_eq!(&r.json(), expected, "case {case}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "case {case}"
        );
    }
}

#[tokio::test]
async fn case_13_wrong_method_names_the_allowed_one() {
    let s = serve_default().await;
    let r = s.get("/tool/add").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = s.request(Method::PUT, "/tool/Address", &[], "{}").await;
    assert_eq!(
        (r.status, r.json()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"detail":"Method Not Allowed"})
        )
    );
    assert_eq!(r.header("allow"), Some("POST"));
}

#[tokio::test]
async fn case_09_invalid_json_gives_the_offset_and_the_reason() {
    let s = serve_default().await;
    let r = s.post("/tool/add", "not json").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = detail(&r);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["type"], "json_invalid");
    assert_eq!(d[0]["loc"], json!(["body", 0]));
    assert_eq!(d[0]["msg"], "JSON decode error");
    assert_eq!(d[0]["input"], json!({}));
    assert!(
        d[0]["ctx"]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{d:?}"
    );

    // The offset points at the problem, across lines.
    let r = s.post("/tool/add", "{\n  \"a\": 1,\n  \"b\": }").await;
    assert_eq!(detail(&r)[0]["loc"], json!(["body", 19]));
}

#[tokio::test]
async fn case_12_an_integer_too_big_for_i64_is_refused() {
    // Better than the reference (which answered 200): i64 cannot hold it.
    let s = serve_default().await;
    let r = s
        .post("/tool/add", r#"{"a":123456789012345678901234567890,"b":1}"#)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(detail(&r)[0]["loc"], json!(["body", "a"]));
}

#[tokio::test]
async fn malformed_bodies_get_clear_json_4xx_and_the_server_keeps_serving() {
    let s = serve_default().await;
    let json_ct = [("content-type", "application/json")];

    // Invalid UTF-8 inside a string.
    let r = s
        .request(
            Method::POST,
            "/tool/add",
            &json_ct,
            b"{\"a\":\"\xff\xfe\",\"b\":1}".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&r)[0]["type"], "json_invalid");

    // 10 000 levels of nesting: refused by the parser's depth limit, no stack overflow.
    let deep = format!(
        "{{\"a\":{}{},\"b\":1}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let r = s.post("/tool/add", &deep).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&r)[0]["type"], "json_invalid");
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let r = s.post("/tool/add", &deep_obj).await;
    assert_eq!(detail(&r)[0]["type"], "json_invalid");

    // A number out of range.
    let r = s.post("/tool/add", r#"{"a":1e400,"b":1}"#).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = detail(&r);
    assert_eq!(d[0]["type"], "json_invalid");
    assert_eq!(d[0]["loc"][0], "body");
    assert!(d[0]["loc"][1].is_u64());

    // 20 MiB: over the 10 MiB default limit.
    let huge = format!(r#"{{"a":"{}","b":1}}"#, "x".repeat(20 * 1024 * 1024));
    let r = s.post("/tool/add", &huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.json(),
        json!({"detail": "Request body too large: limit is 10485760 bytes"})
    );

    // Not JSON by content type: the text is the (non-object) input.
    let r = s
        .request(
            Method::POST,
            "/tool/add",
            &[("content-type", "text/plain")],
            r#"{"a":1,"b":2}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&r)[0]["type"], "model_attributes_type");
    assert_eq!(detail(&r)[0]["input"], r#"{"a":1,"b":2}"#);

    // No content type at all: refused like a form body (FastAPI would guess JSON).
    let r = s
        .request(Method::POST, "/tool/add", &[], r#"{"a":1,"b":2}"#)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&r)[0]["type"], "model_attributes_type");

    // Empty body, whitespace-only body, JSON scalars.
    assert_eq!(detail(&s.post("/tool/add", "").await)[0]["type"], "missing");
    assert_eq!(
        detail(&s.post("/tool/add", "  \n").await)[0]["type"],
        "json_invalid"
    );
    for scalar in ["null", "1", "\"x\"", "true"] {
        let r = s.post("/tool/add", scalar).await;
        assert_eq!(detail(&r)[0]["type"], "model_attributes_type", "{scalar}");
    }

    s.assert_add_works().await;
}

#[tokio::test]
async fn body_limit_applies_to_chunked_bodies_too() {
    let s = serve(ServerOptions::default().with_body_limit(64)).await;
    let r = s
        .post(
            "/tool/add",
            &format!(r#"{{"a":1,"b":2,"pad":"{}"}}"#, "x".repeat(64)),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.json(),
        json!({"detail": "Request body too large: limit is 64 bytes"})
    );

    // Without a content-length the limit is enforced while reading.
    let addr = s.base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let chunk = "x".repeat(50);
    let request = format!(
        "POST /tool/add HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n\
         {len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.ends_with(r#"{"detail":"Request body too large: limit is 64 bytes"}"#),
        "{response}"
    );

    s.assert_add_works().await;
}

#[tokio::test]
async fn a_failing_tool_answers_500_with_its_message() {
    let s = serve_default().await;
    let r = s.post("/tool/fail", "{}").await;
    assert_eq!(
        (r.status, r.json()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "the disk is full"})
        )
    );
}

#[tokio::test]
async fn a_panicking_tool_answers_500_and_the_server_keeps_serving() {
    let s = serve_default().await;
    for _ in 0..3 {
        let r = s.post("/tool/boom", "{}").await;
        assert_eq!(
            (r.status, r.json()),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "tool 'boom' panicked"})
            )
        );
        s.assert_add_works().await;
    }
}

#[tokio::test]
async fn a_tool_with_optional_and_nested_fields() {
    let s = serve_default().await;
    let r = s
        .post(
            "/tool/order",
            r#"{"customer":"ada","note":null,"items":[{"sku":"a","qty":2},{"sku":"b","qty":3}]}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"response": {"customer": "ada", "note": null, "total": 5}})
    );
    let r = s
        .post(
            "/tool/order",
            r#"{"customer":"ada","note":"fragile","items":[]}"#,
        )
        .await;
    assert_eq!(r.json()["response"]["note"], "fragile");
}

// ---------------------------------------------------------------------------------------------
// Reference cases that need the pydantic-style validator of agency-core (coercions and the exact
// error kinds); before it lands they fail with serde's generic `value_error`.

async fn assert_detail(s: &Running, path: &str, body: &str, expected: Value) {
    let r = s.post(path, body).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{body}: {}",
        r.text()
    );
    assert_eq!(r.json(), json!({"detail": expected}), "{body}");
}

#[tokio::test]
async fn validator_reference_cases_02_07_lax_coercions() {
    let s = serve_default().await;
    for (case, body, expected) in [
        ("02", r#"{"a":"2","b":3}"#, 5),
        ("07", r#"{"a":true,"b":1}"#, 2),
    ] {
        let r = s.post("/tool/add", body).await;
        assert_eq!(
            (r.status, r.json()),
            (StatusCode::OK, json!({"response": expected})),
            "case {case}: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn validator_reference_cases_03_to_08_16_17_error_kinds() {
    let s = serve_default().await;
    assert_detail(&s, "/tool/add", r#"{"a":"two","b":3}"#, json!([{"type":"int_parsing","loc":["body","a"],
        "msg":"Input should be a valid integer, unable to parse string as an integer","input":"two"}])).await;
    assert_detail(
        &s,
        "/tool/add",
        r#"{"a":2}"#,
        json!([{"type":"missing","loc":["body","b"],
        "msg":"Field required","input":{"a":2}}]),
    )
    .await;
    assert_detail(
        &s,
        "/tool/add",
        r#"{"a":1,"b":2,"c":3}"#,
        json!([{"type":"extra_forbidden","loc":["body","c"],
        "msg":"Extra inputs are not permitted","input":3}]),
    )
    .await;
    assert_detail(
        &s,
        "/tool/add",
        r#"{"a":2.5,"b":1}"#,
        json!([{"type":"int_from_float","loc":["body","a"],
        "msg":"Input should be a valid integer, got a number with a fractional part","input":2.5}]),
    )
    .await;
    assert_detail(
        &s,
        "/tool/add",
        r#"{"a":null,"b":1}"#,
        json!([{"type":"int_type","loc":["body","a"],
        "msg":"Input should be a valid integer","input":null}]),
    )
    .await;
    assert_detail(&s, "/tool/Address", r#"{"street":"Main St 1","zip_code":"abc"}"#, json!([{"type":"int_parsing",
        "loc":["body","zip_code"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}])).await;
    assert_detail(
        &s,
        "/tool/Address",
        r#"{"street":"Main St 1"}"#,
        json!([{"type":"missing","loc":["body","zip_code"],
        "msg":"Field required","input":{"street":"Main St 1"}}]),
    )
    .await;
}

#[tokio::test]
async fn validator_case_18_strict_tool_refuses_an_extra_field() {
    // Better than the reference (which ignored it): the schema says additionalProperties: false.
    let s = serve_default().await;
    assert_detail(&s, "/tool/Address", r#"{"street":"Main St 1","zip_code":1,"extra":true}"#,
        json!([{"type":"extra_forbidden","loc":["body","extra"],"msg":"Extra inputs are not permitted","input":true}])).await;
}

#[tokio::test]
async fn validator_lists_every_nested_error_with_its_full_path() {
    let s = serve_default().await;
    let r = s
        .post(
            "/tool/order",
            r#"{"customer":1,"note":null,"items":[{"sku":"a","qty":"x"},{"qty":1}]}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<Value> = detail(&r).iter().map(|e| e["loc"].clone()).collect();
    for expected in [
        json!(["body", "customer"]),
        json!(["body", "items", 0, "qty"]),
        json!(["body", "items", 1, "sku"]),
    ] {
        assert!(locs.contains(&expected), "{expected} missing from {locs:?}");
    }
    // An optional field may be left out.
    let r = s
        .post("/tool/order", r#"{"customer":"ada","items":[]}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

// ---------------------------------------------------------------------------------------------
// Auth (cases 50-54, 59, 59b).

#[tokio::test]
async fn auth_reference_cases() {
    let s = serve(ServerOptions::default().with_app_token(TOKEN)).await;
    let not_authenticated = json!({"detail": "Not authenticated"});
    // Case, authorization, body, status, body, www-authenticate.
    type AuthCase<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        u16,
        Value,
        Option<&'a str>,
    );
    let cases: &[AuthCase] = &[
        (
            "50",
            None,
            r#"{"a":2,"b":3}"#,
            401,
            not_authenticated.clone(),
            Some("Bearer"),
        ),
        (
            "51",
            Some("Bearer wrong"),
            r#"{"a":2,"b":3}"#,
            401,
            json!({"detail":"Unauthorized"}),
            None,
        ),
        (
            "52",
            Some("Basic Zm9vOmJhcg=="),
            r#"{"a":2,"b":3}"#,
            401,
            not_authenticated.clone(),
            Some("Bearer"),
        ),
        (
            "53",
            Some("Bearer bench-secret-token"),
            r#"{"a":2,"b":3}"#,
            200,
            json!({"response":5}),
            None,
        ),
        (
            "53 lower-case scheme",
            Some("bearer bench-secret-token"),
            r#"{"a":2,"b":3}"#,
            200,
            json!({"response":5}),
            None,
        ),
        (
            "54",
            None,
            r#"{"a":"x"}"#,
            401,
            not_authenticated.clone(),
            Some("Bearer"),
        ),
        (
            "empty token",
            Some("Bearer "),
            r#"{"a":2,"b":3}"#,
            401,
            not_authenticated.clone(),
            Some("Bearer"),
        ),
    ];
    for (case, auth, body, status, expected, www) in cases {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        let r = s
            .request(Method::POST, "/tool/add", &headers, body.to_string())
            .await;
        assert_eq!(r.status.as_u16(), *status, "case {case}");
        assert_eq!(&r.json(), expected, "case {case}");
        assert_eq!(r.header("www-authenticate"), *www, "case {case}");
    }
}

#[tokio::test]
async fn auth_is_checked_before_the_body_is_read() {
    let s = serve(
        ServerOptions::default()
            .with_app_token(TOKEN)
            .with_body_limit(16),
    )
    .await;
    // Over the limit and not JSON, but without a token: 401, not 413 or 422.
    let r = s
        .post(
            "/tool/add",
            "this is not json and is longer than sixteen bytes",
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"Not authenticated"})
        )
    );
}

#[tokio::test]
async fn auth_leaves_docs_and_routing_answers_public() {
    let s = serve(ServerOptions::default().with_app_token(TOKEN)).await;
    for path in [
        "/openapi.json",
        "/docs",
        "/redoc",
        "/redoc/redoc.standalone.js",
        "/docs/swagger-ui.css",
    ] {
        assert_eq!(s.get(path).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(s.get("/nope").await.status, StatusCode::NOT_FOUND);
    // Routing comes first, as in FastAPI: a wrong method is 405 even without a token.
    let r = s.get("/tool/add").await;
    assert_eq!(
        (r.status, r.header("allow")),
        (StatusCode::METHOD_NOT_ALLOWED, Some("POST"))
    );
}

#[tokio::test]
async fn without_a_token_auth_is_off() {
    let s = serve(ServerOptions::default().with_app_token("")).await;
    s.assert_add_works().await;
    let r = s
        .request(
            Method::POST,
            "/tool/add",
            &[
                ("content-type", "application/json"),
                ("authorization", "Bearer anything"),
            ],
            r#"{"a":2,"b":3}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// CORS (case 44).

async fn preflight(s: &Running, origin: &str) -> Reply {
    s.request(
        Method::OPTIONS,
        "/tool/add",
        &[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization,content-type",
            ),
        ],
        Vec::new(),
    )
    .await
}

/// `POST /tool/add` (2 + 3) from `origin`, with `more` headers after the content type.
async fn add_from(s: &Running, origin: &str, more: &[(&str, &str)]) -> Reply {
    let mut headers = vec![("origin", origin), ("content-type", "application/json")];
    headers.extend_from_slice(more);
    s.request(Method::POST, "/tool/add", &headers, r#"{"a":2,"b":3}"#)
        .await
}

#[tokio::test]
async fn cors_wildcard_case_44() {
    let s = serve(ServerOptions::default().with_app_token(TOKEN)).await;
    let r = preflight(&s, "http://example.test").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(
        r.header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST"))
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("access-control-allow-credentials"), None);
    // The requested headers are allowed, `authorization` included (`*` would not cover it).
    assert!(
        r.header("access-control-allow-headers")
            .is_some_and(|h| h.contains("authorization"))
    );

    let r = add_from(
        &s,
        "http://example.test",
        &[("authorization", "Bearer bench-secret-token")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn cors_explicit_origins() {
    let s = serve(
        ServerOptions::default().with_cors_origins(["http://app.test", "https://other.test/"]),
    )
    .await;
    for origin in ["http://app.test", "https://other.test"] {
        let r = preflight(&s, origin).await;
        assert_eq!(r.status, StatusCode::OK, "{origin}");
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    }

    let r = preflight(&s, "http://evil.test").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json(), json!({"detail": "Disallowed CORS origin"}));
    assert_eq!(r.header("access-control-allow-origin"), None);

    // A simple request from elsewhere is served, without CORS headers: the browser refuses it.
    let r = add_from(&s, "http://evil.test", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("access-control-allow-origin"), None);

    let r = add_from(&s, "http://app.test", &[]).await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    // The answer depends on the origin: caches must know.
    let vary: Vec<String> = r
        .headers
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    assert!(vary.iter().any(|v| v == "origin"), "{vary:?}");
}

#[tokio::test]
async fn an_invalid_cors_origin_is_a_startup_error() {
    let err = Server::builder()
        .tool(add())
        .options(ServerOptions::default().with_cors_origins(["http://ok.test", "bad\norigin"]))
        .build()
        .unwrap_err();
    assert!(matches!(err, ServerError::InvalidCorsOrigin(_)), "{err}");
    assert!(err.to_string().contains("invalid CORS origin"));
}

// ---------------------------------------------------------------------------------------------
// Startup errors, nesting, shutdown.

#[tokio::test]
async fn nothing_to_serve_and_duplicates_are_startup_errors() {
    let err = Server::builder().build().unwrap_err();
    assert!(matches!(err, ServerError::NothingToServe));
    assert!(
        err.to_string()
            .starts_with("no agency and no tool to serve: define one with #[tool]")
    );

    let err = Server::builder()
        .tool(add())
        .tool(add())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ServerError::Registry(RegistryError::DuplicateTool { .. })
        ),
        "{err}"
    );
}

#[tokio::test]
async fn the_router_can_be_nested_under_a_prefix() {
    use agency::http::axum::Router;
    let server = Server::builder().tools(all_tools()).build().unwrap();
    let app = Router::new().nest("/api", server.router());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { agency::http::axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let r = client
        .post(format!("http://{addr}/api/tool/add"))
        .json(&json!({"a":2,"b":3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"response": 5}));
    // The docs pages use relative URLs, so their assets are found under the prefix too.
    for path in [
        "/api/docs",
        "/api/docs/swagger-ui.css",
        "/api/openapi.json",
        "/api/redoc/redoc.standalone.js",
    ] {
        let r = client
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn serve_on_stops_gracefully() {
    let s = serve_default().await;
    s.assert_add_works().await;
    let result = s.shut_down().await;
    assert!(result.is_ok(), "{result:?}");
}

// ---------------------------------------------------------------------------------------------
// OpenAPI document (case 41, API.md §12).

fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((format!("{} {path}", method.to_uppercase()), op));
        }
    }
    ops
}

#[tokio::test]
async fn openapi_without_auth() {
    let s = serve(
        ServerOptions::default()
            .with_title("Tools")
            .with_version("1.2.3"),
    )
    .await;
    let r = s.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"], json!({"title": "Tools", "version": "1.2.3"}));
    assert_eq!(doc["servers"], json!([{"url": "http://localhost:8000"}]));
    assert!(doc["components"].get("securitySchemes").is_none());
    let ops = operations(&doc);
    let mut ids: Vec<&str> = ops
        .iter()
        .map(|(_, op)| op["operationId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "Address", "add", "boom", "fail", "healthz", "metrics", "order", "readyz"
        ]
    );
    let served = [json!(["health"]), json!(["metrics"])];
    for (name, op) in ops.iter().filter(|(_, op)| !served.contains(&op["tags"])) {
        assert!(op.get("security").is_none(), "{name}");
        let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["200", "413", "422", "500", "504"], "{name}");
    }
    assert!(assert_no_dangling_refs(&doc) > 10);

    let add_op = &doc["paths"]["/tool/add"]["post"];
    assert_eq!(
        add_op["description"],
        "Add two integers and return the sum."
    );
    assert_eq!(
        add_op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/add"
    );
    let add_schema = &doc["components"]["schemas"]["add"];
    assert_eq!(add_schema["properties"]["a"]["description"], "First addend");
    assert_eq!(add_schema["required"], json!(["a", "b"]));
    assert_eq!(
        doc["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]["items"]["$ref"],
        "#/components/schemas/ValidationError"
    );
}

#[tokio::test]
async fn openapi_with_auth() {
    let server = Server::builder()
        .tools(all_tools())
        .options(
            ServerOptions::default()
                .with_app_token(TOKEN)
                .with_server_url("https://tools.example.com"),
        )
        .build()
        .unwrap();
    let doc = server.openapi().clone();
    let s = start(server).await;
    // The served document is the built one (and case 59: it needs no token).
    assert_eq!(s.get("/openapi.json").await.json(), doc);
    assert_eq!(
        doc["servers"],
        json!([{"url": "https://tools.example.com"}])
    );
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({"HTTPBearer": {"type": "http", "scheme": "bearer"}})
    );
    for (name, op) in operations(&doc) {
        if op["tags"] == json!(["health"]) {
            // /healthz and /readyz are never behind auth.
            assert!(op.get("security").is_none(), "{name}");
            continue;
        }
        assert_eq!(op["security"], json!([{"HTTPBearer": []}]), "{name}");
        assert!(op["responses"].get("401").is_some(), "{name}");
    }
    assert_no_dangling_refs(&doc);
}

mod clash_a {
    use super::*;
    /// A line of the first kind.
    #[allow(dead_code)] // read through the schema only
    #[derive(Deserialize, JsonSchema)]
    pub struct Line {
        pub x: i64,
    }
}

mod clash_b {
    use super::*;
    /// A line of the second kind.
    #[allow(dead_code)] // read through the schema only
    #[derive(Deserialize, JsonSchema)]
    pub struct Line {
        pub y: String,
    }
}

#[allow(dead_code)] // read through the schema only
#[derive(Deserialize, JsonSchema)]
struct UsesA {
    line: clash_a::Line,
}

#[allow(dead_code)] // read through the schema only
#[derive(Deserialize, JsonSchema)]
struct UsesB {
    line: clash_b::Line,
}

#[allow(dead_code)] // read through the schema only
#[derive(Deserialize, JsonSchema)]
struct UsesItems {
    items: Vec<Item>,
}

#[test]
fn openapi_nested_type_names_never_clash() {
    let tool = |name: &'static str| -> Box<dyn Fn() -> Tool> {
        match name {
            "a" | "a2" => Box::new(move || {
                Tool::builder(name).handler(|_: UsesA, _| async { Ok::<_, ToolError>(0) })
            }),
            "b" => Box::new(|| {
                Tool::builder("b").handler(|_: UsesB, _| async { Ok::<_, ToolError>(0) })
            }),
            _ => Box::new(move || {
                Tool::builder(name).handler(|_: UsesItems, _| async { Ok::<_, ToolError>(0) })
            }),
        }
    };
    // `Item` is also a tool name here: the tool keeps it, the nested type takes another.
    let build = || {
        Server::builder()
            .tool(tool("a")())
            .tool(tool("a2")())
            .tool(tool("b")())
            .tool(tool("Item")())
            .tool(tool("items2")())
            .tool(order())
            .build()
            .unwrap()
    };
    let doc = build().openapi().clone();
    assert_no_dangling_refs(&doc);
    // Deterministic.
    assert_eq!(doc, build().openapi().clone());

    let schemas = &doc["components"]["schemas"];
    let resolve = |tool: &str, prop: &str| -> Value {
        let root = &schemas[tool];
        let prop = &root["properties"][prop];
        let r = prop["$ref"]
            .as_str()
            .or_else(|| prop["items"]["$ref"].as_str());
        match r {
            Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap().clone(),
            None => prop.clone(), // inlined by the strict rewrite
        }
    };
    // The two different `Line` types stay different; the same one is shared or equal.
    assert_eq!(resolve("a", "line")["properties"]["x"]["type"], "integer");
    assert_eq!(resolve("b", "line")["properties"]["y"]["type"], "string");
    assert_eq!(resolve("a", "line"), resolve("a2", "line"));
    // The tool named `Item` owns the component `Item`.
    assert_eq!(
        doc["paths"]["/tool/Item"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/Item"
    );
    assert!(schemas["Item"]["properties"].get("items").is_some());
}

// ---------------------------------------------------------------------------------------------
// Docs pages (cases 43, 59b): everything from the server itself.

/// The `src=` and `href=` URLs of an HTML page.
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["src=\"", "href=\"", "spec-url=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            urls.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    urls
}

#[tokio::test]
async fn docs_pages_and_all_their_assets_are_served_locally() {
    let s = serve(
        ServerOptions::default()
            .with_app_token(TOKEN)
            .with_title("My <Tools>"),
    )
    .await;
    for (page, min_assets) in [("/docs", 5), ("/redoc", 2)] {
        let r = s.get(page).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let html = r.text();
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
            "{page}: {html}"
        );
        assert!(
            html.contains("My &lt;Tools&gt;"),
            "{page}: the title is escaped"
        );
        let urls = asset_urls(&html);
        assert!(urls.len() >= min_assets, "{page}: {urls:?}");
        for url in urls {
            assert!(
                !url.starts_with('/') && !url.contains(':'),
                "{page}: {url} is not relative"
            );
            let r = s.get(&format!("/{url}")).await;
            assert_eq!(r.status, StatusCode::OK, "{page}: {url}");
            assert!(!r.bytes.is_empty(), "{page}: {url}");
        }
    }
    let init = s.get("/docs/swagger-initializer.js").await.text();
    assert!(init.contains("\"openapi.json\""), "{init}");
    assert!(s.get("/redoc/redoc.standalone.js").await.bytes.len() > 500_000);
    assert_eq!(s.get("/docs/nope.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_the_tool() {
    use std::sync::Arc;
    use tokio::sync::Notify;
    let (started, cancelled) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (s2, c2) = (started.clone(), cancelled.clone());
    let wait = Tool::builder("wait")
        .description("Waits until cancelled.")
        .handler(move |_: Nothing, ctx: agency::ToolContext| {
            let (started, cancelled) = (s2.clone(), c2.clone());
            async move {
                // Work the tool spawned itself, holding the token.
                let token = ctx.cancellation().clone();
                tokio::spawn(async move {
                    token.cancelled().await;
                    cancelled.notify_one();
                });
                started.notify_one();
                std::future::pending::<()>().await;
                Ok::<(), ToolError>(())
            }
        });
    let s = start(Server::builder().tool(wait).build().unwrap()).await;
    let client = s.client.clone();
    let url = format!("{}/tool/wait", s.base);
    let request = tokio::spawn(async move {
        client
            .post(url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
    });
    started.notified().await;
    request.abort();
    // A safety net against a hang, not a measure of speed.
    tokio::time::timeout(std::time::Duration::from_secs(30), cancelled.notified())
        .await
        .expect("the tool's token was cancelled when the client went away");
}
