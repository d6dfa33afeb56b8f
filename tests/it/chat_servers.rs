//! OpenAI-compatible servers that deviate from OpenAI's Chat Completions (issue 9): an agent
//! run through the Chat Completions back end against the fake with each deviation on.

use agency::item::Item;
use agency::model::{ClientConfig, ModelApi};
use agency::prelude::*;
use agency::{Agent, RunConfig, RunOutput};
use agency_testing::{ChatQuirks, FakeOpenAi, FunctionCall, RecordedRequest, Reply};
use serde_json::{Value, json};

/// Report the weather of a city.
#[tool]
fn get_weather(city: String) -> String {
    format!("Sunny in {city}")
}

fn forecaster() -> Agent {
    Agent::builder("Forecaster")
        .instructions("Answer with the weather tool.")
        .model("smollm2")
        .tool(get_weather::tool())
        .build()
}

fn chat_client(base_url: String) -> ClientConfig {
    ClientConfig {
        api: Some(ModelApi::ChatCompletions),
        base_url: Some(base_url),
        max_retries: Some(0),
        ..ClientConfig::default()
    }
}

/// A run whose model calls `get_weather` for Paris (arguments streamed in 3-character
/// fragments), then answers, against the fake with `quirks` on.
async fn weather_run(quirks: ChatQuirks) -> (RunOutput, Vec<RecordedRequest>) {
    let fake = FakeOpenAi::start().await;
    fake.chat_quirks(quirks)
        .push(Reply::function_calls([FunctionCall::new(
            "get_weather",
            json!({"city": "Paris"}),
        )
        .chunk_size(3)]))
        .push(Reply::text("It is sunny in Paris."));
    let config = RunConfig::default().client(chat_client(fake.base_url()));
    let out = forecaster()
        .run("Weather in Paris?", config)
        .await
        .unwrap_or_else(|failure| panic!("the run fails: {failure}"));
    (out, fake.requests())
}

/// The `(name, arguments)` of the calls a run made.
fn calls(out: &RunOutput) -> Vec<(String, String)> {
    out.new_items
        .iter()
        .filter_map(|entry| match &entry.item {
            Item::FunctionCall(call) => Some((call.name.clone(), call.arguments.clone())),
            _ => None,
        })
        .collect()
}

/// The assistant message carrying `tool_calls` in a Chat Completions request.
fn tool_call_message(request: &RecordedRequest) -> Value {
    request
        .input_items()
        .into_iter()
        .find(|m| m["role"] == "assistant" && m["tool_calls"].is_array())
        .unwrap_or_else(|| panic!("no assistant tool-call message in {}", request.body))
}

fn assert_one_weather_call(out: &RunOutput) {
    assert_eq!(
        calls(out),
        [("get_weather".to_owned(), r#"{"city":"Paris"}"#.to_owned())]
    );
    assert_eq!(out.final_output, "It is sunny in Paris.");
}

#[tokio::test]
async fn repeated_call_headers_give_the_name_once_and_all_the_arguments() {
    let (out, requests) = weather_run(ChatQuirks {
        repeat_call_header: true,
        ..ChatQuirks::default()
    })
    .await;
    assert_one_weather_call(&out);
    let call = &tool_call_message(&requests[1])["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert!(
        call["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_"))
    );
}

#[tokio::test]
async fn tool_calls_go_back_with_empty_content_not_null() {
    let (out, requests) = weather_run(ChatQuirks {
        refuse_null_content: true,
        ..ChatQuirks::default()
    })
    .await;
    assert_one_weather_call(&out);
    let message = tool_call_message(&requests[1]);
    assert_eq!(message["content"], "");
    assert_eq!(
        message["tool_calls"][0]["function"],
        json!({"name": "get_weather", "arguments": r#"{"city":"Paris"}"#})
    );
    let result = requests[1].input_items().pop().unwrap_or_default();
    assert_eq!(
        (&result["role"], &result["content"]),
        (&json!("tool"), &json!("Sunny in Paris"))
    );
}

#[tokio::test]
async fn a_stream_without_usage_counts_the_calls_with_zero_tokens() {
    let (out, requests) = weather_run(ChatQuirks {
        no_stream_usage: true,
        ..ChatQuirks::default()
    })
    .await;
    assert_one_weather_call(&out);
    assert_eq!(requests[0].body["stream_options"]["include_usage"], true);
    assert_eq!(
        (
            out.usage.request_count,
            out.usage.input_tokens,
            out.usage.output_tokens,
            out.usage.total_tokens
        ),
        (2, 0, 0, 0)
    );
}

#[tokio::test]
async fn legacy_function_call_and_null_tool_calls_are_ignored() {
    let (out, _) = weather_run(ChatQuirks {
        null_tool_calls: true,
        legacy_function_call: true,
        ..ChatQuirks::default()
    })
    .await;
    assert_one_weather_call(&out);
}

#[tokio::test]
async fn parallel_calls_with_every_llama_cpp_python_quirk() {
    let fake = FakeOpenAi::start().await;
    fake.chat_quirks(ChatQuirks::llama_cpp_python())
        .push(Reply::function_calls([
            FunctionCall::new("get_weather", json!({"city": "Paris"})).chunk_size(2),
            FunctionCall::new("get_weather", json!({"city": "Oslo"})).chunk_size(2),
        ]))
        .push(Reply::text("Sunny in both."));
    let config = RunConfig::default().client(chat_client(fake.base_url()));
    let out = forecaster()
        .run("Weather in Paris and Oslo?", config)
        .await
        .unwrap_or_else(|failure| panic!("the run fails: {failure}"));
    assert_eq!(
        calls(&out),
        [
            ("get_weather".to_owned(), r#"{"city":"Paris"}"#.to_owned()),
            ("get_weather".to_owned(), r#"{"city":"Oslo"}"#.to_owned()),
        ]
    );
    assert_eq!(out.final_output, "Sunny in both.");
    let sent = tool_call_message(&fake.requests()[1]);
    assert_eq!(sent["content"], "");
    let ids: Vec<&str> = sent["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|call| call["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}
