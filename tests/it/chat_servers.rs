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

/// The by-hand check against a real OpenAI-compatible server (see the README, "OpenAI-compatible
/// servers"): `AGENCY_LLM_URL` is its base URL, `AGENCY_MODEL_API` picks the API
/// (`chat_completions` or `responses`). The model must call `get_weather` because
/// `tool_choice` names it (or `AGENCY_LLM_TOOL_CHOICE`, e.g. `required`); what it answers after
/// the tool output is printed, not checked.
#[tokio::test]
#[ignore = "needs a local model server: AGENCY_LLM_URL=http://127.0.0.1:8300/v1"]
async fn a_real_server_makes_the_forced_tool_call() {
    let Ok(url) = std::env::var("AGENCY_LLM_URL") else {
        panic!("set AGENCY_LLM_URL (and AGENCY_MODEL_API) to a running server, see the README")
    };
    let client = ClientConfig::from_env().overridden_by(&ClientConfig {
        base_url: Some(url),
        max_retries: Some(0),
        ..ClientConfig::default()
    });
    let agent = Agent::builder("Forecaster")
        .instructions("You report the weather. Use the get_weather tool.")
        .model("smollm2")
        .tool(get_weather::tool())
        .tool_choice(
            std::env::var("AGENCY_LLM_TOOL_CHOICE").unwrap_or_else(|_| "get_weather".to_owned()),
        )
        .temperature(0.0)
        .max_output_tokens(64)
        .build();
    let out = agent
        .run(
            "What is the weather in Paris?",
            RunConfig::default().client(client),
        )
        .await
        .unwrap_or_else(|failure| panic!("the run fails: {failure}"));
    let calls = calls(&out);
    eprintln!("calls: {calls:?}");
    eprintln!("final output: {}", out.final_output);
    eprintln!("usage: {:?}", out.usage);
    let (name, arguments) = calls.first().expect("the model called a tool");
    assert_eq!(name, "get_weather");
    let arguments: Value = serde_json::from_str(arguments).expect("the arguments are JSON");
    assert!(arguments["city"].is_string(), "no city in {arguments}");
}
