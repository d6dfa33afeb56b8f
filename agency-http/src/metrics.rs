//! The server's metrics, served at `GET /metrics` in the Prometheus (OpenMetrics) text format:
//! requests by route and status and their durations, active streams, runs by outcome, model
//! calls, tokens and cost by model, tool calls by tool and outcome.
//!
//! Each [`Server`](crate::Server) has its own registry (no global state), fed by the request
//! layer, the stream and the run loop's [`RunObserver`] reports.
//!
//! Label values a caller or a model can choose are bounded: the model label keeps the first
//! [`MAX_MODELS`] names it sees (the rest count as `other`), a tool the agent does not have
//! counts as `(unknown)`, a route no path matched as `(unmatched)` and a non-standard method as
//! `OTHER`. So no request can grow the document without bound.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use agency_core::run::{ModelCallReport, RunObserver, ToolCallReport, ToolOutcome};
use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The most model names the metrics tell apart.
pub const MAX_MODELS: usize = 64;

/// The content type of `GET /metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    agency: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelCallLabels {
    model: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: String,
    /// `input` or `output`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolCallLabels {
    tool: String,
    outcome: &'static str,
}

type Seconds<L> = Family<L, Histogram, fn() -> Histogram>;

/// The metrics of one server.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Seconds<RouteLabels>,
    active_streams: Gauge,
    runs: Family<RunLabels, Counter>,
    model_calls: Family<ModelCallLabels, Counter>,
    model_seconds: Seconds<ModelLabels>,
    model_tokens: Family<TokenLabels, Counter>,
    model_cost: Family<ModelLabels, Counter<f64, AtomicU64>>,
    tool_calls: Family<ToolCallLabels, Counter>,
    tool_seconds: Seconds<ToolLabels>,
    /// The model names told apart so far.
    models: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Request durations: 1 ms to about 9 minutes.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

/// Model and tool call durations: 10 ms to about 20 minutes.
fn call_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("agency");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let request_seconds: Seconds<RouteLabels> =
            Family::new_with_constructor(request_buckets as fn() -> Histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request to the end of its response body (a stream's end included)",
            Unit::Seconds,
            request_seconds.clone(),
        );
        let active_streams = Gauge::default();
        registry.register(
            "active_streams",
            "Event streams (get_response_stream, resumed streams) with a client connected",
            active_streams.clone(),
        );
        let runs = Family::default();
        registry.register(
            "runs",
            "Agency runs served, by agency and outcome (completed, cancelled, failed)",
            runs.clone(),
        );
        let model_calls = Family::default();
        registry.register(
            "model_calls",
            "Model calls, by model and outcome (ok, or the error type)",
            model_calls.clone(),
        );
        let model_seconds: Seconds<ModelLabels> =
            Family::new_with_constructor(call_buckets as fn() -> Histogram);
        registry.register_with_unit(
            "model_call_duration",
            "Time from a model request to the end of its answer",
            Unit::Seconds,
            model_seconds.clone(),
        );
        let model_tokens = Family::default();
        registry.register(
            "model_tokens",
            "Tokens of model calls, by model and kind (input, output)",
            model_tokens.clone(),
        );
        let model_cost = Family::default();
        registry.register(
            "model_cost_usd",
            "Cost of model calls in USD, by model (from the price table)",
            model_cost.clone(),
        );
        let tool_calls = Family::default();
        registry.register(
            "tool_calls",
            "Tool calls made by agents, by tool and outcome",
            tool_calls.clone(),
        );
        let tool_seconds: Seconds<ToolLabels> =
            Family::new_with_constructor(call_buckets as fn() -> Histogram);
        registry.register_with_unit(
            "tool_call_duration",
            "How long tool calls ran",
            Unit::Seconds,
            tool_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            active_streams,
            runs,
            model_calls,
            model_seconds,
            model_tokens,
            model_cost,
            tool_calls,
            tool_seconds,
            models: Mutex::new(HashSet::new()),
        }
    }
}

/// A method as a label: the standard ones by name, others as `OTHER`.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    STANDARD
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("OTHER")
}

impl Metrics {
    /// The document of `GET /metrics`.
    pub(crate) fn render(&self) -> String {
        let mut text = String::with_capacity(4096);
        // Writing to a String cannot fail; a metric that could not be encoded would leave a
        // truncated document, which is logged.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!("could not encode the metrics: {e}");
        }
        text
    }

    /// A request was answered (its body ended or was dropped) after `elapsed`.
    pub(crate) fn request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: u16,
        elapsed: Duration,
    ) {
        let method = method_label(method);
        let route = route.unwrap_or("(unmatched)").to_owned();
        self.request_seconds
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// A stream's client connected: the guard counts it until it is dropped.
    pub(crate) fn stream_started(&self) -> StreamGuard {
        self.active_streams.inc();
        StreamGuard(self.active_streams.clone())
    }

    /// A run of `agency` ended with `outcome` (`completed`, `cancelled` or `failed`).
    pub(crate) fn run_ended(&self, agency: &str, outcome: &'static str) {
        self.runs
            .get_or_create(&RunLabels {
                agency: agency.to_owned(),
                outcome,
            })
            .inc();
    }

    /// `model` as a label: one of the first [`MAX_MODELS`] names seen, or `other`.
    fn model_label(&self, model: &str) -> String {
        let Ok(mut seen) = self.models.lock() else {
            return "other".to_owned();
        };
        if seen.contains(model) {
            return model.to_owned();
        }
        if seen.len() < MAX_MODELS {
            seen.insert(model.to_owned());
            return model.to_owned();
        }
        "other".to_owned()
    }
}

impl RunObserver for Metrics {
    fn model_call(&self, call: &ModelCallReport<'_>) {
        let model = self.model_label(call.request_model);
        let outcome = call.error.map_or("ok", |e| e.kind());
        self.model_calls
            .get_or_create(&ModelCallLabels {
                model: model.clone(),
                outcome,
            })
            .inc();
        self.model_seconds
            .get_or_create(&ModelLabels {
                model: model.clone(),
            })
            .observe(call.duration.as_secs_f64());
        for (kind, tokens) in [
            ("input", call.usage.input_tokens),
            ("output", call.usage.output_tokens),
        ] {
            self.model_tokens
                .get_or_create(&TokenLabels {
                    model: model.clone(),
                    kind,
                })
                .inc_by(tokens);
        }
        if call.usage.total_cost.is_finite() && call.usage.total_cost > 0.0 {
            self.model_cost
                .get_or_create(&ModelLabels { model })
                .inc_by(call.usage.total_cost);
        }
    }

    fn tool_call(&self, call: &ToolCallReport<'_>) {
        // The model chooses a call's name: one the agent does not have is not a label.
        let tool = match call.outcome {
            ToolOutcome::UnknownTool => "(unknown)".to_owned(),
            _ => call.tool.to_owned(),
        };
        self.tool_calls
            .get_or_create(&ToolCallLabels {
                tool: tool.clone(),
                outcome: call.outcome.as_str(),
            })
            .inc();
        self.tool_seconds
            .get_or_create(&ToolLabels { tool })
            .observe(call.duration.as_secs_f64());
    }
}

/// Counts a connected stream until dropped.
pub(crate) struct StreamGuard(Gauge);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
