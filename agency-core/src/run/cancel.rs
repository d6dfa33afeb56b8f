use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio_util::sync::CancellationToken;

/// How to stop a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelMode {
    /// Stop now: the model request is dropped, tools in flight are told to stop, the item in
    /// progress is dropped; completed items are kept.
    #[default]
    Immediate,
    /// Let the current model turn and its tool calls finish, then stop.
    AfterTurn,
}

/// A handle to cancel a run. Cloning is cheap; every clone controls the same run.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    immediate: CancellationToken,
    after_turn: Arc<AtomicBool>,
}

impl RunControl {
    /// A fresh handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh handle that is also cancelled (immediately) when `parent` is: a server cancels
    /// every run on shutdown this way.
    pub fn child_of(parent: &CancellationToken) -> Self {
        RunControl {
            immediate: parent.child_token(),
            after_turn: Arc::default(),
        }
    }

    /// Asks the run to stop.
    pub fn cancel(&self, mode: CancelMode) {
        match mode {
            CancelMode::Immediate => self.immediate.cancel(),
            CancelMode::AfterTurn => self.after_turn.store(true, Ordering::SeqCst),
        }
    }

    /// Whether any cancel was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.immediate.is_cancelled() || self.after_turn.load(Ordering::SeqCst)
    }

    /// The token that fires on an immediate cancel.
    pub fn token(&self) -> &CancellationToken {
        &self.immediate
    }

    pub(crate) fn after_turn_requested(&self) -> bool {
        self.after_turn.load(Ordering::SeqCst)
    }
}
