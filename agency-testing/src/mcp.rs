//! A fake MCP server (rmcp) for tests of MCP clients: over streamable HTTP on 127.0.0.1
//! ([`FakeMcp::start`]), or over standard input and output ([`serve_stdio`]; the `agency`
//! package's `fake_mcp_stdio` example). Its tools:
//!
//! - `add {a, b}`: the sum, as text;
//! - `lookup {id, verbose?}`: `{"id", "verbose"}` as structured content (`verbose` is optional);
//! - `wait {ms}`: waits, then answers `waited`; a call cancelled first is counted
//!   ([`FakeMcp::cancelled`]);
//! - `fail {}`: a result flagged as an error (`it failed on purpose`);
//! - `notes.search {query}`: a name OpenAI refuses (it has a `.`);
//! - `tally {counts}`: a map argument, which OpenAI's strict mode cannot take.
//!
//! Every call is recorded with its arguments ([`FakeMcp::calls`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServiceExt, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// What the tools saw, shared by every connection of one fake.
#[derive(Debug, Default)]
struct Seen {
    calls: Mutex<Vec<(String, Value)>>,
    cancelled: AtomicUsize,
}

impl Seen {
    fn record(&self, tool: &str, args: impl Serialize) {
        let args = serde_json::to_value(args).unwrap_or(Value::Null);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((tool.to_owned(), args));
        }
    }
}

/// The tools (one value per MCP session).
#[derive(Clone)]
struct FakeTools {
    seen: Arc<Seen>,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    b: i64,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct LookupArgs {
    /// The record's id.
    id: String,
    /// Whether to say more (optional, and never `null`).
    #[serde(default)]
    verbose: bool,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct Record {
    id: String,
    verbose: bool,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct WaitArgs {
    ms: u64,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct Empty {}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct SearchArgs {
    query: String,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct TallyArgs {
    counts: BTreeMap<String, u32>,
}

/// Counts a `wait` call dropped before it finished.
struct Unfinished<'a>(&'a AtomicUsize, bool);

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tool_router(server_handler)]
impl FakeTools {
    fn new(seen: Arc<Seen>) -> Self {
        FakeTools { seen }
    }

    #[tool(description = "Add two integers.")]
    fn add(&self, Parameters(args): Parameters<AddArgs>) -> String {
        let sum = args.a.saturating_add(args.b);
        self.seen.record("add", &args);
        sum.to_string()
    }

    #[tool(description = "Look a record up.")]
    fn lookup(&self, Parameters(args): Parameters<LookupArgs>) -> Json<Record> {
        self.seen.record("lookup", &args);
        Json(Record {
            id: args.id,
            verbose: args.verbose,
        })
    }

    #[tool(description = "Wait for a while.")]
    async fn wait(
        &self,
        Parameters(args): Parameters<WaitArgs>,
        cancelled: CancellationToken,
    ) -> String {
        self.seen.record("wait", &args);
        let mut guard = Unfinished(&self.seen.cancelled, false);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(args.ms)) => {
                guard.1 = true;
                "waited".to_owned()
            }
            () = cancelled.cancelled() => "cancelled".to_owned(),
        }
    }

    #[tool(description = "Always fails.")]
    fn fail(&self, Parameters(args): Parameters<Empty>) -> CallToolResult {
        self.seen.record("fail", &args);
        CallToolResult::error(vec![ContentBlock::text("it failed on purpose")])
    }

    #[tool(name = "notes.search", description = "Search the notes.")]
    fn search(&self, Parameters(args): Parameters<SearchArgs>) -> String {
        self.seen.record("notes.search", &args);
        format!("no note mentions {}", args.query)
    }

    #[tool(description = "Add up counts by name.")]
    fn tally(&self, Parameters(args): Parameters<TallyArgs>) -> String {
        let total: u64 = args.counts.values().map(|&n| u64::from(n)).sum();
        self.seen.record("tally", &args);
        total.to_string()
    }
}

/// The fake over streamable HTTP, at `http://127.0.0.1:PORT/mcp`; stopped when dropped.
pub struct FakeMcp {
    addr: SocketAddr,
    seen: Arc<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeMcp {
    /// Starts it on a free port.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("the fake MCP server cannot listen: {e}"))
    }

    /// Starts it on `addr` (a port a test kept free, say).
    pub async fn start_on(addr: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Seen::default());
        let for_sessions = seen.clone();
        let service = StreamableHttpService::new(
            move || Ok(FakeTools::new(for_sessions.clone())),
            Arc::new(LocalSessionManager::default()),
            StreamableHttpServerConfig::default(),
        );
        let app = axum::Router::new().nest_service("/mcp", service);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeMcp { addr, seen, task })
    }

    /// Its endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Every call so far: the tool's name and its arguments.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.seen
            .calls
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// How many `wait` calls were cancelled before they finished.
    pub fn cancelled(&self) -> usize {
        self.seen.cancelled.load(Ordering::SeqCst)
    }
}

impl Drop for FakeMcp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the fake's tools over standard input and output until the client goes away.
pub async fn serve_stdio() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let service = FakeTools::new(Arc::new(Seen::default()))
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}
