use std::sync::OnceLock;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::middleware::retry::OpenAIRetryLayer;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use serde_json::Value;

use super::{ClientConfig, Model, ModelApi, ModelError, ModelRequest, ModelStream, chat};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_RETRIES: usize = 3;

/// The OpenAI back end: the Responses API or Chat Completions, through async-openai.
///
/// A missing API key is reported when a model is called ([`ModelError::MissingApiKey`]), never
/// at startup.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    config: ClientConfig,
}

impl OpenAiModel {
    /// A back end with `config` (usually `ClientConfig::from_env()` overridden by the request's).
    pub fn new(config: ClientConfig) -> Self {
        OpenAiModel { config }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }
}

impl Model for OpenAiModel {
    fn stream(&self, request: ModelRequest) -> BoxFuture<'static, Result<ModelStream, ModelError>> {
        let config = self.config.clone();
        Box::pin(async move {
            let client = client(&config)?;
            let timeout = config.timeout.unwrap_or(DEFAULT_TIMEOUT);
            let url = config.base_url().to_owned();
            let started = match config.api.unwrap_or_default() {
                ModelApi::Responses => {
                    let body = responses_body(&request);
                    let responses = client.responses();
                    let call = responses.create_stream_byot::<Value, Value>(body);
                    let stream = await_start(call, timeout, &url).await?;
                    with_timeout(skip_bad_events(stream, url), timeout).boxed()
                }
                ModelApi::ChatCompletions => {
                    let body = chat::request_body(&request);
                    let chat = client.chat();
                    let call = chat.create_stream_byot::<Value, Value>(body);
                    let stream = await_start(call, timeout, &url).await?;
                    let chunks = with_timeout(skip_bad_events(stream, url), timeout);
                    chat::to_response_events(chunks, request.model.clone()).boxed()
                }
            };
            Ok(started)
        })
    }
}

fn http() -> Result<reqwest::Client, ModelError> {
    static HTTP: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .build()
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(ModelError::Config)
}

fn client(config: &ClientConfig) -> Result<Client<OpenAIConfig>, ModelError> {
    let key = match (&config.api_key, &config.base_url) {
        (Some(key), _) => key.clone(),
        // A custom server (Ollama, vLLM...) often needs no key.
        (None, Some(_)) => String::new(),
        (None, None) => return Err(ModelError::MissingApiKey),
    };
    let mut openai = OpenAIConfig::new()
        .with_api_base(config.base_url().trim_end_matches('/'))
        .with_api_key(key);
    for (name, value) in &config.default_headers {
        let header = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ModelError::Config(format!("header '{name}': {e}")))?;
        openai = openai
            .with_header(header, value.as_str())
            .map_err(|e| ModelError::Config(format!("header '{name}': {e}")))?;
    }
    // One shared HTTP client: building one per request re-reads the system's root certificates.
    let http = http()?;
    let service = tower::ServiceBuilder::new()
        .layer(OpenAIRetryLayer::new(
            config.max_retries.unwrap_or(DEFAULT_RETRIES),
        ))
        .service(ReqwestService::new(http.clone()));
    Ok(Client::build(http, openai).with_http_service(service))
}

/// The Responses API request body.
fn responses_body(request: &ModelRequest) -> Value {
    let mut body = serde_json::json!({
        "model": request.model,
        "input": request.input,
        "stream": true,
    });
    let Value::Object(map) = &mut body else {
        return body;
    };
    if let Some(instructions) = &request.instructions {
        map.insert("instructions".into(), Value::String(instructions.clone()));
    }
    if !request.tools.is_empty() {
        let tools = request.tools.iter().map(crate::Tool::definition).collect();
        map.insert("tools".into(), Value::Array(tools));
        if let Some(parallel) = request.settings.parallel_tool_calls {
            map.insert("parallel_tool_calls".into(), Value::Bool(parallel));
        }
        if let Some(choice) = request.settings.tool_choice_value() {
            map.insert("tool_choice".into(), choice);
        }
    }
    let s = &request.settings;
    if let Some(t) = s.temperature {
        map.insert("temperature".into(), t.into());
    }
    if let Some(p) = s.top_p {
        map.insert("top_p".into(), p.into());
    }
    if let Some(m) = s.max_output_tokens {
        map.insert("max_output_tokens".into(), m.into());
    }
    if let Some(effort) = &s.reasoning_effort {
        map.insert("reasoning".into(), serde_json::json!({"effort": effort}));
    }
    if let Some(out) = &request.output_schema {
        map.insert(
            "text".into(),
            serde_json::json!({"format": {"type": "json_schema", "name": out.name, "schema": out.schema, "strict": out.strict}}),
        );
    }
    body
}

async fn await_start<F, S>(call: F, timeout: Duration, url: &str) -> Result<S, ModelError>
where
    F: std::future::Future<Output = Result<S, OpenAIError>>,
{
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(ModelError::Timeout(timeout)),
        Ok(Err(e)) => Err(map_error(e, url)),
        Ok(Ok(stream)) => Ok(stream),
    }
}

/// Turns an async-openai error into a [`ModelError`].
pub(crate) fn map_error(error: OpenAIError, url: &str) -> ModelError {
    match error {
        OpenAIError::ApiError(e) => ModelError::Api {
            status: e.status_code.as_u16(),
            message: e.api_error.message,
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => ModelError::Timeout(DEFAULT_TIMEOUT),
        OpenAIError::Reqwest(e) if e.is_connect() || e.is_request() => ModelError::Unreachable {
            url: url.to_owned(),
            reason: root_cause(&e),
        },
        other => ModelError::Protocol(other.to_string()),
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Drops events that async-openai could not read (unknown or malformed), with a log line; a
/// transport error ends the stream with an error.
fn skip_bad_events<S>(
    stream: S,
    url: String,
) -> impl Stream<Item = Result<Value, ModelError>> + Send
where
    S: Stream<Item = Result<Value, OpenAIError>> + Send,
{
    stream.filter_map(move |item| {
        let out = match item {
            Ok(v) => Some(Ok(v)),
            Err(OpenAIError::StreamError(e)) => {
                tracing::warn!("skipping a model stream event that could not be read: {e}");
                None
            }
            Err(OpenAIError::JSONDeserialize(e, content)) => {
                tracing::warn!(
                    "skipping a model stream event that is not JSON ({e}): {content:.200}"
                );
                None
            }
            Err(other) => Some(Err(map_error(other, &url))),
        };
        std::future::ready(out)
    })
}

/// Ends the stream with [`ModelError::Timeout`] when no event arrives within `timeout`.
fn with_timeout<S>(
    stream: S,
    timeout: Duration,
) -> impl Stream<Item = Result<Value, ModelError>> + Send
where
    S: Stream<Item = Result<Value, ModelError>> + Send,
{
    futures::stream::unfold(Some(Box::pin(stream)), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(timeout, stream.next()).await {
            Ok(Some(item)) => Some((item, Some(stream))),
            Ok(None) => None,
            Err(_) => Some((Err(ModelError::Timeout(timeout)), None)),
        }
    })
}
