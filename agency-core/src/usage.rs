use serde::{Deserialize, Serialize};

use crate::model::TokenUsage;
use crate::pricing::PriceTable;

/// Token usage and cost of a run, summed over every model call, sub-agents included
/// (the `usage` of every agency answer).
///
/// ```
/// use agency_core::Usage;
///
/// let mut total = Usage::default();
/// total.add(&Usage { request_count: 1, input_tokens: 13, output_tokens: 20, total_tokens: 33, total_cost: 0.0002325, ..Usage::default() });
/// total.add(&Usage { request_count: 1, input_tokens: 7, output_tokens: 1, total_tokens: 8, ..Usage::default() });
/// assert_eq!((total.request_count, total.total_tokens), (2, 41));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(
    description = "Token usage and cost of a run, summed over every model call, sub-agents included."
)]
pub struct Usage {
    /// Model calls made.
    pub request_count: u64,
    /// Input tokens served from the provider's cache.
    pub cached_tokens: u64,
    /// Input tokens written to the provider's cache.
    pub cache_write_tokens: u64,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens, reasoning ones included.
    pub output_tokens: u64,
    /// Input plus output tokens.
    pub total_tokens: u64,
    /// Reasoning tokens, when the model reported any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Cost in USD, each call priced at the model that made it.
    #[schemars(range(min = 0.0))]
    pub total_cost: f64,
}

impl Usage {
    /// Adds `other` into `self`. Counts saturate at `u64::MAX` (they come from the model's
    /// upstream, which could send anything).
    ///
    /// ```
    /// use agency_core::Usage;
    ///
    /// let mut total = Usage { input_tokens: u64::MAX - 1, ..Usage::default() };
    /// total.add(&Usage { input_tokens: 5, ..Usage::default() });
    /// assert_eq!(total.input_tokens, u64::MAX);
    /// ```
    pub fn add(&mut self, other: &Usage) {
        let sum = |a: &mut u64, b: u64| *a = a.saturating_add(b);
        sum(&mut self.request_count, other.request_count);
        sum(&mut self.cached_tokens, other.cached_tokens);
        sum(&mut self.cache_write_tokens, other.cache_write_tokens);
        sum(&mut self.input_tokens, other.input_tokens);
        sum(&mut self.output_tokens, other.output_tokens);
        sum(&mut self.total_tokens, other.total_tokens);
        self.reasoning_tokens = match (self.reasoning_tokens, other.reasoning_tokens) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        self.total_cost += other.total_cost;
    }

    /// The usage of one model call from the tokens it reported, priced at `model` with
    /// `prices`. A missing total is input plus output, saturating at `u64::MAX`.
    pub fn from_tokens(tokens: &TokenUsage, model: &str, prices: &PriceTable) -> Usage {
        let input = tokens.input_tokens;
        let output = tokens.output_tokens;
        let (cached, cache_write) = tokens
            .input_tokens_details
            .as_ref()
            .map_or((0, 0), |d| (d.cached_tokens, d.cache_write_tokens));
        let reasoning = tokens
            .output_tokens_details
            .as_ref()
            .map(|d| d.reasoning_tokens)
            .filter(|r| *r > 0);
        let total = if tokens.total_tokens == 0 {
            input.saturating_add(output)
        } else {
            tokens.total_tokens
        };
        let mut call = Usage {
            request_count: 1,
            cached_tokens: cached,
            cache_write_tokens: cache_write,
            input_tokens: input,
            output_tokens: output,
            total_tokens: total,
            reasoning_tokens: reasoning,
            total_cost: 0.0,
        };
        call.total_cost = prices.cost(model, &call);
        call
    }
}
