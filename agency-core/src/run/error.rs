use crate::Usage;
use crate::model::ModelError;

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The model call failed.
    #[error("{0}")]
    Model(#[from] ModelError),
    /// The run used all its turns without a final answer.
    #[error(
        "the agent '{agent}' used all {max_turns} turns without a final answer (raise max_turns, or check for a tool loop)"
    )]
    MaxTurns {
        /// The agent.
        agent: String,
        /// The limit.
        max_turns: u32,
    },
    /// The run did not finish within its deadline ([`RunConfig::run_timeout`](super::RunConfig));
    /// it was stopped as on an immediate cancel.
    #[error("the run did not finish within its deadline of {} s and was stopped", .0.as_secs_f64())]
    DeadlineExceeded(std::time::Duration),
    /// The history cannot be used.
    #[error("{0}")]
    InvalidHistory(String),
    /// The structured output did not parse.
    #[error("the agent '{agent}' answered with invalid structured output: {reason}")]
    InvalidOutput {
        /// The agent.
        agent: String,
        /// Why.
        reason: String,
    },
    /// The message was addressed to an agent the agency does not have.
    #[error("Invalid agent name. Available agents: {available:?}")]
    UnknownAgent {
        /// The name given.
        name: String,
        /// The agency's agents.
        available: Vec<String>,
    },
    /// The run's chat does not exist (or is not the caller's).
    #[error("no chat '{0}' (it never existed, was deleted or expired, or is not yours)")]
    ChatNotFound(String),
    /// The conversation could not be loaded or saved.
    #[error("{0}")]
    Store(String),
    /// A tool of the run needs a shared value that neither the run nor its agency (nor the
    /// server) was given: the run fails before the first model call.
    #[error("{0}")]
    MissingState(crate::MissingState),
    /// Another failure.
    #[error("{0}")]
    Other(String),
}

impl RunError {
    /// The kind of failure in `snake_case` (OpenTelemetry's `error.type` of a run): the model
    /// error's kind for a model failure, else `max_turns`, `deadline_exceeded`,
    /// `invalid_history`, `invalid_output`, `unknown_agent`, `chat_not_found`, `store`,
    /// `missing_state` or `other`.
    ///
    /// ```
    /// use agency_core::RunError;
    ///
    /// assert_eq!(RunError::ChatNotFound("c1".into()).kind(), "chat_not_found");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            RunError::Model(e) => e.kind(),
            RunError::MaxTurns { .. } => "max_turns",
            RunError::DeadlineExceeded(_) => "deadline_exceeded",
            RunError::InvalidHistory(_) => "invalid_history",
            RunError::InvalidOutput { .. } => "invalid_output",
            RunError::UnknownAgent { .. } => "unknown_agent",
            RunError::ChatNotFound(_) => "chat_not_found",
            RunError::Store(_) => "store",
            RunError::MissingState(_) => "missing_state",
            RunError::Other(_) => "other",
        }
    }
}

/// A failed run: the error, and what the run had done before it failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct RunFailure {
    /// What failed.
    pub error: RunError,
    /// Items completed before the failure.
    pub new_items: Vec<crate::item::Entry>,
    /// Usage until the failure.
    pub usage: Usage,
}
