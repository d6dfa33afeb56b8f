//! `agency::main()`: the command line of a user's binary.

mod chat;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::http::agency::RunRegistry;
use crate::http::{
    ApiToken, DEFAULT_APP_TOKEN_ENV, DEFAULT_BODY_LIMIT, Server, ServerError, ServerOptions,
    TokensFileError,
};
use crate::thread::{ChatLock, InMemoryThreadStore, Threads};
use crate::{Agency, AgencyError, AgencyRegistration, RegistryError, RunFailure, Toolbox};

pub use chat::Chat;

/// Why `agency::main()` stopped.
///
/// Its `Debug` form is its message and the causes the message does not already quote: what
/// [`main()`] prints after `error: `.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be built or stopped with an error.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The registered tools are inconsistent.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An export could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The tokens file (`--tokens-file`) is not valid.
    #[error("{path}: {problem}")]
    TokensFile {
        /// The file.
        path: String,
        /// Which line, and why (in the message already, so not a `source`).
        problem: TokensFileError,
    },
    /// The thread store (`--threads`) could not be opened.
    #[error(transparent)]
    Threads(#[from] crate::thread::OpenError),
    /// `--redis` is not a Redis URL, or this binary was built without the `redis` feature.
    #[error("--redis: {0}")]
    Redis(String),
    /// `chat` or `run` named an agency the program does not serve, or named none while it
    /// serves several (or none at all).
    #[error("{}", unknown_agency(.name.as_deref(), .available))]
    UnknownAgency {
        /// The name given, if any.
        name: Option<String>,
        /// The agencies the program serves.
        available: Vec<String>,
    },
    /// `--recipient` named an agent the agency does not have.
    #[error("the agency {agency} has no agent '{name}'; its agents: {}", .available.join(", "))]
    UnknownRecipient {
        /// The agency.
        agency: String,
        /// The name given.
        name: String,
        /// The agency's agents.
        available: Vec<String>,
    },
    /// An `#[agency]` factory failed to build its agency.
    #[error("the agency factory {factory} ({location}) failed: {source}")]
    InvalidAgency {
        /// The factory function's name.
        factory: String,
        /// Where it is defined, as `file:line`.
        location: String,
        /// Why.
        #[source]
        source: AgencyError,
    },
    /// A run of `chat` or `run` failed (a model error, no API key, too many turns, ...); what it
    /// completed before is in the failure.
    #[error(transparent)]
    Run(Box<RunFailure>),
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            // A cause the message already quotes (a transparent variant's, or `{source}` in
            // the message) is not repeated.
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str("\n  caused by: ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        f.write_str(&text)
    }
}

fn unknown_agency(name: Option<&str>, available: &[String]) -> String {
    let served = if available.is_empty() {
        "this program serves no agency (define one with #[agency])".to_owned()
    } else {
        format!("this program serves: {}", available.join(", "))
    };
    match name {
        Some(name) => format!("no agency named '{name}'; {served}"),
        None if available.is_empty() => served,
        None => format!("name the agency to talk to; {served}"),
    }
}

/// `Result` with [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The program whose command line [`main_with`] runs: its name and version, shown by `--help`
/// and `--version` (with the framework's).
///
/// ```
/// let program = agency::Program::new("tasks", "1.2.0");
/// assert_eq!(program.long_version(), "1.2.0 (agency-rs 0.1.0)");
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Program does nothing until it is awaited (or `.run().await`)"]
pub struct Program {
    name: std::borrow::Cow<'static, str>,
    version: &'static str,
    states: crate::States,
    routes: Vec<crate::http::axum::Router>,
    operations: Vec<crate::http::openapi::Operation>,
}

impl Program {
    /// A program called `name` at `version`.
    pub fn new(name: &'static str, version: &'static str) -> Program {
        Program {
            name: std::borrow::Cow::Borrowed(name),
            version,
            states: crate::States::new(),
            routes: Vec::new(),
            operations: Vec::new(),
        }
    }

    /// Gives every tool `value` (a database pool, a repository...), which a `#[tool]` function
    /// takes as a `State<T>` parameter: the served tools and agencies
    /// ([`ServerBuilder::state`](crate::http::ServerBuilder::state)) and the runs of `chat` and
    /// `run`.
    ///
    /// ```no_run
    /// # #[derive(Clone)] struct TaskRepo;
    /// #[tokio::main]
    /// async fn main() -> agency::Result<()> {
    ///     agency::main!().state(TaskRepo).await
    /// }
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Program {
        self.states = self.states.with(value);
        self
    }

    /// Serves your own routes beside the agencies, behind the same auth, CORS, logs and body
    /// limit ([`ServerBuilder::routes`](crate::http::ServerBuilder::routes)).
    pub fn routes(mut self, router: crate::http::axum::Router) -> Program {
        self.routes.push(router);
        self
    }

    /// Documents an operation of your routes in the OpenAPI document
    /// ([`ServerBuilder::operation`](crate::http::ServerBuilder::operation)).
    pub fn operation(mut self, operation: crate::http::openapi::Operation) -> Program {
        self.operations.push(operation);
        self
    }

    /// Documents several operations (see [`Program::operation`]).
    pub fn operations(
        mut self,
        operations: impl IntoIterator<Item = crate::http::openapi::Operation>,
    ) -> Program {
        self.operations.extend(operations);
        self
    }

    /// The server this program serves: everything discovered, its state, routes and operations.
    fn server_builder(&self) -> crate::http::ServerBuilder {
        let mut builder = Server::builder().discover().states(self.states.clone());
        for router in &self.routes {
            builder = builder.routes(router.clone());
        }
        for op in &self.operations {
            builder = builder.operation(op.clone());
        }
        builder
    }

    /// The running binary's file name, and the framework's version (what [`main()`] uses; see
    /// [`main!`](crate::main!) for the calling crate's version).
    pub fn from_args() -> Program {
        let name = std::env::args_os()
            .next()
            .map(PathBuf::from)
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "agency".to_owned());
        Program {
            name: std::borrow::Cow::Owned(name),
            ..Program::new("agency", env!("CARGO_PKG_VERSION"))
        }
    }

    /// `VERSION (agency-rs VERSION)`.
    pub fn long_version(&self) -> String {
        format!("{} (agency-rs {})", self.version, env!("CARGO_PKG_VERSION"))
    }
}

/// The [`Program`] of the calling crate (its binary's name, `CARGO_BIN_NAME`, else its
/// package's, and its version in `--help` and `--version`); awaiting it runs the command line
/// ([`main()`]).
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> agency::Result<()> {
///     agency::main!().await
/// }
/// ```
#[macro_export]
macro_rules! main {
    () => {
        ($crate::Program::new(
            match ::core::option_env!("CARGO_BIN_NAME") {
                ::core::option::Option::Some(name) => name,
                ::core::option::Option::None => ::core::env!("CARGO_PKG_NAME"),
            },
            ::core::env!("CARGO_PKG_VERSION"),
        ))
    };
}

impl std::future::IntoFuture for Program {
    type Output = Result<()>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>>>>;

    /// [`main_with`] this program.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(main_with(self))
    }
}

/// The environment variables the framework reads beside the options' own (`[env: ...]`),
/// listed by `--help`.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "the model API's key (never logged)"),
    (
        "OPENAI_BASE_URL",
        "the model API's base URL (default https://api.openai.com/v1)",
    ),
    (
        "AGENCY_MODEL",
        "the model of agents that name none (default gpt-4o)",
    ),
    (
        "AGENCY_MODEL_API",
        "responses (default) or chat_completions (Ollama, vLLM, LiteLLM)",
    ),
    (
        "AGENCY_MODEL_MAX_RETRIES",
        "retries of a model call answered 429 or 5xx (default 3)",
    ),
    (
        "AGENCY_MODEL_TIMEOUT",
        "the longest one model call may take, in seconds (default 120)",
    ),
    (
        "APP_TOKEN",
        "the bearer token every request must send (the variable --app-token-env names)",
    ),
    (
        "RUST_LOG",
        "what is logged (default info; e.g. info,agency_http=debug)",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "with the `otel` feature: export spans over OTLP/HTTP there",
    ),
    (
        "OTEL_SERVICE_NAME",
        "with the `otel` feature: the service's name (default: the binary's)",
    ),
    (
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "with the `otel` feature: http/protobuf (the only one supported)",
    ),
    ("NO_COLOR", "chat and run: no colours"),
];

/// The `Environment:` section of `--help`.
fn environment_help() -> String {
    let mut text = String::from("Environment (beside each option's own [env: ...]):");
    for (name, what) in ENVIRONMENT {
        text.push_str(&format!("\n  {name:<29}{what}"));
    }
    text
}

#[derive(Debug, Parser)]
#[command(about = "Serve, export and talk to the tools and agencies of this program (agency-rs).")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the tools over HTTP (the default).
    Serve(Box<ServeArgs>),
    /// Write a document describing the tools.
    #[command(subcommand)]
    Export(Export),
    /// List what was discovered.
    List,
    /// Talk to an agency in the terminal: each line of standard input is a message, until its
    /// end or `/exit` (`/reset` starts over). Needs the model's API key (`OPENAI_API_KEY`).
    Chat {
        /// The agency (its name); optional when the program serves only one.
        agency: Option<String>,
        #[command(flatten)]
        talk: TalkArgs,
    },
    /// Send one message to an agency and print the run as it happens; fails (exit status 1)
    /// when the run does.
    Run {
        /// The agency (its name).
        agency: String,
        /// The message.
        message: String,
        #[command(flatten)]
        talk: TalkArgs,
    },
}

#[derive(Debug, Args)]
struct TalkArgs {
    /// The agent that gets the messages (default: the agency's first entry point).
    #[arg(long)]
    recipient: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Export {
    /// The OpenAPI 3.1 document, exactly as the server serves it at /openapi.json.
    Openapi {
        /// `servers[0].url` of the document.
        #[arg(long)]
        url: Option<String>,
        /// `info.title` of the document.
        #[arg(long)]
        title: Option<String>,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// The OpenAI function-tool definitions, as a JSON array.
    Tools {
        /// `responses` (`{"type":"function","name",...}`) or `chat` (`{"type":"function","function":{...}}`).
        #[arg(long, default_value = "responses", value_parser = ["responses", "chat"])]
        format: String,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Clone)]
struct ServeArgs {
    /// Bind address.
    #[arg(long, env = "AGENCY_HOST", default_value = crate::http::DEFAULT_HOST, global = true)]
    host: String,
    /// Bind port.
    #[arg(long, env = "AGENCY_PORT", default_value_t = crate::http::DEFAULT_PORT, global = true)]
    port: u16,
    /// Name of the environment variable that holds the bearer token (unset or empty: no auth).
    #[arg(long, env = "AGENCY_APP_TOKEN_ENV", default_value = DEFAULT_APP_TOKEN_ENV, global = true)]
    app_token_env: String,
    /// Allowed CORS origins, comma-separated (`*`: any origin, without credentials).
    #[arg(
        long,
        env = "AGENCY_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "*",
        global = true
    )]
    cors_origins: Vec<String>,
    /// Largest request body in bytes.
    #[arg(long, env = "AGENCY_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT, global = true)]
    body_limit: usize,
    /// `servers[0].url` of the OpenAPI document (default from host and port).
    #[arg(long, env = "AGENCY_SERVER_URL", global = true)]
    server_url: Option<String>,
    /// URL prefixes a request's `client_config.base_url` may name, comma-separated (`none`: no
    /// request may choose it). Default: any https URL of a public host.
    #[arg(
        long,
        env = "AGENCY_ALLOWED_BASE_URLS",
        value_delimiter = ',',
        global = true
    )]
    allowed_base_urls: Option<Vec<String>>,
    /// Models a request's `client_config.model` may name, comma-separated (`none`: no request
    /// may choose it). Default: any.
    #[arg(
        long,
        env = "AGENCY_ALLOWED_MODELS",
        value_delimiter = ',',
        global = true
    )]
    allowed_models: Option<Vec<String>>,
    /// The longest a run may take (`10m`, `90s`, or seconds).
    #[arg(long, env = "AGENCY_RUN_TIMEOUT", default_value = "10m", value_parser = duration, global = true)]
    run_timeout: Duration,
    /// The longest a tool call may take, for tools that set no timeout of their own.
    #[arg(long, env = "AGENCY_TOOL_TIMEOUT", default_value = "60s", value_parser = duration, global = true)]
    tool_timeout: Duration,
    /// Once asked to stop (Ctrl-C, SIGTERM), the longest until the process exits.
    #[arg(long, env = "AGENCY_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = duration, global = true)]
    shutdown_timeout: Duration,
    /// Where conversations are kept: `sqlite://PATH` (created on first use), `postgres://...`,
    /// `memory` (`memory?max_chats=N`), or `none` (clients send `chat_history`).
    #[arg(long, env = "AGENCY_THREADS", default_value = crate::thread::DEFAULT_URL, global = true)]
    threads: String,
    /// A file of bearer tokens, one `principal:token` a line: each principal owns the chats it
    /// starts (beside the token of `--app-token-env`, principal `default`).
    #[arg(long, env = "AGENCY_TOKENS_FILE", global = true)]
    tokens_file: Option<PathBuf>,
    /// Delete chats idle for longer than this (`30d`, `12h`); default: keep them.
    #[arg(long, env = "AGENCY_CHAT_TTL", value_parser = duration, global = true)]
    chat_ttl: Option<Duration>,
    /// A Redis shared by every process of the service (`redis://host:6379`): a cancel or a
    /// stream resume may then reach any process. Default: each process on its own.
    #[arg(long, env = "AGENCY_REDIS", global = true)]
    redis: Option<String>,
    /// How log lines are written: `text` for people, `json` (one object a line, with the
    /// fields of the spans around it) for log shippers.
    #[arg(long, env = "AGENCY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    /// Cancel a stream's run when its client goes away (`false`: the run goes on and can be
    /// resumed at `GET /{a}/runs/{run_id}/stream`, or cancelled later).
    #[arg(long, env = "AGENCY_CANCEL_ON_DISCONNECT", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    cancel_on_disconnect: bool,
    /// AG-UI mode: each agency's `get_response_stream` takes an AG-UI `RunAgentInput` and
    /// answers AG-UI events (for CopilotKit and other AG-UI front ends); `get_response` and
    /// `cancel_response_stream` are not served.
    #[arg(long, env = "AGENCY_AGUI", global = true)]
    agui: bool,
    /// Leave out the built-in web chat (`/chat`, `/chat/{agency}`).
    #[arg(long, env = "AGENCY_NO_CHAT_UI", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new(), global = true)]
    no_chat_ui: bool,
    /// Serve the OpenAI-compatible routes (`/v1/models`, `/v1/chat/completions`,
    /// `/v1/responses`), where each agency is a model; `false` turns them off.
    #[arg(long, env = "AGENCY_OPENAI", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    openai: bool,
    /// Serve the MCP endpoint (`/mcp`, streamable HTTP): every tool, and each agency as a tool;
    /// `false` turns it off.
    #[arg(long, env = "AGENCY_MCP", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    mcp: bool,
    /// Request logs: a request sending `x-agency-log-id: ID` has its log written to
    /// `LOGS_DIR/ID.jsonl`, read (once) with `/get_logs`.
    #[arg(long, env = "AGENCY_ENABLE_LOGGING", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new(), global = true)]
    enable_logging: bool,
    /// Where request logs go.
    #[arg(long, env = "AGENCY_LOGS_DIR", default_value = crate::http::DEFAULT_LOGS_DIR, global = true)]
    logs_dir: PathBuf,
    /// A directory a request's `file_urls` may name local files in (repeat the option, or
    /// separate with `:` in the variable). Default: no local path.
    #[arg(
        long,
        env = "AGENCY_ALLOWED_LOCAL_FILE_DIRS",
        value_delimiter = ':',
        global = true
    )]
    allowed_local_file_dirs: Vec<PathBuf>,
    /// URL prefixes a request's `file_urls` may download from, comma-separated (`none`: no
    /// URL). Default: any https URL of a public host.
    #[arg(
        long,
        env = "AGENCY_ALLOWED_FILE_URLS",
        value_delimiter = ',',
        global = true
    )]
    allowed_file_urls: Option<Vec<String>>,
    /// The largest file a `file_urls` entry may name, in bytes.
    #[arg(long, env = "AGENCY_FILE_SIZE_LIMIT", default_value_t = crate::http::files::DEFAULT_FILE_SIZE_LIMIT, global = true)]
    file_size_limit: u64,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object a line, with the fields of its spans.
    Json,
}

/// A duration on the command line: `30s`, `2m`, `1h 30m`, `500ms`, or a number of seconds.
fn duration(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(Duration::from_secs_f64(secs)),
        Ok(_) => Err("give a duration above zero".to_owned()),
        Err(_) => humantime::parse_duration(text).map_err(|e| e.to_string()),
    }?;
    if parsed.is_zero() {
        return Err("give a duration above zero".to_owned());
    }
    Ok(parsed)
}

/// A comma-separated list option: trimmed, empty entries dropped, `none` for an empty list.
fn list_option(values: &Option<Vec<String>>) -> Option<Vec<String>> {
    let values = values.as_ref()?;
    let kept: Vec<String> = values
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    match kept.as_slice() {
        [] => None,
        [only] if only.eq_ignore_ascii_case("none") => Some(Vec::new()),
        _ => Some(kept),
    }
}

impl ServeArgs {
    fn options(&self) -> Result<ServerOptions> {
        let mut options = ServerOptions::default()
            .with_host(self.host.clone())
            .with_port(self.port)
            .with_app_token_from_env(&self.app_token_env)
            .with_cors_origins(self.cors_origins.iter().map(|o| o.trim().to_owned()))
            .with_body_limit(self.body_limit)
            .with_run_timeout(self.run_timeout)
            .with_tool_timeout(self.tool_timeout)
            .with_shutdown_timeout(self.shutdown_timeout)
            .with_cancel_on_disconnect(self.cancel_on_disconnect)
            .with_agui(self.agui)
            .with_chat_ui(!self.no_chat_ui)
            .with_openai(self.openai)
            .with_mcp(self.mcp)
            .with_logging(self.enable_logging)
            .with_logs_dir(self.logs_dir.clone())
            .with_allowed_local_file_dirs(self.allowed_local_file_dirs.iter().cloned())
            .with_file_size_limit(self.file_size_limit);
        if let Some(url) = &self.server_url {
            options = options.with_server_url(url.clone());
        }
        if let Some(prefixes) = list_option(&self.allowed_base_urls) {
            options = options.with_allowed_base_urls(prefixes);
        }
        if let Some(prefixes) = list_option(&self.allowed_file_urls) {
            options = options.with_allowed_file_urls(prefixes);
        }
        if let Some(models) = list_option(&self.allowed_models) {
            options = options.with_allowed_models(models);
        }
        if let Some(path) = &self.tokens_file {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.display().to_string(),
                source,
            })?;
            let tokens = ApiToken::parse_file(&text).map_err(|problem| Error::TokensFile {
                path: path.display().to_string(),
                problem,
            })?;
            options = options.with_tokens(tokens);
        }
        if let Some(ttl) = self.chat_ttl {
            options = options.with_chat_ttl(ttl);
        }
        Ok(options)
    }

    /// The `--threads` store: `None` for `none`.
    async fn threads(&self) -> Result<Option<Threads>> {
        if self.threads.trim().eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let store = crate::thread::open(self.threads.trim()).await?;
        Ok(Some(Threads::from(store)))
    }

    /// The `--redis` run registry and chat lock, if a Redis is named.
    async fn fleet(&self) -> Result<Option<(Arc<dyn RunRegistry>, Arc<dyn ChatLock>)>> {
        let Some(url) = self
            .redis
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        #[cfg(feature = "redis")]
        {
            let registry = crate::redis::RedisRegistry::connect(url)
                .await
                .map_err(|e| Error::Redis(e.to_string()))?;
            tracing::info!(
                "streams and chat turns are shared through Redis at {}",
                crate::thread::redact(url)
            );
            let lock = Arc::new(registry.chat_lock());
            Ok(Some((Arc::new(registry), lock)))
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = url;
            Err(Error::Redis(
                "this program was built without the `redis` feature of agency".to_owned(),
            ))
        }
    }
}

/// Runs the command line of a program that defines tools with `#[tool]` and agencies with
/// `#[agency]`:
///
/// - `serve` (the default): serve every discovered tool and agency over HTTP, with `/docs` and
///   `/redoc`;
///   `--host`, `--port`, `--app-token-env`, `--cors-origins`, `--body-limit`, `--server-url`,
///   `--allowed-base-urls`, `--allowed-models`, `--run-timeout`, `--tool-timeout`,
///   `--shutdown-timeout`, `--threads`, `--tokens-file`, `--chat-ttl`, `--redis`,
///   `--cancel-on-disconnect`, `--enable-logging`, `--logs-dir`, `--allowed-local-file-dirs`,
///   `--allowed-file-urls`, `--file-size-limit` (or the `AGENCY_*`
///   environment variables);
/// - `export openapi [--url URL] [--title T] [-o FILE]`: the OpenAPI document the server serves;
/// - `export tools [--format responses|chat] [-o FILE]`: the OpenAI tool definitions;
/// - `list`: what was discovered;
/// - `chat [AGENCY] [--recipient AGENT]`: a conversation with an agency in the terminal, one
///   message per line of standard input, printed as it streams (see [`Chat`]);
/// - `run AGENCY MESSAGE [--recipient AGENT]`: one message, printed the same way; an error when
///   the run fails.
///
/// `chat` and `run` call the model configured by the environment (`OPENAI_API_KEY`,
/// `OPENAI_BASE_URL`, ...).
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> agency::Result<()> {
///     agency::main().await
/// }
/// ```
///
/// A usage error is printed by clap (exit status 2); any other error as one `error: ...` line
/// on standard error, its causes under it if the message does not already say them, and the
/// process ends with exit status 1 (so the `Result` is only ever `Ok`; use [`Program::run`] to
/// get the error instead).
pub async fn main() -> Result<()> {
    main_with(Program::from_args()).await
}

/// [`main()`] for `program`: its name and version are those of `--help` and `--version`.
/// [`main!`](crate::main!) passes the calling crate's.
pub async fn main_with(program: Program) -> Result<()> {
    match program.run().await {
        Ok(()) => Ok(()),
        Err(e) => {
            // Whatever `run` set up (the log output, the OTLP exporter) is already shut down.
            eprintln!("error: {e:?}");
            std::process::exit(1)
        }
    }
}

impl Program {
    /// Runs the command line like [`main_with`], but returns an error instead of printing it
    /// and exiting (usage errors, `--help` and `--version` still print and exit, as clap does).
    pub async fn run(self) -> Result<()> {
        use clap::{CommandFactory, FromArgMatches};

        let command = Cli::command()
            .name(self.name.to_string())
            .bin_name(self.name.to_string())
            .version(self.version)
            .long_version(self.long_version())
            .before_help(format!("{} {}", self.name, self.long_version()))
            .after_help(environment_help());
        // A usage error is clap's own message on standard error, exit status 2; --help and
        // --version print and exit 0.
        let cli = match command
            .try_get_matches()
            .and_then(|m| Cli::from_arg_matches(&m))
        {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        };
        let mut telemetry = None;
        if matches!(
            cli.command,
            Some(Command::Chat { .. } | Command::Run { .. })
        ) {
            init_tracing_to_stderr();
        } else {
            let args = match &cli.command {
                Some(Command::Serve(args)) => args,
                _ => &cli.serve,
            };
            telemetry = Some(init_tracing(args.log_format, args.enable_logging));
        }
        let _telemetry = telemetry;
        match cli.command {
            None => serve(&self, &cli.serve).await,
            Some(Command::Serve(args)) => serve(&self, &args).await,
            Some(Command::List) => list(),
            Some(Command::Export(export)) => self::export(&self, export, &cli.serve),
            Some(Command::Chat { agency, talk }) => {
                let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
                let mut chat = talk
                    .chat(find_agency(agency.as_deref())?, &self.states)
                    .interactive(interactive);
                chat.run(chat::StdinLines::spawn(), &mut std::io::stdout())
                    .await
            }
            Some(Command::Run {
                agency,
                message,
                talk,
            }) => {
                let mut chat = talk.chat(find_agency(Some(&agency))?, &self.states);
                chat.send(&message, &mut std::io::stdout()).await?;
                Ok(())
            }
        }
    }
}

impl TalkArgs {
    /// A conversation with `agency` on the model of the environment, coloured when standard
    /// output is a terminal (and `NO_COLOR` is unset), cancelled by Ctrl-C.
    fn chat(self, agency: Agency, states: &crate::States) -> Chat {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mut chat = Chat::new(agency)
            .config(crate::RunConfig::from_env().states(states.clone()))
            .colour(colour)
            .cancel_on_ctrl_c(true);
        if let Some(recipient) = self.recipient {
            chat = chat.recipient(recipient);
        }
        chat
    }
}

/// The served agency called `name` (its name, or its route or factory name in any case), or
/// the only one when no name is given.
fn find_agency(name: Option<&str>) -> Result<Agency> {
    let mut agencies = Vec::new();
    for reg in AgencyRegistration::all() {
        let agency = (reg.build)().map_err(|source| Error::InvalidAgency {
            factory: reg.name.to_owned(),
            location: reg.location.to_owned(),
            source,
        })?;
        agencies.push((reg.name, agency));
    }
    pick_agency(agencies, name)
}

fn pick_agency(agencies: Vec<(&str, Agency)>, name: Option<&str>) -> Result<Agency> {
    let available = || agencies.iter().map(|(_, a)| a.name().to_owned()).collect();
    let found = match name {
        None if agencies.len() == 1 => agencies.first(),
        None => None,
        Some(name) => agencies.iter().find(|(_, a)| a.name() == name).or_else(|| {
            agencies.iter().find(|(factory, a)| {
                [a.name(), a.route_name().as_str(), factory]
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name))
            })
        }),
    };
    match found {
        Some((_, agency)) => Ok(agency.clone()),
        None => Err(Error::UnknownAgency {
            name: name.map(str::to_owned),
            available: available(),
        }),
    }
}

/// Logs to standard output in `format`, filtered by `RUST_LOG` (default `info`); with the
/// `otel` feature, spans are also exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
/// With `--enable-logging`, each logged request's events also go to its file.
/// The returned guard sends the last spans when dropped.
fn init_tracing(format: LogFormat, request_logs: bool) -> Telemetry {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer();
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    let request_logs = request_logs.then(crate::http::LogFileLayer::default);
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(request_logs);
    #[cfg(feature = "otel")]
    {
        let name = std::env::args_os()
            .next()
            .map(PathBuf::from)
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "agency".to_owned());
        let (otel, problem) = match agency_otel::Otel::from_env(&name) {
            Ok(otel) => (otel, None),
            Err(e) => (None, Some(e)),
        };
        let _ = registry.with(otel.as_ref().map(|o| o.layer())).try_init();
        if let Some(problem) = problem {
            tracing::warn!("spans are not exported: {problem}");
        } else if otel.is_some() {
            tracing::info!("spans are exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)");
        }
        Telemetry(otel)
    }
    #[cfg(not(feature = "otel"))]
    {
        let _ = registry.try_init();
        Telemetry(None)
    }
}

/// Sends the spans not exported yet when `main` ends.
struct Telemetry(Option<Exporter>);

#[cfg(feature = "otel")]
type Exporter = agency_otel::Otel;
#[cfg(not(feature = "otel"))]
type Exporter = std::convert::Infallible;

impl Drop for Telemetry {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(otel) = &self.0 {
            otel.shutdown();
        }
    }
}

/// Warnings and errors only, on standard error: standard output is the conversation.
fn init_tracing_to_stderr() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn server(
    program: &Program,
    options: ServerOptions,
    threads: Option<Threads>,
    registry: Option<Arc<dyn RunRegistry>>,
) -> Result<Server> {
    let mut builder = program.server_builder().options(options);
    if let Some(threads) = threads {
        builder = builder.threads(threads);
    }
    if let Some(registry) = registry {
        builder = builder.run_registry(registry);
    }
    Ok(builder.build()?)
}

async fn serve(program: &Program, args: &ServeArgs) -> Result<()> {
    let options = args.options()?;
    let (mut threads, fleet) = (args.threads().await?, args.fleet().await?);
    let mut registry = None;
    if let Some((shared, lock)) = fleet {
        threads = threads.map(|t| t.with_lock(lock));
        registry = Some(shared);
    }
    server(program, options, threads, registry)?.serve().await?;
    Ok(())
}

fn list() -> Result<()> {
    let registrations = AgencyRegistration::all();
    println!("agencies ({}):", registrations.len());
    for reg in registrations {
        let agency = match (reg.build)() {
            Ok(agency) => agency,
            Err(e) => {
                println!("  {} ({}): invalid: {e}", reg.name, reg.location);
                continue;
            }
        };
        println!("  {} (routes /{}/...)", agency.name(), agency.route_name());
        for agent in agency.agents() {
            let entry = if agency.entry_points().iter().any(|e| e == agent.name()) {
                " (entry point)"
            } else {
                ""
            };
            let tools: Vec<&str> = agent.tools().iter().map(|t| t.name()).collect();
            let toolsets: Vec<&str> = agent.toolsets().iter().map(|t| t.name()).collect();
            let toolsets = match toolsets.is_empty() {
                true => String::new(),
                false => format!(", and the tools of [{}] (MCP)", toolsets.join(", ")),
            };
            println!(
                "    agent {}{entry}: model {}, tools [{}]{toolsets}",
                agent.name(),
                agent.model(),
                tools.join(", ")
            );
        }
        for (from, to) in agency.flows() {
            println!("    {from} -> {to} (send_message)");
        }
        for (from, to) in agency.handoffs() {
            println!("    {from} => {to} (handoff)");
        }
    }
    let tools = Toolbox::discover()?;
    println!("tools ({}):", tools.len());
    for tool in tools.iter() {
        let strict = if tool.is_strict() {
            "strict"
        } else {
            "non-strict"
        };
        let summary = tool.description().lines().next().unwrap_or_default();
        println!("  {:<24} {strict:<10} {summary}", tool.name());
        for warning in tool.warnings() {
            println!("    warning: {warning}");
        }
    }
    Ok(())
}

fn export(program: &Program, export: Export, args: &ServeArgs) -> Result<()> {
    let (text, output) = match export {
        Export::Openapi { url, title, output } => {
            let mut options = args.options()?;
            if let Some(url) = url {
                options = options.with_server_url(url);
            }
            if let Some(title) = title {
                options = options.with_title(title);
            }
            // The document the server would serve, without opening its store: the routes
            // depend only on whether it keeps chats.
            let keeps_chats = !args.threads.trim().eq_ignore_ascii_case("none");
            let threads = keeps_chats.then(|| Threads::new(InMemoryThreadStore::default()));
            let server = server(program, options, threads, None)?;
            (pretty(server.openapi()), output)
        }
        Export::Tools { format, output } => {
            let tools = Toolbox::discover()?;
            let defs: Vec<_> = tools
                .iter()
                .map(|t| match format.as_str() {
                    "chat" => t.chat_completions_definition(),
                    _ => t.definition(),
                })
                .collect();
            (pretty(&serde_json::Value::Array(defs)), output)
        }
    };
    match output {
        None => {
            println!("{text}");
            Ok(())
        }
        Some(path) => std::fs::write(&path, text + "\n").map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
