//! Messages: a role and content (a text, or typed parts).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person (or program) talking to the agency.
    User,
    /// The model.
    Assistant,
    /// Instructions from the system (handoff reminders, file notes).
    System,
    /// Instructions from the developer (OpenAI's name for system-level input).
    Developer,
}

/// A message item: `{"type": "message", "role", "content", ...}`.
///
/// ```
/// use agency_core::item::{Message, Role};
///
/// let hello = Message::user("Hello");
/// assert_eq!(hello.role, Role::User);
/// assert_eq!(hello.text(), "Hello");
/// let answer = Message::assistant("Hi there");
/// assert_eq!(answer.text(), "Hi there");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: Content,
    /// The provider's id of an assistant message (`msg_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `in_progress`, `completed` or `incomplete` (assistant messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Every other field, kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The content of a message: a plain text or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// A plain text (`"content": "Hello"`).
    Text(String),
    /// Typed parts (`"content": [{"type": "input_text", "text": "Hello"}]`).
    Parts(Vec<Part>),
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Text from the user (or a system note).
    InputText {
        /// The text.
        text: String,
    },
    /// An image from the user: a URL (or data URL) or an uploaded file id.
    InputImage {
        /// `https://...` or `data:image/png;base64,...`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        /// An uploaded file's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// `low`, `high` or `auto`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A file from the user (a PDF, ...): an uploaded file id, inline data or a URL.
    InputFile {
        /// An uploaded file's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// The file's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
        /// The file inline, as a data URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_data: Option<String>,
        /// Where to fetch the file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_url: Option<String>,
    },
    /// Text the model wrote.
    OutputText {
        /// The text.
        text: String,
        /// Citations and other annotations, as the provider sent them.
        #[serde(default)]
        annotations: Vec<Value>,
        /// Every other field (`logprobs`, ...), kept as it came.
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    /// A part of a kind this crate does not model, kept as it came.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

impl Part {
    /// The text of a text part (`input_text` or `output_text`).
    pub fn text(&self) -> Option<&str> {
        match self {
            Part::InputText { text } | Part::OutputText { text, .. } => Some(text),
            _ => None,
        }
    }

    /// An `output_text` part without annotations.
    pub fn output_text(text: impl Into<String>) -> Part {
        Part::OutputText {
            text: text.into(),
            annotations: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl Message {
    /// A message with `role` and a plain text.
    pub fn new(role: Role, text: impl Into<String>) -> Message {
        Message {
            role,
            content: Content::Text(text.into()),
            id: None,
            status: None,
            extra: Map::new(),
        }
    }

    /// A user message with a plain text.
    pub fn user(text: impl Into<String>) -> Message {
        Message::new(Role::User, text)
    }

    /// A system message with a plain text.
    pub fn system(text: impl Into<String>) -> Message {
        Message::new(Role::System, text)
    }

    /// A completed assistant message with one `output_text` part, as a model writes it.
    pub fn assistant(text: impl Into<String>) -> Message {
        Message {
            role: Role::Assistant,
            content: Content::Parts(vec![Part::output_text(text)]),
            id: None,
            status: Some("completed".to_owned()),
            extra: Map::new(),
        }
    }

    /// The message's text: the plain text, or its text parts joined.
    pub fn text(&self) -> String {
        match &self.content {
            Content::Text(text) => text.clone(),
            Content::Parts(parts) => parts.iter().filter_map(Part::text).collect(),
        }
    }
}
