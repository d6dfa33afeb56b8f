//! Function calls and their outputs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The model calls a tool: `{"type": "function_call", "call_id", "name", "arguments", ...}`.
///
/// ```
/// use agency_core::item::FunctionCall;
///
/// let call = FunctionCall::new("call_1", "add", r#"{"a": 2, "b": 40}"#);
/// assert_eq!(call.parsed_arguments().unwrap()["b"], 40);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The id that pairs the call with its output.
    pub call_id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, as the JSON text the model wrote.
    #[serde(default)]
    pub arguments: String,
    /// The provider's id of the item (`fc_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `in_progress` or `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Every other field, kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FunctionCall {
    /// A completed call of `name` with `arguments` (JSON text).
    pub fn new(
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> FunctionCall {
        FunctionCall {
            call_id: call_id.into(),
            name: name.into(),
            arguments: arguments.into(),
            id: None,
            status: Some("completed".to_owned()),
            extra: Map::new(),
        }
    }

    /// The arguments parsed as JSON (an empty text is `{}`).
    pub fn parsed_arguments(&self) -> Result<Value, serde_json::Error> {
        self.arguments_as()
    }

    /// The arguments read as a `T` (an empty text is `{}`).
    pub fn arguments_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let raw = self.arguments.trim();
        serde_json::from_str(if raw.is_empty() { "{}" } else { raw })
    }
}

/// A tool's answer: `{"type": "function_call_output", "call_id", "output"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallOutput {
    /// The id of the call this answers.
    pub call_id: String,
    /// The tool's output as text (JSON text for structured outputs).
    pub output: String,
    /// Every other field, kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FunctionCallOutput {
    /// The output of call `call_id`.
    pub fn new(call_id: impl Into<String>, output: impl Into<String>) -> FunctionCallOutput {
        FunctionCallOutput {
            call_id: call_id.into(),
            output: output.into(),
            extra: Map::new(),
        }
    }

    /// The output of call `call_id` from a tool's JSON output: a string is kept as it is,
    /// anything else is written as JSON text.
    pub fn from_json(call_id: impl Into<String>, output: &Value) -> FunctionCallOutput {
        let text = match output {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        FunctionCallOutput::new(call_id, text)
    }
}

/// A reasoning model's reasoning: `{"type": "reasoning", "id", "summary": [...], ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    /// The provider's id of the item (`rs_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The summary the model gave of its reasoning.
    #[serde(default)]
    pub summary: Vec<SummaryText>,
    /// Every other field (`encrypted_content`, ...), kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One piece of a reasoning summary (`{"type": "summary_text", "text"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryText {
    /// The text.
    pub text: String,
    /// Every other field (`type`, ...), kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reasoning {
    /// The summary's texts joined.
    pub fn summary_text(&self) -> String {
        self.summary.iter().map(|s| s.text.as_str()).collect()
    }
}
