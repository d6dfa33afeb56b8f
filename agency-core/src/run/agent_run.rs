//! One agent's run: model turns and their tool calls until a final answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use super::scope::{Scope, Sink};
use super::{Answer, RunError};
use crate::item::{Entry, Item, Meta};
use crate::{Agent, RunEvent};

/// What one call gave back: the output the model reads next.
pub(crate) struct CallResult {
    pub(crate) output: Value,
}

impl CallResult {
    pub(crate) fn text(text: String) -> CallResult {
        CallResult {
            output: Value::String(text),
        }
    }
}

pub(super) type BoxedRun = Pin<Box<dyn Future<Output = Result<Answer, RunError>> + Send>>;

/// The state of one agent's run: who it is, its thread as its model sees it, and the scope it
/// shares with the rest of the run.
pub(crate) struct AgentRun {
    scope: Scope,
    agent: Agent,
    meta: Arc<Meta>,
    /// This agent's thread, as its model sees it.
    pub(super) history: Vec<Item>,
    pub(super) additional_instructions: Option<String>,
    /// File ids for this agent's code-interpreter container (the entry agent of a run whose
    /// request attached them; a handoff's target does not get them).
    pub(super) code_interpreter_files: Vec<String>,
    pub(super) last_text: Option<String>,
    /// Whether this agent's tools were called in this run (a forced `tool_choice` then ends).
    pub(super) tools_used: bool,
    /// Whether a client tool was called: the run ends, leaving the call to the client.
    pub(super) awaiting_client: bool,
    sink: Sink,
}

impl AgentRun {
    pub(crate) fn new(
        scope: Scope,
        agent: Agent,
        meta: Meta,
        history: Vec<Item>,
        additional_instructions: Option<String>,
    ) -> AgentRun {
        AgentRun {
            sink: scope.sink.clone(),
            scope,
            agent,
            meta: Arc::new(meta),
            history,
            additional_instructions,
            code_interpreter_files: Vec::new(),
            last_text: None,
            tools_used: false,
            awaiting_client: false,
        }
    }

    pub(super) fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(super) fn agent(&self) -> &Agent {
        &self.agent
    }

    pub(super) fn meta(&self) -> &Arc<Meta> {
        &self.meta
    }

    pub(super) fn streaming(&self) -> bool {
        self.sink.is_some()
    }

    /// Sends `event` to the stream, if any. A consumer that went away stops the run.
    pub(super) async fn emit(&mut self, event: RunEvent) {
        if let Some(tx) = &self.sink
            && tx.send(event).await.is_err()
        {
            self.sink = None;
            self.scope.config.control.token().cancel();
        }
    }

    /// Records `item`: in this agent's thread, and with its metadata in the transcript.
    pub(super) fn push(&mut self, item: Item) {
        self.history.push(item.clone());
        self.scope
            .transcript
            .push(Entry::new(item, self.meta.now()));
    }

    /// After a handoff: `target` continues this run, with a run id of its own.
    pub(super) fn become_agent(&mut self, target: Agent) {
        self.meta = Arc::new(Meta::new_run(
            target.name(),
            self.meta.caller_agent.as_deref(),
            self.meta.parent_run_id.as_deref(),
        ));
        self.agent = target;
        self.additional_instructions = None;
        self.code_interpreter_files.clear();
        self.tools_used = false;
    }

    /// Runs to a final answer. The user's run reports its failure in the stream; a sub-run's
    /// failure becomes the sender's tool output instead.
    pub(crate) fn run(mut self, input: Vec<Item>) -> BoxedRun {
        Box::pin(async move {
            let result = self.turns(input).await;
            if let Err(error) = &result
                && self.meta.caller_agent.is_none()
            {
                let meta = Some(self.meta.clone());
                self.emit(RunEvent::Error {
                    message: error.to_string(),
                    meta,
                })
                .await;
            }
            result
        })
    }

    async fn turns(&mut self, input: Vec<Item>) -> Result<Answer, RunError> {
        for item in input {
            self.push(item);
        }
        let meta = self.meta.clone();
        self.emit(RunEvent::AgentUpdated { meta }).await;
        let control = self.scope.config.control.clone();
        let max_turns = self
            .scope
            .config
            .max_turns
            .unwrap_or(self.agent.max_turns());
        for turn in 0..max_turns {
            if control.token().is_cancelled() || (turn > 0 && control.after_turn_requested()) {
                return Ok(Answer::Cancelled);
            }
            let request = self.request();
            let token = control.token().clone();
            let calls = tokio::select! {
                biased;
                _ = token.cancelled() => return Ok(Answer::Cancelled),
                calls = self.model_turn(request) => calls?,
            };
            if calls.is_empty() {
                return self.final_output().map(Answer::Final);
            }
            let token = control.token().clone();
            tokio::select! {
                biased;
                _ = token.cancelled() => return Ok(Answer::Cancelled),
                _ = self.run_calls(calls) => {}
            }
            self.tools_used = true;
            if self.awaiting_client {
                // The client runs its tool and sends the result with its next request.
                return Ok(Answer::Final(Value::Null));
            }
        }
        Err(RunError::MaxTurns {
            agent: self.agent.name().to_owned(),
            max_turns,
        })
    }

    fn final_output(&self) -> Result<Value, RunError> {
        let text = self.last_text.clone().unwrap_or_default();
        if self.agent.output_schema().is_none() {
            return Ok(Value::String(text));
        }
        serde_json::from_str(&text).map_err(|e| RunError::InvalidOutput {
            agent: self.agent.name().to_owned(),
            reason: e.to_string(),
        })
    }
}
