//! Agents with the tools of MCP servers (`agency::mcp::McpServer`), against the fake MCP
//! server (rmcp, `agency_testing::mcp`) over streamable HTTP and stdio, and the fake OpenAI
//! server: schemas made strict (or not, with a warning), calls forwarded and answered, a
//! cancelled run cancelling its MCP call, a server that is down at first used once it is up,
//! and `#[agent(mcp = [...])]`.

use std::sync::OnceLock;
use std::time::Duration;

use agency::mcp::{McpError, McpServer};
use agency::prelude::*;
use agency::{CancelMode, RunEvent};
use agency_testing::mcp::FakeMcp;
use agency_testing::{FakeOpenAi, Reply};
use futures::StreamExt;
use serde_json::{Value, json};

fn config(fake: &FakeOpenAi) -> RunConfig {
    RunConfig::default().client(crate::support::fake_client(fake.base_url()))
}

/// An agent with the tools of `server` (and `own`).
fn clerk(server: McpServer, own: Option<Tool>) -> Agent {
    let agent = Agent::builder("Clerk").model("gpt-4o").toolset(server);
    match own {
        Some(tool) => agent.tool(tool).build(),
        None => agent.build(),
    }
}

/// The tool definitions of the model request `n`, by name.
fn offered(fake: &FakeOpenAi, n: usize) -> Vec<(String, Value)> {
    fake.requests()[n].body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| (t["name"].as_str().unwrap_or("").to_owned(), t.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn outputs(out: &RunOutput) -> Vec<Value> {
    out.new_items
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .filter(|v| v["type"] == "function_call_output")
        .map(|v| v["output"].clone())
        .collect()
}

/// Its own `fail` is an echo, so the server's `fail` is left out.
fn own_fail() -> Tool {
    Tool::builder("fail").description("Never fails.").json_handler(
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        |_, _| async { Ok::<_, ToolError>(json!("fine")) },
    )
}

#[tokio::test]
async fn an_agent_calls_an_mcp_servers_tools_over_http_with_strict_schemas() {
    let mcp = FakeMcp::start().await;
    let fake = FakeOpenAi::start().await;
    let agent = clerk(McpServer::http(mcp.url()).name("fake"), Some(own_fail()));
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})))
        .push(Reply::function_call(
            "lookup",
            json!({"id": "r1", "verbose": null}),
        ))
        .push(Reply::function_call(
            "notes_search",
            json!({"query": "rust"}),
        ))
        .push(Reply::function_call("fail", json!({})))
        .push(Reply::function_call(
            "tally",
            json!({"counts": {"x": 2, "y": 3}}),
        ))
        .push(Reply::text("All done."));
    let out = agent.run("work", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "All done.");
    assert_eq!(
        outputs(&out),
        [
            json!("42"),
            json!(r#"{"id":"r1","verbose":false}"#),
            json!("no note mentions rust"),
            json!("fine"),
            json!("5"),
        ]
    );

    let tools = offered(&fake, 0);
    let names: Vec<&str> = tools.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["fail", "add", "lookup", "notes_search", "tally", "wait"],
        "the agent's own tool first; the server's `fail` left out; `notes.search` renamed"
    );
    let def = |name: &str| tools.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_eq!(def("fail")["description"], "Never fails.");
    assert_eq!(def("add")["strict"], true);
    assert_eq!(def("add")["description"], "Add two integers.");
    assert_eq!(def("add")["parameters"]["additionalProperties"], false);
    let lookup = def("lookup");
    assert_eq!(lookup["strict"], true);
    assert_eq!(lookup["parameters"]["required"], json!(["id", "verbose"]));
    assert_eq!(
        lookup["parameters"]["properties"]["verbose"]["type"],
        json!(["boolean", "null"])
    );
    assert_eq!(def("tally")["strict"], false, "a map cannot be strict");

    // The server got its own names, and no `null` for the optional field the model left out.
    let calls = mcp.calls();
    assert_eq!(calls[0], ("add".to_owned(), json!({"a": 2, "b": 40})));
    assert_eq!(
        calls[1],
        ("lookup".to_owned(), json!({"id": "r1", "verbose": false}))
    );
    assert_eq!(calls[2].0, "notes.search");
    assert_eq!(calls[3].0, "tally");
    assert_eq!(calls.len(), 4, "the own `fail` ran here: {calls:?}");
}

#[tokio::test]
async fn bad_arguments_and_a_failing_tool_reach_the_model_not_the_server() {
    let mcp = FakeMcp::start().await;
    let fake = FakeOpenAi::start().await;
    let agent = clerk(McpServer::http(mcp.url()), None);
    fake.push(Reply::function_call("add", json!({"a": "two", "b": 1})))
        .push(Reply::function_call("fail", json!({})))
        .push(Reply::text("Sorry."));
    let out = agent.run("work", config(&fake)).await.unwrap();
    let outputs = outputs(&out);
    let bad = outputs[0].as_str().unwrap();
    assert!(bad.contains("'a'") || bad.contains("a"), "{bad}");
    assert!(bad.to_lowercase().contains("integer"), "{bad}");
    assert!(
        outputs[1]
            .as_str()
            .unwrap()
            .contains("it failed on purpose"),
        "{outputs:?}"
    );
    assert_eq!(
        mcp.calls().iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["fail"],
        "invalid arguments are refused before the server"
    );
}

#[tokio::test]
async fn cancelling_the_run_cancels_the_mcp_call() {
    let mcp = FakeMcp::start().await;
    let fake = FakeOpenAi::start().await;
    let agent = clerk(McpServer::http(mcp.url()), None);
    fake.push(Reply::function_call("wait", json!({"ms": 60_000})));
    let mut stream = agent.run_streamed("wait a minute", config(&fake));
    let control = stream.control();
    while let Some(event) = stream.next().await {
        if matches!(event, RunEvent::ToolCalled { .. }) {
            // Give the call time to reach the server, then cancel.
            for _ in 0..200 {
                if !mcp.calls().is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            control.cancel(CancelMode::Immediate);
        }
    }
    let out = stream.finish().await.unwrap();
    assert!(out.cancelled);
    for _ in 0..500 {
        if mcp.cancelled() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(mcp.cancelled(), 1, "the server stopped the call");
}

#[tokio::test]
async fn a_server_that_is_down_is_reported_left_out_and_used_once_it_is_up() {
    let port = crate::http_threads::free_port();
    let server = McpServer::http(format!("http://127.0.0.1:{port}/mcp"))
        .name("later")
        .connect_timeout(Duration::from_secs(5));
    let error = server.connect().await.unwrap_err();
    assert!(matches!(error, McpError::Connect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "MCP server 'later' (http://127.0.0.1:{port}/mcp): cannot connect"
        )),
        "{message}"
    );

    let fake = FakeOpenAi::start().await;
    let agent = clerk(server.clone(), None);
    fake.push(Reply::text("No tools today."));
    let out = agent.run("hi", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "No tools today.");
    assert!(offered(&fake, 0).is_empty(), "the run goes on without them");

    let mcp = FakeMcp::start_on(&format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    assert_eq!(server.connect().await.unwrap(), 6);
    fake.push(Reply::function_call("add", json!({"a": 1, "b": 1})))
        .push(Reply::text("2"));
    let out = agent.run("1+1", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "2");
    assert_eq!(offered(&fake, 1).len(), 6);
    assert_eq!(mcp.calls().len(), 1);
}

#[tokio::test]
async fn an_agent_calls_a_stdio_server() {
    let program = crate::support::binary::example("fake_mcp_stdio");
    let server = McpServer::stdio(program.display().to_string(), Vec::<String>::new());
    assert_eq!(server.connect().await.unwrap(), 6);
    let fake = FakeOpenAi::start().await;
    let agent = clerk(server, None);
    fake.push(Reply::function_call("add", json!({"a": 20, "b": 22})))
        .push(Reply::text("It is 42."));
    let out = agent.run("20+22", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "It is 42.");
    assert_eq!(outputs(&out), [json!("42")]);

    let missing = McpServer::stdio("/nonexistent/mcp-server", ["--stdio"]);
    let error = missing.connect().await.unwrap_err();
    assert!(matches!(error, McpError::Spawn { .. }), "{error:?}");
}

/// The fake's URL, for the `#[agent]` below (its agent is built on first use).
static URL: OnceLock<String> = OnceLock::new();

fn fake_mcp_server() -> McpServer {
    McpServer::http(URL.get().cloned().unwrap_or_default()).name("fake")
}

/// Uses the fake MCP server's tools.
#[agent(model = "gpt-4o", mcp = [fake_mcp_server()])]
struct MacroClerk;

#[tokio::test]
async fn the_agent_macro_takes_mcp_servers() {
    let mcp = FakeMcp::start().await;
    URL.set(mcp.url()).unwrap();
    let agent = MacroClerk::agent();
    assert_eq!(agent.toolsets()[0].name(), "fake");
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("add", json!({"a": 3, "b": 4})))
        .push(Reply::text("7"));
    let out = agent.run("3+4", config(&fake)).await.unwrap();
    assert_eq!(outputs(&out), [json!("7")]);
}

/// A literal URL is a streamable HTTP server.
#[agent(model = "gpt-4o", mcp = ["http://127.0.0.1:9/mcp"])]
struct UrlClerk;

#[test]
fn the_agent_macro_takes_a_url() {
    let agent = UrlClerk::agent();
    assert_eq!(agent.toolsets().len(), 1);
    assert_eq!(agent.toolsets()[0].name(), "127.0.0.1:9");
}

/// Both ways: an agent takes the tools of another agency-rs server's `/mcp`, behind its token.
#[tokio::test]
async fn an_agent_uses_the_tools_of_an_agency_rs_server() {
    use crate::support::http::{TOKEN, start};
    use agency::http::{Server, ServerOptions};

    let server = Server::builder()
        .tool(crate::support::add_tool())
        .options(ServerOptions::default().with_app_token(TOKEN))
        .build()
        .unwrap();
    let served = start(server).await;
    let url = format!("{}/mcp", served.base);
    let refused = McpServer::http(url.as_str()).connect().await.unwrap_err();
    assert!(matches!(refused, McpError::Connect { .. }), "{refused:?}");

    let fake = FakeOpenAi::start().await;
    let agent = clerk(McpServer::http(url.as_str()).bearer(TOKEN), None);
    fake.push(Reply::function_call("add", json!({"a": 5, "b": 6})))
        .push(Reply::text("11"));
    let out = agent.run("5+6", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "11");
    assert_eq!(outputs(&out), [json!("11")]);
    let (_, add) = offered(&fake, 0)
        .into_iter()
        .find(|(n, _)| n == "add")
        .unwrap();
    assert_eq!(add["strict"], true);
}
