//! One scripted turn of the fake model: text, function calls, or a failure.

use std::time::Duration;

use crate::function_call::{Arguments, FunctionCall};
use crate::usage::{UsageOverride, call_tokens};

/// How [`Reply::with_garbage`] spoils a stream: one bad event in its middle.
///
/// async-openai turns either kind into one `Err` item and goes on with the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Garbage {
    /// Well-formed JSON of an event type no client knows (`response.fake_unknown_event`;
    /// a chunk without the required fields on Chat Completions).
    #[default]
    UnknownEvent,
    /// An event whose `data:` is not valid JSON.
    MalformedJson,
}

/// One piece of model output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// An assistant message, as the delta chunks it is streamed in.
    Text(Vec<String>),
    /// A function call.
    Call(FunctionCall),
}

/// An OpenAI-style error answer (`{"error": {...}}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) kind: String,
    pub(crate) code: Option<String>,
    pub(crate) param: Option<String>,
}

/// What a reply answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    /// A successful response with these output items.
    Output(Vec<Output>),
    /// An error status with an OpenAI error JSON body.
    Error(ApiError),
    /// A bare status with an empty body.
    Status(u16),
}

/// One scripted turn of the fake model, answering one request to
/// `/v1/responses` or `/v1/chat/completions` (streaming or not, as the request asks).
///
/// ```
/// use std::time::Duration;
/// use agency_testing::{FunctionCall, Reply};
/// use serde_json::json;
///
/// let hello = Reply::text("Hello there").usage(12, 2);
/// let call = Reply::function_call("add", json!({"a": 2, "b": 40}));
/// let parallel = Reply::function_calls([
///     ("add", json!({"a": 1, "b": 2})),
///     ("add", json!({"a": 3, "b": 4})),
/// ]);
/// let both = Reply::text("Let me add that.").and(Reply::function_call("add", json!({"a": 1, "b": 1})));
/// let slow = Reply::text("one two three").chunk_delay(Duration::from_millis(50));
/// let limited = Reply::error(429, "Rate limit reached").retry_after(0);
/// let custom_id = Reply::function_calls([FunctionCall::new("add", json!({})).call_id("call_x")]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a reply does nothing until pushed or returned by a rule"]
pub struct Reply {
    pub(crate) body: Body,
    pub(crate) usage: UsageOverride,
    pub(crate) delay: Option<Duration>,
    pub(crate) chunk_delay: Option<Duration>,
    pub(crate) model: Option<String>,
    pub(crate) garbage: Option<Garbage>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) end_after: Option<usize>,
}

impl Reply {
    fn with_body(body: Body) -> Self {
        Self {
            body,
            usage: UsageOverride::default(),
            delay: None,
            chunk_delay: None,
            model: None,
            garbage: None,
            retry_after: None,
            end_after: None,
        }
    }

    /// An assistant message, streamed one word per delta (each word after the
    /// first with its leading whitespace): `"Hello there"` → `"Hello"`, `" there"`.
    pub fn text(text: impl AsRef<str>) -> Self {
        Self::text_chunks(split_words(text.as_ref()))
    }

    /// An assistant message streamed in exactly these delta chunks; its text is their concatenation.
    pub fn text_chunks<I>(chunks: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let chunks = chunks.into_iter().map(Into::into).collect();
        Self::with_body(Body::Output(vec![Output::Text(chunks)]))
    }

    /// One call of function `name`; `arguments` is JSON (`json!({...})`) or a raw string.
    pub fn function_call(name: impl Into<String>, arguments: impl Into<Arguments>) -> Self {
        Self::function_calls([FunctionCall::new(name, arguments)])
    }

    /// Several function calls in one turn (parallel tool calls), each with its own `call_id`.
    ///
    /// Items are [`FunctionCall`]s or `(name, arguments)` pairs.
    pub fn function_calls<I>(calls: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<FunctionCall>,
    {
        let calls = calls
            .into_iter()
            .map(|call| Output::Call(call.into()))
            .collect();
        Self::with_body(Body::Output(calls))
    }

    /// An error status with OpenAI's error body
    /// `{"error": {"message", "type", "param", "code"}}`.
    ///
    /// `type` and `code` default to what OpenAI sends for the status (429:
    /// `requests` / `rate_limit_exceeded`, 401: `invalid_request_error` /
    /// `invalid_api_key`, 5xx: `server_error`, other 4xx: `invalid_request_error`).
    ///
    /// async-openai retries 429 and 5xx three times (after 100, 200 and 400 ms,
    /// or after `Retry-After` seconds): push the error four times, or answer every
    /// request with it through [`crate::FakeOpenAi::respond_with`], and set
    /// [`Reply::retry_after`]`(0)` to keep tests fast.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let (kind, code) = match status {
            429 => ("requests", Some("rate_limit_exceeded")),
            401 => ("invalid_request_error", Some("invalid_api_key")),
            500..=599 => ("server_error", None),
            _ => ("invalid_request_error", None),
        };
        Self::with_body(Body::Error(ApiError {
            status,
            message: message.into(),
            kind: kind.to_owned(),
            code: code.map(str::to_owned),
            param: None,
        }))
    }

    /// A bare status code with an empty body (e.g. a proxy's `502`).
    pub fn status(status: u16) -> Self {
        Self::with_body(Body::Status(status))
    }

    /// A valid text stream (`"Hello there"`) with one unknown event in its
    /// middle: `Reply::text("Hello there").with_garbage(Garbage::UnknownEvent)`.
    pub fn garbage() -> Self {
        Self::text("Hello there").with_garbage(Garbage::UnknownEvent)
    }

    /// Appends the output items of `other` (text or calls) after this reply's,
    /// e.g. a message followed by a function call. Options of `self` are kept.
    ///
    /// # Panics
    ///
    /// Panics if either reply is an error or a bare status.
    pub fn and(mut self, other: Reply) -> Self {
        match (&mut self.body, other.body) {
            (Body::Output(mine), Body::Output(theirs)) => mine.extend(theirs),
            _ => panic!("Reply::and joins text and function-call replies only"),
        }
        self
    }

    /// Reports this usage instead of the estimate (input: a quarter of the
    /// compact JSON of the request's `input`/`messages`; output: one token per
    /// text chunk and a quarter of each call's arguments).
    pub fn usage(mut self, input_tokens: u32, output_tokens: u32) -> Self {
        self.usage.input = Some(input_tokens);
        self.usage.output = Some(output_tokens);
        self
    }

    /// Reports `cached_tokens` among the input tokens (default 0).
    pub fn cached_tokens(mut self, cached_tokens: u32) -> Self {
        self.usage.cached = cached_tokens;
        self
    }

    /// Reports `reasoning_tokens` among the output tokens (default 0).
    pub fn reasoning_tokens(mut self, reasoning_tokens: u32) -> Self {
        self.usage.reasoning = reasoning_tokens;
        self
    }

    /// Waits this long before answering at all (no status line, no headers yet).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Waits this long between two events of a stream (the first is sent at once).
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = Some(delay);
        self
    }

    /// The model name the response reports (default: the request's `model`).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Inserts one bad event in the middle of the stream (streams only).
    pub fn with_garbage(mut self, garbage: Garbage) -> Self {
        self.garbage = Some(garbage);
        self
    }

    /// Adds a `Retry-After: <seconds>` header to an error answer; async-openai
    /// then waits that long before retrying (`0`: at once).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Ends the stream after its first `events` events, without the final
    /// `response.completed` / `[DONE]` (streams only).
    pub fn end_stream_after(mut self, events: usize) -> Self {
        self.end_after = Some(events);
        self
    }

    /// Sets the error `type` (errors only).
    pub fn error_type(mut self, kind: impl Into<String>) -> Self {
        if let Body::Error(error) = &mut self.body {
            error.kind = kind.into();
        }
        self
    }

    /// Sets the error `code` (errors only).
    pub fn error_code(mut self, code: impl Into<String>) -> Self {
        if let Body::Error(error) = &mut self.body {
            error.code = Some(code.into());
        }
        self
    }

    /// Sets the error `param` (errors only).
    pub fn error_param(mut self, param: impl Into<String>) -> Self {
        if let Body::Error(error) = &mut self.body {
            error.param = Some(param.into());
        }
        self
    }

    /// The text of the message items, concatenated (empty for calls and errors).
    pub fn text_content(&self) -> String {
        self.outputs()
            .iter()
            .filter_map(|output| match output {
                Output::Text(chunks) => Some(chunks.concat()),
                Output::Call(_) => None,
            })
            .collect()
    }

    /// The function calls of this reply, in order.
    pub fn calls(&self) -> Vec<&FunctionCall> {
        self.outputs()
            .iter()
            .filter_map(|output| match output {
                Output::Call(call) => Some(call),
                Output::Text(_) => None,
            })
            .collect()
    }

    pub(crate) fn outputs(&self) -> &[Output] {
        match &self.body {
            Body::Output(outputs) => outputs,
            Body::Error(_) | Body::Status(_) => &[],
        }
    }

    /// Output tokens by the estimate: one per text chunk, a quarter of each call's arguments.
    pub(crate) fn estimated_output_tokens(&self) -> u32 {
        self.outputs()
            .iter()
            .map(|output| match output {
                Output::Text(chunks) => u32::try_from(chunks.len()).unwrap_or(u32::MAX),
                Output::Call(call) => call_tokens(&call.arguments),
            })
            .fold(0, u32::saturating_add)
    }
}

/// Splits text into word chunks, whitespace attached to the word after it.
pub(crate) fn split_words(text: &str) -> Vec<String> {
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_was_word = false;
    for c in text.chars() {
        if c.is_whitespace() && previous_was_word && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
        }
        previous_was_word = !c.is_whitespace();
        current.push(c);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn words_keep_their_leading_whitespace() {
        assert_eq!(split_words("Hello there"), ["Hello", " there"]);
        assert_eq!(split_words("  a  b "), ["  a", "  b", " "]);
        assert!(split_words("").is_empty());
        let text = "Tool add returned:\n42";
        assert_eq!(split_words(text).concat(), text);
    }

    #[test]
    fn replies_expose_their_content() {
        let reply = Reply::text("Hi you").and(Reply::function_call("add", json!({"a": 1})));
        assert_eq!(reply.text_content(), "Hi you");
        assert_eq!(reply.calls()[0].name(), "add");
        assert_eq!(reply.estimated_output_tokens(), 2 + 1);
    }

    #[test]
    fn errors_get_openai_types() {
        let Body::Error(error) = Reply::error(429, "slow down").body else {
            panic!("not an error")
        };
        assert_eq!(
            (error.kind.as_str(), error.code.as_deref()),
            ("requests", Some("rate_limit_exceeded"))
        );
        let Body::Error(error) = Reply::error(500, "boom").error_code("oops").body else {
            panic!("not an error")
        };
        assert_eq!(
            (error.kind.as_str(), error.code.as_deref()),
            ("server_error", Some("oops"))
        );
    }
}
