//! Conversation items: OpenAI Responses input items, typed, and the metadata that says which
//! agent made each one.
//!
//! An [`Item`] is what a model reads and writes: a [`Message`], a [`FunctionCall`], a
//! [`FunctionCallOutput`], a [`Reasoning`] item, or any other kind, kept as it came
//! ([`Item::Other`]). Fields a type does not model are kept too (its `extra` map), so an item
//! survives a round trip unchanged. An [`Entry`] is an item of a conversation with its [`Meta`]:
//! the agent that owns it, who called that agent, the run that made it, and when. Runs return
//! entries (`RunOutput::new_items`) and take them back as history.
//!
//! ```
//! use agency_core::item::{Entry, Item, Message, Meta};
//!
//! let json = r#"{"role": "user", "content": "Hi", "agent": "CEO", "callerAgent": null,
//!                "agent_run_id": "agent_run_1", "timestamp": 1700000000000000}"#;
//! let entry: Entry = serde_json::from_str(json).unwrap();
//! assert_eq!(entry.meta.agent, "CEO");
//! assert!(entry.meta.caller_agent.is_none());
//! let Item::Message(message) = &entry.item else { panic!("a message") };
//! assert_eq!(message.text(), "Hi");
//!
//! // Back to the wire: the item's fields, `type`, then the metadata.
//! let back = serde_json::to_value(&entry).unwrap();
//! assert_eq!(back["type"], "message");
//! assert_eq!(back["agent_run_id"], "agent_run_1");
//!
//! // A kind this crate does not model is kept as it came.
//! let other: Item = serde_json::from_str(r#"{"type": "web_search_call", "id": "ws_1"}"#).unwrap();
//! assert!(matches!(other, Item::Other(_)));
//! assert_eq!(serde_json::to_value(&other).unwrap()["id"], "ws_1");
//! # let _ = Meta::default();
//! ```

mod call;
mod entry;
mod message;

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use call::{FunctionCall, FunctionCallOutput, Reasoning, SummaryText};
pub use entry::{Entry, Meta};
pub use message::{Content, Message, Part, Role};

/// One conversation item, as the OpenAI Responses API reads and writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A message (`"type": "message"`, the default when `type` is absent).
    Message(Message),
    /// The model calls a tool.
    FunctionCall(FunctionCall),
    /// A tool's answer to a call.
    FunctionCallOutput(FunctionCallOutput),
    /// A reasoning model's reasoning.
    Reasoning(Reasoning),
    /// An item of a kind (or a shape) this crate does not model, kept as it came.
    Other(Map<String, Value>),
}

impl From<Message> for Item {
    fn from(m: Message) -> Self {
        Item::Message(m)
    }
}
impl From<FunctionCall> for Item {
    fn from(c: FunctionCall) -> Self {
        Item::FunctionCall(c)
    }
}
impl From<FunctionCallOutput> for Item {
    fn from(o: FunctionCallOutput) -> Self {
        Item::FunctionCallOutput(o)
    }
}
impl From<Reasoning> for Item {
    fn from(r: Reasoning) -> Self {
        Item::Reasoning(r)
    }
}

impl Item {
    /// The item's `type` on the wire.
    pub fn kind(&self) -> &str {
        match self {
            Item::Message(_) => "message",
            Item::FunctionCall(_) => "function_call",
            Item::FunctionCallOutput(_) => "function_call_output",
            Item::Reasoning(_) => "reasoning",
            Item::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or("message"),
        }
    }

    /// The `call_id` of a function call or of its output.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            Item::FunctionCall(c) => Some(&c.call_id),
            Item::FunctionCallOutput(o) => Some(&o.call_id),
            Item::Other(map) => map.get("call_id").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The provider's id of the item (`msg_...`, `fc_...`), if it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Item::Message(m) => m.id.as_deref(),
            Item::FunctionCall(c) => c.id.as_deref(),
            Item::Reasoning(r) => r.id.as_deref(),
            Item::FunctionCallOutput(_) => None,
            Item::Other(map) => map.get("id").and_then(Value::as_str),
        }
    }

    /// The text of an assistant message, `None` for any other item.
    pub fn assistant_text(&self) -> Option<String> {
        match self {
            Item::Message(m) if m.role == Role::Assistant => Some(m.text()),
            _ => None,
        }
    }

    /// Whether the item is in Chat Completions form (`role: "tool"` or `tool_calls`), which a
    /// Responses conversation cannot hold.
    pub fn is_chat_completions_form(&self) -> bool {
        match self {
            Item::Message(m) => m.extra.contains_key("tool_calls"),
            Item::Other(map) => {
                map.get("role").and_then(Value::as_str) == Some("tool")
                    || map.contains_key("tool_calls")
            }
            _ => false,
        }
    }

    /// Reads an item from a JSON object; a kind or a shape it does not model stays
    /// [`Item::Other`], unchanged.
    pub fn from_map(mut map: Map<String, Value>) -> Item {
        let kind = match map.get("type") {
            None => "message",
            Some(Value::String(s)) => match s.as_str() {
                "message" => "message",
                "function_call" => "function_call",
                "function_call_output" => "function_call_output",
                "reasoning" => "reasoning",
                _ => return Item::Other(map),
            },
            Some(_) => return Item::Other(map),
        };
        let tag = map.shift_remove("type");
        let value = Value::Object(map);
        let typed = match kind {
            "message" => Message::deserialize(&value).map(Item::Message),
            "function_call" => FunctionCall::deserialize(&value).map(Item::FunctionCall),
            "function_call_output" => {
                FunctionCallOutput::deserialize(&value).map(Item::FunctionCallOutput)
            }
            _ => Reasoning::deserialize(&value).map(Item::Reasoning),
        };
        match typed {
            Ok(item) => item,
            Err(_) => {
                let Value::Object(mut map) = value else {
                    return Item::Other(Map::new());
                };
                if let Some(tag) = tag {
                    map.insert("type".to_owned(), tag);
                }
                Item::Other(map)
            }
        }
    }
}

/// A borrowed body serialized with a `type` field before its own: how a [`FunctionCall`],
/// [`Message`], ... (or a model event) goes on the wire without being moved into an enum.
///
/// ```
/// use agency_core::item::{FunctionCall, Tagged};
///
/// let call = FunctionCall::new("call_1", "add", "{}");
/// let json = serde_json::to_value(Tagged { kind: "function_call", body: &call }).unwrap();
/// assert_eq!(json["type"], "function_call");
/// assert_eq!(json["name"], "add");
/// ```
#[derive(Debug, Serialize)]
pub struct Tagged<'a, T> {
    /// The `type`.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// The other fields.
    #[serde(flatten)]
    pub body: &'a T,
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn tagged<S: Serializer, T: Serialize>(
            s: S,
            kind: &'static str,
            body: &T,
        ) -> Result<S::Ok, S::Error> {
            Tagged { kind, body }.serialize(s)
        }
        match self {
            Item::Message(m) => tagged(s, "message", m),
            Item::FunctionCall(c) => tagged(s, "function_call", c),
            Item::FunctionCallOutput(o) => tagged(s, "function_call_output", o),
            Item::Reasoning(r) => tagged(s, "reasoning", r),
            Item::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(d).map(Item::from_map)
    }
}

impl schemars::JsonSchema for Item {
    fn schema_name() -> Cow<'static, str> {
        "Item".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "An OpenAI Responses input item: a message ({role, content}), a function_call, a function_call_output, a reasoning item, or another kind.",
            "additionalProperties": true,
        })
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
