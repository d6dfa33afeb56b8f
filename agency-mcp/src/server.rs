//! [`McpServer`]: where an MCP server is, and the one connection to it that every run shares.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use agency_core::{Tool, Toolset};
use futures::future::BoxFuture;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::McpError;
use crate::tools::agency_tools;

/// How long connecting and listing the tools may take (default 10 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest wait before another try at a server that was down.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// An MCP server whose tools an agent takes: see the [crate](crate) documentation. Cloning is
/// cheap; clones share one connection.
///
/// ```
/// use agency_mcp::McpServer;
///
/// let search = McpServer::http("http://127.0.0.1:8931/mcp")
///     .name("search")
///     .bearer("a-token")
///     .header("x-team", "docs");
/// assert_eq!(search.server_name(), "search");
///
/// let files = McpServer::stdio("npx", ["-y", "@modelcontextprotocol/server-filesystem", "/srv/docs"]);
/// assert_eq!(files.server_name(), "npx");
/// ```
#[derive(Clone)]
pub struct McpServer(Arc<Inner>);

struct Inner {
    name: String,
    transport: Transport,
    strict: bool,
    connect_timeout: Duration,
    state: Mutex<State>,
}

#[derive(Clone)]
enum Transport {
    Http {
        url: String,
        bearer: Option<String>,
        headers: Vec<(String, String)>,
    },
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
}

/// The connection, or when to try again.
enum State {
    Idle {
        failures: u32,
        retry_at: Option<Instant>,
    },
    Connected {
        service: RunningService<RoleClient, ()>,
        tools: Vec<Tool>,
    },
}

impl McpServer {
    /// A server at a streamable HTTP endpoint (`http://host:port/mcp`), named after its host.
    pub fn http(url: impl Into<String>) -> Self {
        let url = url.into();
        let name = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', '?']).next())
            .unwrap_or(&url)
            .to_owned();
        McpServer::new(
            name,
            Transport::Http {
                url,
                bearer: None,
                headers: Vec::new(),
            },
        )
    }

    /// A server run as `command args...`, spoken to over its standard input and output, named
    /// after the program. It is started when first needed and stopped when the last clone of
    /// this value is dropped.
    pub fn stdio<I, S>(command: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let command = command.into();
        let name = std::path::Path::new(&command)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| command.clone());
        McpServer::new(
            name,
            Transport::Stdio {
                command,
                args: args.into_iter().map(Into::into).collect(),
                env: Vec::new(),
            },
        )
    }

    fn new(name: String, transport: Transport) -> Self {
        McpServer(Arc::new(Inner {
            name,
            transport,
            strict: true,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            state: Mutex::new(State::Idle {
                failures: 0,
                retry_at: None,
            }),
        }))
    }

    /// The settings, for a builder method (before any connection: a fresh state).
    fn with(self, change: impl FnOnce(&mut Transport, &mut Settings)) -> Self {
        let inner = &self.0;
        let mut transport = inner.transport.clone();
        let mut settings = Settings {
            name: inner.name.clone(),
            strict: inner.strict,
            connect_timeout: inner.connect_timeout,
        };
        change(&mut transport, &mut settings);
        McpServer(Arc::new(Inner {
            name: settings.name,
            transport,
            strict: settings.strict,
            connect_timeout: settings.connect_timeout,
            state: Mutex::new(State::Idle {
                failures: 0,
                retry_at: None,
            }),
        }))
    }

    /// The name logs and warnings use.
    pub fn name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.with(|_, s| s.name = name)
    }

    /// The name logs and warnings use.
    pub fn server_name(&self) -> &str {
        &self.0.name
    }

    /// `Authorization: Bearer <token>` on every request (HTTP only).
    pub fn bearer(self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.with(|t, _| {
            if let Transport::Http { bearer, .. } = t {
                *bearer = Some(token);
            }
        })
    }

    /// A header on every request (HTTP only).
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let header = (name.into(), value.into());
        self.with(|t, _| {
            if let Transport::Http { headers, .. } = t {
                headers.push(header);
            }
        })
    }

    /// An environment variable for the program (stdio only).
    pub fn env(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let var = (name.into(), value.into());
        self.with(|t, _| {
            if let Transport::Stdio { env, .. } = t {
                env.push(var);
            }
        })
    }

    /// Whether the tools' schemas are rewritten for OpenAI's strict mode (default `true`; a
    /// schema that cannot be is sent non-strict with a warning either way).
    pub fn strict(self, strict: bool) -> Self {
        self.with(|_, s| s.strict = strict)
    }

    /// How long connecting and listing the tools may take (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.with(|_, s| s.connect_timeout = timeout)
    }

    /// Connects now, if it is not connected, and answers how many tools the server has; an
    /// error says why it cannot be used (it is tried again on the next run all the same).
    pub async fn connect(&self) -> Result<usize, McpError> {
        let mut state = self.0.state.lock().await;
        self.connected(&mut state).await.map(|tools| tools.len())
    }

    /// The tools, connecting first when needed; an empty list while the server is down.
    async fn current_tools(&self) -> Vec<Tool> {
        let mut state = self.0.state.lock().await;
        if let State::Idle {
            retry_at: Some(at), ..
        } = &*state
            && Instant::now() < *at
        {
            return Vec::new();
        }
        match self.connected(&mut state).await {
            Ok(tools) => tools.to_vec(),
            Err(error) => {
                let wait = match &*state {
                    State::Idle {
                        retry_at: Some(at), ..
                    } => at.saturating_duration_since(Instant::now()),
                    _ => Duration::ZERO,
                };
                tracing::warn!(
                    "{error}; its tools are left out, and it is tried again in {} s",
                    wait.as_secs().max(1)
                );
                Vec::new()
            }
        }
    }

    /// The tools of a live connection, made now if there is none (or it closed); a failure
    /// leaves `state` saying when to try again.
    async fn connected<'s>(&self, state: &'s mut State) -> Result<&'s [Tool], McpError> {
        if let State::Connected { service, .. } = &*state
            && service.is_closed()
        {
            tracing::warn!(
                "MCP server '{}': the connection closed; connecting again",
                self.0.name
            );
            *state = State::Idle {
                failures: 0,
                retry_at: None,
            };
        }
        if let State::Idle { failures, .. } = &*state {
            let failures = *failures;
            let attempt = tokio::time::timeout(self.0.connect_timeout, self.open()).await;
            let result = attempt.unwrap_or_else(|_| {
                Err(McpError::Timeout {
                    server: self.0.name.clone(),
                    place: self.place(),
                    after: self.0.connect_timeout,
                })
            });
            match result {
                Ok((service, tools)) => {
                    tracing::info!(
                        "MCP server '{}' ({}): {} tools",
                        self.0.name,
                        self.place(),
                        tools.len()
                    );
                    *state = State::Connected { service, tools };
                }
                Err(error) => {
                    let backoff = Duration::from_secs(1 << failures.min(6)).min(MAX_BACKOFF);
                    *state = State::Idle {
                        failures: failures.saturating_add(1),
                        retry_at: Some(Instant::now() + backoff),
                    };
                    return Err(error);
                }
            }
        }
        match &*state {
            State::Connected { tools, .. } => Ok(tools),
            State::Idle { .. } => Ok(&[]),
        }
    }

    /// Connects, shakes hands and lists the tools.
    async fn open(&self) -> Result<(RunningService<RoleClient, ()>, Vec<Tool>), McpError> {
        let connect_error = |reason: String| McpError::Connect {
            server: self.0.name.clone(),
            place: self.place(),
            reason,
        };
        let service = match &self.0.transport {
            Transport::Http {
                url,
                bearer,
                headers,
            } => {
                let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
                if let Some(token) = bearer {
                    config = config.auth_header(token.clone());
                }
                config = config.custom_headers(self.headers(headers)?);
                let transport = StreamableHttpClientTransport::from_config(config);
                ().serve(transport)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?
            }
            Transport::Stdio { command, args, env } => {
                let mut cmd = tokio::process::Command::new(command);
                cmd.args(args).kill_on_drop(true);
                for (key, value) in env {
                    cmd.env(key, value);
                }
                let transport = TokioChildProcess::builder(cmd)
                    .stderr(std::process::Stdio::inherit())
                    .spawn()
                    .map(|(process, _)| process)
                    .map_err(|source| McpError::Spawn {
                        server: self.0.name.clone(),
                        command: command.clone(),
                        source,
                    })?;
                ().serve(transport)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?
            }
        };
        let listed = service
            .peer()
            .list_all_tools()
            .await
            .map_err(|e| McpError::ListTools {
                server: self.0.name.clone(),
                reason: e.to_string(),
            })?;
        let tools = agency_tools(&self.0.name, self.0.strict, service.peer(), listed);
        Ok((service, tools))
    }

    fn headers(
        &self,
        headers: &[(String, String)],
    ) -> Result<HashMap<http::HeaderName, http::HeaderValue>, McpError> {
        headers
            .iter()
            .map(|(name, value)| {
                let bad = || McpError::Header {
                    server: self.0.name.clone(),
                    name: name.clone(),
                };
                Ok((
                    http::HeaderName::try_from(name.as_str()).map_err(|_| bad())?,
                    http::HeaderValue::try_from(value.as_str()).map_err(|_| bad())?,
                ))
            })
            .collect()
    }

    /// Where the server is, for messages: its URL without credentials, or its program.
    fn place(&self) -> String {
        match &self.0.transport {
            Transport::Http { url, .. } => agency_core::redact_url(url),
            Transport::Stdio { command, .. } => format!("`{command}`"),
        }
    }
}

/// What the builder methods change.
struct Settings {
    name: String,
    strict: bool,
    connect_timeout: Duration,
}

impl fmt::Debug for McpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.0.name)
            .field("place", &self.place())
            .field("strict", &self.0.strict)
            .finish_non_exhaustive()
    }
}

impl Toolset for McpServer {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn tools(&self) -> BoxFuture<'_, Vec<Tool>> {
        Box::pin(self.current_tools())
    }
}

/// What `#[agent(mcp = [...])]` takes: an [`McpServer`], or the URL of a streamable HTTP one.
///
/// ```
/// use agency_mcp::{IntoMcpServer, McpServer};
///
/// let by_url = "http://127.0.0.1:8931/mcp".into_mcp_server();
/// assert_eq!(by_url.server_name(), "127.0.0.1:8931");
/// let named = McpServer::http("http://127.0.0.1:8931/mcp").name("search").into_mcp_server();
/// assert_eq!(named.server_name(), "search");
/// ```
pub trait IntoMcpServer {
    /// The server.
    fn into_mcp_server(self) -> McpServer;
}

impl IntoMcpServer for McpServer {
    fn into_mcp_server(self) -> McpServer {
        self
    }
}

impl IntoMcpServer for &str {
    fn into_mcp_server(self) -> McpServer {
        McpServer::http(self)
    }
}

impl IntoMcpServer for String {
    fn into_mcp_server(self) -> McpServer {
        McpServer::http(self)
    }
}
