//! OpenTelemetry export for agency-rs: the `tracing` spans of the server and the run loop, as
//! OpenTelemetry spans sent over OTLP (HTTP, protobuf).
//!
//! What is exported: a `request` span per HTTP request (`http.request.method`, `http.route`,
//! `http.response.status_code`, `request_id`), an `invoke_agent {agent}` span per run
//! (`agency`, `run_id`, `chat_id`, `gen_ai.agent.name`, `outcome`, tokens, cost), a
//! `chat {model}` span per model call (`gen_ai.operation.name`, `gen_ai.request.model`,
//! `gen_ai.response.model`, `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
//! `time_to_first_token_ms`, `error.type`) and an `execute_tool {tool}` span per tool call
//! (`gen_ai.tool.name`, `gen_ai.tool.call.id`, `outcome`, `duration_ms`); a sub-agent's run is
//! a child of the `send_message` call that started it.
//!
//! Nothing leaves the machine unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: [`Otel::from_env`] is `None` then. The
//! exporter reads the standard `OTEL_*` variables itself (headers, timeout, ...), and the
//! resource `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`.
//!
//! `agency::main()` does all of this when the `otel` feature of `agency` is on; a program with
//! a subscriber of its own adds [`Otel::layer`] to it:
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! # fn main() -> Result<(), agency_otel::OtelError> {
//! let otel = agency_otel::Otel::from_env("my-service")?; // None: the variable is not set
//! let subscriber = tracing_subscriber::registry().with(otel.as_ref().map(|o| o.layer()));
//! tracing::subscriber::with_default(subscriber, || tracing::info!("hello"));
//! if let Some(otel) = otel {
//!     otel.shutdown(); // sends what is left
//! }
//! # Ok(()) }
//! ```

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

/// The variables whose presence turns the export on.
pub const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

/// Why the export could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtelError {
    /// The OTLP exporter could not be built (an endpoint that is not a URL, ...).
    #[error("cannot export traces over OTLP ({variable}={value}): {reason}")]
    Exporter {
        /// The variable that names the endpoint.
        variable: &'static str,
        /// Its value.
        value: String,
        /// Why.
        reason: String,
    },
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` asks for something other than HTTP with protobuf.
    #[error(
        "OTEL_EXPORTER_OTLP_PROTOCOL={0} is not supported: agency-rs exports over http/protobuf (port 4318); unset it or set it to http/protobuf"
    )]
    Protocol(String),
}

/// Span export to an OpenTelemetry collector: a tracer provider, and the `tracing` layer that
/// feeds it. Call [`Otel::shutdown`] before the program exits, so that the last spans are sent.
#[derive(Debug, Clone)]
pub struct Otel {
    provider: SdkTracerProvider,
}

impl Otel {
    /// OTLP export configured by the environment, or `None` when no endpoint is set (see the
    /// crate docs). `default_service` is the service name unless `OTEL_SERVICE_NAME` is set.
    pub fn from_env(default_service: &str) -> Result<Option<Otel>, OtelError> {
        let Some((variable, value)) = ENDPOINT_VARS.iter().find_map(|v| {
            std::env::var(v)
                .ok()
                .filter(|s| !s.trim().is_empty())
                .map(|s| (*v, s))
        }) else {
            return Ok(None);
        };
        if let Ok(protocol) = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL")
            && !protocol.is_empty()
            && protocol != "http/protobuf"
        {
            return Err(OtelError::Protocol(protocol));
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .map_err(|e| OtelError::Exporter {
                variable,
                value: value.clone(),
                reason: e.to_string(),
            })?;
        let mut resource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name(default_service.to_owned());
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        Ok(Some(Otel { provider }))
    }

    /// Export through `provider` instead (another exporter; tests use the SDK's in-memory one).
    pub fn with_provider(provider: SdkTracerProvider) -> Otel {
        Otel { provider }
    }

    /// The `tracing` layer that turns spans into OpenTelemetry spans of this provider: span
    /// names from `otel.name`, kinds from `otel.kind`, status from `otel.status_code`, every
    /// other field an attribute.
    pub fn layer<S>(&self) -> OpenTelemetryLayer<S, SdkTracer>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let tracer = self.provider.tracer("agency-rs");
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_tracked_inactivity(false)
    }

    /// Sends the spans not exported yet, and stops.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("OpenTelemetry: the last spans could not be exported: {e}");
        }
    }

    /// The provider.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }
}

#[cfg(test)]
mod tests;
