//! The events of a model's streamed answer, typed, in the OpenAI Responses API's vocabulary.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::item::{Item, Tagged};

/// One event of a model's streamed answer.
///
/// Every back end yields these: the Responses API's events are read into them, the Chat
/// Completions back end and scripted models produce them directly. The kinds the run loop
/// needs are typed; any other kind (`response.in_progress`, `response.content_part.added`,
/// reasoning summary deltas, ...) passes through unchanged as [`ModelEvent::Other`].
/// Serialized, an event is the Responses API's own stream event: an event read from a provider
/// is written back exactly as it came (its typed fields are read from it, the text is kept), an
/// event made here (Chat Completions, scripted models) is written from its typed fields.
///
/// ```
/// use agency_core::model::ModelEvent;
///
/// let event = ModelEvent::from_json(
///     r#"{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
///         "content_index": 0, "delta": "Hel", "sequence_number": 3}"#,
/// ).unwrap();
/// let ModelEvent::TextDelta(delta) = &event else { panic!("a text delta") };
/// assert_eq!(delta.delta, "Hel");
/// // Back to the wire unchanged, fields it does not model included.
/// assert_eq!(serde_json::to_value(&event).unwrap()["sequence_number"], 3);
/// ```
#[derive(Debug, Clone)]
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
    Other(Box<RawValue>),
}

impl PartialEq for ModelEvent {
    fn eq(&self, other: &Self) -> bool {
        use ModelEvent::*;
        match (self, other) {
            (Created(a), Created(b)) | (Completed(a), Completed(b)) => a == b,
            (ItemAdded(a), ItemAdded(b)) | (ItemDone(a), ItemDone(b)) => a == b,
            (TextDelta(a), TextDelta(b)) | (ArgumentsDelta(a), ArgumentsDelta(b)) => a == b,
            (Failed { message: a }, Failed { message: b }) => a == b,
            (Other(a), Other(b)) => a.get() == b.get(),
            _ => false,
        }
    }
}

/// The text of an event as the provider sent it, kept to write it back unchanged.
#[derive(Debug, Clone, Default)]
pub struct Raw(Option<Box<RawValue>>);

impl PartialEq for Raw {
    /// Raw texts never make two events differ: their typed fields do.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// An event about the whole response (`response.created`, `response.completed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEvent {
    /// The response.
    pub response: ResponseInfo,
    /// The event as it came, if it came from a provider.
    #[serde(skip)]
    pub raw: Raw,
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
    /// The event as it came, if it came from a provider.
    #[serde(skip)]
    pub raw: Raw,
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
    /// The event as it came, if it came from a provider.
    #[serde(skip)]
    pub raw: Raw,
}

impl DeltaEvent {
    /// A piece `delta` of item `item_id`.
    pub fn new(item_id: impl Into<String>, output_index: usize, delta: impl Into<String>) -> Self {
        DeltaEvent {
            item_id: item_id.into(),
            output_index,
            content_index: None,
            delta: delta.into(),
            raw: Raw::default(),
        }
    }
}

impl ItemEvent {
    /// Item `item` at `output_index`.
    pub fn new(output_index: usize, item: impl Into<Item>) -> Self {
        ItemEvent {
            output_index,
            item: item.into(),
            raw: Raw::default(),
        }
    }
}

#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

/// The `type` of an event's JSON text. Providers write it first (`{"type":"response.created",`),
/// which is read without scanning the rest; any other layout is parsed.
fn peek_kind(text: &str) -> Option<Cow<'_, str>> {
    const FIRST: &str = "{\"type\":\"";
    if let Some(rest) = text.strip_prefix(FIRST)
        && let Some(end) = rest.find('"')
        && !rest[..end].contains('\\')
    {
        return Some(Cow::Borrowed(&rest[..end]));
    }
    serde_json::from_str::<Kind>(text).ok().map(|k| k.kind)
}

#[derive(Deserialize)]
struct Failure {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<ErrorBody>,
    #[serde(default)]
    response: Option<FailedResponse>,
}

#[derive(Deserialize)]
struct FailedResponse {
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

impl ModelEvent {
    /// The Responses API's name for the event (`response.output_text.delta`, ...).
    pub fn kind(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
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
            ModelEvent::Other(raw) => {
                return serde_json::from_str::<Kind>(raw.get())
                    .map(|k| Cow::Owned(k.kind.into_owned()))
                    .unwrap_or(Cow::Borrowed(""));
            }
        })
    }

    /// Reads an event from its JSON text; a kind (or a shape) it does not model stays
    /// [`ModelEvent::Other`], and text that is not a JSON object is an error.
    pub fn from_json(text: &str) -> Result<ModelEvent, serde_json::Error> {
        let raw = RawValue::from_string(text.to_owned())?;
        Ok(ModelEvent::from_raw(raw))
    }

    /// Reads an event from its raw JSON: only the fields the typed variant has are parsed, and
    /// the text is kept to write the event back unchanged.
    pub fn from_raw(raw: Box<RawValue>) -> ModelEvent {
        let text = raw.get();
        let Some(kind) = peek_kind(text) else {
            return ModelEvent::Other(raw);
        };
        let typed = match &*kind {
            "response.created" => {
                serde_json::from_str::<ResponseEvent>(text).map(ModelEvent::Created)
            }
            "response.output_item.added" => {
                serde_json::from_str::<ItemEvent>(text).map(ModelEvent::ItemAdded)
            }
            "response.output_text.delta" => {
                serde_json::from_str::<DeltaEvent>(text).map(ModelEvent::TextDelta)
            }
            "response.function_call_arguments.delta" => {
                serde_json::from_str::<DeltaEvent>(text).map(ModelEvent::ArgumentsDelta)
            }
            "response.output_item.done" => {
                serde_json::from_str::<ItemEvent>(text).map(ModelEvent::ItemDone)
            }
            "response.completed" | "response.incomplete" => {
                serde_json::from_str::<ResponseEvent>(text).map(|mut e| {
                    if kind == "response.incomplete" {
                        e.response.status = Some("incomplete".to_owned());
                    }
                    ModelEvent::Completed(e)
                })
            }
            "response.failed" | "error" => serde_json::from_str::<Failure>(text).map(|f| {
                let message = f
                    .response
                    .and_then(|r| r.error)
                    .and_then(|e| e.message)
                    .or(f.message)
                    .or_else(|| f.error.and_then(|e| e.message))
                    .unwrap_or_else(|| "the response failed".to_owned());
                ModelEvent::Failed { message }
            }),
            _ => return ModelEvent::Other(raw),
        };
        match typed {
            Ok(mut event) => {
                event.keep_raw(raw);
                event
            }
            Err(_) => ModelEvent::Other(raw),
        }
    }

    fn keep_raw(&mut self, raw: Box<RawValue>) {
        let slot = match self {
            ModelEvent::Created(e) | ModelEvent::Completed(e) => &mut e.raw,
            ModelEvent::ItemAdded(e) | ModelEvent::ItemDone(e) => &mut e.raw,
            ModelEvent::TextDelta(e) | ModelEvent::ArgumentsDelta(e) => &mut e.raw,
            ModelEvent::Failed { .. } | ModelEvent::Other(_) => return,
        };
        slot.0 = Some(raw);
    }

    fn raw(&self) -> Option<&RawValue> {
        match self {
            ModelEvent::Created(e) | ModelEvent::Completed(e) => e.raw.0.as_deref(),
            ModelEvent::ItemAdded(e) | ModelEvent::ItemDone(e) => e.raw.0.as_deref(),
            ModelEvent::TextDelta(e) | ModelEvent::ArgumentsDelta(e) => e.raw.0.as_deref(),
            ModelEvent::Other(raw) => Some(raw),
            ModelEvent::Failed { .. } => None,
        }
    }

    /// The event's JSON text as the provider sent it; `None` for events made here.
    pub fn raw_json(&self) -> Option<&str> {
        self.raw().map(RawValue::get)
    }
}

impl Serialize for ModelEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(raw) = self.raw() {
            return raw.serialize(s);
        }
        let kind = self.kind();
        let kind = &*kind;
        match self {
            ModelEvent::Created(e) | ModelEvent::Completed(e) => {
                Tagged { kind, body: e }.serialize(s)
            }
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
            ModelEvent::Other(raw) => raw.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ModelEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(ModelEvent::from_raw)
    }
}
