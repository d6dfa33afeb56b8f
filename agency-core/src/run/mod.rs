//! Running an agent: turns of model calls and tool calls until a final answer.
//!
//! Each turn sends the agent's thread to the model and runs the calls it asks for: tools in
//! parallel, `send_message` as a run of the recipient in its own thread with the sender (its
//! answer is the call's output), `transfer_to_<agent>` as a handoff (the target continues the
//! same turn). Every agent of one run writes to one transcript, in the order things happen.
//!
//! ```
//! use agency_core::{Agent, Tool, ToolError};
//! use agency_core::run::RunConfig;
//! use agency_testing::{Reply, ScriptedModel};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let add = Tool::builder("add").handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
//! let agent = Agent::builder("Assistant").tool(add).build();
//! let model = ScriptedModel::new([
//!     Reply::function_call("add", json!([2, 40])),
//!     Reply::text("It is 42."),
//! ]);
//! let out = agent.run("What is 2 + 40?", RunConfig::with_model(model)).await.unwrap();
//! assert_eq!(out.final_output, "It is 42.");
//! assert_eq!(out.usage.request_count, 2);
//! # });
//! ```

mod agent_run;
mod builtin;
mod calls;
mod cancel;
mod config;
mod crew;
mod error;
mod observe;
mod scope;
mod stream;
mod transcript;
mod turn;

use std::future::Future;
use std::sync::Arc;

use tracing::field::Empty;
use tracing::{Instrument, Span};

pub(crate) use builtin::{Builtin, send_message_tool, transfer_tool};
pub use builtin::{SEND_MESSAGE, transfer_tool_name};
pub use cancel::{CancelMode, RunControl};
pub use config::{DEFAULT_RUN_TIMEOUT, RunConfig};
pub(crate) use crew::Crew;
pub use error::{RunError, RunFailure};
pub use observe::{ModelCallReport, RunObserver, ToolCallReport, ToolOutcome};
pub(crate) use scope::Sink;
pub use stream::RunStream;

use serde_json::Value;

use crate::item::{Entry, Item, Message, Meta};
use crate::{Agent, Usage};
use agent_run::AgentRun;
use scope::Scope;
use transcript::{Transcript, drop_unanswered_calls};

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The final answer: the last message's text, or the structured value when the agent has an
    /// output type; `null` when the run was cancelled before it.
    pub final_output: Value,
    /// The items this run added, in order, each with its metadata.
    pub new_items: Vec<Entry>,
    /// Usage summed over every model call.
    pub usage: Usage,
    /// Whether the run was cancelled.
    pub cancelled: bool,
}

/// How an agent's run ended, when it did not fail.
pub(crate) enum Answer {
    /// Its final output.
    Final(Value),
    /// It was cancelled first.
    Cancelled,
}

/// The input of a run: a text, or items (Responses input messages).
#[derive(Debug, Clone, PartialEq)]
pub enum RunInput {
    /// A user message with this text.
    Text(String),
    /// Items, usually messages (`{role, content: [{type: input_text, ...}]}`).
    Items(Vec<Item>),
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
impl From<Vec<Item>> for RunInput {
    fn from(items: Vec<Item>) -> Self {
        RunInput::Items(items)
    }
}
impl From<Message> for RunInput {
    fn from(message: Message) -> Self {
        RunInput::Items(vec![message.into()])
    }
}

impl RunInput {
    /// The input as items.
    pub fn into_items(self) -> Vec<Item> {
        match self {
            RunInput::Text(text) => vec![Message::user(text).into()],
            RunInput::Items(items) => items,
        }
    }
}

/// The span of a run: `invoke_agent {agent}` in OpenTelemetry's GenAI terms, with the agency,
/// the run id ([`RunConfig::run_id`], else a new one) and the chat id when there is one; a child
/// of the caller's current span. Create it where the run is started, so that it nests there.
pub(crate) fn run_span(crew: &Crew, entry: &Agent, config: &RunConfig) -> Span {
    let run_id = match &config.run_id {
        Some(id) => id.clone(),
        None => format!("run_{}", uuid::Uuid::new_v4().simple()),
    };
    let span = agent_span(crew.agency(), entry.name(), &run_id, None);
    if let Some(chat) = &config.chat {
        span.record("chat_id", chat.key.id.as_str());
    }
    span
}

/// The span of one agent's run, the user's (`caller` `None`) or a sub-agent's, a child of the
/// current span (a sub-agent's: its `send_message` call's).
pub(crate) fn agent_span(
    agency: Option<&str>,
    agent: &str,
    run_id: &str,
    caller: Option<&str>,
) -> Span {
    tracing::info_span!(
        "run",
        otel.name = format!("invoke_agent {agent}"),
        otel.status_code = Empty,
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = agent,
        agency,
        run_id,
        caller_agent = caller,
        chat_id = Empty,
        outcome = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        cost_usd = Empty,
        error.type = Empty,
    )
}

/// [`run`] in its [`run_span`].
fn run_in_span(
    crew: Arc<Crew>,
    entry: Agent,
    input: RunInput,
    config: RunConfig,
    sink: Sink,
) -> impl Future<Output = Result<RunOutput, RunFailure>> + Send + 'static {
    let span = run_span(&crew, &entry, &config);
    run(crew, entry, input, config, sink).instrument(span)
}

/// Runs `entry` of `crew` to a final answer, inside the caller's [`run_span`] (where its end is
/// recorded and logged).
pub(crate) async fn run(
    crew: Arc<Crew>,
    entry: Agent,
    input: RunInput,
    mut config: RunConfig,
    sink: Sink,
) -> Result<RunOutput, RunFailure> {
    let started = std::time::Instant::now();
    let (crew, entry) = crew::with_toolsets(crew, entry).await;
    let transcript = Arc::new(Transcript::new(std::mem::take(&mut config.history)));
    let invalid_history = transcript
        .before()
        .iter()
        .any(|e| e.item.is_chat_completions_form());
    let missing = config.states.check(crew.tools()).err();
    let result = if invalid_history {
        Err(RunError::InvalidHistory(
            "chat_history holds Chat Completions messages (role \"tool\" or tool_calls), which a Responses conversation cannot continue: start a new chat".to_owned(),
        ))
    } else if let Some(missing) = missing {
        Err(RunError::MissingState(missing))
    } else {
        let history = transcript.thread(entry.name(), None);
        let entry = match config.client_tools.is_empty() {
            true => entry,
            // A client tool named like one of the agent's own is not offered: the agent's wins.
            false => {
                let own = |name: &str| entry.tool(name).is_some();
                let extra: Vec<crate::Tool> = config
                    .client_tools
                    .iter()
                    .filter(|t| !own(t.name()))
                    .cloned()
                    .collect();
                entry.with_extra_tools(extra)
            }
        };
        let extra = config.additional_instructions.take();
        let files = std::mem::take(&mut config.code_interpreter_files);
        let (control, limit) = (config.control.clone(), config.run_timeout);
        let scope = Scope {
            crew,
            backend: config.backend(),
            config: Arc::new(config),
            transcript: transcript.clone(),
            sink: sink.clone(),
        };
        let meta = Meta::new_run(entry.name(), None, None);
        let mut agent_run = AgentRun::new(scope, entry, meta, history, extra);
        agent_run.code_interpreter_files = files;
        let agent_run = agent_run.run(input.into_items());
        within(limit, &control, agent_run).await
    };
    // Failures the agent run could not report in the stream itself.
    let unreported = invalid_history
        || matches!(
            result,
            Err(RunError::DeadlineExceeded(_) | RunError::MissingState(_))
        );
    let (new_items, usage) = transcript.take();
    log_end(&result, &usage, started);
    match result {
        Ok(Answer::Final(final_output)) => Ok(RunOutput {
            final_output,
            new_items,
            usage,
            cancelled: false,
        }),
        Ok(Answer::Cancelled) => Ok(RunOutput {
            final_output: Value::Null,
            new_items: drop_unanswered_calls(new_items),
            usage,
            cancelled: true,
        }),
        Err(error) => {
            if unreported && let Some(tx) = &sink {
                let message = error.to_string();
                let _ = tx
                    .send(crate::RunEvent::Error {
                        message,
                        meta: None,
                    })
                    .await;
            }
            Err(RunFailure {
                error,
                new_items: drop_unanswered_calls(new_items),
                usage,
            })
        }
    }
}

/// A count as a signed span field: OpenTelemetry's integers are `i64` (an unsigned field would
/// be exported as text).
pub(crate) fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records the end of the run on its span and logs it.
fn log_end(result: &Result<Answer, RunError>, usage: &Usage, started: std::time::Instant) {
    let span = Span::current();
    let outcome = match result {
        Ok(Answer::Final(_)) => "completed",
        Ok(Answer::Cancelled) => "cancelled",
        Err(_) => "failed",
    };
    span.record("outcome", outcome);
    span.record("gen_ai.usage.input_tokens", signed(usage.input_tokens));
    span.record("gen_ai.usage.output_tokens", signed(usage.output_tokens));
    span.record("cost_usd", usage.total_cost);
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Err(error) => {
            span.record("error.type", error.kind());
            span.record("otel.status_code", "ERROR");
            tracing::warn!(
                duration_ms,
                model_calls = usage.request_count,
                "run failed: {error}"
            );
        }
        Ok(_) => tracing::info!(duration_ms, model_calls = usage.request_count, "run ended"),
    }
}

/// Runs `run` until `limit`: then it is cancelled at once, and a run that stopped for it fails
/// with [`RunError::DeadlineExceeded`].
async fn within(
    limit: std::time::Duration,
    control: &RunControl,
    run: agent_run::BoxedRun,
) -> Result<Answer, RunError> {
    let mut run = run;
    tokio::select! {
        result = &mut run => result,
        () = tokio::time::sleep(limit) => {
            tracing::warn!("the run passed its deadline of {} s; stopping it", limit.as_secs_f64());
            control.cancel(CancelMode::Immediate);
            match run.await {
                Ok(Answer::Cancelled) => Err(RunError::DeadlineExceeded(limit)),
                other => other,
            }
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
        run_in_span(
            Arc::new(Crew::solo(self.clone())),
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
            Arc::new(Crew::solo(self.clone())),
            self.clone(),
            input.into(),
            config,
        )
    }
}
