//! A scripted function (tool) call.

use serde_json::Value;

/// The arguments of a scripted call: JSON, or a raw string sent as is.
///
/// From a [`Value`] (e.g. `json!({"a": 2})`) the arguments are serialized compactly
/// (`{"a":2}`); from a `&str`/`String` they are sent verbatim, which lets a test
/// script invalid JSON (`"{\"a\": 2"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arguments(String);

impl Arguments {
    /// The arguments string the model "generated".
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Value> for Arguments {
    fn from(value: Value) -> Self {
        Self::from(&value)
    }
}

impl From<&Value> for Arguments {
    fn from(value: &Value) -> Self {
        Self(serde_json::to_string(value).expect("a JSON value serializes"))
    }
}

impl From<&str> for Arguments {
    fn from(raw: &str) -> Self {
        Self(raw.to_owned())
    }
}

impl From<String> for Arguments {
    fn from(raw: String) -> Self {
        Self(raw)
    }
}

/// Default size, in characters, of the argument fragments a call is streamed in.
pub(crate) const DEFAULT_CHUNK_SIZE: usize = 8;

/// One function call the fake model makes.
///
/// ```
/// use agency_testing::FunctionCall;
/// use serde_json::json;
///
/// let call = FunctionCall::new("add", json!({"a": 2, "b": 40})).call_id("call_1");
/// assert_eq!(call.arguments(), r#"{"a":2,"b":40}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct FunctionCall {
    pub(crate) name: String,
    pub(crate) arguments: String,
    pub(crate) call_id: Option<String>,
    pub(crate) chunk_size: usize,
}

impl FunctionCall {
    /// A call of `name` with `arguments`; its `call_id` is generated unless set.
    pub fn new(name: impl Into<String>, arguments: impl Into<Arguments>) -> Self {
        Self {
            name: name.into(),
            arguments: arguments.into().0,
            call_id: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// Uses this `call_id` instead of a generated `call_...` one.
    pub fn call_id(mut self, call_id: impl Into<String>) -> Self {
        self.call_id = Some(call_id.into());
        self
    }

    /// Streams the arguments in fragments of `chars` characters (default 8);
    /// `usize::MAX` sends them in one delta.
    pub fn chunk_size(mut self, chars: usize) -> Self {
        self.chunk_size = chars.max(1);
        self
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments string.
    pub fn arguments(&self) -> &str {
        &self.arguments
    }

    /// The argument fragments of the stream: at least one, possibly empty.
    pub(crate) fn argument_chunks(&self) -> Vec<String> {
        let chars: Vec<char> = self.arguments.chars().collect();
        if chars.is_empty() {
            return vec![String::new()];
        }
        chars
            .chunks(self.chunk_size)
            .map(|chunk| chunk.iter().collect())
            .collect()
    }
}

impl<N: Into<String>, A: Into<Arguments>> From<(N, A)> for FunctionCall {
    fn from((name, arguments): (N, A)) -> Self {
        Self::new(name, arguments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_arguments_are_compact_and_raw_ones_verbatim() {
        assert_eq!(
            FunctionCall::new("f", json!({"a": 1})).arguments(),
            r#"{"a":1}"#
        );
        assert_eq!(FunctionCall::new("f", "{oops").arguments(), "{oops");
    }

    #[test]
    fn chunks_reassemble() {
        let call = FunctionCall::new("f", json!({"street": "Main St 1"})).chunk_size(5);
        let chunks = call.argument_chunks();
        assert!(chunks.len() > 1);
        assert_eq!(chunks.concat(), call.arguments());
        assert_eq!(
            call.clone().chunk_size(usize::MAX).argument_chunks().len(),
            1
        );
        assert_eq!(FunctionCall::new("f", "").argument_chunks(), [""]);
    }
}
