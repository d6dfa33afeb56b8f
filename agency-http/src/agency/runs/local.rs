//! [`InProcessRegistry`]: the runs of this process and their frames, in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use agency_core::{CancelMode, Entry, RunControl};
use futures::future::BoxFuture;
use tokio::sync::watch;

use super::{CancelOutcome, Frame, FrameLog, Frames, RunKey, RunRegistry, RunRegistryError};

/// How long the frames of an ended run stay readable by a reconnecting client.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(300);
/// How many ended runs are kept at most (the oldest are forgotten first).
pub const DEFAULT_MAX_KEPT: usize = 1_000;
/// How much frame data one run keeps (the oldest frames are dropped first).
pub const DEFAULT_LOG_BYTES: usize = 8 * 1024 * 1024;

struct Run {
    owner: String,
    control: RunControl,
    log: Arc<FrameLog>,
    /// `Some(new_messages)` once the run has ended.
    done: watch::Sender<Option<Vec<Entry>>>,
}

#[derive(Default)]
struct Runs {
    all: HashMap<RunKey, Arc<Run>>,
    /// The ended runs, oldest first, with when they ended.
    ended: VecDeque<(Instant, RunKey)>,
}

/// A [`RunRegistry`] in memory, for one server process: cancels reach the runs of this process,
/// and a client that reconnects to it gets the frames it missed, for [`DEFAULT_KEEP`] after the
/// run ended.
///
/// ```
/// use std::time::Duration;
/// use agency_core::{CancelMode, RunControl};
/// use agency_http::agency::{Frame, FrameKind, InProcessRegistry, RunRegistryError, RunKey, RunRegistry};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let registry = InProcessRegistry::default();
/// let run = RunKey::new("demo", "run-1");
/// let control = RunControl::new();
/// registry.register(&run, "alice", control.clone()).await;
/// registry.record(&run, Frame::new(1, FrameKind::Meta, r#"{"run_id":"run-1"}"#));
///
/// // Another caller cannot see it.
/// let bob = registry.cancel(&run, "bob", CancelMode::Immediate, Duration::ZERO).await;
/// assert_eq!(bob, Err(RunRegistryError::NotFound));
///
/// let alice = registry.cancel(&run, "alice", CancelMode::Immediate, Duration::ZERO).await.unwrap();
/// assert!(control.is_cancelled() && alice.timed_out);
/// # }
/// ```
pub struct InProcessRegistry {
    runs: Mutex<Runs>,
    keep: Duration,
    max_kept: usize,
    log_bytes: usize,
}

impl Default for InProcessRegistry {
    fn default() -> Self {
        InProcessRegistry {
            runs: Mutex::default(),
            keep: DEFAULT_KEEP,
            max_kept: DEFAULT_MAX_KEPT,
            log_bytes: DEFAULT_LOG_BYTES,
        }
    }
}

impl std::fmt::Debug for InProcessRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessRegistry")
            .field("runs", &self.lock().all.len())
            .field("keep", &self.keep)
            .field("max_kept", &self.max_kept)
            .field("log_bytes", &self.log_bytes)
            .finish()
    }
}

impl InProcessRegistry {
    /// Keeps the frames of ended runs for `keep`, and at most `max_kept` ended runs.
    pub fn keep_ended(mut self, keep: Duration, max_kept: usize) -> Self {
        self.keep = keep;
        self.max_kept = max_kept;
        self
    }

    /// Keeps at most `bytes` of frame data per run.
    pub fn log_bytes(mut self, bytes: usize) -> Self {
        self.log_bytes = bytes;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Runs> {
        self.runs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `run` is known here (streaming, or ended and still kept).
    pub fn contains(&self, run: &RunKey) -> bool {
        self.lock().all.contains_key(run)
    }

    /// Cancels `run` if it is streaming in this process, whoever started it (a cancel that
    /// another process has already checked).
    pub fn cancel_local(&self, run: &RunKey, mode: CancelMode) -> bool {
        let control = self
            .lock()
            .all
            .get(run)
            .filter(|r| r.done.borrow().is_none())
            .map(|r| r.control.clone());
        control.map(|c| c.cancel(mode)).is_some()
    }

    /// The runs known here (streaming, or ended and still kept).
    pub fn runs(&self) -> Vec<RunKey> {
        self.lock().all.keys().cloned().collect()
    }

    /// Who started `run`, its frames kept now and whether it has ended: what a shared registry
    /// writes again to a store that lost them.
    pub fn snapshot(&self, run: &RunKey) -> Option<(String, Vec<Frame>, bool)> {
        let entry = self.lock().all.get(run).cloned()?;
        let (frames, ended) = entry.log.snapshot();
        Some((entry.owner.clone(), frames, ended))
    }

    /// The run `owner` may see.
    fn find(&self, run: &RunKey, owner: &str) -> Option<Arc<Run>> {
        self.lock()
            .all
            .get(run)
            .filter(|r| r.owner == owner)
            .cloned()
    }

    /// Forgets ended runs past their keep time or past the count bound.
    fn purge(&self, runs: &mut Runs) {
        let now = Instant::now();
        while let Some((at, _)) = runs.ended.front() {
            if now.duration_since(*at) < self.keep && runs.ended.len() <= self.max_kept {
                break;
            }
            if let Some((_, key)) = runs.ended.pop_front() {
                runs.all.remove(&key);
            }
        }
    }
}

impl RunRegistry for InProcessRegistry {
    fn register<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        control: RunControl,
    ) -> BoxFuture<'a, ()> {
        let entry = Arc::new(Run {
            owner: owner.to_owned(),
            control,
            log: Arc::new(FrameLog::new(self.log_bytes)),
            done: watch::Sender::new(None),
        });
        let mut runs = self.lock();
        self.purge(&mut runs);
        runs.all.insert(run.clone(), entry);
        Box::pin(async {})
    }

    fn record(&self, run: &RunKey, frame: Frame) {
        let log = self.lock().all.get(run).map(|r| r.log.clone());
        if let Some(log) = log {
            log.push(frame);
        }
    }

    fn finish<'a>(&'a self, run: &'a RunKey, new_messages: Vec<Entry>) -> BoxFuture<'a, ()> {
        let mut runs = self.lock();
        if let Some(entry) = runs.all.get(run).cloned()
            && entry.done.borrow().is_none()
        {
            entry.log.end();
            entry.done.send_replace(Some(new_messages));
            runs.ended.push_back((Instant::now(), run.clone()));
        }
        self.purge(&mut runs);
        Box::pin(async {})
    }

    fn cancel<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Result<CancelOutcome, RunRegistryError>> {
        let found = self
            .find(run, owner)
            .filter(|r| r.done.borrow().is_none())
            .map(|r| (r.control.clone(), r.done.subscribe()));
        Box::pin(async move {
            let (control, mut done) = found.ok_or(RunRegistryError::NotFound)?;
            control.cancel(mode);
            let ended = tokio::time::timeout(wait, done.wait_for(Option::is_some)).await;
            Ok(match ended {
                Ok(Ok(messages)) => CancelOutcome {
                    new_messages: messages.clone().unwrap_or_default(),
                    timed_out: false,
                },
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

    fn follow<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Frames, RunRegistryError>> {
        let found = self.find(run, owner).map(|r| r.log.clone());
        Box::pin(async move { found.ok_or(RunRegistryError::NotFound)?.follow(after) })
    }
}
