//! Deviations from OpenAI's Chat Completions that real OpenAI-compatible servers show.

use serde_json::Value;

use crate::reply::ApiError;

/// How the fake's Chat Completions endpoint deviates from OpenAI, like a real
/// OpenAI-compatible server (llama.cpp, vLLM, Ollama...) does; all off by default.
///
/// Set for every later request with [`crate::FakeOpenAi::chat_quirks`]; the
/// Responses API is not affected.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use agency_testing::{ChatQuirks, FakeOpenAi, Reply};
/// use serde_json::json;
///
/// let fake = FakeOpenAi::start().await;
/// fake.chat_quirks(ChatQuirks { no_stream_usage: true, ..ChatQuirks::default() });
/// fake.chat_quirks(ChatQuirks::llama_cpp_python()); // every quirk below
///
/// // An assistant tool-call message with `content: null` is refused, as llama-cpp-python does.
/// let refused = json!({"model": "m", "messages": [
///     {"role": "user", "content": "Weather?"},
///     {"role": "assistant", "content": null,
///      "tool_calls": [{"id": "c1", "type": "function",
///                      "function": {"name": "get_weather", "arguments": "{}"}}]},
///     {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
/// ]});
/// assert!(ChatQuirks::llama_cpp_python().refuses(&refused));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChatQuirks {
    /// Every tool-call delta repeats the call's `id`, `type` and `function.name`
    /// (OpenAI sends them in the first delta of each `index` only), and the first
    /// delta already carries the first argument fragment.
    pub repeat_call_header: bool,
    /// The stream opens with a chunk of nulls:
    /// `{"role": "assistant", "content": null, "tool_calls": null, "function_call": null}`.
    pub null_tool_calls: bool,
    /// Each tool-call delta also carries the deprecated `function_call` field
    /// (`{"name", "arguments"}`, the same fragment) beside `tool_calls`.
    pub legacy_function_call: bool,
    /// A stream never carries usage, not even with `stream_options.include_usage`
    /// (no `usage` field at all, no final usage chunk).
    pub no_stream_usage: bool,
    /// A request with an assistant message whose `content` is `null` (or missing)
    /// beside `tool_calls` is refused with HTTP 500, before taking a reply.
    pub refuse_null_content: bool,
}

impl ChatQuirks {
    /// What llama-cpp-python 0.3 (`python -m llama_cpp.server`) does: every quirk on.
    pub fn llama_cpp_python() -> Self {
        ChatQuirks {
            repeat_call_header: true,
            null_tool_calls: true,
            legacy_function_call: true,
            no_stream_usage: true,
            refuse_null_content: true,
        }
    }

    /// Whether a Chat Completions request `body` is refused under these quirks.
    pub fn refuses(&self, body: &Value) -> bool {
        self.refusal(body).is_some()
    }

    /// The error a refused request gets.
    pub(crate) fn refusal(&self, body: &Value) -> Option<ApiError> {
        if !self.refuse_null_content {
            return None;
        }
        let index = body
            .get("messages")?
            .as_array()?
            .iter()
            .position(null_content_beside_tool_calls)?;
        Some(ApiError {
            status: 500,
            // The line of llama-cpp-python's pydantic error that names the problem.
            message: format!(
                "validation error:\n  {{'type': 'string_type', 'loc': ('body', 'messages', \
                 {index}, 'ChatCompletionRequestAssistantMessage', 'content'), \
                 'msg': 'Input should be a valid string', 'input': None}}"
            ),
            kind: "internal_server_error".to_owned(),
            code: None,
            param: None,
        })
    }
}

/// An assistant message with `tool_calls` and a `null` or missing `content`.
fn null_content_beside_tool_calls(message: &Value) -> bool {
    message.get("role").and_then(Value::as_str) == Some("assistant")
        && message.get("tool_calls").is_some_and(Value::is_array)
        && message.get("content").is_none_or(Value::is_null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(content: Option<Value>) -> Value {
        let mut assistant = json!({"role": "assistant", "tool_calls": []});
        if let Some(content) = content {
            assistant["content"] = content;
        }
        json!({"messages": [{"role": "user", "content": "hi"}, assistant]})
    }

    #[test]
    fn only_null_or_missing_content_beside_tool_calls_is_refused() {
        let quirks = ChatQuirks::llama_cpp_python();
        assert!(quirks.refuses(&body(Some(Value::Null))));
        assert!(quirks.refuses(&body(None)));
        assert!(!quirks.refuses(&body(Some(json!("")))));
        assert!(!ChatQuirks::default().refuses(&body(Some(Value::Null))));
        let error = quirks.refusal(&body(None)).map(|e| (e.status, e.message));
        assert!(matches!(error, Some((500, m)) if m.contains("'messages', 1,")));
    }
}
