//! `POST /v1/responses`, streaming and not.

use async_openai::types::responses::{OutputItem, ResponseStreamEvent, Status};
use serde_json::json;

use agency_testing::{FakeOpenAi, FunctionCall, Reply};

use super::{
    argument_deltas, create_response, event_types, output_text, stream_responses, text_deltas,
};

#[tokio::test]
async fn streamed_text_arrives_as_word_deltas_in_openai_order() {
    let fake = FakeOpenAi::start().await;
    fake.push(
        Reply::text("Hello there, friend")
            .usage(12, 3)
            .cached_tokens(2)
            .reasoning_tokens(1),
    );

    let items = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": "Hi", "stream": true}),
    )
    .await;

    assert_eq!(
        event_types(&items),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(text_deltas(&items), ["Hello", " there,", " friend"]);
    let Some(Ok(ResponseStreamEvent::ResponseCompleted(done))) = items.last() else {
        panic!("the stream ends with response.completed")
    };
    assert_eq!(done.sequence_number, 10);
    assert_eq!(done.response.status, Status::Completed);
    assert_eq!(output_text(&done.response.output), "Hello there, friend");
    let usage = done.response.usage.as_ref().expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (12, 3, 15)
    );
    assert_eq!(usage.input_tokens_details.cached_tokens, 2);
    assert_eq!(usage.output_tokens_details.reasoning_tokens, 1);
    assert_eq!(fake.completed_streams(), 1);
}

#[tokio::test]
async fn non_streamed_text_is_one_response_object() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("Hello there").model("gpt-4o-2024-08-06"));

    let request = json!({
        "model": "gpt-4o", "input": "Hi", "instructions": "Be brief.", "temperature": 0.5
    });
    let response = create_response(&fake, request).await;

    assert_eq!(output_text(&response.output), "Hello there");
    assert_eq!(response.model, "gpt-4o-2024-08-06");
    assert_eq!(response.status, Status::Completed);
    assert_eq!(response.temperature, Some(0.5));
    assert!(response.id.starts_with("resp_"));
    let usage = response.usage.expect("usage");
    assert_eq!(usage.output_tokens, 2, "one token per streamed word");
    assert_eq!(fake.completed_streams(), 0);
}

#[tokio::test]
async fn streamed_function_call_has_name_arguments_and_call_id() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})));

    let items = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": "add", "stream": true}),
    )
    .await;

    let types = event_types(&items);
    assert_eq!(types[2], "response.output_item.added");
    assert!(
        types[3..types.len() - 3]
            .iter()
            .all(|t| t == "response.function_call_arguments.delta")
    );
    assert_eq!(
        types[types.len() - 3..],
        [
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    assert_eq!(argument_deltas(&items).concat(), r#"{"a":2,"b":40}"#);
    let Some(Ok(ResponseStreamEvent::ResponseOutputItemAdded(added))) = items.get(2) else {
        panic!("an added item")
    };
    let OutputItem::FunctionCall(opened) = &added.item else {
        panic!("a function call item")
    };
    assert_eq!(
        (opened.name.as_str(), opened.arguments.as_str()),
        ("add", "")
    );
    let Some(Ok(ResponseStreamEvent::ResponseCompleted(done))) = items.last() else {
        panic!("completed")
    };
    let OutputItem::FunctionCall(call) = &done.response.output[0] else {
        panic!("a function call")
    };
    assert_eq!(
        (call.name.as_str(), call.arguments.as_str()),
        ("add", r#"{"a":2,"b":40}"#)
    );
    assert_eq!(call.call_id, opened.call_id);
    assert!(call.call_id.starts_with("call_"));
}

#[tokio::test]
async fn non_streamed_function_call_keeps_a_scripted_call_id() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_calls([FunctionCall::new(
        "add",
        json!({"a": 1, "b": 2}),
    )
    .call_id("call_fixed")]));

    let response = create_response(&fake, json!({"model": "gpt-4o", "input": "add"})).await;

    let [OutputItem::FunctionCall(call)] = response.output.as_slice() else {
        panic!("one function call, got {:?}", response.output)
    };
    assert_eq!(
        (call.name.as_str(), call.call_id.as_str()),
        ("add", "call_fixed")
    );
    assert_eq!(call.arguments, r#"{"a":1,"b":2}"#);
}

#[tokio::test]
async fn parallel_calls_get_their_own_items_and_call_ids() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_calls([
        ("add", json!({"a": 1, "b": 2})),
        ("add", json!({"a": 3, "b": 4})),
    ]));

    let items = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": "two sums", "stream": true}),
    )
    .await;

    let added: Vec<u32> = items
        .iter()
        .filter_map(|item| match item {
            Ok(ResponseStreamEvent::ResponseOutputItemAdded(added)) => Some(added.output_index),
            _ => None,
        })
        .collect();
    assert_eq!(added, [0, 1]);
    let Some(Ok(ResponseStreamEvent::ResponseCompleted(done))) = items.last() else {
        panic!("completed")
    };
    let calls: Vec<_> = done
        .response
        .output
        .iter()
        .map(|item| match item {
            OutputItem::FunctionCall(call) => (call.call_id.clone(), call.arguments.clone()),
            other => panic!("unexpected item {other:?}"),
        })
        .collect();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].0, calls[1].0);
    assert_eq!(
        (calls[0].1.as_str(), calls[1].1.as_str()),
        (r#"{"a":1,"b":2}"#, r#"{"a":3,"b":4}"#)
    );
}

#[tokio::test]
async fn text_and_call_in_one_turn() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("Let me add.").and(Reply::function_call("add", json!({"a": 1, "b": 1}))));

    let response = create_response(&fake, json!({"model": "gpt-4o", "input": "add"})).await;

    assert_eq!(output_text(&response.output), "Let me add.");
    assert!(matches!(&response.output[1], OutputItem::FunctionCall(call) if call.name == "add"));
}
