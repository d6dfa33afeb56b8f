//! One frame of a `get_response_stream` answer, as it is sent and recorded.

use std::sync::Arc;

use agency_core::Entry;
use axum::response::sse::Event;

/// What a frame is: its SSE event name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// `event: meta`, first: `{"run_id": ...}`.
    Meta,
    /// An unnamed frame: `{"data": <event>}`, or `{"error": ...}`.
    Event,
    /// `event: messages`: the run's new items and usage.
    Messages,
    /// `event: end`, last: `[DONE]`.
    End,
}

impl FrameKind {
    /// The name of the kind (the SSE event name; `message` for an unnamed frame).
    ///
    /// ```
    /// use agency_http::agency::FrameKind;
    ///
    /// for kind in [FrameKind::Meta, FrameKind::Event, FrameKind::Messages, FrameKind::End] {
    ///     assert_eq!(FrameKind::from_name(kind.name()), Some(kind));
    /// }
    /// assert_eq!(FrameKind::Event.name(), "message");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Meta => "meta",
            FrameKind::Event => "message",
            FrameKind::Messages => "messages",
            FrameKind::End => "end",
        }
    }

    /// The kind named `name` (see [`FrameKind::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "meta" => FrameKind::Meta,
            "message" => FrameKind::Event,
            "messages" => FrameKind::Messages,
            "end" => FrameKind::End,
            _ => return None,
        })
    }
}

/// One frame: its id (`id:`, counted from 1 per run), kind and data (JSON, or `[DONE]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame's `id:`: 1 for `meta`, one more for each later frame.
    pub id: u64,
    /// Its event name.
    pub kind: FrameKind,
    /// Its `data:` (one line).
    pub data: Arc<str>,
}

impl Frame {
    /// The frame `id` of `kind` with `data`.
    pub fn new(id: u64, kind: FrameKind, data: impl Into<Arc<str>>) -> Self {
        Frame {
            id,
            kind,
            data: data.into(),
        }
    }

    /// The items of a `messages` frame (`new_messages`); `None` for any other frame.
    ///
    /// ```
    /// use agency_http::agency::{Frame, FrameKind};
    ///
    /// let frame = Frame::new(9, FrameKind::Messages, r#"{"new_messages":[],"run_id":"r"}"#);
    /// assert_eq!(frame.new_messages(), Some(vec![]));
    /// assert_eq!(Frame::new(1, FrameKind::Meta, "{}").new_messages(), None);
    /// ```
    pub fn new_messages(&self) -> Option<Vec<Entry>> {
        #[derive(serde::Deserialize)]
        struct Messages {
            new_messages: Vec<Entry>,
        }
        if self.kind != FrameKind::Messages {
            return None;
        }
        serde_json::from_str::<Messages>(&self.data)
            .ok()
            .map(|m| m.new_messages)
    }

    /// The frame as an SSE event.
    pub(crate) fn event(&self) -> Event {
        let event = Event::default().id(self.id.to_string()).data(&*self.data);
        match self.kind {
            FrameKind::Event => event,
            kind => event.event(kind.name()),
        }
    }
}
