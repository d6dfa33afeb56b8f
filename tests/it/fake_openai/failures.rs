//! Errors, malformed events, dropped streams, unknown paths, and a closed port.

use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::types::responses::ResponseStreamEvent;
use futures::StreamExt;
use serde_json::{Value, json};

use agency_testing::{FakeOpenAi, Garbage, Reply, closed_port_url, lorem};

use super::{chat_request, client, responses_request, stream_chat, stream_responses, text_deltas};

/// Long enough never to be reached by a passing test; only bounds a failing one.
const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::test]
async fn rate_limit_surfaces_as_an_api_error_after_the_retries() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|_| Reply::error(429, "Rate limit reached for gpt-4o").retry_after(0));

    let error = client(&fake)
        .responses()
        .create(responses_request(json!({"model": "gpt-4o", "input": "Hi"})))
        .await
        .expect_err("429 fails");

    let OpenAIError::ApiError(error) = error else {
        panic!("an API error, got {error:?}")
    };
    assert_eq!(error.status_code.as_u16(), 429);
    assert_eq!(error.api_error.message, "Rate limit reached for gpt-4o");
    assert_eq!(error.api_error.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(
        fake.request_count(),
        4,
        "async-openai tries once and retries three times"
    );
}

#[tokio::test]
async fn a_pushed_error_fails_one_attempt_only() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::error(500, "The server had an error").retry_after(0));
    fake.push(Reply::text("Recovered"));

    let items = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": "Hi", "stream": true}),
    )
    .await;

    assert_eq!(text_deltas(&items).concat(), "Recovered");
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn bare_status_and_bad_request_errors() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|_| Reply::status(503).retry_after(0));
    let error = client(&fake)
        .chat()
        .create(chat_request(
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}),
        ))
        .await
        .expect_err("503 fails");
    assert!(
        matches!(&error, OpenAIError::ApiError(e) if e.status_code.as_u16() == 503 && e.api_error.message.is_empty())
    );

    fake.respond_with(|_| Reply::error(400, "Invalid 'input'").error_param("input"));
    let error = client(&fake)
        .responses()
        .create(responses_request(json!({"model": "gpt-4o", "input": "Hi"})))
        .await
        .expect_err("400 fails");
    let OpenAIError::ApiError(error) = error else {
        panic!("an API error")
    };
    assert_eq!(
        error.api_error.r#type.as_deref(),
        Some("invalid_request_error")
    );
    assert_eq!(error.api_error.param.as_deref(), Some("input"));
}

#[tokio::test]
async fn garbage_event_is_one_err_item_and_the_stream_goes_on() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::garbage());
    fake.push(Reply::text("Hello again").with_garbage(Garbage::MalformedJson));

    for expected in ["Hello there", "Hello again"] {
        let items = stream_responses(
            &fake,
            json!({"model": "gpt-4o", "input": "Hi", "stream": true}),
        )
        .await;
        assert_eq!(items.iter().filter(|item| item.is_err()).count(), 1);
        assert!(matches!(
            items.last(),
            Some(Ok(ResponseStreamEvent::ResponseCompleted(_)))
        ));
        assert_eq!(text_deltas(&items).concat(), expected);
    }

    fake.push(Reply::text("Chat too").with_garbage(Garbage::MalformedJson));
    let chunks = stream_chat(
        &fake,
        json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .await;
    assert_eq!(chunks.iter().filter(|chunk| chunk.is_err()).count(), 1);
    let text: String = chunks
        .iter()
        .flatten()
        .flat_map(|chunk| &chunk.choices)
        .filter_map(|choice| choice.delta.content.clone())
        .collect();
    assert_eq!(text, "Chat too");
}

#[tokio::test]
async fn stream_cut_short_has_no_completion() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("one two three").end_stream_after(4));

    let items = stream_responses(
        &fake,
        json!({"model": "gpt-4o", "input": "Hi", "stream": true}),
    )
    .await;

    assert_eq!(items.len(), 4);
    assert!(
        items
            .iter()
            .all(|item| !matches!(item, Ok(ResponseStreamEvent::ResponseCompleted(_))))
    );
}

#[tokio::test]
async fn dropping_the_client_stream_is_detected() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(40)).chunk_delay(Duration::from_millis(30)));

    let request = responses_request(json!({"model": "gpt-4o", "input": "Hi", "stream": true}));
    let mut stream = client(&fake)
        .responses()
        .create_stream(request)
        .await
        .expect("stream opens");
    for _ in 0..4 {
        stream.next().await.expect("an event").expect("parses");
    }
    drop(stream);

    assert!(
        fake.wait_for_dropped_stream(PATIENCE).await,
        "the fake saw the client go away"
    );
    assert_eq!((fake.dropped_streams(), fake.completed_streams()), (1, 0));
}

#[tokio::test]
async fn abandoning_a_delayed_request_is_detected() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("too late").delay(Duration::from_secs(60)));
    let openai = client(&fake);

    let request = responses_request(json!({"model": "gpt-4o", "input": "Hi", "stream": true}));
    let pending =
        tokio::spawn(async move { openai.responses().create_stream(request).await.map(|_| ()) });
    assert!(fake.wait_for_requests(1, PATIENCE).await);
    pending.abort();

    assert!(
        fake.wait_for_dropped_stream(PATIENCE).await,
        "the fake saw the request abandoned"
    );
}

#[tokio::test]
async fn unknown_paths_get_openai_404_errors() {
    let fake = FakeOpenAi::start().await;

    let response = reqwest::Client::new()
        .get(format!("{}/models", fake.base_url()))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"error": {"message": "Invalid URL (GET /v1/models)", "type": "invalid_request_error",
                         "param": null, "code": null}})
    );
    assert_eq!(fake.requests()[0].path, "/v1/models");
}

#[tokio::test]
async fn closed_port_and_dropped_fake_refuse_connections() {
    let refused = reqwest::Client::new()
        .post(closed_port_url() + "/responses")
        .send()
        .await;
    assert!(refused.is_err_and(|error| error.is_connect()));

    let fake = FakeOpenAi::start().await;
    let url = format!("{}/responses", fake.base_url());
    drop(fake);
    // The server task stops once the runtime gets to the abort: poll until it has.
    let stopped = tokio::time::timeout(PATIENCE, async {
        let client = reqwest::Client::new();
        while !client
            .post(&url)
            .send()
            .await
            .is_err_and(|error| error.is_connect())
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert!(stopped.await.is_ok(), "the dropped fake stops listening");
}
