//! Running an agent: turns of model calls and tool calls until a final answer.
//!
//! ```
//! use agency_core::{Agent, Tool, ToolError};
//! use agency_core::model::{ScriptedModel, ScriptedTurn};
//! use agency_core::run::RunConfig;
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let add = Tool::builder("add").handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
//! let agent = Agent::builder("Assistant").tool(add).build();
//! let model = ScriptedModel::new([
//!     ScriptedTurn::tool_call("add", json!([2, 40])),
//!     ScriptedTurn::text("It is 42."),
//! ]);
//! let out = agent.run("What is 2 + 40?", RunConfig::with_model(model)).await.unwrap();
//! assert_eq!(out.final_output, "It is 42.");
//! assert_eq!(out.usage.request_count, 2);
//! # });
//! ```

mod cancel;
mod config;
mod crew;
pub(crate) mod engine;
mod error;
mod stream;

pub use cancel::{CancelMode, RunControl};
pub use config::RunConfig;
pub(crate) use crew::Crew;
pub use crew::{SEND_MESSAGE, transfer_tool_name};
pub use error::{RunError, RunFailure};
pub use stream::RunStream;

use serde_json::Value;

use crate::{Agent, Usage};

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The final answer: the last message's text, or the structured value when the agent has an
    /// output type; `null` when the run was cancelled before it.
    pub final_output: Value,
    /// The items this run added, in order, with their metadata (API.md §5).
    pub new_items: Vec<Value>,
    /// Usage summed over every model call.
    pub usage: Usage,
    /// Whether the run was cancelled.
    pub cancelled: bool,
}

/// The input of a run: a text, or Responses input items.
#[derive(Debug, Clone)]
pub enum RunInput {
    /// A user message with this text.
    Text(String),
    /// Responses input messages (`{role, content: [{type: input_text, ...}]}`).
    Items(Vec<Value>),
}

impl From<&str> for RunInput {
    fn from(s: &str) -> Self {
        RunInput::Text(s.to_owned())
    }
}
impl From<String> for RunInput {
    fn from(s: String) -> Self {
        RunInput::Text(s)
    }
}
impl From<Vec<Value>> for RunInput {
    fn from(items: Vec<Value>) -> Self {
        RunInput::Items(items)
    }
}

impl RunInput {
    /// The input as items.
    pub fn into_items(self) -> Vec<Value> {
        match self {
            RunInput::Text(text) => vec![crate::item::user_message(&text)],
            RunInput::Items(items) => items,
        }
    }
}

impl Agent {
    /// Runs the agent to a final answer.
    pub async fn run(
        &self,
        input: impl Into<RunInput>,
        config: RunConfig,
    ) -> Result<RunOutput, RunFailure> {
        engine::run(
            std::sync::Arc::new(crew::Crew::solo(self.clone())),
            self.clone(),
            input.into(),
            config,
            None,
        )
        .await
    }

    /// Runs the agent, streaming its events. Dropping the stream cancels the run.
    pub fn run_streamed(&self, input: impl Into<RunInput>, config: RunConfig) -> RunStream {
        RunStream::start(
            std::sync::Arc::new(crew::Crew::solo(self.clone())),
            self.clone(),
            input.into(),
            config,
        )
    }
}
