//! One model turn: the request, and what its events do to the run.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tracing::Instrument;
use tracing::field::Empty;

use super::agent_run::AgentRun;
use super::{RunError, signed};
use crate::item::{FunctionCall, Item};
use crate::model::{ModelError, ModelEvent, ModelRequest, ModelSettings};
use crate::run::{Builtin, ModelCallReport};
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
            code_interpreter_files: self.code_interpreter_files.clone(),
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

    /// One model call, in its `chat {model}` span (OpenTelemetry's GenAI field names): forwards
    /// its events, records its completed items and usage, reports it to the run's observer, and
    /// returns the calls the model made.
    pub(super) async fn model_turn(
        &mut self,
        request: ModelRequest,
    ) -> Result<Vec<FunctionCall>, RunError> {
        let model = request.model.clone();
        let span = tracing::info_span!(
            "model call",
            otel.name = format!("chat {model}"),
            otel.kind = "client",
            otel.status_code = Empty,
            gen_ai.operation.name = "chat",
            gen_ai.agent.name = self.agent().name(),
            gen_ai.request.model = %model,
            gen_ai.response.model = Empty,
            gen_ai.response.id = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            cost_usd = Empty,
            time_to_first_token_ms = Empty,
            duration_ms = Empty,
            error.type = Empty,
        );
        let started = Instant::now();
        let mut seen = Seen::default();
        let result = self
            .model_events(request, started, &mut seen)
            .instrument(span.clone())
            .await;
        let duration = started.elapsed();
        let error = match &result {
            Err(RunError::Model(e)) => Some(e),
            _ => None,
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        span.record("gen_ai.usage.input_tokens", signed(seen.usage.input_tokens));
        span.record(
            "gen_ai.usage.output_tokens",
            signed(seen.usage.output_tokens),
        );
        span.record("cost_usd", seen.usage.total_cost);
        span.record("duration_ms", ms(duration));
        if let Some(model) = &seen.response_model {
            span.record("gen_ai.response.model", model.as_str());
        }
        if let Some(id) = &seen.response_id {
            span.record("gen_ai.response.id", id.as_str());
        }
        if let Some(ttft) = seen.first_token {
            span.record("time_to_first_token_ms", ms(ttft));
        }
        span.in_scope(|| match error {
            Some(e) => {
                span.record("error.type", e.kind());
                span.record("otel.status_code", "ERROR");
                tracing::warn!("model call failed: {e}");
            }
            None => tracing::info!("model call ended"),
        });
        if let Some(observer) = &self.scope().config.observer {
            observer.model_call(&ModelCallReport {
                agent: self.agent().name(),
                request_model: &model,
                response_model: seen.response_model.as_deref(),
                usage: &seen.usage,
                duration,
                time_to_first_token: seen.first_token,
                error,
            });
        }
        result
    }

    async fn model_events(
        &mut self,
        request: ModelRequest,
        started: Instant,
        seen: &mut Seen,
    ) -> Result<Vec<FunctionCall>, RunError> {
        let model = request.model.clone();
        let mut stream = self.scope().backend.stream(request).await?;
        let mut calls = Vec::new();
        let mut completed = false;
        while let Some(event) = stream.next().await {
            let event = event?;
            match &event {
                ModelEvent::TextDelta(_) | ModelEvent::ArgumentsDelta(_) => {
                    seen.first_token.get_or_insert_with(|| started.elapsed());
                }
                ModelEvent::ItemDone(done) => {
                    seen.first_token.get_or_insert_with(|| started.elapsed());
                    self.on_item(done.item.clone(), &mut calls).await
                }
                ModelEvent::Completed(done) => {
                    completed = true;
                    let tokens = done.response.usage.clone().unwrap_or_default();
                    seen.usage = Usage::from_tokens(&tokens, &model, PriceTable::global());
                    seen.response_model = done.response.model.clone();
                    seen.response_id = Some(done.response.id.clone()).filter(|id| !id.is_empty());
                    self.scope().transcript.add_usage(&seen.usage);
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

/// What a model call's events told of it.
#[derive(Default)]
struct Seen {
    usage: Usage,
    response_model: Option<String>,
    response_id: Option<String>,
    first_token: Option<Duration>,
}
