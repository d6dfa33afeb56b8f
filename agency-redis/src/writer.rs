//! The write queue: what the streams of this process record goes to Redis from here, in
//! batches (one script call per run per batch), off the streams' path. A Redis that fails keeps
//! the batch for the next try; the queue is bounded.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use agency_http::agency::{Frame, InProcessRegistry, RunKey};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::remote::Shared;
use crate::script::Call;

/// One thing to write.
enum Write {
    Start { run: RunKey, owner: String },
    Frame { run: RunKey, frame: Frame },
    End { run: RunKey },
    Renew { run: RunKey },
}

impl Write {
    fn run(&self) -> &RunKey {
        match self {
            Write::Start { run, .. }
            | Write::Frame { run, .. }
            | Write::End { run }
            | Write::Renew { run } => run,
        }
    }
}

#[derive(Default)]
struct State {
    writes: Vec<Write>,
    /// Frame bytes queued or being written.
    bytes: usize,
    /// Writes queued or being written.
    outstanding: usize,
    /// The runs of this process that have not ended (renewed now and then).
    running: HashSet<RunKey>,
    /// Frames dropped because the queue was full.
    dropped: u64,
    /// Writes queued so far (the sequence number of the last one).
    pushed: u64,
}

/// The queue between the streams of this process and Redis.
pub(crate) struct Queue {
    state: Mutex<State>,
    wake: Notify,
    /// The sequence number up to which every write is in Redis.
    written: watch::Sender<u64>,
    max_bytes: usize,
}

impl Queue {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Queue {
            state: Mutex::default(),
            wake: Notify::new(),
            written: watch::Sender::new(0),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `write`; its sequence number (0 when it was dropped).
    fn push(&self, write: Write) -> u64 {
        let seq;
        {
            let mut state = self.lock();
            if let Write::Frame { frame, .. } = &write {
                if state.bytes + frame.data.len() > self.max_bytes {
                    state.dropped += 1;
                    if state.dropped == 1 || state.dropped.is_power_of_two() {
                        tracing::warn!(
                            dropped = state.dropped,
                            "the Redis write queue is full: frames are dropped (resume on another process will miss them)"
                        );
                    }
                    return 0;
                }
                state.bytes += frame.data.len();
            }
            state.outstanding += 1;
            state.pushed += 1;
            seq = state.pushed;
            state.writes.push(write);
        }
        self.wake.notify_one();
        seq
    }

    /// Queues the start of `run`; its sequence number.
    pub(crate) fn start(&self, run: &RunKey, owner: &str) -> u64 {
        self.lock().running.insert(run.clone());
        self.push(Write::Start {
            run: run.clone(),
            owner: owner.to_owned(),
        })
    }

    /// Waits, at most `within`, until the write `seq` is in Redis.
    pub(crate) async fn written_up_to(&self, seq: u64, within: Duration) {
        let mut written = self.written.subscribe();
        let _ = tokio::time::timeout(within, written.wait_for(|&w| w >= seq)).await;
    }

    pub(crate) fn frame(&self, run: &RunKey, frame: Frame) {
        let _ = self.push(Write::Frame {
            run: run.clone(),
            frame,
        });
    }

    pub(crate) fn end(&self, run: &RunKey) {
        self.lock().running.remove(run);
        let _ = self.push(Write::End { run: run.clone() });
    }

    /// Queues a renewal of every run of this process.
    pub(crate) fn renew_all(&self) {
        let runs: Vec<RunKey> = self.lock().running.iter().cloned().collect();
        for run in runs {
            let _ = self.push(Write::Renew { run });
        }
    }

    /// Writes queued or being written.
    pub(crate) fn len(&self) -> usize {
        self.lock().outstanding
    }

    /// The writes queued, and the sequence number of the last.
    fn take(&self) -> (Vec<Write>, u64) {
        let mut state = self.lock();
        (std::mem::take(&mut state.writes), state.pushed)
    }

    fn written(&self, batch: &Batch) {
        {
            let mut state = self.lock();
            state.outstanding = state.outstanding.saturating_sub(batch.writes);
            state.bytes = state.bytes.saturating_sub(batch.bytes);
        }
        self.written.send_replace(batch.last_seq);
    }
}

/// How long the writer waits, once woken, for more writes to batch.
const LINGER: Duration = Duration::from_millis(2);

/// A batch: one call per run, in the order the runs first appear.
#[derive(Default)]
pub(crate) struct Batch {
    pub calls: Vec<(RunKey, Call)>,
    index: HashMap<RunKey, usize>,
    writes: usize,
    bytes: usize,
    last_seq: u64,
}

impl Batch {
    fn add(&mut self, (writes, last_seq): (Vec<Write>, u64)) {
        self.last_seq = self.last_seq.max(last_seq);
        for write in writes {
            self.writes += 1;
            let at = match self.index.get(write.run()) {
                Some(&at) => at,
                None => {
                    self.index.insert(write.run().clone(), self.calls.len());
                    self.calls.push((write.run().clone(), Call::default()));
                    self.calls.len() - 1
                }
            };
            let call = &mut self.calls[at].1;
            match write {
                Write::Start { owner, .. } => call.owner = Some(owner),
                Write::Frame { frame, .. } => {
                    self.bytes += frame.data.len();
                    call.frames.push(frame);
                }
                Write::End { .. } => call.ended = true,
                Write::Renew { .. } => {}
            }
        }
    }
}

impl Batch {
    /// After a failure Redis may have lost what it had (a restart without persistence): every
    /// run of this process is written whole again from memory (the script skips the frames
    /// Redis still has).
    fn resync(&mut self, local: &InProcessRegistry) {
        for run in local.runs() {
            if !self.index.contains_key(&run) {
                self.index.insert(run.clone(), self.calls.len());
                self.calls.push((run, Call::default()));
            }
        }
        for (run, call) in &mut self.calls {
            if let Some((owner, frames, ended)) = local.snapshot(run) {
                call.owner = Some(owner);
                call.frames = frames;
                call.ended |= ended;
            }
        }
    }
}

/// Writes what is queued until `stop`; a failed batch is tried again (backing off up to 5 s),
/// with what was queued meanwhile, and with every run of this process written whole again.
pub(crate) async fn run(
    shared: Arc<Shared>,
    local: Arc<InProcessRegistry>,
    stop: CancellationToken,
) {
    let mut batch = Batch::default();
    let mut backoff = Duration::from_millis(50);
    loop {
        if batch.calls.is_empty() {
            tokio::select! {
                () = stop.cancelled() => return,
                () = shared.queue.wake.notified() => {}
            }
            // A moment for more frames to join the batch: one script call then writes many.
            tokio::time::sleep(LINGER).await;
        }
        batch.add(shared.queue.take());
        if batch.calls.is_empty() {
            continue;
        }
        let resync = shared.resync.swap(false, Ordering::Relaxed);
        if resync {
            batch.resync(&local);
        }
        match shared.write(&batch.calls).await {
            Ok(()) => {
                shared.queue.written(&batch);
                batch = Batch::default();
                backoff = Duration::from_millis(50);
            }
            Err(_) => {
                // `write` has logged it and asked for a rewrite.
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Renews the keys of this process's runs every third of their time to live, so that they
/// outlive it only briefly if it crashes.
pub(crate) async fn renew(shared: Arc<Shared>, stop: CancellationToken) {
    let every = (shared.options.live_ttl / 3).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => shared.queue.renew_all(),
        }
    }
}
