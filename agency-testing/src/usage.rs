//! Token usage reported by the fake, and the estimate the reference recorder used.

use serde_json::{Value, json};

/// Token counts of one scripted turn, as reported in `usage`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// `input_tokens` (Responses) / `prompt_tokens` (Chat Completions).
    pub input_tokens: u32,
    /// `output_tokens` / `completion_tokens`.
    pub output_tokens: u32,
    /// `input_tokens_details.cached_tokens` / `prompt_tokens_details.cached_tokens`.
    pub cached_tokens: u32,
    /// `output_tokens_details.reasoning_tokens` / `completion_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: u32,
}

impl Usage {
    /// `input_tokens + output_tokens`.
    pub fn total_tokens(&self) -> u32 {
        self.input_tokens + self.output_tokens
    }

    /// The Responses API `usage` object.
    pub(crate) fn responses_json(&self) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.total_tokens(),
        })
    }

    /// The Chat Completions `usage` object.
    pub(crate) fn chat_json(&self) -> Value {
        json!({
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.total_tokens(),
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        })
    }
}

/// Scripted overrides of the estimated usage (see [`crate::Reply::usage`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UsageOverride {
    pub(crate) input: Option<u32>,
    pub(crate) output: Option<u32>,
    pub(crate) cached: u32,
    pub(crate) reasoning: u32,
}

impl UsageOverride {
    /// The usage to report, given the estimates for this request and reply.
    pub(crate) fn resolve(&self, estimated_input: u32, estimated_output: u32) -> Usage {
        Usage {
            input_tokens: self.input.unwrap_or(estimated_input),
            output_tokens: self.output.unwrap_or(estimated_output),
            cached_tokens: self.cached,
            reasoning_tokens: self.reasoning,
        }
    }
}

/// The reference recorder's token estimate: a quarter of the length of the value
/// serialized the way Python's `json.dumps(value, separators=(",", ":"))` does
/// (compact, non-ASCII escaped as `\uXXXX`).
///
/// Applied to a request's `input` (Responses) or `messages` (Chat Completions),
/// it reproduces the `input_tokens` of the reference transcripts.
pub fn estimate_tokens(value: &Value) -> u32 {
    let compact = serde_json::to_string(value).unwrap_or_default();
    let python_len: usize = compact
        .chars()
        .map(|c| {
            if c.is_ascii() {
                1
            } else if c.len_utf16() == 1 {
                6
            } else {
                12
            }
        })
        .sum();
    u32::try_from(python_len / 4).unwrap_or(u32::MAX)
}

/// Output tokens of a function call: a quarter of its arguments' length, at least 1.
pub(crate) fn call_tokens(arguments: &str) -> u32 {
    u32::try_from((arguments.len() / 4).max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_matches_the_reference_hello() {
        let input = json!([{"content": "Hello", "role": "user", "type": "message"}]);
        assert_eq!(estimate_tokens(&input), 13);
    }

    #[test]
    fn non_ascii_counts_as_python_escapes() {
        // "\u00e9" is six characters in Python's ASCII-only JSON.
        assert_eq!(estimate_tokens(&json!("éééé")), 6);
        assert_eq!(estimate_tokens(&json!("😀😀")), 6);
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let usage = UsageOverride {
            output: Some(7),
            cached: 2,
            ..Default::default()
        }
        .resolve(10, 3);
        assert_eq!(
            usage,
            Usage {
                input_tokens: 10,
                output_tokens: 7,
                cached_tokens: 2,
                reasoning_tokens: 0
            }
        );
        assert_eq!(usage.total_tokens(), 17);
    }
}
