//! What a run reports as it goes, beside its stream of events: each model call and each tool
//! call once it has ended, measured (for metrics; the same figures are on the run's `tracing`
//! spans).

use std::time::Duration;

use crate::Usage;
use crate::model::ModelError;

/// Told of every model call and tool call of the runs it is given to
/// ([`RunConfig::observer`](super::RunConfig::observer)), sub-agents included, as each ends.
///
/// Both methods have empty defaults; they run on the run's task, so keep them short (count,
/// don't wait).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use agency_core::{Agent, Tool, ToolError};
/// use agency_core::run::{ModelCallReport, RunConfig, RunObserver, ToolCallReport};
/// use agency_testing::{Reply, ScriptedModel};
/// use serde_json::json;
///
/// #[derive(Default)]
/// struct Seen(Mutex<Vec<String>>);
///
/// impl RunObserver for Seen {
///     fn model_call(&self, call: &ModelCallReport<'_>) {
///         self.0.lock().unwrap().push(format!("model {} by {}", call.request_model, call.agent));
///     }
///     fn tool_call(&self, call: &ToolCallReport<'_>) {
///         self.0.lock().unwrap().push(format!("tool {} {}", call.tool, call.outcome.as_str()));
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let add = Tool::builder("add").handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
/// let agent = Agent::builder("Assistant").model("gpt-4.1").tool(add).build();
/// let model = ScriptedModel::new([Reply::function_call("add", json!([2, 40])), Reply::text("42.")]);
/// let seen = Arc::new(Seen::default());
/// let config = RunConfig::with_model(model).observer(seen.clone());
/// agent.run("2 + 40?", config).await.unwrap();
/// assert_eq!(
///     *seen.0.lock().unwrap(),
///     ["model gpt-4.1 by Assistant", "tool add ok", "model gpt-4.1 by Assistant"]
/// );
/// # });
/// ```
pub trait RunObserver: Send + Sync + 'static {
    /// A model call ended (answered, or failed).
    fn model_call(&self, call: &ModelCallReport<'_>) {
        let _ = call;
    }

    /// A tool call ended (with its output, or an error the model is told of).
    fn tool_call(&self, call: &ToolCallReport<'_>) {
        let _ = call;
    }
}

/// One ended model call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ModelCallReport<'a> {
    /// The agent whose turn it was.
    pub agent: &'a str,
    /// The model asked for.
    pub request_model: &'a str,
    /// The model that answered, as the provider named it.
    pub response_model: Option<&'a str>,
    /// Its tokens and cost (zero when it failed before reporting them).
    pub usage: &'a Usage,
    /// From the request to the end of the answer.
    pub duration: Duration,
    /// From the request to the first piece of output (text or arguments), if any came.
    pub time_to_first_token: Option<Duration>,
    /// Why it failed, if it did.
    pub error: Option<&'a ModelError>,
}

/// One ended tool call of a run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ToolCallReport<'a> {
    /// The agent that called it.
    pub agent: &'a str,
    /// The tool's name.
    pub tool: &'a str,
    /// The model's id of the call.
    pub call_id: &'a str,
    /// How long it ran.
    pub duration: Duration,
    /// How it ended.
    pub outcome: ToolOutcome,
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ToolOutcome {
    /// It returned its output.
    Ok,
    /// It returned an error.
    Failed,
    /// The model's arguments were not valid for it.
    InvalidArguments,
    /// It ran past its timeout.
    TimedOut,
    /// It panicked.
    Panicked,
    /// The run was cancelled while it ran.
    Cancelled,
    /// The model called a tool the agent does not have.
    UnknownTool,
}

impl ToolOutcome {
    /// The outcome in `snake_case`, as in logs and metric labels.
    ///
    /// ```
    /// assert_eq!(agency_core::run::ToolOutcome::TimedOut.as_str(), "timed_out");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ToolOutcome::Ok => "ok",
            ToolOutcome::Failed => "failed",
            ToolOutcome::InvalidArguments => "invalid_arguments",
            ToolOutcome::TimedOut => "timed_out",
            ToolOutcome::Panicked => "panicked",
            ToolOutcome::Cancelled => "cancelled",
            ToolOutcome::UnknownTool => "unknown_tool",
        }
    }

    /// The outcome of a tool's result.
    pub fn of(result: &Result<serde_json::Value, crate::ToolError>) -> ToolOutcome {
        use crate::ToolError;
        match result {
            Ok(_) => ToolOutcome::Ok,
            Err(ToolError::InvalidArguments { .. } | ToolError::InvalidSchema(_)) => {
                ToolOutcome::InvalidArguments
            }
            Err(ToolError::TimedOut { .. }) => ToolOutcome::TimedOut,
            Err(ToolError::Panicked(_)) => ToolOutcome::Panicked,
            Err(ToolError::Cancelled(_)) => ToolOutcome::Cancelled,
            Err(_) => ToolOutcome::Failed,
        }
    }
}

impl std::fmt::Display for ToolOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
