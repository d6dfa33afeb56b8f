//! The run loop.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{RunConfig, RunError, RunFailure, RunInput, RunOutput};
use crate::event::{EventMeta, RunEvent};
use crate::item::{self, ItemMeta};
use crate::model::{Model, ModelError, ModelRequest};
use crate::{Agent, PriceTable, Tool, ToolContext, ToolError, Usage};

/// Where events go: nowhere (a plain run) or a channel (a streamed run).
pub(crate) type Sink = Option<mpsc::Sender<RunEvent>>;

/// Runs `agent` to a final answer.
pub(crate) async fn run(
    agent: Agent,
    input: RunInput,
    config: RunConfig,
    sink: Sink,
) -> Result<RunOutput, RunFailure> {
    let mut engine = Engine {
        backend: config.backend(),
        meta: Arc::new(EventMeta {
            agent: agent.name().to_owned(),
            caller_agent: None,
            agent_run_id: item::new_agent_run_id(),
            parent_run_id: None,
        }),
        agent,
        history: Vec::new(),
        new_items: Vec::new(),
        usage: Usage::default(),
        sink,
        config,
    };
    match engine.run(input).await {
        Ok((final_output, cancelled)) => Ok(RunOutput {
            final_output,
            new_items: engine.new_items,
            usage: engine.usage,
            cancelled,
        }),
        Err(error) => {
            engine.emit(RunEvent::Error { message: error.to_string() }).await;
            Err(RunFailure {
                error,
                new_items: engine.new_items,
                usage: engine.usage,
            })
        }
    }
}

struct Engine {
    agent: Agent,
    config: RunConfig,
    backend: Arc<dyn Model>,
    meta: Arc<EventMeta>,
    history: Vec<Value>,
    new_items: Vec<Value>,
    usage: Usage,
    sink: Sink,
}

/// How one model turn ended.
enum TurnEnd {
    /// The model answered; these are its function calls (empty: final answer).
    Answered(Vec<Value>),
    /// Cancelled immediately.
    Cancelled,
}

impl Engine {
    fn item_meta(&self) -> ItemMeta {
        ItemMeta {
            agent: self.meta.agent.clone(),
            caller_agent: self.meta.caller_agent.clone(),
            agent_run_id: self.meta.agent_run_id.clone(),
            parent_run_id: self.meta.parent_run_id.clone(),
        }
    }

    async fn emit(&mut self, event: RunEvent) {
        if let Some(tx) = &self.sink {
            if tx.send(event).await.is_err() {
                // The consumer went away: nothing will read the rest, so stop.
                self.sink = None;
                self.config.control.token().cancel();
            }
        }
    }

    fn push(&mut self, item: Value) {
        let item = self.item_meta().stamp(item);
        self.history.push(item.clone());
        self.new_items.push(item);
    }

    async fn run(&mut self, input: RunInput) -> Result<(Value, bool), RunError> {
        if let Some(bad) = self.config.history.iter().find(|i| item::is_chat_completions_form(i)) {
            let _ = bad;
            return Err(RunError::InvalidHistory(
                "chat_history holds Chat Completions messages (role \"tool\" or tool_calls), which a Responses conversation cannot continue: start a new chat".to_owned(),
            ));
        }
        self.history = std::mem::take(&mut self.config.history);
        for item in input.into_items() {
            self.push(item);
        }
        self.emit(RunEvent::AgentUpdated { meta: self.meta.clone() }).await;
        let max_turns = self.config.max_turns.unwrap_or(self.agent.max_turns());
        for turn in 0..max_turns {
            let control = self.config.control.clone();
            if control.token().is_cancelled() || (turn > 0 && control.after_turn_requested()) {
                return Ok(self.cancelled());
            }
            let request = self.request();
            let token = control.token().clone();
            let end = tokio::select! {
                biased;
                _ = token.cancelled() => TurnEnd::Cancelled,
                end = self.model_turn(request) => end?,
            };
            let calls = match end {
                TurnEnd::Cancelled => return Ok(self.cancelled()),
                TurnEnd::Answered(calls) => calls,
            };
            if calls.is_empty() {
                return self.final_output().map(|v| (v, false));
            }
            let token = control.token().clone();
            let done = tokio::select! {
                biased;
                _ = token.cancelled() => false,
                _ = self.run_tools(calls) => true,
            };
            if !done {
                return Ok(self.cancelled());
            }
        }
        Err(RunError::MaxTurns {
            agent: self.agent.name().to_owned(),
            max_turns,
        })
    }

    /// Ends a cancelled run: function calls without an output are dropped so the history stays
    /// valid for the next run.
    fn cancelled(&mut self) -> (Value, bool) {
        let answered: std::collections::HashSet<String> = self
            .new_items
            .iter()
            .filter(|i| item::kind(i) == "function_call_output")
            .filter_map(|i| i.get("call_id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        self.new_items.retain(|i| {
            item::kind(i) != "function_call"
                || i.get("call_id")
                    .and_then(Value::as_str)
                    .is_some_and(|c| answered.contains(c))
        });
        (Value::Null, true)
    }

    fn request(&self) -> ModelRequest {
        let mut instructions = self.agent.instructions().to_owned();
        if let Some(extra) = &self.config.additional_instructions {
            if !instructions.is_empty() {
                instructions.push_str("\n\n");
            }
            instructions.push_str(extra);
        }
        ModelRequest {
            model: self
                .config
                .client
                .model
                .clone()
                .unwrap_or_else(|| self.agent.model()),
            instructions: (!instructions.is_empty()).then_some(instructions),
            input: self.history.iter().map(item::for_model).collect(),
            tools: self.agent.tools().iter().map(Tool::definition).collect(),
            settings: self.agent.settings().clone(),
            output_schema: self.agent.output_schema().cloned(),
        }
    }

    /// One model call: forwards its events, records its completed items and usage.
    async fn model_turn(&mut self, request: ModelRequest) -> Result<TurnEnd, RunError> {
        let model = request.model.clone();
        let mut stream = self.backend.stream(request).await?;
        let mut calls = Vec::new();
        let mut completed = false;
        while let Some(event) = stream.next().await {
            let event = event?;
            let kind = event.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
            match kind.as_str() {
                "response.output_item.done" => {
                    if let Some(raw) = event.get("item").cloned() {
                        self.on_item(raw, &mut calls).await;
                    }
                }
                "response.completed" | "response.incomplete" => {
                    completed = true;
                    let usage = event.pointer("/response/usage").cloned().unwrap_or(Value::Null);
                    self.usage.add(&Usage::from_openai(&usage, &model, PriceTable::global()));
                }
                "response.failed" | "error" => {
                    let message = event
                        .pointer("/response/error/message")
                        .or_else(|| event.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("the response failed")
                        .to_owned();
                    return Err(ModelError::Failed(message).into());
                }
                _ => {}
            }
            if self.sink.is_some() {
                let meta = self.meta.clone();
                self.emit(RunEvent::Raw { meta, event }).await;
            }
        }
        if !completed {
            return Err(ModelError::Protocol("the model stream ended before response.completed".into()).into());
        }
        Ok(TurnEnd::Answered(calls))
    }

    async fn on_item(&mut self, raw: Value, calls: &mut Vec<Value>) {
        let meta = self.meta.clone();
        match item::kind(&raw) {
            "function_call" => {
                calls.push(raw.clone());
                self.push(raw.clone());
                self.emit(RunEvent::ToolCalled { meta, item: raw }).await;
            }
            "message" => {
                self.push(raw.clone());
                self.emit(RunEvent::MessageOutput { meta, item: raw }).await;
            }
            _ => self.push(raw),
        }
    }

    fn final_output(&self) -> Result<Value, RunError> {
        let text = self
            .new_items
            .iter()
            .rev()
            .find_map(item::output_text)
            .unwrap_or_default();
        if self.agent.output_schema().is_none() {
            return Ok(Value::String(text));
        }
        serde_json::from_str(&text).map_err(|e| RunError::InvalidOutput {
            agent: self.agent.name().to_owned(),
            reason: e.to_string(),
        })
    }

    /// Runs this turn's tool calls concurrently; their outputs join the history in call order.
    async fn run_tools(&mut self, calls: Vec<Value>) {
        let mut pending: FuturesUnordered<_> = calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                let fut = self.call_tool(call);
                async move { (index, fut.await) }
            })
            .collect();
        let mut outputs: Vec<Option<(Value, Value)>> = vec![None; calls.len()];
        while let Some((index, output)) = pending.next().await {
            let call_id = calls[index].get("call_id").cloned().unwrap_or(Value::Null);
            let item = serde_json::json!({
                "type": "function_call_output",
                "call_id": call_id,
                "output": item::output_string(&output),
            });
            outputs[index] = Some((item, output));
        }
        drop(pending);
        for (item, output) in outputs.into_iter().flatten() {
            self.push(item.clone());
            let meta = self.meta.clone();
            self.emit(RunEvent::ToolOutput { meta, item, output }).await;
        }
    }

    /// One tool call; every failure becomes a message for the model.
    fn call_tool(&self, call: &Value) -> impl std::future::Future<Output = Value> + Send + 'static {
        let name = call.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let call_id = call.get("call_id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let arguments = call.get("arguments").and_then(Value::as_str).unwrap_or("{}").to_owned();
        let tool = self.agent.tools().iter().find(|t| t.name() == name).cloned();
        let ctx = ToolContext::new()
            .with_agent(self.meta.agent.as_str())
            .with_call_id(call_id)
            .with_user_context(self.config.user_context.clone())
            .with_cancellation(self.config.control.token().child_token());
        async move {
            let Some(tool) = tool else {
                return Value::String(format!("Error: there is no tool named '{name}'."));
            };
            let args: Value = match serde_json::from_str(if arguments.trim().is_empty() { "{}" } else { &arguments }) {
                Ok(v) => v,
                Err(e) => {
                    return Value::String(format!("Error: the arguments for tool '{name}' are not valid JSON ({e}); send a JSON object."));
                }
            };
            match tool.call(args, ctx).await {
                Ok(v) => v,
                Err(e @ ToolError::InvalidArguments { .. }) => Value::String(format!("Error: {e}")),
                Err(e) => Value::String(format!("Error running tool '{name}': {e}")),
            }
        }
    }
}
