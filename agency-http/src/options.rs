//! The server's options: the equivalents of Agency Swarm's `run_fastapi` arguments.

/// Default bind address.
pub const DEFAULT_HOST: &str = "0.0.0.0";
/// Default bind port.
pub const DEFAULT_PORT: u16 = 8000;
/// Default name of the environment variable that holds the bearer token.
pub const DEFAULT_APP_TOKEN_ENV: &str = "APP_TOKEN";
/// Default largest request body, in bytes (10 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;
/// Default longest a run may take (10 minutes).
pub const DEFAULT_RUN_TIMEOUT: Duration = agency_core::run::DEFAULT_RUN_TIMEOUT;
/// Default longest a tool call may take (60 s), for tools that set no timeout of their own.
pub const DEFAULT_TOOL_TIMEOUT: Duration = agency_core::DEFAULT_TOOL_TIMEOUT;
/// Default directory of request logs (`enable_logging`).
pub const DEFAULT_LOGS_DIR: &str = "activity-logs";
/// Default longest a shutdown may take once it is asked for (30 s).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

use std::path::PathBuf;
use std::time::Duration;

/// How the server listens, authenticates, and describes itself.
///
/// Fields are public so they can be set one by one; the `with_*` methods chain.
///
/// ```
/// use agency_http::ServerOptions;
///
/// let options = ServerOptions::default()
///     .with_port(9000)
///     .with_app_token("s3cret")
///     .with_cors_origins(["https://app.example.com"]);
/// assert_eq!(options.server_url(), "http://localhost:9000");
/// assert!(options.auth_enabled());
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Bind address (default `0.0.0.0`).
    pub host: String,
    /// Bind port (default `8000`).
    pub port: u16,
    /// The bearer token every protected route requires; `None` turns auth off (with one
    /// warning when the server starts).
    pub app_token: Option<String>,
    /// The environment variable `app_token` was read from (for the startup banner), if it was.
    pub app_token_env: Option<String>,
    /// More bearer tokens, each of its own principal (`--tokens-file`); with `app_token`, every
    /// one of them is accepted. A chat belongs to the principal that started it.
    pub tokens: Vec<crate::ApiToken>,
    /// Chats idle for longer are deleted; `None` (the default): chats are kept.
    pub chat_ttl: Option<Duration>,
    /// Allowed CORS origins (default `["*"]`: any origin, without credentials).
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes (default 10 MiB); larger ones are answered 413.
    pub body_limit: usize,
    /// `servers[0].url` of the OpenAPI document; `None` derives it from host and port.
    pub server_url: Option<String>,
    /// `info.title` of the OpenAPI document.
    pub title: String,
    /// `info.version` of the OpenAPI document.
    pub version: String,
    /// The base URL prefixes a request's `client_config.base_url` may name (any host, `http`
    /// too). `None` (the default): any `https` URL whose host resolves to public addresses
    /// only. An empty list: a request may not choose the URL.
    pub allowed_base_urls: Option<Vec<String>>,
    /// The models a request's `client_config.model` may name; `None` (the default): any.
    pub allowed_models: Option<Vec<String>>,
    /// The longest a run may take (default 10 minutes): past it the run stops as on cancel and
    /// the caller gets 504 (`get_response`) or an `error` event (stream).
    pub run_timeout: Duration,
    /// The longest a tool call may take when the tool sets no timeout of its own (default 60
    /// s); the model gets an output that says so, `POST /tool/{name}` answers 504.
    pub tool_timeout: Duration,
    /// Once a shutdown is asked for, every run is cancelled and the server stops within this
    /// long (default 30 s), even if a tool ignores the cancellation. An `after_turn` cancel
    /// waits for its stream at most this long too.
    pub shutdown_timeout: Duration,
    /// Whether a stream's run is cancelled as soon as its client goes away (default `true`, the
    /// original's behaviour). `false`: the run goes on, every frame recorded, and a client may
    /// resume it (`GET /{a}/runs/{run_id}/stream`) or cancel it later.
    pub cancel_on_disconnect: bool,
    /// AG-UI mode (default `false`): each agency's `get_response_stream` takes an AG-UI
    /// `RunAgentInput` and answers AG-UI events (CopilotKit and other AG-UI front ends);
    /// `get_response` and `cancel_response_stream` are not served.
    pub enable_agui: bool,
    /// The built-in web chat at `/chat` and `/chat/{agency}` (default `true`): a public page,
    /// like `/docs`, whose script calls the agency routes with the token the user enters.
    /// Served only when there is an agency.
    pub chat_ui: bool,
    /// The OpenAI-compatible routes (default `true`): `GET /v1/models`, `POST
    /// /v1/chat/completions` and `POST /v1/responses`, where each agency is a model (see
    /// [`openai`](crate::openai)).
    pub enable_openai: bool,
    /// The MCP server (default `true`): `/mcp` over MCP's streamable HTTP transport, every
    /// served tool and each agency as a tool (see [`mcp`](crate::mcp)).
    pub enable_mcp: bool,
    /// Request logs (default off): a request that sends `x-agency-log-id: <id>` has its log
    /// events written to `{logs_dir}/{id}.jsonl`, and `/get_logs` returns them once. The events
    /// are written by [`LogFileLayer`](crate::LogFileLayer), which the program's tracing
    /// subscriber must include (`agency::main()` does).
    pub enable_logging: bool,
    /// Where request logs go (default `activity-logs`).
    pub logs_dir: PathBuf,
    /// The directories a request's `file_urls` may name local files in (resolved: `..` and
    /// links). Empty (the default): no local path is allowed.
    pub allowed_local_file_dirs: Vec<PathBuf>,
    /// The URL prefixes a request's `file_urls` may download from (any host, `http` too).
    /// `None` (the default): any `https` URL whose host resolves to public addresses only, as
    /// for `client_config.base_url`. An empty list: no URL.
    pub allowed_file_urls: Option<Vec<String>>,
    /// The largest file a `file_urls` entry may name, in bytes (default 50 MiB).
    pub file_size_limit: u64,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            app_token: None,
            app_token_env: None,
            tokens: Vec::new(),
            chat_ttl: None,
            cors_origins: vec!["*".to_owned()],
            body_limit: DEFAULT_BODY_LIMIT,
            server_url: None,
            title: "Agency API".to_owned(),
            version: "0.1.0".to_owned(),
            allowed_base_urls: None,
            allowed_models: None,
            run_timeout: DEFAULT_RUN_TIMEOUT,
            tool_timeout: DEFAULT_TOOL_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            cancel_on_disconnect: true,
            enable_agui: false,
            chat_ui: true,
            enable_openai: true,
            enable_mcp: true,
            enable_logging: false,
            logs_dir: PathBuf::from(DEFAULT_LOGS_DIR),
            allowed_local_file_dirs: Vec::new(),
            allowed_file_urls: None,
            file_size_limit: crate::files::DEFAULT_FILE_SIZE_LIMIT,
        }
    }
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("app_token", &self.app_token.as_ref().map(|_| "<redacted>"))
            .field("app_token_env", &self.app_token_env)
            .field("tokens", &self.tokens)
            .field("chat_ttl", &self.chat_ttl)
            .field("cors_origins", &self.cors_origins)
            .field("body_limit", &self.body_limit)
            .field("server_url", &self.server_url)
            .field("title", &self.title)
            .field("version", &self.version)
            .field("allowed_base_urls", &self.allowed_base_urls)
            .field("allowed_models", &self.allowed_models)
            .field("run_timeout", &self.run_timeout)
            .field("tool_timeout", &self.tool_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("cancel_on_disconnect", &self.cancel_on_disconnect)
            .field("enable_agui", &self.enable_agui)
            .field("chat_ui", &self.chat_ui)
            .field("enable_openai", &self.enable_openai)
            .field("enable_mcp", &self.enable_mcp)
            .field("enable_logging", &self.enable_logging)
            .field("logs_dir", &self.logs_dir)
            .field("allowed_local_file_dirs", &self.allowed_local_file_dirs)
            .field("allowed_file_urls", &self.allowed_file_urls)
            .field("file_size_limit", &self.file_size_limit)
            .finish()
    }
}

impl ServerOptions {
    /// Serves the built-in web chat at `/chat` (see [`ServerOptions::chat_ui`]).
    ///
    /// ```
    /// let options = agency_http::ServerOptions::default().with_chat_ui(false);
    /// assert!(!options.chat_ui);
    /// ```
    pub fn with_chat_ui(mut self, on: bool) -> Self {
        self.chat_ui = on;
        self
    }

    /// Serves the agencies in AG-UI mode (see [`ServerOptions::enable_agui`]).
    pub fn with_agui(mut self, on: bool) -> Self {
        self.enable_agui = on;
        self
    }

    /// Serves the OpenAI-compatible routes or not (see [`ServerOptions::enable_openai`]).
    pub fn with_openai(mut self, on: bool) -> Self {
        self.enable_openai = on;
        self
    }

    /// Serves the MCP endpoint or not (see [`ServerOptions::enable_mcp`]).
    pub fn with_mcp(mut self, on: bool) -> Self {
        self.enable_mcp = on;
        self
    }

    /// Sets the bind address.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Sets the bind port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Requires `Authorization: Bearer <token>` on protected routes. An empty token turns auth
    /// off, like an unset environment variable.
    pub fn with_app_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.app_token = (!token.is_empty()).then_some(token);
        self.app_token_env = None;
        self
    }

    /// Reads the token from the environment variable `var` (the default is
    /// [`DEFAULT_APP_TOKEN_ENV`]); unset, empty or not UTF-8 turns auth off.
    pub fn with_app_token_from_env(mut self, var: &str) -> Self {
        self.app_token = std::env::var(var).ok().filter(|t| !t.is_empty());
        self.app_token_env = Some(var.to_owned());
        self
    }

    /// Accepts `tokens` too, each as its principal (see [`ApiToken::parse_file`](crate::ApiToken::parse_file)).
    pub fn with_tokens(mut self, tokens: impl IntoIterator<Item = crate::ApiToken>) -> Self {
        self.tokens.extend(tokens);
        self
    }

    /// Deletes chats idle for longer than `ttl`.
    pub fn with_chat_ttl(mut self, ttl: Duration) -> Self {
        self.chat_ttl = Some(ttl);
        self
    }

    /// Every accepted token: `app_token` as [`DEFAULT_PRINCIPAL`](crate::DEFAULT_PRINCIPAL),
    /// then `tokens`.
    pub fn auth_tokens(&self) -> Vec<crate::ApiToken> {
        let app = self
            .app_token
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| crate::ApiToken::new(crate::DEFAULT_PRINCIPAL, t.clone()));
        app.chain(self.tokens.iter().cloned()).collect()
    }

    /// Sets the allowed CORS origins (`["*"]` for any).
    pub fn with_cors_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cors_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the largest request body, in bytes.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets `servers[0].url` of the OpenAPI document.
    pub fn with_server_url(mut self, url: impl Into<String>) -> Self {
        self.server_url = Some(url.into());
        self
    }

    /// Sets the title of the OpenAPI document and the docs pages.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the version in the OpenAPI document.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Lets a request's `client_config.base_url` name only URLs under these prefixes (an empty
    /// list: none at all). See [`ServerOptions::allowed_base_urls`].
    pub fn with_allowed_base_urls<I, S>(mut self, prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_base_urls = Some(prefixes.into_iter().map(Into::into).collect());
        self
    }

    /// Lets a request's `client_config.model` name only these models (an empty list: none).
    pub fn with_allowed_models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_models = Some(models.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the longest a run may take.
    pub fn with_run_timeout(mut self, timeout: Duration) -> Self {
        self.run_timeout = timeout;
        self
    }

    /// Sets the longest a tool call may take, for tools without a timeout of their own.
    pub fn with_tool_timeout(mut self, timeout: Duration) -> Self {
        self.tool_timeout = timeout;
        self
    }

    /// Sets the longest a shutdown may take.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets whether a stream's run is cancelled when its client goes away.
    pub fn with_cancel_on_disconnect(mut self, cancel: bool) -> Self {
        self.cancel_on_disconnect = cancel;
        self
    }

    /// Turns request logs on or off (see [`ServerOptions::enable_logging`]).
    pub fn with_logging(mut self, on: bool) -> Self {
        self.enable_logging = on;
        self
    }

    /// Sets where request logs go.
    pub fn with_logs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.logs_dir = dir.into();
        self
    }

    /// Lets a request's `file_urls` name local files inside `dirs`.
    pub fn with_allowed_local_file_dirs<I, P>(mut self, dirs: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        self.allowed_local_file_dirs = dirs.into_iter().map(Into::into).collect();
        self
    }

    /// Lets a request's `file_urls` download only from URLs under these prefixes (an empty
    /// list: none). See [`ServerOptions::allowed_file_urls`].
    pub fn with_allowed_file_urls<I, S>(mut self, prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_file_urls = Some(prefixes.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the largest file a `file_urls` entry may name, in bytes.
    pub fn with_file_size_limit(mut self, bytes: u64) -> Self {
        self.file_size_limit = bytes;
        self
    }

    /// Whether protected routes require a bearer token.
    pub fn auth_enabled(&self) -> bool {
        self.app_token.as_deref().is_some_and(|t| !t.is_empty()) || !self.tokens.is_empty()
    }

    /// The server's public URL: [`ServerOptions::server_url`] if set, else
    /// `http://localhost:{port}` when the host is `0.0.0.0`, else `http://{host}:{port}`.
    pub fn server_url(&self) -> String {
        if let Some(url) = &self.server_url {
            return url.clone();
        }
        let host = match self.host.as_str() {
            "0.0.0.0" | "" => "localhost",
            h if h.contains(':') && !h.starts_with('[') => {
                return format!("http://[{h}]:{}", self.port);
            }
            h => h,
        };
        format!("http://{host}:{}", self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_rules() {
        let o = ServerOptions::default();
        assert_eq!(o.server_url(), "http://localhost:8000");
        assert_eq!(
            o.clone().with_host("127.0.0.1").server_url(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(o.clone().with_host("::1").server_url(), "http://[::1]:8000");
        assert_eq!(
            o.clone().with_server_url("https://x.test").server_url(),
            "https://x.test"
        );
        assert!(!o.clone().with_app_token("").auth_enabled());
        assert!(!format!("{:?}", o.with_app_token("hidden")).contains("hidden"));
    }
}
