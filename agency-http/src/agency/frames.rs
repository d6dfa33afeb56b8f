//! The JSON of a run's events in a `get_response_stream` frame: `{"data": <event>}`, where the
//! event is Agency Swarm's (`raw_response_event`, `run_item_stream_event`,
//! `agent_updated_stream_event`, `error`), with the agent run's metadata.

use std::borrow::Cow;

use agency_core::RunEvent;
use agency_core::item::{FunctionCall, FunctionCallOutput, Message, Meta, Tagged};
use agency_core::model::ModelEvent;
use serde::Serialize;
use serde_json::Value;

/// `event` as the JSON of Agency Swarm's stream events: the value under `"data"` in a
/// `get_response_stream` frame. For building your own streaming endpoint.
///
/// ```
/// use std::sync::Arc;
/// use agency_core::{Meta, RunEvent};
///
/// let meta = Arc::new(Meta { agent: "CEO".into(), agent_run_id: "agent_run_1".into(), ..Meta::default() });
/// let json = agency_http::agency::event_json(&RunEvent::AgentUpdated { meta });
/// assert_eq!(json["type"], "agent_updated_stream_event");
/// assert_eq!(json["new_agent"]["name"], "CEO");
/// assert!(json["callerAgent"].is_null());
/// ```
pub fn event_json(event: &RunEvent) -> Value {
    serde_json::to_value(EventJson::of(event)).unwrap_or(Value::Null)
}

/// The frame of `event`, as JSON text.
pub(crate) fn event_frame(event: &RunEvent) -> String {
    let frame = Frame {
        data: EventJson::of(event),
    };
    serde_json::to_string(&frame).unwrap_or_else(|e| {
        tracing::error!("could not serialize a stream event: {e}");
        r#"{"data":{"type":"error","content":"internal error: an event could not be serialized"}}"#
            .to_owned()
    })
}

#[derive(Serialize)]
struct Frame<'a> {
    data: EventJson<'a>,
}

#[derive(Serialize)]
struct EventJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: Body<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_id: Option<Cow<'a, str>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    meta: Option<MetaJson<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Raw {
        data: &'a ModelEvent,
    },
    RunItem {
        name: &'static str,
        item: RunItem<'a>,
    },
    AgentUpdated {
        new_agent: Named<'a>,
    },
    Error {
        content: &'a str,
    },
}

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct RunItem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    raw_item: RawItem<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_agent: Option<Named<'a>>,
}

/// An item as the model reads it: its `type` and fields, no metadata.
#[derive(Serialize)]
#[serde(untagged)]
enum RawItem<'a> {
    Call(Tagged<'a, FunctionCall>),
    Output(Tagged<'a, FunctionCallOutput>),
    Message(Tagged<'a, Message>),
}

fn call(c: &FunctionCall) -> RawItem<'_> {
    RawItem::Call(Tagged {
        kind: "function_call",
        body: c,
    })
}

fn output(o: &FunctionCallOutput) -> RawItem<'_> {
    RawItem::Output(Tagged {
        kind: "function_call_output",
        body: o,
    })
}

#[derive(Serialize)]
struct MetaJson<'a> {
    agent: &'a str,
    #[serde(rename = "callerAgent")]
    caller_agent: Option<&'a str>,
    agent_run_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_run_id: Option<&'a str>,
}

impl<'a> MetaJson<'a> {
    fn of(meta: &'a Meta) -> Self {
        MetaJson {
            agent: &meta.agent,
            caller_agent: meta.caller_agent.as_deref(),
            agent_run_id: &meta.agent_run_id,
            parent_run_id: meta.parent_run_id.as_deref(),
        }
    }
}

impl<'a> EventJson<'a> {
    fn run_item(
        meta: &'a Meta,
        name: &'static str,
        kind: &'static str,
        raw_item: RawItem<'a>,
        call_id: Option<&'a str>,
    ) -> Self {
        EventJson {
            kind: "run_item_stream_event",
            body: Body::RunItem {
                name,
                item: RunItem {
                    kind,
                    raw_item,
                    output: None,
                    target_agent: None,
                },
            },
            item_id: None,
            call_id: call_id.map(Cow::Borrowed),
            meta: Some(MetaJson::of(meta)),
        }
    }

    fn of(event: &'a RunEvent) -> Self {
        match event {
            RunEvent::AgentUpdated { meta } => EventJson {
                kind: "agent_updated_stream_event",
                body: Body::AgentUpdated {
                    new_agent: Named { name: &meta.agent },
                },
                item_id: None,
                call_id: None,
                meta: Some(MetaJson::of(meta)),
            },
            RunEvent::Model { meta, event } => {
                let (item_id, call_id) = match event {
                    ModelEvent::TextDelta(d) | ModelEvent::ArgumentsDelta(d) => {
                        (Some(Cow::Borrowed(d.item_id.as_str())), None)
                    }
                    ModelEvent::ItemAdded(e) | ModelEvent::ItemDone(e) => (
                        None,
                        e.item.call_id().or_else(|| e.item.id()).map(Cow::Borrowed),
                    ),
                    _ => {
                        let (item_id, call_id) = passed_ids(event);
                        (item_id.map(Cow::Owned), call_id.map(Cow::Owned))
                    }
                };
                EventJson {
                    kind: "raw_response_event",
                    body: Body::Raw { data: event },
                    item_id,
                    call_id,
                    meta: Some(MetaJson::of(meta)),
                }
            }
            RunEvent::ToolCalled { meta, call: c } => Self::run_item(
                meta,
                "tool_called",
                "tool_call_item",
                call(c),
                Some(&c.call_id),
            ),
            RunEvent::ToolOutput {
                meta,
                item,
                output: value,
            } => {
                let mut json = Self::run_item(
                    meta,
                    "tool_output",
                    "tool_call_output_item",
                    output(item),
                    Some(&item.call_id),
                );
                if let Body::RunItem { item, .. } = &mut json.body {
                    item.output = Some(value);
                }
                json
            }
            RunEvent::MessageOutput { meta, message } => Self::run_item(
                meta,
                "message_output_created",
                "message_output_item",
                RawItem::Message(Tagged {
                    kind: "message",
                    body: message,
                }),
                None,
            ),
            RunEvent::HandoffRequested { meta, call: c } => Self::run_item(
                meta,
                "handoff_requested",
                "handoff_call_item",
                call(c),
                Some(&c.call_id),
            ),
            RunEvent::HandoffOccurred { meta, item, target } => {
                let mut json = Self::run_item(
                    meta,
                    "handoff_occured",
                    "handoff_output_item",
                    output(item),
                    Some(&item.call_id),
                );
                if let Body::RunItem { item, .. } = &mut json.body {
                    item.target_agent = Some(Named { name: target });
                }
                json
            }
            RunEvent::Error { message, meta } => EventJson {
                kind: "error",
                body: Body::Error { content: message },
                item_id: None,
                call_id: None,
                meta: meta.as_deref().map(MetaJson::of),
            },
            _ => EventJson {
                kind: "error",
                body: Body::Error {
                    content: "an event of an unknown kind",
                },
                item_id: None,
                call_id: None,
                meta: event.meta().map(MetaJson::of),
            },
        }
    }
}

/// The ids an event passed through untyped may carry: `item_id`, and its item's `call_id` or `id`.
#[derive(serde::Deserialize)]
struct PassedIds {
    #[serde(default)]
    item_id: Option<String>,
    #[serde(default)]
    item: Option<PassedItem>,
}

#[derive(serde::Deserialize)]
struct PassedItem {
    #[serde(default)]
    call_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// `item_id` and the item's `call_id` (or `id`) of an event passed through untyped, read in one
/// pass over its text (nothing else of it is kept).
fn passed_ids(event: &ModelEvent) -> (Option<String>, Option<String>) {
    let Some(text) = event
        .raw_json()
        .filter(|_| matches!(event, ModelEvent::Other(_)))
    else {
        return (None, None);
    };
    match serde_json::from_str::<PassedIds>(text) {
        Ok(ids) => (ids.item_id, ids.item.and_then(|i| i.call_id.or(i.id))),
        Err(_) => (None, None),
    }
}
