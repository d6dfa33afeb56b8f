use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::middleware::retry::OpenAIRetryLayer;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::item::Item;

use super::{
    ClientConfig, Model, ModelApi, ModelError, ModelEvent, ModelRequest, ModelStream, chat,
};

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
                    let body = ResponsesBody::new(&request);
                    let responses = client.responses();
                    let call = responses.create_stream_byot::<_, ModelEvent>(&body);
                    let stream = await_start(call, timeout, &url).await?;
                    with_timeout(skip_bad_events(stream, url, timeout), timeout).boxed()
                }
                ModelApi::ChatCompletions => {
                    let body = chat::request_body(&request);
                    let chat = client.chat();
                    let call = chat.create_stream_byot::<Value, chat::Chunk>(body);
                    let stream = await_start(call, timeout, &url).await?;
                    let chunks = with_timeout(skip_bad_events(stream, url, timeout), timeout);
                    chat::to_events(chunks, request.model.clone()).boxed()
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

/// The client for `config`: built once per distinct configuration and reused (building one
/// costs more than a small request), for the last few configurations in use.
pub(crate) fn client(config: &ClientConfig) -> Result<Client<OpenAIConfig>, ModelError> {
    const KEPT: usize = 8;
    static CLIENTS: Mutex<Vec<(ClientConfig, Client<OpenAIConfig>)>> = Mutex::new(Vec::new());
    let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = clients.iter().position(|(c, _)| c == config) {
        let entry = clients.remove(i);
        let client = entry.1.clone();
        clients.push(entry);
        return Ok(client);
    }
    let client = build_client(config)?;
    if clients.len() >= KEPT {
        clients.remove(0);
    }
    clients.push((config.clone(), client.clone()));
    Ok(client)
}

fn build_client(config: &ClientConfig) -> Result<Client<OpenAIConfig>, ModelError> {
    // async-openai panics on a key or header HTTP cannot carry: refuse it here.
    if let Some(e) = config.header_errors().into_iter().next() {
        return Err(ModelError::Config(e.to_string()));
    }
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
    // A request-chosen URL gets the guarded one (one per rule), which refuses internal addresses.
    let http = match &config.egress {
        Some(egress) => egress.http_client().map_err(ModelError::Config)?,
        None => http()?,
    };
    let service = tower::ServiceBuilder::new()
        .layer(OpenAIRetryLayer::new(
            config.max_retries.unwrap_or(DEFAULT_RETRIES),
        ))
        .service(ReqwestService::new(http.clone()));
    Ok(Client::build(http, openai).with_http_service(service))
}

/// The Responses API request body, borrowed from the request (tool schemas are not copied).
#[derive(Serialize)]
struct ResponsesBody<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<&'a str>,
    input: &'a [Item],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolParam<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<Effort<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<TextFormat<'a>>,
    stream: bool,
}

/// A tool as the Responses API takes it.
#[derive(Serialize)]
#[serde(untagged)]
enum ToolParam<'a> {
    Function(FunctionTool<'a>),
    CodeInterpreter(CodeInterpreterTool<'a>),
}

/// The hosted `code_interpreter` tool, with a container holding `file_ids`.
#[derive(Serialize)]
struct CodeInterpreterTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    container: Container<'a>,
}

#[derive(Serialize)]
struct Container<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    file_ids: &'a [String],
}

/// A function tool as the Responses API takes it.
#[derive(Serialize)]
struct FunctionTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
    strict: bool,
}

#[derive(Serialize)]
struct Effort<'a> {
    effort: &'a str,
}

#[derive(Serialize)]
struct TextFormat<'a> {
    format: JsonSchemaFormat<'a>,
}

#[derive(Serialize)]
struct JsonSchemaFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    schema: &'a Value,
    strict: bool,
}

impl<'a> ResponsesBody<'a> {
    fn new(request: &'a ModelRequest) -> Self {
        let s = &request.settings;
        let has_tools = !request.tools.is_empty() || !request.code_interpreter_files.is_empty();
        let code_interpreter = (!request.code_interpreter_files.is_empty()).then(|| {
            ToolParam::CodeInterpreter(CodeInterpreterTool {
                kind: "code_interpreter",
                container: Container {
                    kind: "auto",
                    file_ids: &request.code_interpreter_files,
                },
            })
        });
        ResponsesBody {
            model: &request.model,
            instructions: request.instructions.as_deref(),
            input: &request.input,
            tools: request
                .tools
                .iter()
                .map(|t| {
                    ToolParam::Function(FunctionTool {
                        kind: "function",
                        name: t.name(),
                        description: t.description(),
                        parameters: t.parameters(),
                        strict: t.is_strict(),
                    })
                })
                .chain(code_interpreter)
                .collect(),
            parallel_tool_calls: s.parallel_tool_calls.filter(|_| has_tools),
            tool_choice: s.tool_choice_value().filter(|_| has_tools),
            temperature: s.temperature,
            top_p: s.top_p,
            max_output_tokens: s.max_output_tokens,
            reasoning: s
                .reasoning_effort
                .as_deref()
                .map(|effort| Effort { effort }),
            text: request.output_schema.as_ref().map(|out| TextFormat {
                format: JsonSchemaFormat {
                    kind: "json_schema",
                    name: &out.name,
                    schema: &out.schema,
                    strict: out.strict,
                },
            }),
            stream: true,
        }
    }
}

async fn await_start<F, S>(call: F, timeout: Duration, url: &str) -> Result<S, ModelError>
where
    F: std::future::Future<Output = Result<S, OpenAIError>>,
{
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(ModelError::Timeout(timeout)),
        Ok(Err(e)) => Err(map_error(e, url, timeout)),
        Ok(Ok(stream)) => Ok(stream),
    }
}

/// Turns an async-openai error into a [`ModelError`].
pub(crate) fn map_error(error: OpenAIError, url: &str, timeout: Duration) -> ModelError {
    match error {
        OpenAIError::ApiError(e) => ModelError::Api {
            status: e.status_code.as_u16(),
            message: e.api_error.message,
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => ModelError::Timeout(timeout),
        OpenAIError::Reqwest(e) if e.is_connect() || e.is_request() || e.is_redirect() => {
            ModelError::Unreachable {
                url: url.to_owned(),
                reason: root_cause(&e),
            }
        }
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
fn skip_bad_events<S, T>(
    stream: S,
    url: String,
    timeout: Duration,
) -> impl Stream<Item = Result<T, ModelError>> + Send
where
    S: Stream<Item = Result<T, OpenAIError>> + Send,
    T: Send,
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
            Err(other) => Some(Err(map_error(other, &url, timeout))),
        };
        std::future::ready(out)
    })
}

/// Ends the stream with [`ModelError::Timeout`] when no event arrives within `timeout`.
fn with_timeout<S, T>(
    stream: S,
    timeout: Duration,
) -> impl Stream<Item = Result<T, ModelError>> + Send
where
    S: Stream<Item = Result<T, ModelError>> + Send,
    T: Send,
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
