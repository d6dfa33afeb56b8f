//! One model turn: the request, and what its events do to the run.

use futures::StreamExt;

use super::RunError;
use super::agent_run::AgentRun;
use crate::item::{FunctionCall, Item};
use crate::model::{ModelError, ModelEvent, ModelRequest, ModelSettings};
use crate::run::Builtin;
use crate::{PriceTable, RunEvent, Usage};

impl AgentRun {
    /// The model request for this agent's next turn.
    pub(super) fn request(&self) -> ModelRequest {
        let agent = self.agent();
        let mut instructions = agent.instructions().to_owned();
        if let Some(extra) = &self.additional_instructions {
            if !instructions.is_empty() {
                instructions.push_str("\n\n");
            }
            instructions.push_str(extra);
        }
        ModelRequest {
            model: self
                .scope()
                .config
                .client
                .model
                .clone()
                .unwrap_or_else(|| agent.model()),
            instructions: (!instructions.is_empty()).then_some(instructions),
            input: self.history.clone(),
            tools: agent.tools().to_vec(),
            settings: self.settings(),
            output_schema: agent.output_schema().cloned(),
        }
    }

    /// The agent's model settings for its next turn: a forced `tool_choice` (`required` or a
    /// tool's name) only holds until its tools were called once, else the model would have to
    /// call them again every turn, up to `max_turns` (the Agents SDK's `reset_tool_choice`).
    fn settings(&self) -> ModelSettings {
        let mut settings = self.agent().settings().clone();
        let forced = settings
            .tool_choice
            .as_deref()
            .is_some_and(|choice| !matches!(choice, "auto" | "none"));
        if forced && self.tools_used {
            settings.tool_choice = None;
        }
        settings
    }

    /// One model call: forwards its events, records its completed items and usage, and returns
    /// the calls the model made.
    pub(super) async fn model_turn(
        &mut self,
        request: ModelRequest,
    ) -> Result<Vec<FunctionCall>, RunError> {
        let model = request.model.clone();
        let mut stream = self.scope().backend.stream(request).await?;
        let mut calls = Vec::new();
        let mut completed = false;
        while let Some(event) = stream.next().await {
            let event = event?;
            match &event {
                ModelEvent::ItemDone(done) => self.on_item(done.item.clone(), &mut calls).await,
                ModelEvent::Completed(done) => {
                    completed = true;
                    let tokens = done.response.usage.clone().unwrap_or_default();
                    let usage = Usage::from_tokens(&tokens, &model, PriceTable::global());
                    self.scope().transcript.add_usage(&usage);
                }
                ModelEvent::Failed { message } => {
                    return Err(ModelError::Failed(message.clone()).into());
                }
                _ => {}
            }
            if self.streaming() {
                let meta = self.meta().clone();
                self.emit(RunEvent::Model { meta, event }).await;
            }
        }
        if !completed {
            return Err(ModelError::Protocol(
                "the model stream ended before response.completed".into(),
            )
            .into());
        }
        Ok(calls)
    }

    async fn on_item(&mut self, item: Item, calls: &mut Vec<FunctionCall>) {
        let meta = self.meta().clone();
        match item {
            Item::FunctionCall(call) => {
                self.push(call.clone().into());
                calls.push(call.clone());
                let handoff = matches!(
                    self.agent().tool(&call.name).and_then(|t| t.builtin()),
                    Some(Builtin::Handoff { .. })
                );
                if handoff {
                    self.emit(RunEvent::HandoffRequested { meta, call }).await;
                } else {
                    self.emit(RunEvent::ToolCalled { meta, call }).await;
                }
            }
            Item::Message(message) => {
                self.last_text = Some(message.text());
                self.push(message.clone().into());
                self.emit(RunEvent::MessageOutput { meta, message }).await;
            }
            other => self.push(other),
        }
    }
}
