//! The frames of one run, in memory, bounded, with followers that wait for the next one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::{Frame, Frames, RunRegistryError};

/// The recorded frames of one run: bounded by their size (the oldest go first), readable from
/// any id by any number of followers while more are appended.
///
/// ```
/// use std::sync::Arc;
/// use agency_http::agency::{Frame, FrameKind, FrameLog};
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let log = Arc::new(FrameLog::new(1 << 20));
/// log.push(Frame::new(1, FrameKind::Meta, r#"{"run_id":"r"}"#));
/// let follower = log.follow(0).unwrap();
/// log.push(Frame::new(2, FrameKind::End, "[DONE]"));
/// log.end();
/// let ids: Vec<u64> = follower.map(|f| f.id).collect().await;
/// assert_eq!(ids, [1, 2]);
/// # }
/// ```
#[derive(Debug)]
pub struct FrameLog {
    state: Mutex<LogState>,
    changed: watch::Sender<u64>,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct LogState {
    frames: VecDeque<Frame>,
    bytes: usize,
    ended: bool,
}

impl FrameLog {
    /// An empty log that keeps at most `max_bytes` of frame data (and always the newest frame).
    pub fn new(max_bytes: usize) -> Self {
        FrameLog {
            state: Mutex::default(),
            changed: watch::Sender::new(0),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `frame` (its id follows the last one's), dropping the oldest frames past the
    /// size bound.
    pub fn push(&self, frame: Frame) {
        {
            let mut state = self.lock();
            state.bytes += frame.data.len();
            state.frames.push_back(frame);
            while state.bytes > self.max_bytes && state.frames.len() > 1 {
                if let Some(old) = state.frames.pop_front() {
                    state.bytes -= old.data.len();
                }
            }
        }
        self.changed.send_modify(|v| *v += 1);
    }

    /// No frame follows: followers end once they have read the last one.
    pub fn end(&self) {
        self.lock().ended = true;
        self.changed.send_modify(|v| *v += 1);
    }

    /// The frames kept now, oldest first, and whether the log has ended.
    pub fn snapshot(&self) -> (Vec<Frame>, bool) {
        let state = self.lock();
        (state.frames.iter().cloned().collect(), state.ended)
    }

    /// Whether [`FrameLog::end`] was called.
    pub fn is_ended(&self) -> bool {
        self.lock().ended
    }

    /// The frames with an id above `after`, as they are appended, until the log ends.
    /// [`RunRegistryError::Gone`] when some of them are no longer kept. A follower that falls so
    /// far behind that frames it has not read are dropped ends there (its client reconnects
    /// and learns that they are gone).
    pub fn follow(self: &Arc<Self>, after: u64) -> Result<Frames, RunRegistryError> {
        if let Some(first_kept) = self.lock().frames.front().map(|f| f.id)
            && first_kept > after + 1
        {
            return Err(RunRegistryError::Gone { after, first_kept });
        }
        let follower = Follower {
            log: self.clone(),
            seen: self.changed.subscribe(),
            cursor: after,
            ready: VecDeque::new(),
        };
        Ok(Box::pin(futures::stream::unfold(
            follower,
            |mut f| async move { f.next().await.map(|frame| (frame, f)) },
        )))
    }
}

struct Follower {
    log: Arc<FrameLog>,
    seen: watch::Receiver<u64>,
    cursor: u64,
    ready: VecDeque<Frame>,
}

impl Follower {
    async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                self.cursor = frame.id;
                return Some(frame);
            }
            self.seen.borrow_and_update();
            {
                let state = self.log.lock();
                let first = state.frames.front().map_or(self.cursor + 1, |f| f.id);
                if first > self.cursor + 1 {
                    // Frames this follower had not read were dropped.
                    return None;
                }
                let skip = usize::try_from(self.cursor + 1 - first).unwrap_or(usize::MAX);
                self.ready.extend(state.frames.iter().skip(skip).cloned());
                if self.ready.is_empty() && state.ended {
                    return None;
                }
            }
            if self.ready.is_empty() && self.seen.changed().await.is_err() {
                return None;
            }
        }
    }
}
