//! State shared by the fake server's handler and its [`crate::FakeOpenAi`] handle.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::ids::IdGen;
use crate::quirks::ChatQuirks;
use crate::recorded::RecordedRequest;
use crate::reference::reference_reply;
use crate::reply::Reply;

/// A rule answering requests when no scripted reply is queued.
pub(crate) type Responder = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

/// Counters a test can wait on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// Requests received (any path).
    pub(crate) requests: usize,
    /// Answers abandoned by the client: streams dropped before their end,
    /// or requests dropped while their reply was delayed.
    pub(crate) dropped: usize,
    /// Streams sent to their end.
    pub(crate) completed: usize,
}

/// The scripted replies, the rule, the recorded requests and the counters.
pub(crate) struct Shared {
    queue: Mutex<VecDeque<Reply>>,
    responder: Mutex<Responder>,
    requests: Mutex<Vec<RecordedRequest>>,
    counters: watch::Sender<Counters>,
    chat_quirks: Mutex<ChatQuirks>,
    /// Ids of responses, items and calls.
    pub(crate) ids: IdGen,
    /// The files of the Files API.
    pub(crate) files: crate::files_api::Files,
}

/// Locks `mutex`, ignoring poisoning (a panicking test thread must not hide the state).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Empty state answering with the reference responder.
    pub(crate) fn new() -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            responder: Mutex::new(Arc::new(reference_reply)),
            requests: Mutex::new(Vec::new()),
            counters: watch::Sender::new(Counters::default()),
            chat_quirks: Mutex::new(ChatQuirks::default()),
            ids: IdGen::new(),
            files: Default::default(),
        }
    }

    /// Queues `reply` for a coming request.
    pub(crate) fn push(&self, reply: Reply) {
        lock(&self.queue).push_back(reply);
    }

    /// Replies still queued.
    pub(crate) fn queued(&self) -> usize {
        lock(&self.queue).len()
    }

    /// Answers unscripted requests with `responder` from now on.
    pub(crate) fn set_responder(&self, responder: Responder) {
        *lock(&self.responder) = responder;
    }

    /// Deviates from OpenAI's Chat Completions this way from now on.
    pub(crate) fn set_chat_quirks(&self, quirks: ChatQuirks) {
        *lock(&self.chat_quirks) = quirks;
    }

    /// How Chat Completions deviate from OpenAI.
    pub(crate) fn chat_quirks(&self) -> ChatQuirks {
        *lock(&self.chat_quirks)
    }

    /// Records an arriving request.
    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
        self.counters.send_modify(|counters| counters.requests += 1);
    }

    /// The recorded requests, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// The next queued reply, or the rule's answer to `request`.
    pub(crate) fn next_reply(&self, request: &RecordedRequest) -> Reply {
        if let Some(reply) = lock(&self.queue).pop_front() {
            return reply;
        }
        let responder = Arc::clone(&lock(&self.responder));
        responder(request)
    }

    /// The current counters.
    pub(crate) fn counters(&self) -> Counters {
        *self.counters.borrow()
    }

    /// Counts an answer that ended: sent to its end (`completed`) or abandoned.
    pub(crate) fn answer_ended(&self, completed: bool, stream: bool) {
        self.counters
            .send_modify(|counters| match (completed, stream) {
                (false, _) => counters.dropped += 1,
                (true, true) => counters.completed += 1,
                (true, false) => {}
            });
    }

    /// Waits until `done` holds for the counters; false after `timeout`.
    pub(crate) async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&Counters) -> bool,
    ) -> bool {
        let mut receiver = self.counters.subscribe();
        let reached = tokio::time::timeout(timeout, async move {
            receiver.wait_for(|counters| done(counters)).await.is_ok()
        });
        reached.await.unwrap_or(false)
    }
}
