//! The one axum handler: records every request, then answers it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::errors::{error_body, invalid_json, invalid_url};
use crate::guard::AnswerGuard;
use crate::recorded::RecordedRequest;
use crate::reply::{ApiError, Body as ReplyBody, Reply};
use crate::sse::{self, DONE_FRAME};
use crate::state::Shared;
use crate::{chat_api, responses_api};

/// The endpoints the fake serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    Responses,
    Chat,
}

/// Answers any request: `POST /v1/responses`, `POST /v1/chat/completions`, the Files API
/// (`POST /v1/files`, `GET /v1/files/{id}`), else a 404 error.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let recorded = record(&parts, &bytes);
    shared.record(recorded.clone());
    let request_id = shared.ids.next("req");
    if let Some((status, body)) = shared.files.answer(
        &parts.method,
        &recorded.path,
        &parts.headers,
        &bytes,
        || shared.ids.next("file"),
    ) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return json_response(status, &body, &request_id);
    }

    let api = match (&parts.method, recorded.path.as_str()) {
        (&Method::POST, "/v1/responses") => Api::Responses,
        (&Method::POST, "/v1/chat/completions") => Api::Chat,
        (method, path) => {
            return error_response(&invalid_url(method.as_str(), path), None, &request_id);
        }
    };
    if !recorded.body.is_object() {
        return error_response(&invalid_json(), None, &request_id);
    }
    let quirks = shared.chat_quirks();
    if api == Api::Chat
        && let Some(refused) = quirks.refusal(&recorded.body)
    {
        return error_response(&refused, None, &request_id);
    }

    let reply = shared.next_reply(&recorded);
    let guard = AnswerGuard::new(Arc::clone(&shared));
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    match &reply.body {
        ReplyBody::Error(error) => {
            guard.finish(false);
            error_response(error, reply.retry_after, &request_id)
        }
        ReplyBody::Status(status) => {
            guard.finish(false);
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = with_request_id(Response::new(Body::empty()), &request_id);
            *response.status_mut() = status;
            set_retry_after(&mut response, reply.retry_after);
            response
        }
        ReplyBody::Output(_) if recorded.is_stream() => {
            let frames = stream_frames(api, &reply, &recorded, &shared);
            let mut response = with_request_id(
                Response::new(sse::paced_body(frames, reply.chunk_delay, guard)),
                &request_id,
            );
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream; charset=utf-8"),
            );
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        ReplyBody::Output(_) => {
            guard.finish(false);
            let now = unix_now();
            let body = match api {
                Api::Responses => {
                    responses_api::render(&reply, &recorded, &shared.ids, now).response
                }
                Api::Chat => {
                    chat_api::render(&reply, &recorded, &shared.ids, now, quirks).completion
                }
            };
            json_response(StatusCode::OK, &body, &request_id)
        }
    }
}

/// The SSE frames of a streamed reply, with garbage and truncation applied.
fn stream_frames(
    api: Api,
    reply: &Reply,
    recorded: &RecordedRequest,
    shared: &Shared,
) -> Vec<String> {
    let now = unix_now();
    let (mut frames, garbage) = match api {
        Api::Responses => {
            let turn = responses_api::render(reply, recorded, &shared.ids, now);
            (
                sse::responses_frames(&turn.events),
                reply.garbage.map(sse::responses_garbage),
            )
        }
        Api::Chat => {
            let turn = chat_api::render(reply, recorded, &shared.ids, now, shared.chat_quirks());
            (
                sse::chat_frames(&turn.chunks),
                reply.garbage.map(sse::chat_garbage),
            )
        }
    };
    let truncated = reply.end_after.is_some_and(|keep| keep < frames.len());
    if let Some(keep) = reply.end_after {
        frames.truncate(keep);
    }
    if let Some(bad) = garbage {
        sse::insert_garbage(&mut frames, bad);
    }
    if api == Api::Chat && !truncated {
        frames.push(DONE_FRAME.to_owned());
    }
    frames
}

/// The request as recorded: lowercased headers, body parsed as JSON when it is JSON.
fn record(parts: &Parts, bytes: &Bytes) -> RecordedRequest {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    };
    RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body,
    }
}

/// An OpenAI error answer.
fn error_response(error: &ApiError, retry_after: Option<u64>, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, &error_body(error), request_id);
    set_retry_after(&mut response, retry_after);
    response
}

/// A JSON answer.
fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response {
    let mut response = with_request_id(Response::new(Body::from(body.to_string())), request_id);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Adds OpenAI's `x-request-id` header.
fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    response
}

/// Adds `Retry-After` when scripted.
fn set_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
