//! `RunAgentInput`, AG-UI's request body, and how it becomes a run: the conversation so far, the
//! user's turn (or the client's tool results), the client's tools and its state.

use std::collections::BTreeMap;

use agency_core::item::{FunctionCall, FunctionCallOutput, Message, Role};
use agency_core::{Entry, FieldError, Item, Loc, Meta, Tool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::RequestClientConfig;

/// An AG-UI `RunAgentInput` (camelCase keys; their snake_case spellings are accepted too), with
/// the Agency Swarm fields beside it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunAgentInput {
    /// The conversation's id (echoed in `RUN_STARTED` / `RUN_FINISHED`).
    #[serde(default)]
    pub thread_id: Option<String>,
    /// This run's id (echoed; generated when absent).
    #[serde(default)]
    pub run_id: Option<String>,
    /// The run this one follows, if any.
    #[serde(default)]
    pub parent_run_id: Option<String>,
    /// The conversation, ending with the user's message or with the results of the client's
    /// tools.
    #[serde(default)]
    pub messages: Vec<AguiMessage>,
    /// State shared with the agents' tools (a JSON object).
    #[serde(default)]
    pub state: Option<Value>,
    /// Tools the client runs: offered to the agent beside its own; a call ends the run for the
    /// client to answer.
    #[serde(default)]
    pub tools: Vec<ClientTool>,
    /// Context items from the client (`{description, value}`), given to the agent as
    /// instructions.
    #[serde(default)]
    pub context: Vec<ContextItem>,
    /// Anything else the client forwards (not used).
    #[serde(default)]
    pub forwarded_props: Option<Value>,
    /// The conversation so far in Agency Swarm's form (used instead of `messages` before the
    /// current turn).
    #[serde(default, rename = "chat_history")]
    pub chat_history: Option<Vec<Entry>>,
    /// Extra instructions for the agent, this run only.
    #[serde(default, rename = "additional_instructions")]
    pub additional_instructions: Option<String>,
    /// Structured data for tools, never shown to the model.
    #[serde(default, rename = "user_context")]
    pub user_context: Option<Map<String, Value>>,
    /// Already uploaded OpenAI file ids to attach to the user's turn (as in `get_response`).
    #[serde(default, rename = "file_ids")]
    pub file_ids: Option<Vec<String>>,
    /// Files to fetch and attach: file name → URL or absolute path (as in `get_response`).
    #[serde(default, rename = "file_urls")]
    pub file_urls: Option<BTreeMap<String, String>>,
    /// A model client override for this request only.
    #[serde(default, rename = "client_config")]
    pub client_config: Option<RequestClientConfig>,
}

/// The camelCase keys of [`RunAgentInput`] by their snake_case spellings.
const SNAKE_KEYS: [(&str, &str); 4] = [
    ("thread_id", "threadId"),
    ("run_id", "runId"),
    ("parent_run_id", "parentRunId"),
    ("forwarded_props", "forwardedProps"),
];

/// `body` with the snake_case spellings of the AG-UI keys made camelCase (a camelCase key wins).
pub(super) fn normalize_keys(mut body: Map<String, Value>) -> Map<String, Value> {
    for (snake, camel) in SNAKE_KEYS {
        if let Some(value) = body.remove(snake) {
            body.entry(camel).or_insert(value);
        }
    }
    for message in body
        .get_mut("messages")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Value::Object(m) = message {
            for (snake, camel) in [("tool_calls", "toolCalls"), ("tool_call_id", "toolCallId")] {
                if let Some(value) = m.remove(snake) {
                    m.entry(camel).or_insert(value);
                }
            }
        }
    }
    body
}

/// One message of an AG-UI conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum AguiMessage {
    /// The user's.
    #[serde(rename_all = "camelCase")]
    User {
        /// The message's id.
        #[serde(default)]
        id: Option<String>,
        /// A text, or parts (`{"type": "text", "text"}`; other parts are ignored).
        content: UserContent,
    },
    /// The assistant's: a text, tool calls, or both.
    #[serde(rename_all = "camelCase")]
    Assistant {
        /// The message's id.
        #[serde(default)]
        id: Option<String>,
        /// The text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// The tools it called.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<AguiToolCall>,
    },
    /// Instructions from the system.
    System {
        /// The message's id.
        #[serde(default)]
        id: Option<String>,
        /// The text.
        content: String,
    },
    /// Instructions from the developer.
    Developer {
        /// The message's id.
        #[serde(default)]
        id: Option<String>,
        /// The text.
        content: String,
    },
    /// A tool's result.
    #[serde(rename_all = "camelCase")]
    Tool {
        /// The message's id.
        #[serde(default)]
        id: Option<String>,
        /// The result, as text.
        content: String,
        /// The call it answers.
        tool_call_id: String,
        /// The error, if the tool failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A reasoning message the client kept from an earlier run (not sent to the model again).
    Reasoning {
        /// The message's id.
        #[serde(default)]
        id: Option<String>,
        /// Its text.
        #[serde(default)]
        content: Option<Value>,
    },
}

impl AguiMessage {
    /// Gives the message an id if it has none (a snapshot's messages all have one).
    pub(super) fn with_id(mut self) -> AguiMessage {
        let id = match &mut self {
            AguiMessage::User { id, .. }
            | AguiMessage::Assistant { id, .. }
            | AguiMessage::System { id, .. }
            | AguiMessage::Developer { id, .. }
            | AguiMessage::Tool { id, .. }
            | AguiMessage::Reasoning { id, .. } => id,
        };
        id.get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
        self
    }
}

/// A user message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum UserContent {
    /// Plain text.
    Text(String),
    /// Parts; the text ones are read.
    Parts(Vec<Map<String, Value>>),
}

impl UserContent {
    fn text(&self) -> String {
        match self {
            UserContent::Text(text) => text.clone(),
            UserContent::Parts(parts) => parts
                .iter()
                .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A tool call of an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AguiToolCall {
    /// The call's id.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type", default = "function")]
    pub kind: String,
    /// What was called.
    pub function: AguiFunction,
}

fn function() -> String {
    "function".to_owned()
}

/// The function of a tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AguiFunction {
    /// The tool.
    pub name: String,
    /// Its arguments, as JSON text.
    pub arguments: String,
}

/// A tool the client offers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ClientTool {
    /// Its name.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// The JSON schema of its arguments.
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// A context item from the client.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ContextItem {
    /// What it is.
    pub description: String,
    /// Its value.
    pub value: String,
}

impl ClientTool {
    /// The tool the model is offered.
    pub(super) fn tool(&self) -> Tool {
        let parameters = self
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}));
        Tool::builder(self.name.clone())
            .description(self.description.clone())
            .client(parameters)
    }
}

/// The conversation before the current turn, and the turn itself.
pub(super) struct Conversation {
    pub history: Vec<Entry>,
    pub input: Vec<Item>,
}

/// Splits the messages: the trailing user messages (or tool results) are the turn, the rest
/// the history, unless `chat_history` is given, which is the history then. The turn's user
/// message is sent once: when `chat_history` already ends with it, that copy is dropped.
pub(super) fn conversation(
    messages: &[AguiMessage],
    chat_history: Option<Vec<Entry>>,
) -> Result<Conversation, Vec<FieldError>> {
    let is_turn = |m: &AguiMessage| match messages.last() {
        Some(AguiMessage::Tool { .. }) => matches!(m, AguiMessage::Tool { .. }),
        _ => matches!(m, AguiMessage::User { .. }),
    };
    let start = messages
        .iter()
        .rposition(|m| !is_turn(m))
        .map_or(0, |i| i + 1);
    if start == messages.len() {
        return Err(vec![FieldError {
            kind: "value_error".into(),
            loc: vec![Loc::Key("messages".to_owned())],
            msg: "Value error, messages must end with the user's message or the results of the client's tool calls".to_owned(),
            input: serde_json::to_value(messages.last()).unwrap_or(Value::Null),
            ctx: None,
        }]);
    }
    let input: Vec<Item> = messages[start..].iter().flat_map(items).collect();
    let history = match chat_history {
        Some(mut entries) => {
            let repeated = |e: &Entry| match (&e.item, input.first()) {
                (Item::Message(a), Some(Item::Message(b))) => {
                    a.role == Role::User && a.text() == b.text()
                }
                _ => false,
            };
            if entries.last().is_some_and(repeated) {
                entries.pop();
            }
            entries
        }
        None => messages[..start]
            .iter()
            .flat_map(items)
            .map(|item| Entry::new(item, Meta::default()))
            .collect(),
    };
    Ok(Conversation { history, input })
}

/// The items of one AG-UI message.
fn items(message: &AguiMessage) -> Vec<Item> {
    match message {
        AguiMessage::User { content, .. } => vec![Message::user(content.text()).into()],
        AguiMessage::System { content, .. } => vec![Message::system(content).into()],
        AguiMessage::Developer { content, .. } => {
            vec![Message::new(Role::Developer, content).into()]
        }
        AguiMessage::Assistant {
            content,
            tool_calls,
            ..
        } => {
            let text = content
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| Message::assistant(t).into());
            let calls = tool_calls
                .iter()
                .map(|c| FunctionCall::new(&c.id, &c.function.name, &c.function.arguments).into());
            text.into_iter().chain(calls).collect()
        }
        AguiMessage::Tool {
            content,
            tool_call_id,
            error,
            ..
        } => {
            let output = match error {
                Some(error) => format!("Error: {error}"),
                None => content.clone(),
            };
            vec![FunctionCallOutput::new(tool_call_id, output).into()]
        }
        AguiMessage::Reasoning { .. } => Vec::new(),
    }
}

/// The client's context items as instructions.
pub(super) fn context_instructions(context: &[ContextItem]) -> Option<String> {
    if context.is_empty() {
        return None;
    }
    let mut text = String::from("Context from the application:");
    for item in context {
        text.push_str(&format!("\n- {}: {}", item.description, item.value));
    }
    Some(text)
}
