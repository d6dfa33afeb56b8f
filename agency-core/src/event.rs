//! The typed events of a run, one to one with the stream frames of API.md §6.

use std::sync::Arc;

use serde_json::{Map, Value, json};

/// Who produced an event: the agent, who called it, and which run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// The agent running.
    pub agent: String,
    /// The agent that sent it the message (`None` for the user).
    pub caller_agent: Option<String>,
    /// `agent_run_<32 hex>`.
    pub agent_run_id: String,
    /// For a sub-agent: the `call_id` of the `send_message` call that started it.
    pub parent_run_id: Option<String>,
}

/// One event of a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunEvent {
    /// An agent starts (or takes over after a handoff).
    AgentUpdated {
        /// Who.
        meta: Arc<EventMeta>,
    },
    /// An OpenAI Responses stream event, as the model sent it.
    Raw {
        /// Who.
        meta: Arc<EventMeta>,
        /// The event (`response.output_text.delta`, ...).
        event: Value,
    },
    /// The model called a tool.
    ToolCalled {
        /// Who.
        meta: Arc<EventMeta>,
        /// The `function_call` item.
        item: Value,
    },
    /// A tool returned.
    ToolOutput {
        /// Who.
        meta: Arc<EventMeta>,
        /// The `function_call_output` item.
        item: Value,
        /// The tool's output as JSON.
        output: Value,
    },
    /// The model wrote a message.
    MessageOutput {
        /// Who.
        meta: Arc<EventMeta>,
        /// The assistant `message` item.
        item: Value,
    },
    /// The model asked to hand the conversation to another agent.
    HandoffRequested {
        /// Who.
        meta: Arc<EventMeta>,
        /// The `function_call` item of the `transfer_to_*` tool.
        item: Value,
    },
    /// The handoff happened.
    HandoffOccurred {
        /// Who (the agent that handed off).
        meta: Arc<EventMeta>,
        /// The `function_call_output` item of the transfer.
        item: Value,
        /// The agent that takes over.
        target: String,
    },
    /// The run failed; the stream still ends normally after it.
    Error {
        /// What failed and why.
        message: String,
        /// The agent whose run failed (`None` when the run could not start).
        meta: Option<Arc<EventMeta>>,
    },
}

impl RunEvent {
    /// The event as the JSON object of API.md §6 (the value under `"data"` in an SSE frame).
    pub fn to_json(&self) -> Value {
        let (meta, mut out) = match self {
            RunEvent::Error { message, meta } => {
                let out = json!({"type": "error", "content": message});
                match meta {
                    Some(meta) => (meta, out),
                    None => return out,
                }
            }
            RunEvent::AgentUpdated { meta } => (
                meta,
                json!({"type": "agent_updated_stream_event", "new_agent": {"name": meta.agent}}),
            ),
            RunEvent::Raw { meta, event } => {
                let mut out = json!({"type": "raw_response_event", "data": event});
                if let Some(item_id) = event.get("item_id") {
                    out["item_id"] = item_id.clone();
                }
                if let Some(item) = event.get("item")
                    && let Some(id) = item.get("call_id").or_else(|| item.get("id"))
                {
                    out["call_id"] = id.clone();
                }
                (meta, out)
            }
            RunEvent::ToolCalled { meta, item } => {
                (meta, run_item("tool_called", "tool_call_item", item, None))
            }
            RunEvent::ToolOutput { meta, item, output } => (
                meta,
                run_item(
                    "tool_output",
                    "tool_call_output_item",
                    item,
                    Some(("output", output.clone())),
                ),
            ),
            RunEvent::MessageOutput { meta, item } => (
                meta,
                run_item("message_output_created", "message_output_item", item, None),
            ),
            RunEvent::HandoffRequested { meta, item } => (
                meta,
                run_item("handoff_requested", "handoff_call_item", item, None),
            ),
            RunEvent::HandoffOccurred { meta, item, target } => (
                meta,
                run_item(
                    "handoff_occured",
                    "handoff_output_item",
                    item,
                    Some(("target_agent", json!({"name": target}))),
                ),
            ),
        };
        if let Value::Object(map) = &mut out {
            map.insert("agent".into(), json!(meta.agent));
            map.insert("callerAgent".into(), json!(meta.caller_agent));
            map.insert("agent_run_id".into(), json!(meta.agent_run_id));
            if let Some(parent) = &meta.parent_run_id {
                map.insert("parent_run_id".into(), json!(parent));
            }
        }
        out
    }

    /// Who produced the event (`None` for an [`RunEvent::Error`] of a run that could not start).
    pub fn meta(&self) -> Option<&EventMeta> {
        match self {
            RunEvent::AgentUpdated { meta }
            | RunEvent::Raw { meta, .. }
            | RunEvent::ToolCalled { meta, .. }
            | RunEvent::ToolOutput { meta, .. }
            | RunEvent::MessageOutput { meta, .. }
            | RunEvent::HandoffRequested { meta, .. }
            | RunEvent::HandoffOccurred { meta, .. } => Some(meta),
            RunEvent::Error { meta, .. } => meta.as_deref(),
        }
    }
}

fn run_item(name: &str, kind: &str, raw: &Value, extra: Option<(&str, Value)>) -> Value {
    let mut item = Map::new();
    item.insert("type".into(), json!(kind));
    item.insert("raw_item".into(), crate::item::for_model(raw));
    if let Some((k, v)) = extra {
        item.insert(k.into(), v);
    }
    let mut out = json!({"type": "run_item_stream_event", "name": name, "item": item});
    if let Some(call_id) = raw.get("call_id") {
        out["call_id"] = call_id.clone();
    }
    out
}
