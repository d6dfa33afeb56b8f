//! `POST /v1/chat/completions`, streaming and not.

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{ChatCompletionMessageToolCalls, FinishReason};
use serde_json::{Value, json};

use agency_testing::{ChatQuirks, FakeOpenAi, FunctionCall, Reply};

use super::{chat_request, client, stream_chat};

#[tokio::test]
async fn streamed_text_deltas_end_with_a_usage_chunk() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("Hello there").usage(9, 2));

    let chunks = stream_chat(
        &fake,
        json!({"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .await;

    let chunks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| chunk.expect("every chunk parses"))
        .collect();
    let text: String = chunks
        .iter()
        .flat_map(|chunk| &chunk.choices)
        .filter_map(|choice| choice.delta.content.clone())
        .collect();
    assert_eq!(text, "Hello there");
    let finish: Vec<_> = chunks
        .iter()
        .flat_map(|c| &c.choices)
        .filter_map(|c| c.finish_reason)
        .collect();
    assert_eq!(finish, [FinishReason::Stop]);
    let last = chunks.last().expect("chunks");
    assert!(last.choices.is_empty());
    let usage = last.usage.as_ref().expect("the last chunk carries usage");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (9, 2, 11)
    );
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|chunk| chunk.usage.is_none())
    );
}

#[tokio::test]
async fn streamed_tool_calls_arrive_as_indexed_fragments() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_calls([
        ("add", json!({"a": 2, "b": 40})),
        ("add", json!({"a": 1, "b": 1})),
    ]));

    let chunks = stream_chat(
        &fake,
        json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "add"}]}),
    )
    .await;

    let mut calls: Vec<(String, String, String)> = Vec::new();
    for chunk in chunks {
        let chunk = chunk.expect("every chunk parses");
        assert!(chunk.usage.is_none(), "no usage without include_usage");
        for fragment in chunk
            .choices
            .iter()
            .filter_map(|c| c.delta.tool_calls.as_ref())
            .flatten()
        {
            let index = fragment.index as usize;
            if calls.len() <= index {
                calls.push(Default::default());
            }
            let function = fragment.function.as_ref().expect("function fragment");
            if let Some(id) = &fragment.id {
                calls[index].0.clone_from(id);
            }
            if let Some(name) = &function.name {
                calls[index].1.push_str(name);
            }
            calls[index]
                .2
                .push_str(function.arguments.as_deref().unwrap_or_default());
        }
    }
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].0, calls[1].0);
    assert_eq!(
        (calls[0].1.as_str(), calls[0].2.as_str()),
        ("add", r#"{"a":2,"b":40}"#)
    );
    assert_eq!(
        (calls[1].1.as_str(), calls[1].2.as_str()),
        ("add", r#"{"a":1,"b":1}"#)
    );
}

#[tokio::test]
async fn non_streamed_text_and_tool_call() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("Hello there"));
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})));
    let chat = client(&fake);
    let request = || {
        chat_request(json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}))
    };

    let text = chat.chat().create(request()).await.expect("a completion");
    assert_eq!(
        text.choices[0].message.content.as_deref(),
        Some("Hello there")
    );
    assert_eq!(text.choices[0].finish_reason, Some(FinishReason::Stop));
    assert!(text.usage.is_some());

    let call = chat.chat().create(request()).await.expect("a completion");
    assert_eq!(call.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(call.choices[0].message.content, None);
    let tool_calls = call.choices[0]
        .message
        .tool_calls
        .as_ref()
        .expect("tool calls");
    let [ChatCompletionMessageToolCalls::Function(call)] = tool_calls.as_slice() else {
        panic!("one function call")
    };
    assert_eq!(
        (
            call.function.name.as_str(),
            call.function.arguments.as_str()
        ),
        ("add", r#"{"a":2,"b":40}"#)
    );
}

#[tokio::test]
async fn llama_cpp_python_quirks_still_parse_as_chat_chunks() {
    let fake = FakeOpenAi::start().await;
    fake.chat_quirks(ChatQuirks::llama_cpp_python());
    fake.push(Reply::function_calls([FunctionCall::new(
        "get_weather",
        json!({"city": "Paris"}),
    )
    .call_id("call_w")]));

    let chunks = stream_chat(
        &fake,
        json!({"model": "smollm2", "stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "Weather?"}]}),
    )
    .await;

    let chunks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| chunk.expect("every chunk parses"))
        .collect();
    assert!(chunks.iter().all(|chunk| chunk.usage.is_none()), "no usage");
    let first = &chunks[0].choices[0].delta;
    assert!(first.tool_calls.is_none() && first.content.is_none());
    let deltas: Vec<_> = chunks
        .iter()
        .flat_map(|chunk| &chunk.choices)
        .filter_map(|choice| Some((choice.delta.tool_calls.as_ref()?, &choice.delta)))
        .collect();
    assert!(deltas.len() > 1, "the arguments come in several deltas");
    let mut arguments = String::new();
    for (calls, delta) in deltas {
        let [call] = calls.as_slice() else {
            panic!("one call per delta")
        };
        let function = call.function.as_ref().expect("a function fragment");
        assert_eq!(call.id.as_deref(), Some("call_w"));
        assert_eq!(function.name.as_deref(), Some("get_weather"));
        #[allow(deprecated)]
        let legacy = delta.function_call.as_ref().expect("legacy function_call");
        assert_eq!(legacy.arguments, function.arguments);
        arguments.push_str(function.arguments.as_deref().unwrap_or_default());
    }
    assert_eq!(arguments, r#"{"city":"Paris"}"#);
}

#[tokio::test]
async fn llama_cpp_python_quirks_refuse_null_content_beside_tool_calls() {
    let fake = FakeOpenAi::start().await;
    fake.chat_quirks(ChatQuirks::llama_cpp_python());
    let messages = |content: Value| {
        json!({"model": "smollm2", "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": content, "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ]})
    };
    let chat = Client::with_config(OpenAIConfig::new().with_api_base(fake.base_url()));
    let refused: Result<Value, _> = chat.chat().create_byot(messages(Value::Null)).await;
    let Err(OpenAIError::ApiError(error)) = refused else {
        panic!("refused, got {refused:?}")
    };
    assert_eq!(error.status_code.as_u16(), 500);
    assert!(error.api_error.message.contains("'messages', 1,"));
    assert_eq!(fake.queued(), 0);

    fake.push(Reply::text("Sunny."));
    let answer: Value = chat
        .chat()
        .create_byot(messages(json!("")))
        .await
        .expect("an empty content is taken");
    assert_eq!(answer["choices"][0]["message"]["content"], "Sunny.");
}
