//! Model prices, to compute the cost of a run.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use crate::Usage;

/// The price of one model, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Uncached input tokens.
    pub input: f64,
    /// Input tokens read from the cache.
    pub cached_input: f64,
    /// Input tokens written to the cache (OpenAI charges the input price).
    pub cache_write: f64,
    /// Output tokens (reasoning included).
    pub output: f64,
}

impl ModelPrice {
    /// A price with cache writes charged as input.
    pub const fn new(input: f64, cached_input: f64, output: f64) -> Self {
        ModelPrice {
            input,
            cached_input,
            cache_write: input,
            output,
        }
    }
}

/// OpenAI's list prices (standard tier, per million tokens), from openai.com/api/pricing.
const SHIPPED: &[(&str, ModelPrice)] = &[
    ("gpt-4o", ModelPrice::new(2.50, 1.25, 10.00)),
    ("gpt-4o-mini", ModelPrice::new(0.15, 0.075, 0.60)),
    ("gpt-4.1", ModelPrice::new(2.00, 0.50, 8.00)),
    ("gpt-4.1-mini", ModelPrice::new(0.40, 0.10, 1.60)),
    ("gpt-4.1-nano", ModelPrice::new(0.10, 0.025, 0.40)),
    ("gpt-5", ModelPrice::new(1.25, 0.125, 10.00)),
    ("gpt-5-mini", ModelPrice::new(0.25, 0.025, 2.00)),
    ("gpt-5-nano", ModelPrice::new(0.05, 0.005, 0.40)),
    ("gpt-5.1", ModelPrice::new(1.25, 0.125, 10.00)),
    ("o3", ModelPrice::new(2.00, 0.50, 8.00)),
    ("o3-mini", ModelPrice::new(1.10, 0.55, 4.40)),
    ("o4-mini", ModelPrice::new(1.10, 0.275, 4.40)),
];

/// A table of model prices: the shipped OpenAI prices plus the user's own.
///
/// A model is found by its exact name, else by the longest known name it extends with a date or
/// version suffix (`gpt-4o-2024-08-06` is priced as `gpt-4o`); a provider prefix (`openai/`) is
/// ignored. An unknown model costs 0 and is logged once.
///
/// ```
/// use agency_core::{PriceTable, ModelPrice, Usage};
///
/// let prices = PriceTable::global();
/// prices.set("my-model", ModelPrice::new(1.0, 0.5, 2.0));
/// let call = Usage { input_tokens: 1_000_000, output_tokens: 1_000_000, ..Usage::default() };
/// assert_eq!(prices.cost("my-model", &call), 3.0);
/// assert_eq!(prices.cost("gpt-4o-2024-08-06", &Usage { input_tokens: 13, output_tokens: 20, ..Usage::default() }), 0.0002325);
/// ```
#[derive(Debug, Clone)]
pub struct PriceTable(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    prices: RwLock<BTreeMap<String, ModelPrice>>,
    unknown_logged: Mutex<HashSet<String>>,
}

static GLOBAL: LazyLock<PriceTable> = LazyLock::new(PriceTable::shipped);

impl PriceTable {
    /// The process-wide table the run loop uses.
    pub fn global() -> &'static PriceTable {
        &GLOBAL
    }

    /// A fresh table with the shipped prices.
    pub fn shipped() -> PriceTable {
        let prices = SHIPPED.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect();
        PriceTable(Arc::new(Inner {
            prices: RwLock::new(prices),
            unknown_logged: Mutex::new(HashSet::new()),
        }))
    }

    /// Adds or replaces the price of `model`.
    pub fn set(&self, model: impl Into<String>, price: ModelPrice) {
        let mut prices = self.0.prices.write().unwrap_or_else(|p| p.into_inner());
        prices.insert(model.into(), price);
    }

    /// The price of `model`, if known.
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        let model = model.rsplit('/').next().unwrap_or(model);
        let prices = self.0.prices.read().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = prices.get(model) {
            return Some(*p);
        }
        prices
            .iter()
            .filter(|(name, _)| {
                model.len() > name.len()
                    && model.starts_with(name.as_str())
                    && model[name.len()..].starts_with('-')
                    && model[name.len() + 1..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit())
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| *p)
    }

    /// The cost in USD of one call of `model` with `usage`: uncached input, cached input, cache writes and output, each at its price.
    pub fn cost(&self, model: &str, usage: &Usage) -> f64 {
        let Some(p) = self.price(model) else {
            let mut logged = self
                .0
                .unknown_logged
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if logged.insert(model.to_owned()) {
                tracing::info!(
                    "no price known for model '{model}': its calls cost 0 (add one with PriceTable::global().set)"
                );
            }
            return 0.0;
        };
        let uncached = usage
            .input_tokens
            .saturating_sub(usage.cached_tokens)
            .saturating_sub(usage.cache_write_tokens) as f64;
        let per_token = 1e-6;
        let cost = uncached * p.input
            + usage.cached_tokens as f64 * p.cached_input
            + usage.cache_write_tokens as f64 * p.cache_write
            + usage.output_tokens as f64 * p.output;
        // Round to 1e-10 USD so sums print cleanly.
        (cost * per_token * 1e10).round() / 1e10
    }
}
