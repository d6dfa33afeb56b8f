//! The run loop against the fake OpenAI server, over real HTTP (issue: agents).

use crate::support::wire;
use agency::http::agency::event_json;
use agency::item::{Entry, Item};
use agency::model::ModelEvent;
use std::time::Duration;

use agency::model::{ClientConfig, ModelApi, ModelError};
use agency::prelude::*;
use agency::{Agent, CancelMode, RunConfig, RunError, RunEvent};
use agency_testing::{FakeOpenAi, Garbage, Reply};
use futures::StreamExt;
use serde_json::{Value, json};

/// Add two integers and return the sum.
#[tool]
fn plus(a: i64, b: i64) -> i64 {
    a + b
}

/// Fails on purpose.
#[tool]
fn explode(reason: String) -> Result<String, ToolError> {
    Err(ToolError::new(format!("boom: {reason}")))
}

/// Sleeps, then answers (for cancel tests).
#[tool]
async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "rested".to_owned()
}

fn client(fake: &FakeOpenAi) -> ClientConfig {
    ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("test-key".into()),
        max_retries: Some(2),
        ..ClientConfig::default()
    }
}

fn config(fake: &FakeOpenAi) -> RunConfig {
    RunConfig::default().client(client(fake))
}

fn assistant() -> Agent {
    Agent::builder("Assistant")
        .description("Does arithmetic.")
        .instructions("You are a helpful assistant.")
        .model("gpt-4o")
        .tool(plus::tool())
        .tool(explode::tool())
        .tool(nap::tool())
        .build()
}

fn kinds(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            let kind = i["type"].as_str().unwrap_or("message");
            match i["role"].as_str() {
                Some(role) if kind == "message" => format!("message:{role}"),
                _ => kind.to_owned(),
            }
        })
        .collect()
}

fn tool_outputs(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .map(|i| i["output"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn text_reply() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("Hello there, human.").usage(13, 20));
    let out = assistant().run("Hello", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "Hello there, human.");
    assert_eq!(
        kinds(&wire(&out.new_items)),
        ["message:user", "message:assistant"]
    );
    let user = &out.new_items[0].meta;
    assert_eq!(user.agent, "Assistant");
    assert_eq!(user.caller_agent, None);
    assert!(user.timestamp > 1_700_000_000_000_000);
    let run_id = user.agent_run_id.as_str();
    assert!(run_id.starts_with("agent_run_") && run_id.len() == "agent_run_".len() + 32);
    assert_eq!(out.usage.request_count, 1);
    assert_eq!(
        (
            out.usage.input_tokens,
            out.usage.output_tokens,
            out.usage.total_tokens
        ),
        (13, 20, 33)
    );
    assert!(
        (out.usage.total_cost - 0.0002325).abs() < 1e-12,
        "{}",
        out.usage.total_cost
    );
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.path, "/v1/responses");
    assert_eq!(sent.body["instructions"], "You are a helpful assistant.");
    assert_eq!(sent.body["stream"], true);
}

#[tokio::test]
async fn tool_call_then_text() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("plus", json!({"a": 2, "b": 40})))
        .push(Reply::text("It is 42."));
    let out = assistant().run("2 + 40?", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "It is 42.");
    assert_eq!(
        kinds(&wire(&out.new_items)),
        [
            "message:user",
            "function_call",
            "function_call_output",
            "message:assistant"
        ]
    );
    assert_eq!(tool_outputs(&wire(&out.new_items)), ["42"]);
    // The second request carries the call and its output, without metadata.
    let second = &fake.requests()[1];
    let input = second.body["input"].as_array().unwrap();
    let output = input
        .iter()
        .find(|i| i["type"] == "function_call_output")
        .unwrap();
    assert_eq!(output["output"], "42");
    for item in input {
        for key in ["agent", "callerAgent", "timestamp", "agent_run_id"] {
            assert!(item.get(key).is_none(), "{key} reached the model: {item}");
        }
    }
}

#[tokio::test]
async fn two_parallel_tool_calls() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_calls([
        ("plus", json!({"a": 1, "b": 2})),
        ("nap", json!({"ms": 50})),
    ]))
    .push(Reply::text("done"));
    let out = assistant().run("go", config(&fake)).await.unwrap();
    assert_eq!(tool_outputs(&wire(&out.new_items)), ["3", "rested"]);
    let calls: Vec<_> = out
        .new_items
        .iter()
        .filter_map(|e| match &e.item {
            Item::FunctionCall(c) => Some(c.call_id.as_str()),
            _ => None,
        })
        .collect();
    let outputs: Vec<_> = out
        .new_items
        .iter()
        .filter_map(|e| match &e.item {
            Item::FunctionCallOutput(o) => Some(o.call_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0], calls[1]);
    assert_eq!(calls, outputs);
}

#[tokio::test]
async fn tool_error_and_invalid_arguments_go_back_to_the_model() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_calls([
        ("explode", json!({"reason": "testing"})),
        ("plus", json!({"a": "two", "b": 1})),
        ("nope", json!({})),
    ]))
    .push(Reply::text("I see the errors."));
    let out = assistant().run("go", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "I see the errors.");
    // Outputs are recorded as the calls finish (the sync `explode` runs on the blocking pool).
    let outputs = tool_outputs(&wire(&out.new_items));
    assert_eq!(outputs.len(), 3, "{outputs:?}");
    let has = |pred: &dyn Fn(&str) -> bool| outputs.iter().any(|o| pred(o));
    assert!(has(&|o| o.contains("boom: testing")), "{outputs:?}");
    assert!(
        has(&|o| o.contains("invalid arguments for tool 'plus'") && o.contains("a:")),
        "{outputs:?}"
    );
    assert!(has(&|o| o.contains("no tool named 'nope'")), "{outputs:?}");
    let second = fake.requests()[1].body["input"].to_string();
    assert!(second.contains("boom: testing"));
}

#[tokio::test]
async fn max_turns_exceeded() {
    let fake = FakeOpenAi::start().await;
    for _ in 0..3 {
        fake.push(Reply::function_call("plus", json!({"a": 1, "b": 1})));
    }
    let agent = Agent::builder("Looper")
        .tool(plus::tool())
        .max_turns(3)
        .build();
    let failure = agent.run("loop", config(&fake)).await.unwrap_err();
    assert!(
        matches!(failure.error, RunError::MaxTurns { max_turns: 3, .. }),
        "{failure}"
    );
    assert!(failure.to_string().contains("3 turns"));
    assert_eq!(fake.request_count(), 3);
    assert_eq!(failure.usage.request_count, 3);
    assert_eq!(tool_outputs(&wire(&failure.new_items)).len(), 3);
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[allow(dead_code)]
struct Weather {
    city: String,
    celsius: f64,
}

#[tokio::test]
async fn structured_output() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(r#"{"city":"Oslo","celsius":-3.5}"#));
    let agent = Agent::builder("Forecaster")
        .output_type::<Weather>()
        .build();
    let out = agent.run("weather?", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, json!({"city": "Oslo", "celsius": -3.5}));
    let format = &fake.last_request().unwrap().body["text"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["strict"], true);
    assert_eq!(format["schema"]["additionalProperties"], false);
}

#[tokio::test]
async fn rate_limited_then_success() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::error(429, "Rate limit reached"))
        .push(Reply::text("finally"));
    let out = assistant().run("hi", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "finally");
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn server_error_forever_is_a_clear_bounded_error() {
    let fake = FakeOpenAi::start().await;
    for _ in 0..10 {
        fake.push(Reply::error(500, "upstream exploded"));
    }
    let failure = assistant().run("hi", config(&fake)).await.unwrap_err();
    match &failure.error {
        RunError::Model(ModelError::Api { status, message }) => {
            assert_eq!(*status, 500);
            assert!(message.contains("upstream exploded"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    // One attempt plus max_retries (2).
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn unreachable_api_and_missing_key_are_clear() {
    let down = ClientConfig {
        base_url: Some(agency_testing::closed_port_url()),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    };
    let failure = assistant()
        .run("hi", RunConfig::default().client(down))
        .await
        .unwrap_err();
    assert!(
        matches!(
            failure.error,
            RunError::Model(ModelError::Unreachable { .. })
        ),
        "{failure}"
    );
    let failure = assistant()
        .run("hi", RunConfig::default().client(ClientConfig::default()))
        .await
        .unwrap_err();
    assert!(matches!(
        failure.error,
        RunError::Model(ModelError::MissingApiKey)
    ));
    assert!(failure.to_string().contains("OPENAI_API_KEY"));
}

#[tokio::test]
async fn garbage_events_are_skipped() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("still fine").with_garbage(Garbage::UnknownEvent))
        .push(Reply::text("fine again").with_garbage(Garbage::MalformedJson));
    let out = assistant().run("hi", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "still fine");
    let out = assistant().run("hi", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "fine again");
}

#[tokio::test]
async fn usage_and_cost_summed_over_turns() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("plus", json!({"a": 1, "b": 2})).usage(100, 10))
        .push(Reply::text("3").usage(200, 5).cached_tokens(50));
    let out = assistant().run("1+2", config(&fake)).await.unwrap();
    let u = &out.usage;
    assert_eq!(
        (
            u.request_count,
            u.input_tokens,
            u.output_tokens,
            u.cached_tokens
        ),
        (2, 300, 15, 50)
    );
    // gpt-4o: 2.50 input, 1.25 cached, 10.00 output per million.
    let expected = (100.0 * 2.5 + 10.0 * 10.0 + 150.0 * 2.5 + 50.0 * 1.25 + 5.0 * 10.0) / 1e6;
    assert!(
        (u.total_cost - expected).abs() < 1e-9,
        "{} vs {expected}",
        u.total_cost
    );
}

#[test]
fn token_counts_from_the_upstream_are_summed_with_saturation() {
    use agency::model::TokenUsage;
    use agency::{PriceTable, Usage};
    // What an upstream could send: counts at the edge of u64, no total.
    let tokens: TokenUsage = serde_json::from_value(json!({
        "input_tokens": u64::MAX, "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": u64::MAX},
    }))
    .unwrap();
    let call = Usage::from_tokens(&tokens, "gpt-4o", &PriceTable::shipped());
    assert_eq!(call.total_tokens, u64::MAX);
    let mut total = Usage::default();
    total.add(&call);
    total.add(&call);
    assert_eq!(
        (
            total.request_count,
            total.input_tokens,
            total.output_tokens,
            total.total_tokens,
            total.reasoning_tokens
        ),
        (2, u64::MAX, 14, u64::MAX, Some(u64::MAX))
    );
    assert!(total.total_cost.is_finite());
}

#[tokio::test]
async fn client_override_reaches_the_server() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("ok"));
    let mut headers = std::collections::BTreeMap::new();
    headers.insert("x-tenant".to_owned(), "acme".to_owned());
    let client = ClientConfig {
        api_key: Some("sk-override".into()),
        default_headers: headers,
        model: Some("gpt-4.1-mini".into()),
        ..client(&fake)
    };
    assistant()
        .run("hi", RunConfig::default().client(client))
        .await
        .unwrap();
    let req = fake.last_request().unwrap();
    assert_eq!(req.path, "/v1/responses");
    assert_eq!(req.authorization(), Some("Bearer sk-override"));
    assert_eq!(req.header("x-tenant"), Some("acme"));
    assert_eq!(req.model(), Some("gpt-4.1-mini"));
}

#[tokio::test]
async fn history_metadata_stripped_and_strict_schemas_sent() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("first")).push(Reply::text("second"));
    let first = assistant().run("remember 7", config(&fake)).await.unwrap();
    let out = assistant()
        .run(
            "what did I say?",
            config(&fake).history(first.new_items.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        kinds(&wire(&out.new_items)),
        ["message:user", "message:assistant"]
    );
    let req = fake.last_request().unwrap();
    let input = req.body["input"].as_array().unwrap();
    assert_eq!(input.len(), 3, "{input:?}");
    assert_eq!(input[0]["content"], "remember 7");
    for item in input {
        for key in [
            "agent",
            "callerAgent",
            "timestamp",
            "agent_run_id",
            "parent_run_id",
        ] {
            assert!(item.get(key).is_none(), "{key} reached the model: {item}");
        }
    }
    let tool = req.tool("plus").unwrap();
    assert_eq!(tool["strict"], true);
    assert_eq!(tool["parameters"]["additionalProperties"], false);
    assert_eq!(tool["parameters"]["required"], json!(["a", "b"]));
    assert_eq!(tool["description"], "Add two integers and return the sum.");
}

#[tokio::test]
async fn chat_completions_history_is_refused() {
    let fake = FakeOpenAi::start().await;
    let history: Vec<Entry> =
        serde_json::from_value(json!([{"role": "tool", "tool_call_id": "x", "content": "1"}]))
            .unwrap();
    let failure = assistant()
        .run("hi", config(&fake).history(history))
        .await
        .unwrap_err();
    assert!(matches!(failure.error, RunError::InvalidHistory(_)));
    assert!(failure.to_string().contains("new chat"));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn same_run_through_chat_completions() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("plus", json!({"a": 20, "b": 22})).usage(30, 4))
        .push(Reply::text("The answer is 42.").usage(40, 6));
    let client = ClientConfig {
        api: Some(ModelApi::ChatCompletions),
        ..client(&fake)
    };
    let mut stream = assistant().run_streamed("20+22?", RunConfig::default().client(client));
    let mut deltas = String::new();
    while let Some(event) = stream.next().await {
        if let RunEvent::Model {
            event: ModelEvent::TextDelta(delta),
            ..
        } = &event
        {
            deltas.push_str(&delta.delta);
        }
    }
    let out = stream.finish().await.unwrap();
    assert_eq!(out.final_output, "The answer is 42.");
    assert_eq!(deltas, "The answer is 42.");
    assert_eq!(tool_outputs(&wire(&out.new_items)), ["42"]);
    assert_eq!(
        (
            out.usage.request_count,
            out.usage.input_tokens,
            out.usage.output_tokens
        ),
        (2, 70, 10)
    );
    let reqs = fake.requests();
    assert!(reqs.iter().all(|r| r.path == "/v1/chat/completions"));
    let messages = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let tool_msg = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(tool_msg["content"], "42");
    assert!(messages.iter().any(|m| m["tool_calls"].is_array()));
    assert_eq!(reqs[0].body["tools"][0]["function"]["strict"], true);
}

#[tokio::test]
async fn a_forced_tool_choice_holds_until_the_tool_was_called() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("plus", json!({"a": 1, "b": 2})))
        .push(Reply::text("3"));
    let agent = Agent::builder("Adder")
        .model("gpt-4o")
        .tool(plus::tool())
        .tool_choice("plus")
        .build();
    let out = agent.run("1+2?", config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "3");
    let reqs = fake.requests();
    assert_eq!(
        reqs[0].body["tool_choice"],
        json!({"type": "function", "name": "plus"})
    );
    // Still forced, a model would have to call `plus` again, every turn.
    assert!(
        reqs[1].body.get("tool_choice").is_none(),
        "{}",
        reqs[1].body
    );
}

#[tokio::test]
async fn stream_events_map_onto_the_wire_format() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("plus", json!({"a": 2, "b": 40})))
        .push(Reply::text("Tool plus returned: 42"));
    let mut stream = assistant().run_streamed("go", config(&fake));
    let mut names = Vec::new();
    while let Some(event) = stream.next().await {
        let wire = event_json(&event);
        assert_eq!(wire["agent"], "Assistant");
        assert_eq!(wire["callerAgent"], Value::Null);
        match wire["type"].as_str().unwrap() {
            "run_item_stream_event" => names.push(wire["name"].as_str().unwrap().to_owned()),
            "agent_updated_stream_event" => {
                assert_eq!(wire["new_agent"], json!({"name": "Assistant"}));
                names.push("agent_updated".into())
            }
            "raw_response_event" => {
                if wire["data"]["type"] == "response.output_text.delta" {
                    assert!(wire["item_id"].is_string());
                }
            }
            other => panic!("unexpected event type {other}"),
        }
    }
    assert_eq!(
        names,
        [
            "agent_updated",
            "tool_called",
            "tool_output",
            "message_output_created"
        ]
    );
    stream.finish().await.unwrap();
}

#[tokio::test]
async fn cancel_immediate_keeps_only_completed_items() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("nap", json!({"ms": 5000})));
    let stream = assistant().run_streamed("nap", config(&fake));
    let control = stream.control();
    let mut stream = stream;
    // Wait until the tool is called, then cancel while it sleeps.
    while let Some(event) = stream.next().await {
        if matches!(event, RunEvent::ToolCalled { .. }) {
            control.cancel(CancelMode::Immediate);
        }
    }
    let out = stream.finish().await.unwrap();
    assert!(out.cancelled);
    assert_eq!(out.final_output, Value::Null);
    // The call without its output is dropped: the history stays valid.
    assert_eq!(kinds(&wire(&out.new_items)), ["message:user"]);
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn cancel_after_turn_lets_the_tools_finish() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("nap", json!({"ms": 200})))
        .push(Reply::text("never asked"));
    let mut stream = assistant().run_streamed("nap", config(&fake));
    let control = stream.control();
    while let Some(event) = stream.next().await {
        if matches!(event, RunEvent::ToolCalled { .. }) {
            control.cancel(CancelMode::AfterTurn);
        }
    }
    let out = stream.finish().await.unwrap();
    assert!(out.cancelled);
    assert_eq!(
        kinds(&wire(&out.new_items)),
        ["message:user", "function_call", "function_call_output"]
    );
    assert_eq!(tool_outputs(&wire(&out.new_items)), ["rested"]);
    assert_eq!(
        fake.request_count(),
        1,
        "no model call after the cancelled turn"
    );
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_model_request() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(agency_testing::lorem(40)).chunk_delay(Duration::from_millis(100)));
    let mut stream = assistant().run_streamed("talk slowly", config(&fake));
    // Read until the text starts, then walk away.
    while let Some(event) = stream.next().await {
        if let RunEvent::Model {
            event: ModelEvent::TextDelta(_),
            ..
        } = &event
        {
            break;
        }
    }
    drop(stream);
    assert!(
        fake.wait_for_dropped_stream(Duration::from_secs(10)).await,
        "the model request was not dropped"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        fake.request_count(),
        1,
        "no request after the consumer left"
    );
}
