//! Conversation items: OpenAI Responses input items plus the metadata of API.md §5.

use serde_json::{Map, Value, json};

/// Metadata keys added to every item; stripped before history goes to a model.
pub const METADATA_KEYS: &[&str] = &[
    "agent",
    "callerAgent",
    "timestamp",
    "agent_run_id",
    "parent_run_id",
    "run_trace_id",
    "history_protocol",
    "message_origin",
];

/// Who owns an item and which run made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemMeta {
    /// The agent that owns the item.
    pub agent: String,
    /// The agent that sent the message (`None` for the user).
    pub caller_agent: Option<String>,
    /// `agent_run_<32 hex>` of the run that made the item.
    pub agent_run_id: String,
    /// For a sub-agent's items: the `call_id` of the `send_message` call that started it.
    pub parent_run_id: Option<String>,
}

impl ItemMeta {
    /// Writes the metadata (and a timestamp in microseconds) into `item`.
    pub fn stamp(&self, mut item: Value) -> Value {
        if let Value::Object(map) = &mut item {
            map.insert("agent".into(), json!(self.agent));
            map.insert("callerAgent".into(), json!(self.caller_agent));
            map.insert("agent_run_id".into(), json!(self.agent_run_id));
            if let Some(parent) = &self.parent_run_id {
                map.insert("parent_run_id".into(), json!(parent));
            }
            map.insert("timestamp".into(), json!(now_micros()));
            map.entry("type").or_insert_with(|| json!("message"));
        }
        item
    }
}

/// A fresh `agent_run_<32 hex>` id.
pub fn new_agent_run_id() -> String {
    format!("agent_run_{}", uuid::Uuid::new_v4().simple())
}

/// Microseconds since the Unix epoch.
pub fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The item as a model sees it: metadata removed.
pub fn for_model(item: &Value) -> Value {
    match item {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                if !METADATA_KEYS.contains(&k.as_str()) {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Whether `item` is in Chat Completions form (`role: "tool"` or `tool_calls`), which the Responses
/// history cannot hold.
pub fn is_chat_completions_form(item: &Value) -> bool {
    item.get("role").and_then(Value::as_str) == Some("tool") || item.get("tool_calls").is_some()
}

/// A user message item with plain text content.
pub fn user_message(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

/// The `type` of an item (`message` when absent).
pub fn kind(item: &Value) -> &str {
    item.get("type")
        .and_then(Value::as_str)
        .unwrap_or("message")
}

/// The text of an assistant message item (its `output_text` parts joined), or `None`.
pub fn output_text(item: &Value) -> Option<String> {
    if kind(item) != "message" || item.get("role").and_then(Value::as_str) != Some("assistant") {
        return None;
    }
    match item.get("content") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(parts)) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<String>(),
        ),
        _ => None,
    }
}

/// A tool's JSON output as the string a `function_call_output` carries.
pub fn output_string(output: &Value) -> String {
    match output {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
