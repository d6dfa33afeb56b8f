//! The MCP endpoint (`/mcp`, streamable HTTP, stateless), driven by the official MCP Python SDK
//! (`tests/mcp/check.py`; `tests/services.sh` installs `mcp`): initialize, list the tools, call
//! a tool (and one with invalid arguments), call an agency with progress notifications. Auth
//! and hostile requests over plain HTTP.

use agency::http::{Server, ServerOptions};
use agency::prelude::*;
use agency_testing::FakeOpenAi;
use reqwest::StatusCode;

use crate::support::http::{Running, TOKEN, start};
use crate::support::{add_tool, address_tool};

async fn serve(fake: &FakeOpenAi, options: ServerOptions) -> Running {
    let assistant = Agent::builder("Assistant")
        .instructions("Help.")
        .tool(add_tool())
        .build();
    let server = Server::builder()
        .tool(add_tool())
        .tool(address_tool())
        .agency(Agency::builder("Demo").entry(assistant))
        .client(crate::support::fake_client(fake.base_url()))
        .options(options.with_app_token(TOKEN))
        .build()
        .unwrap();
    start(server).await
}

#[tokio::test]
async fn the_official_python_sdk_lists_and_calls_tools_and_agencies() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, ServerOptions::default()).await;
    crate::support::python_checks(
        "mcp/check.py",
        &format!("{}/mcp", s.base),
        TOKEN,
        "mcp==2.3.0",
        &[
            "initialize",
            "list_tools",
            "call_tool",
            "invalid_arguments",
            "call_agency",
            "agency_invalid",
        ],
    )
    .await;
    // The agency's run: the model called twice (the call of `add`, then the answer).
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn auth_and_hostile_requests() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, ServerOptions::default()).await;
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let accept = ("accept", "application/json, text/event-stream");
    let json = ("content-type", "application/json");
    let auth = ("authorization", "Bearer bench-secret-token");
    let post = |headers: Vec<(&'static str, &'static str)>, body: &'static str| {
        let s = &s;
        async move {
            s.request(reqwest::Method::POST, "/mcp", &headers, body.to_owned())
                .await
        }
    };
    let reply = post(vec![accept, json], initialize).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
    let reply = post(
        vec![accept, json, ("authorization", "Bearer wrong")],
        initialize,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = post(vec![accept, json, auth], initialize).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.text().contains("agency-rs"), "{}", reply.text());
    for body in [
        "{not json",
        "[]",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":5}}"#,
    ] {
        let reply = post(vec![accept, json, auth], body).await;
        assert!(
            reply.status.is_client_error() || reply.text().contains("\"error\""),
            "{body}: {} {}",
            reply.status,
            reply.text()
        );
    }
    let off = serve(&fake, ServerOptions::default().with_mcp(false)).await;
    let reply = off
        .request(
            reqwest::Method::POST,
            "/mcp",
            &[accept, json, auth],
            initialize.to_owned(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
