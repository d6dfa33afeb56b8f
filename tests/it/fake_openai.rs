//! The fake OpenAI server of `agency-testing`, exercised through async-openai itself:
//! everything it sends must parse with async-openai 0.43's types.

mod chat;
mod failures;
mod recording;
mod reference;
mod responses;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionStreamResponse};
use async_openai::types::responses::{
    CreateResponse, OutputItem, OutputMessageContent, Response, ResponseStreamEvent,
};
use futures::StreamExt;
use serde_json::Value;

use agency_testing::FakeOpenAi;

/// Result items of a stream, as async-openai yields them.
type Items<T> = Vec<Result<T, async_openai::error::OpenAIError>>;

/// An async-openai client pointed at `fake`.
fn client(fake: &FakeOpenAi) -> Client<OpenAIConfig> {
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(fake.base_url())
            .with_api_key("test-key"),
    )
}

/// A Responses request from JSON (the way the tests read best).
fn responses_request(body: Value) -> CreateResponse {
    serde_json::from_value(body).expect("a valid CreateResponse")
}

/// A Chat Completions request from JSON.
fn chat_request(body: Value) -> CreateChatCompletionRequest {
    serde_json::from_value(body).expect("a valid CreateChatCompletionRequest")
}

/// A Responses request without streaming, answered.
async fn create_response(fake: &FakeOpenAi, body: Value) -> Response {
    client(fake)
        .responses()
        .create(responses_request(body))
        .await
        .expect("a response")
}

/// Every item of a Responses stream.
async fn stream_responses(fake: &FakeOpenAi, body: Value) -> Items<ResponseStreamEvent> {
    let stream = client(fake)
        .responses()
        .create_stream(responses_request(body))
        .await
        .expect("stream opens");
    stream.collect().await
}

/// Every item of a Chat Completions stream.
async fn stream_chat(fake: &FakeOpenAi, body: Value) -> Items<CreateChatCompletionStreamResponse> {
    let stream = client(fake)
        .chat()
        .create_stream(chat_request(body))
        .await
        .expect("stream opens");
    stream.collect().await
}

/// The `type` of each event, panicking on an `Err` item.
fn event_types(items: &Items<ResponseStreamEvent>) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            let event = item.as_ref().expect("every event parses");
            serde_json::to_value(event).expect("serializes")["type"]
                .as_str()
                .expect("type")
                .to_owned()
        })
        .collect()
}

/// The concatenated `response.output_text.delta`s of a stream.
fn text_deltas(items: &Items<ResponseStreamEvent>) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Ok(ResponseStreamEvent::ResponseOutputTextDelta(delta)) => Some(delta.delta.clone()),
            _ => None,
        })
        .collect()
}

/// The `response.function_call_arguments.delta`s of a stream.
fn argument_deltas(items: &Items<ResponseStreamEvent>) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Ok(ResponseStreamEvent::ResponseFunctionCallArgumentsDelta(delta)) => {
                Some(delta.delta.clone())
            }
            _ => None,
        })
        .collect()
}

/// The text of the message items of an output.
fn output_text(output: &[OutputItem]) -> String {
    output
        .iter()
        .filter_map(|item| match item {
            OutputItem::Message(message) => Some(message),
            _ => None,
        })
        .flat_map(|message| &message.content)
        .filter_map(|content| match content {
            OutputMessageContent::OutputText(text) => Some(text.text.clone()),
            OutputMessageContent::Refusal(_) => None,
        })
        .collect()
}
