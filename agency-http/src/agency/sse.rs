//! `get_response_stream`: the run as server-sent events (API.md §6).

use std::convert::Infallible;
use std::time::Duration;

use agency_core::{RunFailure, RunOutput, RunStream};
use axum::http::HeaderValue;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

use super::cancel::Ticket;

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

enum State {
    Start(RunStream, Ticket),
    Running(RunStream, Ticket),
    End,
    Done,
}

/// The SSE response for a started run: `meta`, the run's events, `messages`, `end`.
///
/// Dropping the body (the client went away) drops the run stream, which cancels the run at once.
pub(crate) fn response(run: RunStream, ticket: Ticket) -> Response {
    let run_id = ticket.run_id.clone();
    let events = futures::stream::unfold(State::Start(run, ticket), move |state| {
        let run_id = run_id.clone();
        async move {
            match state {
                State::Start(run, ticket) => {
                    let meta = Event::default()
                        .event("meta")
                        .data(json!({"run_id": run_id}).to_string());
                    Some((meta, State::Running(run, ticket)))
                }
                State::Running(mut run, ticket) => match run.next().await {
                    Some(event) => {
                        let frame =
                            Event::default().data(json!({"data": event.to_json()}).to_string());
                        Some((frame, State::Running(run, ticket)))
                    }
                    None => Some((finish(run, ticket, &run_id).await, State::End)),
                },
                State::End => Some((Event::default().event("end").data("[DONE]"), State::Done)),
                State::Done => None,
            }
        }
    });
    sse(events)
}

/// The `messages` frame, once the run has ended; the registry learns the items too.
async fn finish(run: RunStream, mut ticket: Ticket, run_id: &str) -> Event {
    let result = run.finish().await;
    let body = messages_frame(run_id, &result);
    let new_messages = match result {
        Ok(out) => out.new_items,
        Err(failure) => failure.new_items,
    };
    ticket.finish(new_messages);
    Event::default().event("messages").data(body.to_string())
}

/// A stream that only says why the run could not start, then ends.
pub(crate) fn failure(message: String) -> Response {
    let frames = futures::stream::iter([
        Event::default().data(json!({"error": message}).to_string()),
        Event::default().event("end").data("[DONE]"),
    ]);
    sse(frames)
}

fn sse(events: impl Stream<Item = Event> + Send + 'static) -> Response {
    let mut response = Sse::new(events.map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn messages_frame(run_id: &str, result: &Result<RunOutput, RunFailure>) -> Value {
    match result {
        Ok(out) if out.cancelled => json!({
            "new_messages": out.new_items,
            "run_id": run_id,
            "cancelled": true,
        }),
        Ok(out) => json!({"new_messages": out.new_items, "run_id": run_id, "usage": out.usage}),
        Err(failure) => json!({
            "new_messages": failure.new_items,
            "run_id": run_id,
            "usage": failure.usage,
        }),
    }
}
