//! AG-UI mode, checked by the protocol's own tools: each run is driven by the official
//! TypeScript client (`@ag-ui/client`'s `HttpAgent`, whose event verification must accept the
//! stream; `tests/agui/drive.mjs`), and each stream it recorded must pass `ag-ui-validate` with
//! no error and no warning. `tests/services.sh` installs both. The runs: plain text, a tool
//! call, a `send_message` delegation, a handoff, the model failing mid-stream, a frontend tool
//! round trip (two requests), and state changed by a tool.

use std::path::PathBuf;
use std::time::Duration;

use agency::http::{Server, ServerOptions};
use agency::prelude::*;
use agency_testing::{FakeOpenAi, Reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::add_tool;
use crate::support::http::{Running, start};

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ThemeArgs {
    /// `light` or `dark`
    theme: String,
}

/// A tool that changes the state the run shares with its client.
fn set_theme() -> Tool {
    Tool::builder("set_theme")
        .description("Set the page's colour theme.")
        .handler(|args: ThemeArgs, ctx: ToolContext| async move {
            ctx.shared_state().set("theme", &args.theme);
            Ok::<_, ToolError>(format!("the theme is {}", args.theme))
        })
}

fn agency() -> Agency {
    let assistant = Agent::builder("Assistant")
        .instructions("Help.")
        .tool(add_tool())
        .tool(set_theme())
        .build();
    let helper = Agent::builder("Helper").description("Helps.").build();
    let specialist = Agent::builder("Specialist")
        .description("Knows more.")
        .build();
    Agency::builder("Demo")
        .entry(assistant.clone())
        .flow(assistant.clone(), helper)
        .handoff(assistant, specialist)
        .build()
        .unwrap()
}

async fn agui_server(fake: &FakeOpenAi) -> Running {
    let client = crate::support::fake_client(fake.base_url());
    let server = Server::builder()
        .agency(agency())
        .client(client)
        .options(ServerOptions::default().with_agui(true))
        .build()
        .unwrap();
    start(server).await
}

/// Where the recorded streams go (a CI artifact): `target/agui-streams/`.
fn streams_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("agui-streams");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn agui_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/agui")
}

/// The events of one recorded SSE body.
fn events_of(sse: &str) -> Vec<Value> {
    sse.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap_or_else(|e| panic!("not JSON ({e}): {data}")))
        .collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// Drives `scenario` with the official client, then validates each recorded stream with
/// ag-ui-validate; returns each run's events.
async fn drive(s: &Running, name: &str, scenario: Value) -> Vec<Vec<Value>> {
    let node_modules = agui_dir().join("node_modules/@ag-ui/client");
    assert!(
        node_modules.exists(),
        "{} is missing: run the tests through tests/services.sh (it runs `npm ci --prefix tests/agui`)",
        node_modules.display()
    );
    let prefix = streams_dir().join(name);
    let url = format!("{}/Demo/get_response_stream", s.base);
    let run = tokio::process::Command::new("node")
        .arg(agui_dir().join("drive.mjs"))
        .arg(&url)
        .arg(&prefix)
        .arg(scenario.to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the client in time")
        .expect("node runs (Node.js is needed for the AG-UI checks)");
    assert!(
        out.status.success(),
        "@ag-ui/client refused scenario {name}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut runs = Vec::new();
    for n in 1.. {
        let file = PathBuf::from(format!("{}-{n}.sse", prefix.display()));
        let Ok(sse) = std::fs::read_to_string(&file) else {
            break;
        };
        let mut validate = tokio::process::Command::new("ag-ui-validate");
        validate.args(["--max-warnings", "0", "--no-color"]);
        if scenario.get("state").is_some() {
            validate.args(["--features", "shared-state"]);
        }
        let report = validate.arg(&file).output().await.expect(
            "ag-ui-validate runs (pip install ag-ui-validate==0.4.0; tests/services.sh does)",
        );
        assert!(
            report.status.success(),
            "ag-ui-validate found problems in {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&report.stdout),
            String::from_utf8_lossy(&report.stderr)
        );
        runs.push(events_of(&sse));
    }
    assert!(!runs.is_empty(), "no stream was recorded for {name}");
    runs
}

/// How often `text` occurs in the model request's input.
fn times_in_input(request: &Value, text: &str) -> usize {
    request["input"].to_string().matches(text).count()
}

fn find<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test]
async fn the_official_client_and_validator_accept_every_kind_of_run() {
    let fake = FakeOpenAi::start().await;
    let s = agui_server(&fake).await;

    // Plain text: steps, one text message, the conversation; the user's message sent once.
    fake.push(Reply::text("Hello there, friend."));
    let runs = drive(&s, "plain", json!({"message": "say hello plainly"})).await;
    let ev = &runs[0];
    assert_eq!(types(ev)[0], "RUN_STARTED");
    assert_eq!(*types(ev).last().unwrap(), "RUN_FINISHED");
    assert_eq!(ev[0]["threadId"], "thread-1");
    let text: String = find(ev, "TEXT_MESSAGE_CONTENT")
        .iter()
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello there, friend.");
    assert_eq!(find(ev, "STEP_STARTED")[0]["stepName"], "Assistant");
    let snapshot = find(ev, "MESSAGES_SNAPSHOT").pop().unwrap()["messages"].clone();
    assert_eq!(snapshot[0]["content"], "say hello plainly");
    assert_eq!(snapshot[1]["content"], "Hello there, friend.");
    assert_eq!(
        times_in_input(&fake.requests()[0].body, "say hello plainly"),
        1
    );

    // A tool call, with its result.
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})));
    fake.push(Reply::text("It is 42."));
    let ev = &drive(&s, "tool", json!({"message": "add 2 and 40"})).await[0];
    assert_eq!(find(ev, "TOOL_CALL_START")[0]["toolCallName"], "add");
    assert_eq!(find(ev, "TOOL_CALL_RESULT")[0]["content"], "42");

    // A delegation: the Helper's step sits inside the Assistant's and ends before the result.
    fake.push(Reply::function_call(
        "send_message",
        json!({"recipient_agent": "Helper", "message": "say hi", "additional_instructions": ""}),
    ));
    fake.push(Reply::text("Helper says hi."));
    fake.push(Reply::text("The Helper said hi."));
    let ev = &drive(&s, "delegation", json!({"message": "ask the helper"})).await[0];
    let t = types(ev);
    let steps: Vec<(&str, &str)> = ev
        .iter()
        .filter(|e| e["type"] == "STEP_STARTED" || e["type"] == "STEP_FINISHED")
        .map(|e| (e["type"].as_str().unwrap(), e["stepName"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("STEP_STARTED", "Assistant"),
            ("STEP_STARTED", "Helper"),
            ("STEP_FINISHED", "Helper"),
            ("STEP_FINISHED", "Assistant")
        ]
    );
    let result = find(ev, "TOOL_CALL_RESULT")[0];
    assert_eq!(result["content"], "Helper says hi.");
    let helper_done = t.iter().position(|k| *k == "STEP_FINISHED").unwrap();
    let result_at = t.iter().position(|k| *k == "TOOL_CALL_RESULT").unwrap();
    assert!(helper_done < result_at, "{t:?}");

    // A handoff: the Specialist takes over in a step of its own.
    fake.push(Reply::function_call("transfer_to_Specialist", json!({})));
    fake.push(Reply::text("Specialist here."));
    let ev = &drive(&s, "handoff", json!({"message": "I need a specialist"})).await[0];
    assert_eq!(
        find(ev, "TOOL_CALL_START")[0]["toolCallName"],
        "transfer_to_Specialist"
    );
    let names: Vec<&str> = find(ev, "STEP_STARTED")
        .iter()
        .map(|e| e["stepName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Assistant", "Specialist"]);
    assert_eq!(find(ev, "RUN_FINISHED")[0]["result"], "Specialist here.");

    // The model failing mid-stream: exactly one RUN_ERROR, and nothing after it.
    fake.push(Reply::text("This answer will break off").end_stream_after(3));
    let ev = &drive(
        &s,
        "failure",
        json!({"message": "fail please", "expectError": true}),
    )
    .await[0];
    assert_eq!(find(ev, "RUN_ERROR").len(), 1);
    assert_eq!(*types(ev).last().unwrap(), "RUN_ERROR");
    assert!(find(ev, "RUN_FINISHED").is_empty());

    // A frontend tool: the call ends the first run; the client's answer continues it.
    let before = fake.requests().len();
    fake.push(Reply::function_call(
        "confirm",
        json!({"question": "Ship it?"}),
    ));
    fake.push(Reply::text("Shipped."));
    let confirm = json!({
        "name": "confirm",
        "description": "Ask the user to confirm.",
        "parameters": {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]}
    });
    let runs = drive(
        &s,
        "frontend-tool",
        json!({"message": "ship the release", "tools": [confirm], "toolResult": "yes"}),
    )
    .await;
    assert_eq!(runs.len(), 2);
    let first = &runs[0];
    assert_eq!(find(first, "TOOL_CALL_START")[0]["toolCallName"], "confirm");
    assert!(
        find(first, "TOOL_CALL_RESULT").is_empty(),
        "the client runs it"
    );
    assert_eq!(*types(first).last().unwrap(), "RUN_FINISHED");
    assert_eq!(find(&runs[1], "RUN_FINISHED")[0]["result"], "Shipped.");
    let requests = fake.requests();
    let offered = &requests[before].body["tools"];
    assert!(
        offered
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "confirm"),
        "{offered}"
    );
    let second = &requests[before + 1].body;
    let input = second["input"].as_array().unwrap();
    assert!(
        input
            .iter()
            .any(|i| i["type"] == "function_call_output" && i["output"] == "yes"),
        "{second}"
    );
    assert_eq!(times_in_input(second, "ship the release"), 1);

    // State: sent after RUN_STARTED, and again once the tool changed it.
    fake.push(Reply::function_call("set_theme", json!({"theme": "dark"})));
    fake.push(Reply::text("Done."));
    let ev = &drive(
        &s,
        "state",
        json!({"message": "go dark", "state": {"theme": "light", "user": "ada"}}),
    )
    .await[0];
    let states: Vec<&Value> = find(ev, "STATE_SNAPSHOT")
        .iter()
        .map(|e| &e["snapshot"])
        .collect();
    assert_eq!(
        states,
        [
            &json!({"theme": "light", "user": "ada"}),
            &json!({"theme": "dark", "user": "ada"})
        ]
    );
    assert_eq!(types(ev)[1], "STATE_SNAPSHOT");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(streams_dir().join("state.state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        state,
        json!({"theme": "dark", "user": "ada"}),
        "the client's own state"
    );
}

#[tokio::test]
async fn the_users_message_reaches_the_model_once_even_when_chat_history_repeats_it() {
    let fake = FakeOpenAi::start().await;
    let s = agui_server(&fake).await;
    fake.push(Reply::text("Hi again."));
    let body = json!({
        "thread_id": "t-snake",
        "run_id": "r-snake",
        "messages": [{"id": "u0", "role": "user", "content": "first words"},
                     {"id": "a0", "role": "assistant", "content": "First answer."},
                     {"id": "u1", "role": "user", "content": "the repeated question"}],
        "chat_history": [
            {"type": "message", "role": "user", "content": "first words"},
            {"type": "message", "role": "assistant", "content": "First answer."},
            {"type": "message", "role": "user", "content": "the repeated question"}
        ]
    });
    let r = s.post("/Demo/get_response_stream", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::OK);
    let ev = events_of(&String::from_utf8(r.bytes).unwrap());
    assert_eq!(ev[0]["threadId"], "t-snake", "snake_case keys are read too");
    assert_eq!(*types(&ev).last().unwrap(), "RUN_FINISHED");
    let request = &fake.requests()[0].body;
    assert_eq!(
        times_in_input(request, "the repeated question"),
        1,
        "{request}"
    );
    assert_eq!(times_in_input(request, "first words"), 1, "{request}");
}

#[tokio::test]
async fn bad_inputs_are_422_and_the_mode_serves_only_its_routes() {
    let fake = FakeOpenAi::start().await;
    let s = agui_server(&fake).await;
    let ends_with_assistant =
        json!({"messages": [{"id": "a", "role": "assistant", "content": "hi"}]});
    let a = s
        .post_json("/Demo/get_response_stream", &ends_with_assistant)
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.body["detail"][0]["loc"], json!(["body", "messages"]));
    let a = s
        .post_json(
            "/Demo/get_response_stream",
            &json!({"messages": [{"role": "robot", "content": "x"}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = s
        .post_json(
            "/Demo/get_response_stream",
            &json!({"messages": [{"id": "u", "role": "user", "content": "x"}], "state": [1]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fake.request_count(), 0);

    // No get_response, no cancel: the client aborts the request instead.
    let a = s
        .post_json("/Demo/get_response", &json!({"message": "hi"}))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = s
        .post_json("/Demo/cancel_response_stream", &json!({"run_id": "x"}))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/Demo/get_metadata").await.status, StatusCode::OK);

    let doc: Value = s.get("/openapi.json").await.json();
    assert!(doc["paths"]["/Demo/get_response"].is_null());
    assert!(doc["paths"]["/Demo/cancel_response_stream"].is_null());
    let op = &doc["paths"]["/Demo/get_response_stream"]["post"];
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/RunAgentInput"
    );
    assert!(op["responses"]["200"]["content"]["text/event-stream"].is_object());
    crate::support::http::assert_no_dangling_refs(&doc);
}
