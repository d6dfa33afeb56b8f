//! `get_response_stream`: the run as server-sent events, each frame recorded in the run registry
//! under its `id:` so that a client that reconnects gets what it missed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agency_core::thread::ChatRef;
use agency_core::{CancelMode, RunFailure, RunOutput, RunStream, Usage};
use axum::http::HeaderValue;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use super::runs::{Frame, FrameKind, RunKey, RunRegistry};
use crate::metrics::Metrics;

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Names the conversation once the run has ended (`generate_chat_name`): the name and the cost.
pub(crate) type Namer = Option<BoxFuture<'static, Option<(String, Usage)>>>;

/// A run whose stream starts: where its frames go, and what follows its end.
pub(crate) struct Started {
    pub registry: Arc<dyn RunRegistry>,
    pub key: RunKey,
    pub namer: Namer,
    pub chat: Option<ChatRef>,
    /// `file_urls` name → uploaded id, for the `messages` frame.
    pub file_ids_map: Option<std::collections::BTreeMap<String, String>>,
    /// Cancel the run when its client goes away (else it runs on, recorded, to be resumed).
    pub cancel_on_disconnect: bool,
    /// Where a run whose client left goes on (the server waits for them at shutdown).
    pub tracker: TaskTracker,
    /// Counts the stream while its client is connected, and the run's end.
    pub metrics: Arc<Metrics>,
}

/// The run and what its stream needs; dropped before the run's end (the client went away), it
/// lets the run go on in a task of its own (cancelled first when so configured), so that its
/// last frames are recorded and the registry learns its end.
struct Pump {
    run: Option<RunStream>,
    started: Option<Started>,
    next_id: u64,
    /// When the stream began (its end is logged with its duration).
    began: Instant,
    /// Already the task a dropped stream left its run to: dropped itself (the runtime shuts
    /// down), it lets the run go.
    detached: bool,
}

impl Pump {
    fn frame(&mut self, kind: FrameKind, data: String) -> Frame {
        let frame = Frame::new(self.next_id, kind, data);
        self.next_id += 1;
        if let Some(s) = &self.started {
            s.registry.record(&s.key, frame.clone());
        }
        frame
    }

    /// Takes the run out to finish it in a task; its `messages` and `end` frames come back.
    fn finish(&mut self) -> Option<JoinHandle<Option<[Frame; 2]>>> {
        let (run, started) = (self.run.take()?, self.started.take()?);
        let tracker = started.tracker.clone();
        let end = End {
            next_id: self.next_id,
            began: self.began,
            client_gone: self.detached,
        };
        Some(tracker.spawn(finish(run, started, end)))
    }

    /// The next event of the run as a frame; `None` once the run has no more.
    async fn next_event(&mut self) -> Option<Frame> {
        let event = self.run.as_mut()?.next().await?;
        Some(self.frame(FrameKind::Event, super::frames::event_frame(&event)))
    }

    /// Records the rest of the run, with no client.
    async fn drain(&mut self) {
        while self.next_event().await.is_some() {}
        if let Some(task) = self.finish() {
            let _ = task.await;
        }
    }
}

impl Drop for Pump {
    fn drop(&mut self) {
        let (Some(run), Some(started), false) = (&self.run, &self.started, self.detached) else {
            return;
        };
        if started.cancel_on_disconnect {
            run.control().cancel(CancelMode::Immediate);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let tracker = started.tracker.clone();
        let mut rest = Pump {
            run: self.run.take(),
            started: self.started.take(),
            next_id: self.next_id,
            began: self.began,
            detached: true,
        };
        tracker.spawn_on(async move { rest.drain().await }, &runtime);
    }
}

enum Step {
    Start(Pump),
    Running(Pump),
    Finishing(JoinHandle<Option<[Frame; 2]>>),
    End(Frame),
    Done,
}

/// The SSE response for a started run: `meta`, the run's events, `messages`, `end`, each with
/// its `id:`.
pub(crate) fn response(run: RunStream, started: Started) -> Response {
    let connected = started.metrics.stream_started();
    let pump = Pump {
        run: Some(run),
        started: Some(started),
        next_id: 1,
        began: Instant::now(),
        detached: false,
    };
    let frames = futures::stream::unfold(Step::Start(pump), |step| async move {
        match step {
            Step::Start(mut pump) => {
                let Some(s) = &pump.started else {
                    return None;
                };
                let mut meta = json!({"run_id": s.key.run_id});
                if let Some(chat) = &s.chat {
                    meta["chat_id"] = Value::String(chat.key.id.clone());
                }
                let frame = pump.frame(FrameKind::Meta, meta.to_string());
                Some((frame, Step::Running(pump)))
            }
            Step::Running(mut pump) => match pump.next_event().await {
                Some(frame) => Some((frame, Step::Running(pump))),
                None => next_of(Step::Finishing(pump.finish()?)).await,
            },
            step => next_of(step).await,
        }
    });
    sse(frames.map(move |frame| {
        let _connected = &connected;
        frame.event()
    }))
}

/// The frames after the run's events: `messages` then `end`.
async fn next_of(step: Step) -> Option<(Frame, Step)> {
    match step {
        Step::Finishing(task) => match task.await {
            Ok(Some([messages, end])) => Some((messages, Step::End(end))),
            _ => None,
        },
        Step::End(end) => Some((end, Step::Done)),
        _ => None,
    }
}

/// Ends the run: its `messages` frame (with the chat name of a completed run when asked for) and
/// `end`, both recorded; then the registry learns the end. A panic on the way still ends the
/// run in the registry (and the stream without those frames).
async fn finish(run: RunStream, started: Started, end: End) -> Option<[Frame; 2]> {
    let (registry, key) = (started.registry.clone(), started.key.clone());
    let metrics = started.metrics.clone();
    let frames = std::panic::AssertUnwindSafe(last_frames(run, started, end.next_id))
        .catch_unwind()
        .await;
    match frames {
        Ok((frames, new_messages, outcome)) => {
            metrics.run_ended(&key.agency, outcome.name());
            tracing::info!(
                agency = %key.agency,
                run_id = %key.run_id,
                outcome = outcome.name(),
                error = outcome.error(),
                client = if end.client_gone { "gone" } else { "connected" },
                frames = end.next_id + 1,
                duration_ms = u64::try_from(end.began.elapsed().as_millis()).unwrap_or(u64::MAX),
                "stream ended"
            );
            registry.finish(&key, new_messages).await;
            Some(frames)
        }
        Err(_) => {
            tracing::error!(agency = %key.agency, run_id = %key.run_id, "ending a stream panicked");
            registry.finish(&key, Vec::new()).await;
            None
        }
    }
}

/// Where the stream is when its run ends.
struct End {
    /// The id of its `messages` frame.
    next_id: u64,
    began: Instant,
    /// Whether its client had gone.
    client_gone: bool,
}

/// How a run ended, for the log.
enum Outcome {
    Completed,
    Cancelled,
    Failed(String),
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed(_) => "failed",
        }
    }

    fn error(&self) -> Option<&str> {
        match self {
            Outcome::Failed(e) => Some(e),
            _ => None,
        }
    }
}

async fn last_frames(
    run: RunStream,
    started: Started,
    next_id: u64,
) -> ([Frame; 2], Vec<agency_core::Entry>, Outcome) {
    let Started {
        registry,
        key,
        namer,
        chat,
        file_ids_map,
        ..
    } = started;
    let mut result = run.finish().await;
    let mut chat_name = None;
    if let (Ok(out), Some(namer)) = (&mut result, namer)
        && !out.cancelled
        && let Some((name, cost)) = namer.await
    {
        out.usage.add(&cost);
        chat_name = Some(name);
    }
    let mut body = messages_frame(&key.run_id, &result);
    if let Some(chat) = &chat {
        body["chat_id"] = Value::String(chat.key.id.clone());
        if let Some(name) = &chat_name {
            super::chats::keep_name(chat, name).await;
        }
    }
    if let Some(name) = chat_name {
        body["chat_name"] = Value::String(name);
    }
    if let Some(map) = file_ids_map {
        body["file_ids_map"] = json!(map);
    }
    let messages = Frame::new(next_id, FrameKind::Messages, body.to_string());
    let end = Frame::new(next_id + 1, FrameKind::End, "[DONE]");
    registry.record(&key, messages.clone());
    registry.record(&key, end.clone());
    let (new_messages, outcome) = match result {
        Ok(out) if out.cancelled => (out.new_items, Outcome::Cancelled),
        Ok(out) => (out.new_items, Outcome::Completed),
        Err(failure) => (
            failure.new_items,
            Outcome::Failed(failure.error.to_string()),
        ),
    };
    ([messages, end], new_messages, outcome)
}

/// The frames of a resumed stream.
pub(crate) fn resumed(frames: super::runs::Frames, metrics: &Metrics) -> Response {
    let connected = metrics.stream_started();
    sse(frames.map(move |frame| {
        let _connected = &connected;
        frame.event()
    }))
}

/// A stream that only says why the run could not start, then ends.
pub(crate) fn failure(message: String) -> Response {
    let frames = futures::stream::iter([
        Event::default().data(json!({"error": message}).to_string()),
        Event::default().event("end").data("[DONE]"),
    ]);
    sse(frames)
}

pub(crate) fn sse(events: impl Stream<Item = Event> + Send + 'static) -> Response {
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
