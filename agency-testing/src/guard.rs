//! Noticing answers the client abandoned.

use std::sync::Arc;

use crate::state::Shared;

/// Lives as long as an answer is being produced: from the moment a reply is
/// chosen until the response is handed over (plain answers) or until the last
/// stream event was produced (streams, where it moves into the body).
///
/// Dropped unfinished — the handler future or the body stream dropped because
/// the client went away — it counts one dropped answer.
pub(crate) struct AnswerGuard {
    shared: Arc<Shared>,
    finished: bool,
}

impl AnswerGuard {
    /// Starts watching an answer.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            finished: false,
        }
    }

    /// The answer was produced to its end; `stream` counts it as a completed stream.
    pub(crate) fn finish(mut self, stream: bool) {
        self.finished = true;
        self.shared.answer_ended(true, stream);
    }
}

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.answer_ended(false, false);
        }
    }
}
