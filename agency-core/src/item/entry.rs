//! An item of a conversation with its metadata.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::Item;

/// Who made an item or an event, and in which run.
///
/// Items carry it on the wire as `agent`, `callerAgent`, `agent_run_id`, `parent_run_id` and
/// `timestamp`; it is removed before history goes to a model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Meta {
    /// The agent that owns the item (the one running, for an event). Empty for an item a client
    /// sent without metadata.
    pub agent: String,
    /// The agent that sent this agent the message; `None` for the user.
    pub caller_agent: Option<String>,
    /// `agent_run_<32 hex>`: the run of `agent` that made the item.
    pub agent_run_id: String,
    /// For a sub-agent's items: the `call_id` of the `send_message` call that started it.
    pub parent_run_id: Option<String>,
    /// When the item was made (for an event: when the agent's run started), in microseconds
    /// since the Unix epoch; 0 when unknown.
    pub timestamp: u64,
}

impl Meta {
    /// Metadata for a fresh run of `agent` called by `caller`, stamped now.
    pub fn new_run(agent: &str, caller: Option<&str>, parent_run_id: Option<&str>) -> Meta {
        Meta {
            agent: agent.to_owned(),
            caller_agent: caller.map(str::to_owned),
            agent_run_id: super::new_agent_run_id(),
            parent_run_id: parent_run_id.map(str::to_owned),
            timestamp: super::now_micros(),
        }
    }

    /// The same metadata stamped now.
    pub fn now(&self) -> Meta {
        Meta {
            timestamp: super::now_micros(),
            ..self.clone()
        }
    }
}

/// An item of a conversation and its [`Meta`]: what `RunOutput::new_items` holds and what a
/// history (`chat_history`) is made of.
///
/// On the wire it is the item's JSON object with the metadata keys added; the keys Agency
/// Swarm adds for its own bookkeeping (`run_trace_id`, `history_protocol`, `message_origin`)
/// are dropped on reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The item, as a model reads it.
    pub item: Item,
    /// Who made it.
    pub meta: Meta,
}

impl Entry {
    /// `item` made by `meta`'s agent.
    pub fn new(item: impl Into<Item>, meta: Meta) -> Entry {
        Entry {
            item: item.into(),
            meta,
        }
    }

    /// Whether the entry belongs to the user's thread (no calling agent).
    pub fn is_user_thread(&self) -> bool {
        self.meta.caller_agent.is_none()
    }
}

/// Keys Agency Swarm adds for its own bookkeeping, dropped on reading.
const DROPPED_KEYS: [&str; 3] = ["run_trace_id", "history_protocol", "message_origin"];

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(flatten)]
    item: &'a Item,
    #[serde(skip_serializing_if = "str::is_empty")]
    agent: &'a str,
    #[serde(rename = "callerAgent")]
    caller_agent: &'a Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    agent_run_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_run_id: &'a Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    timestamp: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = &self.meta;
        Wire {
            item: &self.item,
            agent: &m.agent,
            caller_agent: &m.caller_agent,
            agent_run_id: &m.agent_run_id,
            parent_run_id: &m.parent_run_id,
            timestamp: m.timestamp,
        }
        .serialize(s)
    }
}

impl Entry {
    /// Reads an entry from a JSON object: the metadata keys become [`Meta`], the rest the item.
    pub fn from_map(mut map: Map<String, Value>) -> Entry {
        let mut text = |key: &str| match map.shift_remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let agent = text("agent").unwrap_or_default();
        let caller_agent = text("callerAgent");
        let agent_run_id = text("agent_run_id").unwrap_or_default();
        let parent_run_id = text("parent_run_id");
        let timestamp = match map.shift_remove("timestamp") {
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
                .unwrap_or(0),
            _ => 0,
        };
        for key in DROPPED_KEYS {
            map.shift_remove(key);
        }
        Entry {
            item: Item::from_map(map),
            meta: Meta {
                agent,
                caller_agent,
                agent_run_id,
                parent_run_id,
                timestamp,
            },
        }
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(d).map(Entry::from_map)
    }
}

impl schemars::JsonSchema for Entry {
    fn schema_name() -> Cow<'static, str> {
        "Entry".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "A conversation item (an OpenAI Responses input item) with its metadata: agent, callerAgent, agent_run_id, parent_run_id, timestamp.",
            "additionalProperties": true,
        })
    }
}
