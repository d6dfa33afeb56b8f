//! The run loop: model turns, tool calls, `send_message` sub-runs and handoffs.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::crew::{Crew, SEND_MESSAGE};
use super::{RunConfig, RunError, RunFailure, RunInput, RunOutput};
use crate::event::{EventMeta, RunEvent};
use crate::item::{self, ItemMeta};
use crate::model::{Model, ModelError, ModelRequest};
use crate::{Agent, PriceTable, ToolContext, ToolError, Usage};

/// Where events go: nowhere (a plain run) or a channel (a streamed run).
pub(crate) type Sink = Option<mpsc::Sender<RunEvent>>;

/// What every engine of one run shares: the items in the order they were made, and the usage.
struct Shared {
    /// The conversation before this run (the request's `chat_history`).
    before: Vec<Value>,
    items: Mutex<Vec<Value>>,
    usage: Mutex<Usage>,
}

impl Shared {
    fn push(&self, item: Value) {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(item);
    }
    fn add_usage(&self, usage: &Usage) {
        self.usage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(usage);
    }
    /// The thread between `caller` (`None`: the user) and, for agent threads, `agent`.
    fn thread(&self, agent: &str, caller: Option<&str>) -> Vec<Value> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        self.before
            .iter()
            .chain(items.iter())
            .filter(|i| {
                let c = i.get("callerAgent").and_then(Value::as_str);
                match caller {
                    None => c.is_none(),
                    Some(caller) => {
                        c == Some(caller) && i.get("agent").and_then(Value::as_str) == Some(agent)
                    }
                }
            })
            .cloned()
            .collect()
    }
}

/// Runs `entry` of `crew` to a final answer.
pub(crate) async fn run(
    crew: Arc<Crew>,
    entry: Agent,
    input: RunInput,
    mut config: RunConfig,
    sink: Sink,
) -> Result<RunOutput, RunFailure> {
    let shared = Arc::new(Shared {
        before: std::mem::take(&mut config.history),
        items: Mutex::new(Vec::new()),
        usage: Mutex::new(Usage::default()),
    });
    let invalid_history = shared.before.iter().any(item::is_chat_completions_form);
    let result = if invalid_history {
        Err(RunError::InvalidHistory(
            "chat_history holds Chat Completions messages (role \"tool\" or tool_calls), which a Responses conversation cannot continue: start a new chat".to_owned(),
        ))
    } else {
        let history = shared.thread(entry.name(), None);
        let extra = config.additional_instructions.take();
        let engine = Engine::new(
            crew,
            entry,
            Arc::new(config),
            shared.clone(),
            sink.clone(),
            None,
            None,
            history,
            extra,
        );
        engine.run(input.into_items()).await
    };
    let new_items = std::mem::take(&mut *shared.items.lock().unwrap_or_else(|p| p.into_inner()));
    let usage = shared
        .usage
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match result {
        Ok((final_output, cancelled)) => {
            let new_items = if cancelled {
                drop_unanswered_calls(new_items)
            } else {
                new_items
            };
            Ok(RunOutput {
                final_output,
                new_items,
                usage,
                cancelled,
            })
        }
        Err(error) => {
            if invalid_history && let Some(tx) = &sink {
                let message = error.to_string();
                let _ = tx
                    .send(RunEvent::Error {
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

/// Function calls without an output are dropped so the history stays valid for the next run.
fn drop_unanswered_calls(mut items: Vec<Value>) -> Vec<Value> {
    let answered: HashSet<String> = items
        .iter()
        .filter(|i| item::kind(i) == "function_call_output")
        .filter_map(|i| i.get("call_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    items.retain(|i| {
        item::kind(i) != "function_call"
            || i.get("call_id")
                .and_then(Value::as_str)
                .is_some_and(|c| answered.contains(c))
    });
    items
}

type BoxedRun = Pin<Box<dyn Future<Output = Result<(Value, bool), RunError>> + Send>>;

struct Engine {
    crew: Arc<Crew>,
    agent: Agent,
    config: Arc<RunConfig>,
    backend: Arc<dyn Model>,
    meta: Arc<EventMeta>,
    /// This agent's thread, as its model sees it.
    history: Vec<Value>,
    shared: Arc<Shared>,
    sink: Sink,
    additional_instructions: Option<String>,
    last_text: Option<String>,
}

/// How one model turn ended.
enum TurnEnd {
    Answered(Vec<Value>),
    Cancelled,
}

/// What one tool call gave back.
struct CallResult {
    output: Value,
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    fn new(
        crew: Arc<Crew>,
        agent: Agent,
        config: Arc<RunConfig>,
        shared: Arc<Shared>,
        sink: Sink,
        caller: Option<String>,
        parent_run_id: Option<String>,
        history: Vec<Value>,
        additional_instructions: Option<String>,
    ) -> Engine {
        Engine {
            backend: config.backend(),
            meta: Arc::new(EventMeta {
                agent: agent.name().to_owned(),
                caller_agent: caller,
                agent_run_id: item::new_agent_run_id(),
                parent_run_id,
            }),
            crew,
            agent,
            config,
            history,
            shared,
            sink,
            additional_instructions,
            last_text: None,
        }
    }

    fn item_meta(&self) -> ItemMeta {
        ItemMeta {
            agent: self.meta.agent.clone(),
            caller_agent: self.meta.caller_agent.clone(),
            agent_run_id: self.meta.agent_run_id.clone(),
            parent_run_id: self.meta.parent_run_id.clone(),
        }
    }

    async fn emit(&mut self, event: RunEvent) {
        if let Some(tx) = &self.sink
            && tx.send(event).await.is_err()
        {
            // The consumer went away: nothing will read the rest, so stop.
            self.sink = None;
            self.config.control.token().cancel();
        }
    }

    fn push(&mut self, item: Value) {
        let item = self.item_meta().stamp(item);
        self.history.push(item.clone());
        self.shared.push(item);
    }

    fn run(mut self, input: Vec<Value>) -> BoxedRun {
        Box::pin(async move {
            let result = self.turns(input).await;
            // The user's run reports its failure in the stream; a sub-run's failure becomes the
            // sender's tool output instead.
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

    async fn turns(&mut self, input: Vec<Value>) -> Result<(Value, bool), RunError> {
        for item in input {
            self.push(item);
        }
        self.emit(RunEvent::AgentUpdated {
            meta: self.meta.clone(),
        })
        .await;
        let control = self.config.control.clone();
        let max_turns = self.config.max_turns.unwrap_or(self.agent.max_turns());
        for turn in 0..max_turns {
            if control.token().is_cancelled() || (turn > 0 && control.after_turn_requested()) {
                return Ok((Value::Null, true));
            }
            let request = self.request();
            let token = control.token().clone();
            let end = tokio::select! {
                biased;
                _ = token.cancelled() => TurnEnd::Cancelled,
                end = self.model_turn(request) => end?,
            };
            let calls = match end {
                TurnEnd::Cancelled => return Ok((Value::Null, true)),
                TurnEnd::Answered(calls) => calls,
            };
            if calls.is_empty() {
                return self.final_output().map(|v| (v, false));
            }
            let token = control.token().clone();
            let done = tokio::select! {
                biased;
                _ = token.cancelled() => false,
                _ = self.run_calls(calls) => true,
            };
            if !done {
                return Ok((Value::Null, true));
            }
        }
        Err(RunError::MaxTurns {
            agent: self.agent.name().to_owned(),
            max_turns,
        })
    }

    fn request(&self) -> ModelRequest {
        let mut instructions = self.agent.instructions().to_owned();
        if let Some(extra) = &self.additional_instructions {
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
            tools: self.agent.tools().to_vec(),
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
            match event
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
            {
                "response.output_item.done" => {
                    if let Some(raw) = event.get("item") {
                        self.on_item(raw.clone(), &mut calls).await;
                    }
                }
                "response.completed" | "response.incomplete" => {
                    completed = true;
                    let usage = event
                        .pointer("/response/usage")
                        .cloned()
                        .unwrap_or(Value::Null);
                    self.shared.add_usage(&Usage::from_openai(
                        &usage,
                        &model,
                        PriceTable::global(),
                    ));
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
            return Err(ModelError::Protocol(
                "the model stream ended before response.completed".into(),
            )
            .into());
        }
        Ok(TurnEnd::Answered(calls))
    }

    async fn on_item(&mut self, raw: Value, calls: &mut Vec<Value>) {
        let meta = self.meta.clone();
        match item::kind(&raw) {
            "function_call" => {
                calls.push(raw.clone());
                self.push(raw.clone());
                let name = raw.get("name").and_then(Value::as_str).unwrap_or_default();
                if self.crew.handoff_target(self.agent.name(), name).is_some() {
                    self.emit(RunEvent::HandoffRequested { meta, item: raw })
                        .await;
                } else {
                    self.emit(RunEvent::ToolCalled { meta, item: raw }).await;
                }
            }
            "message" => {
                self.last_text = item::output_text(&raw);
                self.push(raw.clone());
                self.emit(RunEvent::MessageOutput { meta, item: raw }).await;
            }
            _ => self.push(raw),
        }
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

    /// Runs this turn's calls: tools and messages concurrently, then the first handoff.
    async fn run_calls(&mut self, calls: Vec<Value>) {
        let mut handoff: Option<(Value, Agent)> = None;
        let mut immediate: Vec<(Value, Value)> = Vec::new();
        let mut pending = FuturesUnordered::new();
        let mut busy_recipients = HashSet::new();
        for (index, call) in calls.iter().enumerate() {
            let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
            if let Some(target) = self.crew.handoff_target(self.agent.name(), name) {
                if handoff.is_none() {
                    handoff = Some((call.clone(), target.clone()));
                } else {
                    immediate.push((
                        call.clone(),
                        json!("Error: only one handoff per turn; this one was ignored."),
                    ));
                }
                continue;
            }
            if name == SEND_MESSAGE && self.crew.can_send(self.agent.name()) {
                let recipient = call_args(call).ok().and_then(|a| {
                    a.get("recipient_agent")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
                if let Some(r) = recipient
                    && !busy_recipients.insert(r.clone())
                {
                    immediate.push((call.clone(), json!(format!(
                        "Error: a message from {} to {r} is already pending; wait for its answer before sending another.",
                        self.agent.name()
                    ))));
                    continue;
                }
                let fut = self.send_message(call);
                pending.push(Box::pin(async move { (index, fut.await) })
                    as Pin<Box<dyn Future<Output = (usize, CallResult)> + Send>>);
                continue;
            }
            let fut = self.call_tool(call);
            pending.push(Box::pin(async move {
                (index, CallResult { output: fut.await })
            }));
        }
        for (call, output) in immediate {
            self.record_output(&call, output).await;
        }
        while let Some((index, result)) = pending.next().await {
            self.record_output(&calls[index], result.output).await;
        }
        drop(pending);
        if let Some((call, target)) = handoff {
            self.hand_off(&call, target).await;
        }
    }

    async fn record_output(&mut self, call: &Value, output: Value) {
        let item = json!({
            "type": "function_call_output",
            "call_id": call.get("call_id").cloned().unwrap_or(Value::Null),
            "output": item::output_string(&output),
        });
        self.push(item.clone());
        let meta = self.meta.clone();
        self.emit(RunEvent::ToolOutput { meta, item, output }).await;
    }

    /// One tool call; every failure becomes a message for the model.
    fn call_tool(&self, call: &Value) -> impl Future<Output = Value> + Send + 'static {
        let name = call
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let call_id = call
            .get("call_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let args = call_args(call);
        let tool = self
            .agent
            .tools()
            .iter()
            .find(|t| t.name() == name)
            .cloned();
        let ctx = ToolContext::new()
            .with_agent(self.meta.agent.as_str())
            .with_call_id(call_id)
            .with_user_context(self.config.user_context.clone())
            .with_cancellation(self.config.control.token().child_token());
        async move {
            let Some(tool) = tool else {
                return Value::String(format!("Error: there is no tool named '{name}'."));
            };
            let args = match args {
                Ok(v) => v,
                Err(e) => {
                    return Value::String(format!(
                        "Error: the arguments for tool '{name}' are not valid JSON ({e}); send a JSON object."
                    ));
                }
            };
            match tool.call(args, ctx).await {
                Ok(v) => v,
                Err(e @ ToolError::InvalidArguments { .. }) => Value::String(format!("Error: {e}")),
                Err(e) => Value::String(format!("Error running tool '{name}': {e}")),
            }
        }
    }

    /// `send_message`: runs the recipient in its thread with this agent; its answer is the output.
    fn send_message(&self, call: &Value) -> impl Future<Output = CallResult> + Send + 'static {
        let sender = self.agent.name().to_owned();
        let call_id = call
            .get("call_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let args = call_args(call).unwrap_or(Value::Null);
        let crew = self.crew.clone();
        let config = self.config.clone();
        let shared = self.shared.clone();
        let sink = self.sink.clone();
        async move {
            let text = |s: String| CallResult {
                output: Value::String(s),
            };
            let recipient_name = args
                .get("recipient_agent")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let allowed = crew.recipients.get(&sender).cloned().unwrap_or_default();
            let Some(recipient) = allowed
                .iter()
                .find(|r| r.as_str() == recipient_name)
                .and_then(|r| crew.agents.get(r))
                .cloned()
            else {
                return text(format!(
                    "Error: '{recipient_name}' is not an agent {sender} can message. Available recipients: {}.",
                    allowed.join(", ")
                ));
            };
            let Some(message) = args
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.trim().is_empty())
            else {
                return text(
                    "Error: `message` is required and must be a non-empty string.".to_owned(),
                );
            };
            let extra = args
                .get("additional_instructions")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned);
            let history = shared.thread(recipient.name(), Some(&sender));
            let engine = Engine::new(
                crew,
                recipient.clone(),
                config,
                shared,
                sink,
                Some(sender),
                Some(call_id),
                history,
                extra,
            );
            match engine.run(vec![item::user_message(message)]).await {
                Ok((Value::String(answer), _)) => text(answer),
                Ok((Value::Null, true)) => text(format!(
                    "Error: {} was cancelled before answering.",
                    recipient.name()
                )),
                Ok((answer, _)) => CallResult { output: answer },
                Err(e) => text(format!("Error: {} failed: {e}", recipient.name())),
            }
        }
    }

    /// A handoff: `target` continues the same turn with the full history.
    async fn hand_off(&mut self, call: &Value, target: Agent) {
        let item = json!({
            "type": "function_call_output",
            "call_id": call.get("call_id").cloned().unwrap_or(Value::Null),
            "output": json!({"assistant": target.name()}).to_string(),
        });
        self.push(item.clone());
        let meta = self.meta.clone();
        self.emit(RunEvent::HandoffOccurred {
            meta,
            item,
            target: target.name().to_owned(),
        })
        .await;
        self.meta = Arc::new(EventMeta {
            agent: target.name().to_owned(),
            caller_agent: self.meta.caller_agent.clone(),
            agent_run_id: item::new_agent_run_id(),
            parent_run_id: self.meta.parent_run_id.clone(),
        });
        self.agent = target;
        self.additional_instructions = None;
        let reminder = format!(
            "Transfer completed. You are {}. Please continue the task.",
            self.agent.name()
        );
        self.push(json!({"role": "system", "content": reminder}));
        self.emit(RunEvent::AgentUpdated {
            meta: self.meta.clone(),
        })
        .await;
    }
}

fn call_args(call: &Value) -> Result<Value, serde_json::Error> {
    let raw = call
        .get("arguments")
        .and_then(Value::as_str)
        .unwrap_or("{}");
    serde_json::from_str(if raw.trim().is_empty() { "{}" } else { raw })
}
