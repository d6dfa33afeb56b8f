//! What the fake records about the requests it gets.

use serde_json::json;

use agency_testing::{FakeOpenAi, Reply};

use super::{chat_request, client, stream_chat, stream_responses};

#[tokio::test]
async fn requests_are_recorded_with_headers_and_bodies() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([Reply::text("one"), Reply::text("two")]);
    assert_eq!(fake.queued(), 2);

    stream_responses(
        &fake,
        json!({
            "model": "gpt-4o",
            "instructions": "You are a helpful assistant.",
            "input": [{"role": "user", "content": "Hello", "type": "message"}],
            "tools": [{"type": "function", "name": "add", "description": "Add two integers.", "strict": true,
                       "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                      "required": ["a", "b"], "additionalProperties": false}}],
            "stream": true,
        }),
    )
    .await;
    client(&fake)
        .chat()
        .create(chat_request(
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}),
        ))
        .await
        .expect("a completion");

    assert_eq!((fake.request_count(), fake.queued()), (2, 0));
    let requests = fake.requests();
    let first = &requests[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/v1/responses")
    );
    assert_eq!(first.authorization(), Some("Bearer test-key"));
    assert_eq!(first.header("Content-Type"), Some("application/json"));
    assert!(first.is_stream());
    assert_eq!(first.model(), Some("gpt-4o"));
    assert_eq!(first.body["instructions"], "You are a helpful assistant.");
    assert_eq!(first.body["input"][0]["content"], "Hello");
    assert_eq!(first.last_user_text().as_deref(), Some("Hello"));
    assert_eq!(first.tool_names(), ["add"]);
    assert_eq!(first.tool("add").expect("add")["strict"], true);

    let second = fake.last_request().expect("a request");
    assert!(second.is_chat() && !second.is_stream());
    assert_eq!(second.model(), Some("gpt-4o-mini"));
    assert_eq!(
        second.input_items(),
        [json!({"role": "user", "content": "Hi"})]
    );
}

#[tokio::test]
async fn a_rule_answers_from_the_request() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| {
        Reply::text(format!("echo {}", req.last_user_text().unwrap_or_default()))
    });

    let chunks = stream_chat(
        &fake,
        json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "ping"}]}),
    )
    .await;

    let text: String = chunks
        .into_iter()
        .map(|chunk| chunk.expect("parses"))
        .flat_map(|chunk| chunk.choices)
        .filter_map(|choice| choice.delta.content)
        .collect();
    assert_eq!(text, "echo ping");
}
