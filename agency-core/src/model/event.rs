//! The events of a model's streamed answer, typed, in the OpenAI Responses API's vocabulary.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::item::Item;

/// One event of a model's streamed answer.
///
/// Every back end yields these: the Responses API's events are read into them, the Chat
/// Completions back end and scripted models produce them directly. The kinds the run loop
/// needs are typed; any other kind (`response.in_progress`, `response.content_part.added`,
/// reasoning summary deltas, ...) passes through unchanged as [`ModelEvent::Other`].
/// Serialized, an event is the Responses API's own stream event.
///
/// ```
/// use agency_core::model::ModelEvent;
///
/// let event: ModelEvent = serde_json::from_str(
///     r#"{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
///         "content_index": 0, "delta": "Hel", "sequence_number": 3}"#,
/// ).unwrap();
/// let ModelEvent::TextDelta(delta) = &event else { panic!("a text delta") };
/// assert_eq!(delta.delta, "Hel");
/// // Back to the wire unchanged, fields it does not model included.
/// assert_eq!(serde_json::to_value(&event).unwrap()["sequence_number"], 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ModelEvent {
    /// `response.created`: the model started answering.
    Created(ResponseEvent),
    /// `response.output_item.added`: an output item starts.
    ItemAdded(ItemEvent),
    /// `response.output_text.delta`: a piece of a message's text.
    TextDelta(DeltaEvent),
    /// `response.function_call_arguments.delta`: a piece of a call's arguments.
    ArgumentsDelta(DeltaEvent),
    /// `response.output_item.done`: an output item is complete.
    ItemDone(ItemEvent),
    /// `response.completed` (or `response.incomplete`): the answer ended, with its usage.
    Completed(ResponseEvent),
    /// `response.failed` or `error`: the model could not answer.
    Failed {
        /// Why, as the provider said it.
        message: String,
    },
    /// An event of a kind the run loop does not need, as the provider sent it.
    Other(Value),
}

/// An event about the whole response (`response.created`, `response.completed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEvent {
    /// The response.
    pub response: ResponseInfo,
    /// Every other field (`sequence_number`, ...), kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a response event says of the response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseInfo {
    /// The provider's id (`resp_...`).
    #[serde(default)]
    pub id: String,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `in_progress`, `completed`, `incomplete`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Tokens used (on `response.completed`).
    #[serde(default)]
    pub usage: Option<TokenUsage>,
    /// Every other field, kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Token counts of one model call, with the Responses API's field names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens, cached ones included.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens, reasoning ones included.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input plus output (0: not reported).
    #[serde(default)]
    pub total_tokens: u64,
    /// Details of the input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens_details: Option<InputTokensDetails>,
    /// Details of the output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_details: Option<OutputTokensDetails>,
}

/// Details of a call's input tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTokensDetails {
    /// Served from the provider's cache.
    #[serde(default)]
    pub cached_tokens: u64,
    /// Written to the provider's cache.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_tokens: u64,
}

/// Details of a call's output tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputTokensDetails {
    /// Spent on reasoning.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An event about one output item (`response.output_item.added` / `.done`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEvent {
    /// The item's place in the response's output.
    #[serde(default)]
    pub output_index: usize,
    /// The item (complete on `.done`).
    pub item: Item,
    /// Every other field, kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A piece of an item's text or arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeltaEvent {
    /// The item it belongs to.
    #[serde(default)]
    pub item_id: String,
    /// The item's place in the response's output.
    #[serde(default)]
    pub output_index: usize,
    /// The content part it belongs to (text deltas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_index: Option<usize>,
    /// The piece.
    pub delta: String,
    /// Every other field (`sequence_number`, `logprobs`, ...), kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DeltaEvent {
    /// A piece `delta` of item `item_id`.
    pub fn new(item_id: impl Into<String>, output_index: usize, delta: impl Into<String>) -> Self {
        DeltaEvent {
            item_id: item_id.into(),
            output_index,
            content_index: None,
            delta: delta.into(),
            extra: Map::new(),
        }
    }
}

impl ItemEvent {
    /// Item `item` at `output_index`.
    pub fn new(output_index: usize, item: impl Into<Item>) -> Self {
        ItemEvent {
            output_index,
            item: item.into(),
            extra: Map::new(),
        }
    }
}

impl ModelEvent {
    /// The Responses API's name for the event (`response.output_text.delta`, ...).
    pub fn kind(&self) -> &str {
        match self {
            ModelEvent::Created(_) => "response.created",
            ModelEvent::ItemAdded(_) => "response.output_item.added",
            ModelEvent::TextDelta(_) => "response.output_text.delta",
            ModelEvent::ArgumentsDelta(_) => "response.function_call_arguments.delta",
            ModelEvent::ItemDone(_) => "response.output_item.done",
            ModelEvent::Completed(e) => match e.response.status.as_deref() {
                Some("incomplete") => "response.incomplete",
                _ => "response.completed",
            },
            ModelEvent::Failed { .. } => "error",
            ModelEvent::Other(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// Reads an event from its JSON; a kind (or a shape) it does not model stays
    /// [`ModelEvent::Other`].
    pub fn from_value(value: Value) -> ModelEvent {
        let Value::Object(mut map) = value else {
            return ModelEvent::Other(value);
        };
        let kind = match map.get("type").and_then(Value::as_str) {
            Some(k) => k.to_owned(),
            None => return ModelEvent::Other(Value::Object(map)),
        };
        if kind == "response.failed" || kind == "error" {
            let value = Value::Object(map);
            let message = value
                .pointer("/response/error/message")
                .or_else(|| value.get("message"))
                .or_else(|| value.pointer("/error/message"))
                .and_then(Value::as_str)
                .unwrap_or("the response failed")
                .to_owned();
            return ModelEvent::Failed { message };
        }
        let tag = map.shift_remove("type");
        let body = Value::Object(map);
        let typed = match kind.as_str() {
            "response.created" => ResponseEvent::deserialize(&body).map(ModelEvent::Created),
            "response.output_item.added" => {
                ItemEvent::deserialize(&body).map(ModelEvent::ItemAdded)
            }
            "response.output_text.delta" => {
                DeltaEvent::deserialize(&body).map(ModelEvent::TextDelta)
            }
            "response.function_call_arguments.delta" => {
                DeltaEvent::deserialize(&body).map(ModelEvent::ArgumentsDelta)
            }
            "response.output_item.done" => ItemEvent::deserialize(&body).map(ModelEvent::ItemDone),
            "response.completed" | "response.incomplete" => {
                ResponseEvent::deserialize(&body).map(|mut e| {
                    if kind == "response.incomplete" {
                        e.response.status = Some("incomplete".to_owned());
                    }
                    ModelEvent::Completed(e)
                })
            }
            _ => Err(serde::de::Error::custom("not modelled")),
        };
        typed.unwrap_or_else(|_: serde_json::Error| {
            let Value::Object(mut map) = body else {
                return ModelEvent::Other(body);
            };
            if let Some(tag) = tag {
                map.insert("type".to_owned(), tag);
            }
            ModelEvent::Other(Value::Object(map))
        })
    }
}

#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

impl Serialize for ModelEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let kind = self.kind();
        match self {
            ModelEvent::Created(e) | ModelEvent::Completed(e) => Tagged { kind, body: e }.serialize(s),
            ModelEvent::ItemAdded(e) | ModelEvent::ItemDone(e) => {
                Tagged { kind, body: e }.serialize(s)
            }
            ModelEvent::TextDelta(e) | ModelEvent::ArgumentsDelta(e) => {
                Tagged { kind, body: e }.serialize(s)
            }
            ModelEvent::Failed { message } => {
                #[derive(Serialize)]
                struct Failed<'a> {
                    message: &'a str,
                }
                Tagged {
                    kind,
                    body: &Failed { message },
                }
                .serialize(s)
            }
            ModelEvent::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ModelEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(ModelEvent::from_value)
    }
}
