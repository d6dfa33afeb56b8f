//! AG-UI's events, and the translation of a run's events into them.

use std::collections::HashMap;

use agency_core::item::{FunctionCall, FunctionCallOutput, Message};
use agency_core::model::ModelEvent;
use agency_core::{Item, Meta, RunEvent, SharedState};
use serde::Serialize;
use serde_json::{Map, Value};

use super::input::{AguiFunction, AguiMessage, AguiToolCall};

/// One AG-UI event, as sent in a `data:` frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum AguiEvent {
    #[serde(rename_all = "camelCase")]
    RunStarted {
        thread_id: String,
        run_id: String,
    },
    #[serde(rename_all = "camelCase")]
    RunFinished {
        thread_id: String,
        run_id: String,
        result: Value,
    },
    #[serde(rename_all = "camelCase")]
    RunError {
        message: String,
        code: String,
    },
    #[serde(rename_all = "camelCase")]
    StepStarted {
        step_name: String,
    },
    #[serde(rename_all = "camelCase")]
    StepFinished {
        step_name: String,
    },
    #[serde(rename_all = "camelCase")]
    TextMessageStart {
        message_id: String,
        role: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    TextMessageContent {
        message_id: String,
        delta: String,
    },
    #[serde(rename_all = "camelCase")]
    TextMessageEnd {
        message_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolCallStart {
        tool_call_id: String,
        tool_call_name: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolCallArgs {
        tool_call_id: String,
        delta: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolCallEnd {
        tool_call_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolCallResult {
        message_id: String,
        tool_call_id: String,
        content: String,
        role: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    ReasoningStart {
        message_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ReasoningMessageStart {
        message_id: String,
        role: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    ReasoningMessageContent {
        message_id: String,
        delta: String,
    },
    #[serde(rename_all = "camelCase")]
    ReasoningMessageEnd {
        message_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ReasoningEnd {
        message_id: String,
    },
    StateSnapshot {
        snapshot: Value,
    },
    MessagesSnapshot {
        messages: Vec<AguiMessage>,
    },
}

impl AguiEvent {
    /// The event as JSON text, stamped with the time in milliseconds.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Stamped<'a> {
            #[serde(flatten)]
            event: &'a AguiEvent,
            timestamp: u64,
        }
        let timestamp = agency_core::item::now_micros() / 1000;
        serde_json::to_string(&Stamped {
            event: self,
            timestamp,
        })
        .unwrap_or_else(|e| {
            format!(r#"{{"type":"RUN_ERROR","message":"an event could not be serialized: {e}"}}"#)
        })
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An open step: one agent's part of the run.
struct Step {
    name: String,
    /// The `send_message` call that started it (`None` at the top level).
    parent: Option<String>,
}

/// Turns a run's events into AG-UI events: steps per agent, text and tool calls opened and
/// closed in order, the conversation after each completed message, the shared state whenever a
/// tool changed it.
pub(super) struct Translator {
    thread_id: String,
    run_id: String,
    steps: Vec<Step>,
    /// Our message id for each streamed model message, by (agent run, model item id).
    open_text: HashMap<(String, String), String>,
    /// The conversation, for `MESSAGES_SNAPSHOT`.
    messages: Vec<AguiMessage>,
    state: Option<SharedState>,
    sent_state: Map<String, Value>,
}

impl Translator {
    pub(super) fn new(
        thread_id: String,
        run_id: String,
        messages: Vec<AguiMessage>,
        state: Option<SharedState>,
    ) -> Self {
        let sent_state = state.as_ref().map(|s| s.snapshot()).unwrap_or_default();
        Translator {
            thread_id,
            run_id,
            steps: Vec::new(),
            open_text: HashMap::new(),
            messages,
            state,
            sent_state,
        }
    }

    /// `RUN_STARTED`, and the state when the client shares one.
    pub(super) fn start(&self) -> Vec<AguiEvent> {
        let mut out = vec![AguiEvent::RunStarted {
            thread_id: self.thread_id.clone(),
            run_id: self.run_id.clone(),
        }];
        if self.state.is_some() {
            out.push(AguiEvent::StateSnapshot {
                snapshot: Value::Object(self.sent_state.clone()),
            });
        }
        out
    }

    /// What `event` becomes.
    pub(super) fn on(&mut self, event: &RunEvent) -> Vec<AguiEvent> {
        let mut out = Vec::new();
        match event {
            RunEvent::AgentUpdated { meta } => self.step_started(meta, &mut out),
            RunEvent::Model { meta, event } => self.model(meta, event, &mut out),
            RunEvent::ToolCalled { call, .. } | RunEvent::HandoffRequested { call, .. } => {
                self.tool_called(call, &mut out)
            }
            RunEvent::ToolOutput { item, output, .. } => {
                self.finish_steps_of(&item.call_id, &mut out);
                self.tool_result(item, output, &mut out);
                self.state_changed(&mut out);
            }
            RunEvent::HandoffOccurred { item, .. } => {
                let output = Value::String(item.output.clone());
                self.tool_result(item, &output, &mut out);
            }
            RunEvent::MessageOutput { meta, message } => self.message(meta, message, &mut out),
            // An `Error`: the run's end (`RunStream::finish`) says it too, and the failure is
            // reported once, from there.
            _ => {}
        }
        out
    }

    /// The last events of a completed run: open messages and steps closed, `RUN_FINISHED`.
    pub(super) fn finish(&mut self, result: Value) -> Vec<AguiEvent> {
        let mut out = self.close_all();
        out.push(AguiEvent::RunFinished {
            thread_id: self.thread_id.clone(),
            run_id: self.run_id.clone(),
            result,
        });
        out
    }

    /// The last events of a failed run: open messages and steps closed, one `RUN_ERROR`.
    pub(super) fn fail(&mut self, message: String, code: &str) -> Vec<AguiEvent> {
        let mut out = self.close_all();
        out.push(AguiEvent::RunError {
            message,
            code: code.to_owned(),
        });
        out
    }

    fn close_all(&mut self) -> Vec<AguiEvent> {
        let mut out: Vec<AguiEvent> = self
            .open_text
            .drain()
            .map(|(_, message_id)| AguiEvent::TextMessageEnd { message_id })
            .collect();
        while let Some(step) = self.steps.pop() {
            out.push(AguiEvent::StepFinished {
                step_name: step.name,
            });
        }
        out
    }

    /// An agent starts: a sub-agent's step opens inside its sender's; an agent that takes over
    /// (a handoff) closes the step of the one it replaces.
    fn step_started(&mut self, meta: &Meta, out: &mut Vec<AguiEvent>) {
        while let Some(i) = self
            .steps
            .iter()
            .rposition(|s| s.parent == meta.parent_run_id)
        {
            let closed = self.steps.split_off(i);
            for step in closed.into_iter().rev() {
                out.push(AguiEvent::StepFinished {
                    step_name: step.name,
                });
            }
        }
        self.steps.push(Step {
            name: meta.agent.clone(),
            parent: meta.parent_run_id.clone(),
        });
        out.push(AguiEvent::StepStarted {
            step_name: meta.agent.clone(),
        });
    }

    /// The `send_message` call `call_id` answered: the steps it started are over.
    fn finish_steps_of(&mut self, call_id: &str, out: &mut Vec<AguiEvent>) {
        if let Some(i) = self
            .steps
            .iter()
            .position(|s| s.parent.as_deref() == Some(call_id))
        {
            for step in self.steps.split_off(i).into_iter().rev() {
                out.push(AguiEvent::StepFinished {
                    step_name: step.name,
                });
            }
        }
    }

    fn model(&mut self, meta: &Meta, event: &ModelEvent, out: &mut Vec<AguiEvent>) {
        match event {
            ModelEvent::TextDelta(delta) if !delta.delta.is_empty() => {
                let key = (meta.agent_run_id.clone(), delta.item_id.clone());
                let message_id = match self.open_text.get(&key) {
                    Some(id) => id.clone(),
                    None => {
                        let id = new_id();
                        out.push(AguiEvent::TextMessageStart {
                            message_id: id.clone(),
                            role: "assistant",
                        });
                        self.open_text.insert(key, id.clone());
                        id
                    }
                };
                out.push(AguiEvent::TextMessageContent {
                    message_id,
                    delta: delta.delta.clone(),
                });
            }
            ModelEvent::ItemDone(done) => {
                if let Item::Reasoning(reasoning) = &done.item {
                    let text = reasoning.summary_text();
                    if !text.is_empty() {
                        let message_id = new_id();
                        out.push(AguiEvent::ReasoningStart {
                            message_id: message_id.clone(),
                        });
                        out.push(AguiEvent::ReasoningMessageStart {
                            message_id: message_id.clone(),
                            role: "reasoning",
                        });
                        out.push(AguiEvent::ReasoningMessageContent {
                            message_id: message_id.clone(),
                            delta: text,
                        });
                        out.push(AguiEvent::ReasoningMessageEnd {
                            message_id: message_id.clone(),
                        });
                        out.push(AguiEvent::ReasoningEnd { message_id });
                    }
                }
            }
            _ => {}
        }
    }

    /// A completed assistant message: its stream closed (or sent whole, when it was not
    /// streamed), then the conversation.
    fn message(&mut self, meta: &Meta, message: &Message, out: &mut Vec<AguiEvent>) {
        let key = (
            meta.agent_run_id.clone(),
            message.id.clone().unwrap_or_default(),
        );
        let text = message.text();
        let message_id = match self.open_text.remove(&key) {
            Some(id) => {
                out.push(AguiEvent::TextMessageEnd {
                    message_id: id.clone(),
                });
                id
            }
            None => {
                let id = new_id();
                out.push(AguiEvent::TextMessageStart {
                    message_id: id.clone(),
                    role: "assistant",
                });
                if !text.is_empty() {
                    out.push(AguiEvent::TextMessageContent {
                        message_id: id.clone(),
                        delta: text.clone(),
                    });
                }
                out.push(AguiEvent::TextMessageEnd {
                    message_id: id.clone(),
                });
                id
            }
        };
        self.messages.push(AguiMessage::Assistant {
            id: Some(message_id),
            content: Some(text),
            tool_calls: Vec::new(),
        });
        self.snapshot(out);
    }

    fn tool_called(&mut self, call: &FunctionCall, out: &mut Vec<AguiEvent>) {
        let tool_call_id = call.call_id.clone();
        out.push(AguiEvent::ToolCallStart {
            tool_call_id: tool_call_id.clone(),
            tool_call_name: call.name.clone(),
        });
        let arguments = match call.arguments.trim() {
            "" => "{}".to_owned(),
            _ => call.arguments.clone(),
        };
        out.push(AguiEvent::ToolCallArgs {
            tool_call_id: tool_call_id.clone(),
            delta: arguments.clone(),
        });
        out.push(AguiEvent::ToolCallEnd {
            tool_call_id: tool_call_id.clone(),
        });
        self.messages.push(AguiMessage::Assistant {
            id: Some(new_id()),
            content: None,
            tool_calls: vec![AguiToolCall {
                id: tool_call_id,
                kind: "function".to_owned(),
                function: AguiFunction {
                    name: call.name.clone(),
                    arguments,
                },
            }],
        });
        self.snapshot(out);
    }

    fn tool_result(&mut self, item: &FunctionCallOutput, output: &Value, out: &mut Vec<AguiEvent>) {
        let content = match output {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let message_id = new_id();
        out.push(AguiEvent::ToolCallResult {
            message_id: message_id.clone(),
            tool_call_id: item.call_id.clone(),
            content: content.clone(),
            role: "tool",
        });
        self.messages.push(AguiMessage::Tool {
            id: Some(message_id),
            content,
            tool_call_id: item.call_id.clone(),
            error: None,
        });
        self.snapshot(out);
    }

    fn snapshot(&self, out: &mut Vec<AguiEvent>) {
        out.push(AguiEvent::MessagesSnapshot {
            messages: self.messages.clone(),
        });
    }

    /// The shared state again, if a tool changed it.
    fn state_changed(&mut self, out: &mut Vec<AguiEvent>) {
        let Some(state) = &self.state else {
            return;
        };
        let now = state.snapshot();
        if now != self.sent_state {
            out.push(AguiEvent::StateSnapshot {
                snapshot: Value::Object(now.clone()),
            });
            self.sent_state = now;
        }
    }
}
