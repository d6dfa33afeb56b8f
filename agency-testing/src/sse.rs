//! Server-sent event framing and the paced body stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use serde_json::Value;

use crate::guard::AnswerGuard;
use crate::reply::Garbage;

/// Responses API frames: `event: <type>` and `data: <json>` per event.
pub(crate) fn responses_frames(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let kind = event
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            format!("event: {kind}\ndata: {event}\n\n")
        })
        .collect()
}

/// Chat Completions frames: `data: <json>` per chunk.
pub(crate) fn chat_frames(chunks: &[Value]) -> Vec<String> {
    chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect()
}

/// The closing frame of a Chat Completions stream.
pub(crate) const DONE_FRAME: &str = "data: [DONE]\n\n";

/// A bad frame for the Responses API stream.
pub(crate) fn responses_garbage(garbage: Garbage) -> String {
    match garbage {
        Garbage::UnknownEvent => "event: response.fake_unknown_event\ndata: \
             {\"type\":\"response.fake_unknown_event\",\"sequence_number\":0,\"note\":\"unknown to clients\"}\n\n"
            .to_owned(),
        Garbage::MalformedJson => {
            "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n"
                .to_owned()
        }
    }
}

/// A bad frame for the Chat Completions stream.
pub(crate) fn chat_garbage(garbage: Garbage) -> String {
    match garbage {
        Garbage::UnknownEvent => {
            "data: {\"object\":\"chat.completion.fake_unknown\"}\n\n".to_owned()
        }
        Garbage::MalformedJson => "data: {\"id\":\"chatcmpl-broken\",\"choices\":[\n\n".to_owned(),
    }
}

/// Puts `bad` in the middle of `frames`.
pub(crate) fn insert_garbage(frames: &mut Vec<String>, bad: String) {
    let middle = frames.len() / 2;
    frames.insert(middle, bad);
}

/// What the body stream still has to send.
struct Pacing {
    frames: std::vec::IntoIter<String>,
    delay: Option<Duration>,
    started: bool,
    guard: Option<AnswerGuard>,
}

/// A body sending `frames`, waiting `delay` between two of them; `guard`
/// finishes after the last frame or counts a drop if the body is dropped first.
pub(crate) fn paced_body(frames: Vec<String>, delay: Option<Duration>, guard: AnswerGuard) -> Body {
    let pacing = Pacing {
        frames: frames.into_iter(),
        delay,
        started: false,
        guard: Some(guard),
    };
    let stream = futures::stream::unfold(pacing, |mut pacing| async move {
        let Some(frame) = pacing.frames.next() else {
            if let Some(guard) = pacing.guard.take() {
                guard.finish(true);
            }
            return None;
        };
        if let (true, Some(delay)) = (pacing.started, pacing.delay) {
            tokio::time::sleep(delay).await;
        }
        pacing.started = true;
        Some((Ok::<_, Infallible>(Bytes::from(frame)), pacing))
    });
    Body::from_stream(stream)
}
