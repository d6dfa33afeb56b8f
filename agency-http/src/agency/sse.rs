//! `get_response_stream`: the run as server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use agency_core::{RunFailure, RunOutput, RunStream, Usage};
use axum::http::HeaderValue;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

use super::cancel::Ticket;
use agency_core::thread::ChatRef;

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Names the conversation once the run has ended (`generate_chat_name`): the name and the cost.
pub(crate) type Namer = Option<BoxFuture<'static, Option<(String, Usage)>>>;

/// What the stream needs once the run has ended.
struct After {
    ticket: Ticket,
    namer: Namer,
    chat: Option<ChatRef>,
}

enum State {
    Start(RunStream, After),
    Running(RunStream, After),
    End,
    Done,
}

/// The SSE response for a started run: `meta`, the run's events, `messages`, `end`.
///
/// Dropping the body (the client went away) drops the run stream, which cancels the run at once.
pub(crate) fn response(
    run: RunStream,
    ticket: Ticket,
    namer: Namer,
    chat: Option<ChatRef>,
) -> Response {
    let run_id = ticket.run_id.clone();
    let after = After {
        ticket,
        namer,
        chat,
    };
    let events = futures::stream::unfold(State::Start(run, after), move |state| {
        let run_id = run_id.clone();
        async move {
            match state {
                State::Start(run, after) => {
                    let mut meta = json!({"run_id": run_id});
                    if let Some(chat) = &after.chat {
                        meta["chat_id"] = Value::String(chat.key.id.clone());
                    }
                    let meta = Event::default().event("meta").data(meta.to_string());
                    Some((meta, State::Running(run, after)))
                }
                State::Running(mut run, after) => match run.next().await {
                    Some(event) => {
                        let frame = Event::default().data(super::frames::event_frame(&event));
                        Some((frame, State::Running(run, after)))
                    }
                    None => Some((finish(run, after, &run_id).await, State::End)),
                },
                State::End => Some((Event::default().event("end").data("[DONE]"), State::Done)),
                State::Done => None,
            }
        }
    });
    sse(events)
}

/// The `messages` frame, once the run has ended (with the chat name of a completed run when
/// asked for); the registry learns the items too.
async fn finish(run: RunStream, after: After, run_id: &str) -> Event {
    let After {
        mut ticket,
        namer,
        chat,
    } = after;
    let mut result = run.finish().await;
    let mut chat_name = None;
    if let (Ok(out), Some(namer)) = (&mut result, namer)
        && !out.cancelled
        && let Some((name, cost)) = namer.await
    {
        out.usage.add(&cost);
        chat_name = Some(name);
    }
    let mut body = messages_frame(run_id, &result);
    if let Some(chat) = &chat {
        body["chat_id"] = Value::String(chat.key.id.clone());
        if let Some(name) = &chat_name {
            super::chats::keep_name(chat, name).await;
        }
    }
    if let Some(name) = chat_name {
        body["chat_name"] = Value::String(name);
    }
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
