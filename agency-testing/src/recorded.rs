//! A request as the fake server received it.

use std::collections::BTreeMap;

use serde_json::Value;

/// One request the fake received, in arrival order (see [`crate::FakeOpenAi::requests`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/v1/responses`.
    pub path: String,
    /// The query string, if any (without `?`).
    pub query: Option<String>,
    /// Headers by lowercased name; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON; a body that is not JSON is kept as a JSON string,
    /// an empty body is `null`.
    pub body: Value,
}

impl RecordedRequest {
    /// A header value by name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `Authorization` header, e.g. `Bearer test-key`.
    pub fn authorization(&self) -> Option<&str> {
        self.header("authorization")
    }

    /// Whether the body asks for a stream (`"stream": true`).
    pub fn is_stream(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
    }

    /// The body's `model`.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }

    /// Whether this went to the Chat Completions endpoint.
    pub fn is_chat(&self) -> bool {
        self.path.ends_with("/chat/completions")
    }

    /// The conversation sent: the Responses `input` (a plain string becomes one
    /// user message) or the Chat Completions `messages`.
    pub fn input_items(&self) -> Vec<Value> {
        let input = if self.is_chat() {
            self.body.get("messages")
        } else {
            self.body.get("input")
        };
        match input {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::String(text)) => {
                vec![serde_json::json!({"role": "user", "content": text})]
            }
            _ => Vec::new(),
        }
    }

    /// What the user messages attach: each `input_file` and `input_image` part, as
    /// `(type, file_id)` (the `file_id`, else its `image_url` or `file_url`), in order.
    pub fn attached_files(&self) -> Vec<(String, String)> {
        self.input_items()
            .iter()
            .filter(|item| item.get("role").and_then(Value::as_str) == Some("user"))
            .filter_map(|item| item.get("content").and_then(Value::as_array))
            .flatten()
            .filter_map(|part| {
                let kind = part.get("type").and_then(Value::as_str)?;
                if kind != "input_file" && kind != "input_image" {
                    return None;
                }
                let source = ["file_id", "image_url", "file_url"]
                    .iter()
                    .find_map(|k| part.get(*k).and_then(Value::as_str))?;
                Some((kind.to_owned(), source.to_owned()))
            })
            .collect()
    }

    /// The file ids of the `code_interpreter` tool offered (its container's `file_ids`).
    pub fn code_interpreter_files(&self) -> Vec<String> {
        let Some(Value::Array(tools)) = self.body.get("tools") else {
            return Vec::new();
        };
        tools
            .iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("code_interpreter"))
            .filter_map(|t| t.pointer("/container/file_ids").and_then(Value::as_array))
            .flatten()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect()
    }

    /// The text of the last user message (text parts joined with a space).
    pub fn last_user_text(&self) -> Option<String> {
        self.input_items()
            .iter()
            .rev()
            .find(|item| item.get("role").and_then(Value::as_str) == Some("user"))
            .map(|item| content_text(item.get("content").unwrap_or(&Value::Null)))
    }

    /// Names of the function tools offered (Responses `tools[].name`,
    /// Chat Completions `tools[].function.name`).
    pub fn tool_names(&self) -> Vec<String> {
        let Some(Value::Array(tools)) = self.body.get("tools") else {
            return Vec::new();
        };
        tools
            .iter()
            .filter_map(|tool| {
                tool.get("name")
                    .or_else(|| tool.get("function").and_then(|f| f.get("name")))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    }

    /// The tool definition named `name` (as sent, Responses or Chat shape).
    pub fn tool(&self, name: &str) -> Option<&Value> {
        self.body.get("tools")?.as_array()?.iter().find(|tool| {
            tool.get("name")
                .or_else(|| tool.get("function").and_then(|f| f.get("name")))
                .and_then(Value::as_str)
                == Some(name)
        })
    }
}

/// The text of a message `content`: a string, or the `text` of its parts joined with a space.
pub(crate) fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(path: &str, body: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: path.into(),
            query: None,
            headers: BTreeMap::from([("authorization".into(), "Bearer k".into())]),
            body,
        }
    }

    #[test]
    fn responses_helpers() {
        let req = request(
            "/v1/responses",
            json!({
                "model": "gpt-4o", "stream": true,
                "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi words=4"}]}],
                "tools": [{"type": "function", "name": "add"}],
            }),
        );
        assert!(req.is_stream() && !req.is_chat());
        assert_eq!(req.model(), Some("gpt-4o"));
        assert_eq!(req.header("Authorization"), Some("Bearer k"));
        assert_eq!(req.last_user_text().as_deref(), Some("Hi words=4"));
        assert_eq!(req.tool_names(), ["add"]);
        assert!(req.tool("add").is_some());
    }

    #[test]
    fn chat_and_string_inputs() {
        let chat = request(
            "/v1/chat/completions",
            json!({"messages": [{"role": "user", "content": "Hello"}],
                   "tools": [{"type": "function", "function": {"name": "add"}}]}),
        );
        assert_eq!(chat.last_user_text().as_deref(), Some("Hello"));
        assert_eq!(chat.tool_names(), ["add"]);
        let plain = request("/v1/responses", json!({"input": "Hey"}));
        assert_eq!(plain.last_user_text().as_deref(), Some("Hey"));
    }
}
