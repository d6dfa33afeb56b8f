//! The registry of streamed runs: where `cancel_response_stream` finds a run to stop, and where a
//! client that lost its connection finds the frames it missed (`GET /{a}/runs/{run_id}/stream`).
//!
//! Every frame of a `get_response_stream` answer has an id (`id:` in the stream, 1 for `meta`,
//! then one more per frame) and is recorded in the registry as it is sent. The default,
//! [`InProcessRegistry`], keeps runs and their frames in this process; `agency-redis` shares
//! them between the processes of a fleet, so a cancel or a reconnect may reach any of them.

mod frame;
mod local;
mod log;

use std::time::Duration;

use agency_core::{CancelMode, Entry, RunControl};
use futures::future::BoxFuture;
use futures::stream::BoxStream;

pub use frame::{Frame, FrameKind};
pub use local::{DEFAULT_KEEP, DEFAULT_LOG_BYTES, DEFAULT_MAX_KEPT, InProcessRegistry};
pub use log::FrameLog;

/// Names one streamed run: the route of its agency and its run id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunKey {
    /// The agency's route (`{a}` of its paths).
    pub agency: String,
    /// The `run_id` of the stream's `meta` frame.
    pub run_id: String,
}

impl RunKey {
    /// The run `run_id` of the agency at `agency`.
    pub fn new(agency: impl Into<String>, run_id: impl Into<String>) -> Self {
        RunKey {
            agency: agency.into(),
            run_id: run_id.into(),
        }
    }
}

/// What a cancel achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelOutcome {
    /// The items the run completed before it stopped.
    pub new_messages: Vec<Entry>,
    /// Whether the stream had not ended when the wait ran out.
    pub timed_out: bool,
}

/// Why a registry could not cancel or follow a run.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RunRegistryError {
    /// No such run is known (never started, another agency's or another caller's, or ended and
    /// forgotten); for a cancel, also a run that has already ended.
    #[error("run not found or already completed")]
    NotFound,
    /// The frames after the one asked for are no longer kept (the log of a long run is bounded).
    #[error(
        "the frames after {after} are no longer kept (the oldest kept is {first_kept}); start a new run"
    )]
    Gone {
        /// The `Last-Event-ID` asked for.
        after: u64,
        /// The id of the oldest frame still kept.
        first_kept: u64,
    },
    /// The shared store could not be reached.
    #[error("the run registry is unavailable: {0}")]
    Unavailable(String),
}

/// The frames of a run from some point on, ending after its `end` frame.
pub type Frames = BoxStream<'static, Frame>;

/// Where streamed runs are registered, so that a cancel or a reconnecting client can find them.
///
/// The stream of a run calls [`register`](RunRegistry::register) before its first frame,
/// [`record`](RunRegistry::record) for every frame in order, and
/// [`finish`](RunRegistry::finish) once its `end` frame is recorded, however the run ended (the
/// client may be long gone). [`cancel`](RunRegistry::cancel) and
/// [`follow`](RunRegistry::follow) may come from any request, of any process sharing the
/// registry.
///
/// `owner` is the [`Principal`](crate::Principal) that started the run: a run is unknown
/// ([`RunRegistryError::NotFound`]) to anyone else.
pub trait RunRegistry: Send + Sync + 'static {
    /// Run `run`, stoppable through `control`, started streaming for `owner`.
    fn register<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        control: RunControl,
    ) -> BoxFuture<'a, ()>;

    /// The next frame of `run`. Called on the stream's path for every frame: it must not block
    /// (a networked registry queues the write).
    fn record(&self, run: &RunKey, frame: Frame);

    /// `run` ended, its last frame recorded: it can no longer be cancelled, and a cancel that
    /// waits for it gets `new_messages`. Its frames stay readable for a while.
    fn finish<'a>(&'a self, run: &'a RunKey, new_messages: Vec<Entry>) -> BoxFuture<'a, ()>;

    /// Cancels `run` of `owner` and waits up to `wait` for its stream to end.
    fn cancel<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Result<CancelOutcome, RunRegistryError>>;

    /// The frames of `run` of `owner` whose id is above `after` (0: all of them), as they come,
    /// until its `end` frame.
    fn follow<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Frames, RunRegistryError>>;

    /// Writes out what is still queued; called once the server has stopped. Waits at most
    /// `within`.
    fn flush(&self, within: Duration) -> BoxFuture<'_, ()> {
        let _ = within;
        Box::pin(async {})
    }

    /// Whether the registry's shared store answers (`GET /readyz`); in memory, always.
    fn ready(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

impl<R: RunRegistry + ?Sized> RunRegistry for std::sync::Arc<R> {
    fn register<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        control: RunControl,
    ) -> BoxFuture<'a, ()> {
        (**self).register(run, owner, control)
    }
    fn record(&self, run: &RunKey, frame: Frame) {
        (**self).record(run, frame)
    }
    fn finish<'a>(&'a self, run: &'a RunKey, new_messages: Vec<Entry>) -> BoxFuture<'a, ()> {
        (**self).finish(run, new_messages)
    }
    fn cancel<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Result<CancelOutcome, RunRegistryError>> {
        (**self).cancel(run, owner, mode, wait)
    }
    fn follow<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Frames, RunRegistryError>> {
        (**self).follow(run, owner, after)
    }
    fn flush(&self, within: Duration) -> BoxFuture<'_, ()> {
        (**self).flush(within)
    }
    fn ready(&self) -> BoxFuture<'_, Result<(), String>> {
        (**self).ready()
    }
}
