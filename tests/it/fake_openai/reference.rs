//! The default responder reproduces the fake model of the reference transcripts
//! (`shared/spec/reference/`, cases 20–31): texts, deltas and usage.

use async_openai::types::responses::ResponseStreamEvent;
use serde_json::json;

use agency_testing::{FakeOpenAi, Reply, lorem};

use super::{argument_deltas, create_response, output_text, stream_responses, text_deltas};

/// The input of the first upstream request of case 31 (`call tool add ...`).
fn call_add_input() -> serde_json::Value {
    json!([{"content": "call tool add with {\"a\": 2, \"b\": 40}", "role": "user", "type": "message"}])
}

#[tokio::test]
async fn hello_gets_twenty_lorem_words_with_the_reference_usage() {
    let fake = FakeOpenAi::start().await;

    let response = create_response(
        &fake,
        json!({
            "model": "gpt-4o",
            "input": [{"content": "Hello", "role": "user", "type": "message"}],
        }),
    )
    .await;

    assert_eq!(
        output_text(&response.output),
        "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore \
         et dolore magna aliqua Ut"
    );
    let usage = response.usage.expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (13, 20, 33)
    );
}

#[tokio::test]
async fn words_sets_the_count_in_plain_and_structured_messages() {
    let fake = FakeOpenAi::start().await;
    let cases = [
        (
            json!([{"content": "hi words=2", "role": "user", "type": "message"}]),
            2,
        ),
        (
            json!([{"role": "user", "content": [{"type": "input_text", "text": "Hi words=4"}], "type": "message"}]),
            4,
        ),
    ];
    for (input, words) in cases {
        let items = stream_responses(
            &fake,
            json!({"model": "gpt-4o", "input": input, "stream": true}),
        )
        .await;
        assert_eq!(text_deltas(&items).concat(), lorem(words));
        assert_eq!(text_deltas(&items).len(), words);
    }
}

#[tokio::test]
async fn tool_call_round_trip_matches_case_31() {
    let fake = FakeOpenAi::start().await;

    let first = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": call_add_input(), "stream": true}),
    )
    .await;
    assert_eq!(
        argument_deltas(&first),
        [r#"{"a":2,"b":40}"#],
        "the recorder sent the arguments in one delta"
    );
    let Some(Ok(ResponseStreamEvent::ResponseCompleted(done))) = first.last() else {
        panic!("completed")
    };
    let usage = done.response.usage.as_ref().expect("usage");
    assert_eq!((usage.input_tokens, usage.output_tokens), (21, 3));
    let call = serde_json::to_value(&done.response.output[0]).expect("serializes");

    let mut input = call_add_input();
    let history = input.as_array_mut().expect("array");
    history.push(
        json!({"arguments": call["arguments"], "call_id": call["call_id"], "name": "add",
                        "type": "function_call", "id": call["id"], "status": "completed"}),
    );
    history
        .push(json!({"call_id": call["call_id"], "output": "42", "type": "function_call_output"}));
    let second = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": input, "stream": true}),
    )
    .await;

    assert_eq!(text_deltas(&second), ["Tool ", "add", " returned: ", "42"]);
    let Some(Ok(ResponseStreamEvent::ResponseCompleted(done))) = second.last() else {
        panic!("completed")
    };
    let usage = done.response.usage.as_ref().expect("usage");
    assert_eq!((usage.input_tokens, usage.output_tokens), (86, 4));
    assert_eq!(output_text(&done.response.output), "Tool add returned: 42");
}

#[tokio::test]
async fn the_reference_responder_can_be_restored() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|_| Reply::text("scripted"));
    fake.respond_with(FakeOpenAi::reference_responder());

    let items = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": "Hello words=3", "stream": true}),
    )
    .await;

    assert_eq!(text_deltas(&items).concat(), "Lorem ipsum dolor");
}
