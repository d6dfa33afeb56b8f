//! The registry of running streams, so `cancel_response_stream` can stop them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agency_core::Entry;
use agency_core::{CancelMode, RunControl};
use futures::future::BoxFuture;
use tokio::sync::watch;

/// What a cancel achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelOutcome {
    /// The items the run completed before it stopped.
    pub new_messages: Vec<Entry>,
    /// Whether the stream had not ended when the wait ran out.
    pub timed_out: bool,
}

/// Where running streams are registered so that a cancel can find them.
///
/// The default, [`InProcessRegistry`], serves one process. An implementation over a shared store
/// (Redis pub/sub, for example) lets a cancel that reaches any process of a fleet stop a run
/// streamed by another.
pub trait CancelRegistry: Send + Sync + 'static {
    /// A stream of `agency` started run `run_id`, stoppable through `control`.
    fn register(&self, agency: &str, run_id: &str, control: RunControl);
    /// The stream ended (or its client went away): forget it, and give its items to any cancel
    /// that waits for it.
    fn finish(&self, agency: &str, run_id: &str, new_messages: Vec<Entry>);
    /// Cancels `run_id` of `agency` and waits up to `wait` for its stream to end. `None` when no
    /// such run is streaming (unknown, finished, or another agency's).
    fn cancel<'a>(
        &'a self,
        agency: &'a str,
        run_id: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Option<CancelOutcome>>;
    /// Cancels every run at once (graceful shutdown).
    fn cancel_all(&self);
}

struct Running {
    control: RunControl,
    done: watch::Sender<Option<Vec<Entry>>>,
}

/// A [`CancelRegistry`] in memory, for one server process.
#[derive(Default)]
pub struct InProcessRegistry {
    runs: Mutex<HashMap<(String, String), Running>>,
}

impl InProcessRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Running>> {
        self.runs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many streams are registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

impl CancelRegistry for InProcessRegistry {
    fn register(&self, agency: &str, run_id: &str, control: RunControl) {
        let (done, _) = watch::channel(None);
        self.lock().insert(
            (agency.to_owned(), run_id.to_owned()),
            Running { control, done },
        );
    }

    fn finish(&self, agency: &str, run_id: &str, new_messages: Vec<Entry>) {
        if let Some(entry) = self.lock().remove(&(agency.to_owned(), run_id.to_owned())) {
            entry.done.send_replace(Some(new_messages));
        }
    }

    fn cancel<'a>(
        &'a self,
        agency: &'a str,
        run_id: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Option<CancelOutcome>> {
        let found = self
            .lock()
            .get(&(agency.to_owned(), run_id.to_owned()))
            .map(|e| (e.control.clone(), e.done.subscribe()));
        Box::pin(async move {
            let (control, mut done) = found?;
            control.cancel(mode);
            let ended = tokio::time::timeout(wait, done.wait_for(Option::is_some)).await;
            Some(match ended {
                Ok(Ok(messages)) => CancelOutcome {
                    new_messages: messages.clone().unwrap_or_default(),
                    timed_out: false,
                },
                // The stream went away without its items (its client disconnected).
                Ok(Err(_)) => CancelOutcome {
                    new_messages: Vec::new(),
                    timed_out: false,
                },
                Err(_) => CancelOutcome {
                    new_messages: Vec::new(),
                    timed_out: true,
                },
            })
        })
    }

    fn cancel_all(&self) {
        for entry in self.lock().values() {
            entry.control.cancel(CancelMode::Immediate);
        }
    }
}

/// Removes a stream from the registry when it ends, however it ends.
pub(crate) struct Ticket {
    pub(crate) registry: Arc<dyn CancelRegistry>,
    pub(crate) agency: String,
    pub(crate) run_id: String,
    pub(crate) finished: bool,
}

impl Ticket {
    pub(crate) fn finish(&mut self, new_messages: Vec<Entry>) {
        self.finished = true;
        self.registry
            .finish(&self.agency, &self.run_id, new_messages);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.finished {
            self.registry.finish(&self.agency, &self.run_id, Vec::new());
        }
    }
}
