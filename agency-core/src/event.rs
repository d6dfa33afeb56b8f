//! The typed events of a run: what a streamed run yields, in causal order.

use std::sync::Arc;

use serde_json::Value;

use crate::item::{FunctionCall, FunctionCallOutput, Message, Meta};
use crate::model::ModelEvent;

/// One event of a run. Every event but a failure to start names the agent run it belongs to
/// ([`Meta`]); a sub-agent's events (from `send_message`) carry its own.
///
/// ```
/// use agency_core::RunEvent;
///
/// fn show(event: &RunEvent) -> Option<String> {
///     match event {
///         RunEvent::ToolCalled { meta, call } => Some(format!("{} calls {}({})", meta.agent, call.name, call.arguments)),
///         RunEvent::MessageOutput { meta, message } => Some(format!("{}: {}", meta.agent, message.text())),
///         _ => None,
///     }
/// }
/// # let _ = show;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunEvent {
    /// An agent starts (or takes over after a handoff).
    AgentUpdated {
        /// Who.
        meta: Arc<Meta>,
    },
    /// An event of the model's streamed answer.
    Model {
        /// Who.
        meta: Arc<Meta>,
        /// The event.
        event: ModelEvent,
    },
    /// The model called a tool (or sent a message to another agent).
    ToolCalled {
        /// Who.
        meta: Arc<Meta>,
        /// The call.
        call: FunctionCall,
    },
    /// A tool returned.
    ToolOutput {
        /// Who.
        meta: Arc<Meta>,
        /// The output item, as the model reads it.
        item: FunctionCallOutput,
        /// The tool's output as JSON.
        output: Value,
    },
    /// The model wrote a message.
    MessageOutput {
        /// Who.
        meta: Arc<Meta>,
        /// The assistant message.
        message: Message,
    },
    /// The model asked to hand the conversation to another agent.
    HandoffRequested {
        /// Who.
        meta: Arc<Meta>,
        /// The call of the `transfer_to_*` tool.
        call: FunctionCall,
    },
    /// The handoff happened.
    HandoffOccurred {
        /// Who (the agent that handed off).
        meta: Arc<Meta>,
        /// The output of the transfer call.
        item: FunctionCallOutput,
        /// The agent that takes over.
        target: String,
    },
    /// The run failed; the stream still ends normally after it.
    Error {
        /// What failed and why.
        message: String,
        /// The agent whose run failed (`None` when the run could not start).
        meta: Option<Arc<Meta>>,
    },
}

impl RunEvent {
    /// Who produced the event (`None` for an [`RunEvent::Error`] of a run that could not start).
    pub fn meta(&self) -> Option<&Meta> {
        match self {
            RunEvent::AgentUpdated { meta }
            | RunEvent::Model { meta, .. }
            | RunEvent::ToolCalled { meta, .. }
            | RunEvent::ToolOutput { meta, .. }
            | RunEvent::MessageOutput { meta, .. }
            | RunEvent::HandoffRequested { meta, .. }
            | RunEvent::HandoffOccurred { meta, .. } => Some(meta),
            RunEvent::Error { meta, .. } => meta.as_deref(),
        }
    }
}
