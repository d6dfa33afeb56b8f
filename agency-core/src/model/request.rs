use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One model call: what the run loop sends.
#[derive(Debug, Clone, Default)]
pub struct ModelRequest {
    /// The model name (`gpt-4o`, ...).
    pub model: String,
    /// System instructions.
    pub instructions: Option<String>,
    /// The conversation as the model sees it (items without their metadata).
    pub input: Vec<crate::item::Item>,
    /// The tools the model may call (see [`crate::Tool::definition`] for their wire form).
    pub tools: Vec<crate::Tool>,
    /// Uploaded file ids for a code-interpreter container: when any, the Responses API's
    /// `code_interpreter` tool is offered with them (Chat Completions has no such tool).
    pub code_interpreter_files: Vec<String>,
    /// Sampling and tool settings.
    pub settings: ModelSettings,
    /// The JSON schema of a structured final answer, if the agent has one.
    pub output_schema: Option<OutputSchema>,
}

/// A structured output format.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchema {
    /// A name for the format.
    pub name: String,
    /// The JSON schema of the answer.
    pub schema: Value,
    /// Whether it is sent in strict mode.
    pub strict: bool,
}

/// Model settings of an agent (all optional: the provider's defaults apply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Maximum output tokens per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// Reasoning effort for reasoning models (`minimal`, `low`, `medium`, `high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Whether the model may call several tools at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// `auto`, `required`, `none`, or a tool name (a forced one holds until the tools were
    /// called once in a run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<String>,
    /// Ask Chat Completions servers for usage in the stream (default on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
}

impl ModelSettings {
    /// `tool_choice` as the Responses API wants it.
    pub(crate) fn tool_choice_value(&self) -> Option<Value> {
        self.tool_choice.as_deref().map(|c| match c {
            "auto" | "required" | "none" => Value::String(c.to_owned()),
            name => serde_json::json!({"type": "function", "name": name}),
        })
    }
}
