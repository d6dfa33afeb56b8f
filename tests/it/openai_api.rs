//! The OpenAI-compatible routes (`/v1/models`, `/v1/chat/completions`, `/v1/responses`): an
//! agency served as a model, driven by the official `openai` Python client
//! (`tests/openai/check.py`; `tests/services.sh` installs it) and by async-openai, streaming and
//! not, and refusing hostile requests with OpenAI's error shape.

use agency::http::{Server, ServerOptions};
use agency::prelude::*;
use agency_testing::{FakeOpenAi, Reply};
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::CreateChatCompletionRequest;
use async_openai::types::models::ListModelResponse;
use async_openai::types::responses::{CreateResponse, ResponseStreamEvent};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::add_tool;
use crate::support::http::{Running, TOKEN, start};

fn agency() -> Agency {
    let assistant = Agent::builder("Assistant")
        .instructions("Help.")
        .tool(add_tool())
        .build();
    let helper = Agent::builder("Helper").description("Helps.").build();
    Agency::builder("Demo")
        .entry(assistant.clone())
        .flow(assistant, helper)
        .build()
        .unwrap()
}

async fn serve(fake: &FakeOpenAi, options: ServerOptions) -> Running {
    let server = Server::builder()
        .agency(agency())
        .client(crate::support::fake_client(fake.base_url()))
        .options(options.with_app_token(TOKEN))
        .build()
        .unwrap();
    start(server).await
}

fn client(s: &Running) -> Client<OpenAIConfig> {
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(format!("{}/v1", s.base))
            .with_api_key(TOKEN),
    )
}

const AUTH: (&str, &str) = ("authorization", "Bearer bench-secret-token");

#[tokio::test]
async fn the_official_python_client_talks_to_an_agency() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, ServerOptions::default()).await;
    crate::support::python_checks(
        "openai/check.py",
        &format!("{}/v1", s.base),
        TOKEN,
        "openai==3.60.0",
        &[
            "models",
            "chat",
            "chat_stream",
            "responses",
            "responses_stream",
            "responses_stream_helper",
            "unknown_model",
            "no_user_turn",
            "wrong_token",
        ],
    )
    .await;
    // The conversation reached the model: the client's history, then its turn.
    let first = fake.requests()[0].body.to_string();
    for said in ["Answer briefly.", "Hi! How can I help?", "call tool add"] {
        assert!(
            first.contains(said),
            "{said} not sent to the model: {first}"
        );
    }
}

/// A delegation to the Helper, then the Assistant's answer in two chunks.
fn script_delegation(fake: &FakeOpenAi) {
    fake.push(
        Reply::function_call(
            "send_message",
            json!({"recipient_agent": "Helper", "message": "say hi", "additional_instructions": ""}),
        )
        .usage(100, 10),
    )
    .push(Reply::text("Helper says hi.").usage(20, 4))
    .push(Reply::text_chunks(["The Helper ", "said hi."]).usage(130, 6));
}

#[tokio::test]
async fn async_openai_gets_the_final_answer_and_the_run_s_usage() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, ServerOptions::default()).await;
    let client = client(&s);

    let models: ListModelResponse = s
        .request_to(reqwest::Method::GET, "/v1/models", &[AUTH])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models.data.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["Demo", "Demo/Assistant", "Demo/Helper"]);

    script_delegation(&fake);
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": "Demo", "messages": [{"role": "user", "content": "ask the helper"}]
    }))
    .unwrap();
    let completion = client.chat().create(request.clone()).await.unwrap();
    assert_eq!(
        completion.choices[0].message.content.as_deref(),
        Some("The Helper said hi.")
    );
    let usage = completion.usage.unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (250, 20));
    assert_eq!(usage.total_tokens, 270);

    // Streamed: the Helper's message stays inside; only the Assistant's text comes out.
    script_delegation(&fake);
    let mut streamed = request;
    streamed.stream = Some(true);
    let chunks: Vec<_> = client
        .chat()
        .create_stream(streamed)
        .await
        .unwrap()
        .collect()
        .await;
    let text: String = chunks
        .iter()
        .map(|c| c.as_ref().expect("every chunk parses"))
        .flat_map(|c| c.choices.iter().filter_map(|ch| ch.delta.content.clone()))
        .collect();
    assert_eq!(text, "The Helper said hi.");

    script_delegation(&fake);
    let request: CreateResponse = serde_json::from_value(json!({
        "model": "Demo/Assistant", "input": "ask the helper", "stream": true
    }))
    .unwrap();
    let events: Vec<_> = client
        .responses()
        .create_stream(request)
        .await
        .unwrap()
        .collect()
        .await;
    let events: Vec<ResponseStreamEvent> = events
        .into_iter()
        .map(|e| e.expect("every event parses"))
        .collect();
    let Some(ResponseStreamEvent::ResponseCompleted(done)) = events.last() else {
        panic!("no response.completed: {events:?}");
    };
    assert_eq!(
        done.response.output_text().as_deref(),
        Some("The Helper said hi.")
    );
    assert_eq!(done.response.usage.as_ref().unwrap().total_tokens, 270);

    // Not streamed.
    script_delegation(&fake);
    let request: CreateResponse =
        serde_json::from_value(json!({"model": "Demo", "input": "ask the helper"})).unwrap();
    let response = client.responses().create(request).await.unwrap();
    assert_eq!(
        response.output_text().as_deref(),
        Some("The Helper said hi.")
    );
}

/// `POST path` with the token and `body` as it is; the status and the JSON answer.
async fn post(s: &Running, path: &str, body: &str) -> (StatusCode, Value) {
    let reply = s
        .request(
            reqwest::Method::POST,
            path,
            &[("content-type", "application/json"), AUTH],
            body.to_owned(),
        )
        .await;
    (reply.status, reply.json())
}

/// Checks an OpenAI error body and returns its `error`.
fn openai_error(body: &Value) -> &Value {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["type"].is_string(), "{body}");
    assert!(
        error.get("param").is_some() && error.get("code").is_some(),
        "{body}"
    );
    error
}

#[tokio::test]
async fn hostile_requests_get_openai_errors() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, ServerOptions::default()).await;
    let chat = "/v1/chat/completions";
    let user = json!([{"role": "user", "content": "hi"}]);
    let cases: Vec<(&str, String, u16, Option<&str>)> = vec![
        (chat, "{not json".into(), 400, None),
        (chat, "[1, 2]".into(), 400, None),
        (
            chat,
            json!({"model": "Demo", "messages": "hi"}).to_string(),
            400,
            Some("messages"),
        ),
        (chat, json!({"messages": user}).to_string(), 400, None),
        (
            chat,
            json!({"model": 5, "messages": user}).to_string(),
            400,
            Some("model"),
        ),
        (
            chat,
            json!({"model": "Nope", "messages": user}).to_string(),
            404,
            Some("model"),
        ),
        (
            chat,
            json!({"model": "Demo/Nobody", "messages": user}).to_string(),
            404,
            Some("model"),
        ),
        (
            chat,
            json!({"model": "Demo", "messages": []}).to_string(),
            400,
            Some("messages"),
        ),
        (
            chat,
            json!({"model": "Demo", "messages": user, "n": 2}).to_string(),
            400,
            Some("n"),
        ),
        (
            chat,
            json!({"model": "Demo", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "c1", "content": "3"}]})
            .to_string(),
            400,
            Some("messages.1.role"),
        ),
        (
            chat,
            json!({"model": "Demo", "messages": user, "client_config": {"base_url": 3}})
                .to_string(),
            400,
            Some("client_config.base_url"),
        ),
        (
            chat,
            json!({"model": "Demo", "messages": user,
                   "client_config": {"base_url": "https://127.0.0.1/v1", "api_key": "k"}})
            .to_string(),
            403,
            None,
        ),
        (
            "/v1/responses",
            json!({"input": "hi"}).to_string(),
            400,
            Some("model"),
        ),
        (
            "/v1/responses",
            json!({"model": "Demo", "input": "hi", "previous_response_id": "resp_1"}).to_string(),
            400,
            Some("previous_response_id"),
        ),
        (
            "/v1/responses",
            json!({"model": "Demo", "input": [{"role": "assistant", "content": "hi"}]}).to_string(),
            400,
            Some("input"),
        ),
        (
            "/v1/responses",
            json!({"model": "Demo", "input": 7}).to_string(),
            400,
            Some("input"),
        ),
    ];
    for (path, body, status, param) in cases {
        let (got, answer) = post(&s, path, &body).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        let error = openai_error(&answer);
        if let Some(param) = param {
            assert_eq!(error["param"], param, "{body}: {answer}");
        }
    }
    let (_, unknown) = post(
        &s,
        chat,
        &json!({"model": "Nope", "messages": user}).to_string(),
    )
    .await;
    assert_eq!(unknown["error"]["code"], "model_not_found");
    assert_eq!(
        fake.request_count(),
        0,
        "no refused request reached the model"
    );

    // Auth applies as on the agency routes.
    let reply = s
        .request(reqwest::Method::GET, "/v1/models", &[], Vec::new())
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // A model API failure: 502, or an error event in the stream.
    fake.push(Reply::error(500, "the model broke"));
    let body = json!({"model": "Demo", "messages": user});
    let (status, answer) = post(&s, chat, &body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{answer}");
    assert_eq!(openai_error(&answer)["type"], "server_error");
    fake.push(Reply::error(500, "the model broke"));
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let reply = s
        .request(
            reqwest::Method::POST,
            chat,
            &[("content-type", "application/json"), AUTH],
            streamed.to_string(),
        )
        .await;
    let text = reply.text();
    let data: Vec<&str> = reply_data(&text);
    assert_eq!(data.last(), Some(&"[DONE]"));
    let error: Value = serde_json::from_str(data[data.len() - 2]).unwrap();
    openai_error(&error);
}

fn reply_data(sse: &str) -> Vec<&str> {
    sse.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect()
}

#[tokio::test]
async fn the_openapi_document_shows_the_v1_routes_and_they_can_be_turned_off() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, ServerOptions::default()).await;
    let doc = s.get_json("/openapi.json").await.body;
    crate::support::http::assert_no_dangling_refs(&doc);
    for (path, method) in [
        ("/v1/models", "get"),
        ("/v1/chat/completions", "post"),
        ("/v1/responses", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op["responses"]["200"].is_object(), "{path}: {op}");
        assert_eq!(op["security"], json!([{"HTTPBearer": []}]), "{path}");
    }
    let chat = &doc["components"]["schemas"]["ChatCompletionRequest"];
    assert_eq!(
        chat["properties"]["model"]["enum"],
        json!(["Demo", "Demo/Assistant", "Demo/Helper"])
    );
    let off = serve(&fake, ServerOptions::default().with_openai(false)).await;
    let doc = off.get_json("/openapi.json").await.body;
    assert!(doc["paths"].get("/v1/models").is_none());
    let reply = off
        .request(reqwest::Method::GET, "/v1/models", &[AUTH], Vec::new())
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
