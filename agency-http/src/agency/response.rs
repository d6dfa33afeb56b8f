//! The JSON bodies the agency routes answer with: [`AgencyResponse`] (`get_response`) and
//! [`CancelResponse`] (`cancel_response_stream`).

use agency_core::{CancelMode, Entry, Usage};
use serde::Serialize;
use serde_json::Value;

use schemars::JsonSchema;

/// The 200 body of `get_response`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AgencyResponse {
    /// The final answer: a text, or the structured output.
    pub response: Value,
    /// The items this turn added, with their metadata; send them back (after the earlier ones)
    /// as `chat_history` to continue the conversation.
    pub new_messages: Vec<Entry>,
    /// Tokens and cost of every model call of the run, sub-agents included.
    pub usage: Usage,
    /// A two to six word name for the conversation, when asked for and generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_name: Option<String>,
    /// The stored chat the run continued (or started, for `"chat_id": "new"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// Each `file_urls` name and the id of its uploaded file (only when `file_urls` was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_ids_map: Option<std::collections::BTreeMap<String, String>>,
}

/// The 200 body of `cancel_response_stream`: the stream has ended.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CancelResponse {
    /// Always `true`.
    pub ok: bool,
    /// The cancelled run.
    pub run_id: String,
    /// Always `true`.
    pub cancelled: bool,
    /// How it was stopped.
    #[schemars(with = "CancelModeSchema")]
    pub cancel_mode: CancelMode,
    /// What the run completed before it stopped.
    pub new_messages: Vec<Entry>,
    /// Whether the stream had not ended when the wait ran out.
    pub timed_out: bool,
}

// The schema of `CancelMode`, which does not implement `JsonSchema` itself; a test checks that
// the two agree.
/// How to stop a run: `immediate` or `after_turn`.
#[derive(JsonSchema)]
#[schemars(rename = "CancelMode", inline)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // Only its schema is used.
pub(crate) enum CancelModeSchema {
    Immediate,
    AfterTurn,
}

#[cfg(test)]
mod tests {
    use super::*;
    use agency_core::validate::validate;
    use serde_json::json;

    #[test]
    fn the_schemas_of_usage_and_cancel_mode_match_their_types() {
        let schema = agency_core::schema::generate::<Usage>();
        let usage = Usage {
            request_count: 1,
            reasoning_tokens: Some(3),
            total_cost: 0.5,
            ..Usage::default()
        };
        let wire = serde_json::to_value(&usage).unwrap();
        let keys: Vec<&String> = wire.as_object().unwrap().keys().collect();
        let properties: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, properties);
        assert_eq!(validate(&schema, wire.clone()), Ok(wire));
        let back: Usage = serde_json::from_value(
            validate(&schema, serde_json::to_value(Usage::default()).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(back, Usage::default());

        let schema = agency_core::schema::generate::<CancelModeSchema>();
        for mode in [CancelMode::Immediate, CancelMode::AfterTurn] {
            let wire = serde_json::to_value(mode).unwrap();
            assert_eq!(validate(&schema, wire.clone()), Ok(wire));
        }
        assert_eq!(schema["enum"], json!(["immediate", "after_turn"]));
    }
}
