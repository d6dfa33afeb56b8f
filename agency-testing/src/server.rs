//! The fake OpenAI server and the handle tests script it through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::task::JoinHandle;

use crate::handler::handle;
use crate::quirks::ChatQuirks;
use crate::recorded::RecordedRequest;
use crate::reference::reference_reply;
use crate::reply::Reply;
use crate::state::Shared;

/// A fake OpenAI API on `127.0.0.1`, serving `POST /v1/responses` and
/// `POST /v1/chat/completions` (streaming or not) from scripted [`Reply`]s.
///
/// Each request takes the next [pushed](FakeOpenAi::push) reply; when none is
/// queued, the [rule](FakeOpenAi::respond_with) answers — by default
/// [`FakeOpenAi::reference_responder`], the fake model of the reference
/// transcripts. Every request, on any path, is recorded. The server stops when
/// this value is dropped.
///
/// ```no_run
/// # async fn demo() {
/// use agency_testing::{FakeOpenAi, Reply};
/// use serde_json::json;
///
/// let fake = FakeOpenAi::start().await;
/// fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})));
/// fake.push(Reply::text("The sum is 42."));
/// // point the client at fake.base_url(), run the agent, then:
/// let sent = fake.requests();
/// assert_eq!(sent[0].tool_names(), ["add"]);
/// # }
/// ```
pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl FakeOpenAi {
    /// Binds `127.0.0.1:0` and starts serving on the current Tokio runtime.
    ///
    /// # Panics
    ///
    /// Panics if no local port can be bound.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the fake OpenAI server")
    }

    /// Binds `addr` (for example `127.0.0.1:8399`) and starts serving on the current Tokio
    /// runtime: what the `fake-openai` program does, to try a server without an API key.
    pub async fn start_on(addr: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            // Serving only ends with an accept error or when the task is aborted.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT/v1`, what `OpenAIConfig::with_api_base` takes.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `reply` for the next request that has none yet.
    pub fn push(&self, reply: Reply) -> &Self {
        self.shared.push(reply);
        self
    }

    /// Queues several replies, in order.
    pub fn push_all(&self, replies: impl IntoIterator<Item = Reply>) -> &Self {
        for reply in replies {
            self.shared.push(reply);
        }
        self
    }

    /// How many pushed replies no request has taken yet.
    pub fn queued(&self) -> usize {
        self.shared.queued()
    }

    /// Answers requests with `rule` whenever no pushed reply is queued
    /// (replacing the reference responder).
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use agency_testing::{FakeOpenAi, Reply};
    ///
    /// let fake = FakeOpenAi::start().await;
    /// fake.respond_with(|req| Reply::text(format!("You said {}", req.last_user_text().unwrap_or_default())));
    /// fake.respond_with(|_| Reply::error(429, "Rate limit reached").retry_after(0));
    /// # }
    /// ```
    pub fn respond_with(
        &self,
        rule: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> &Self {
        self.shared.set_responder(Arc::new(rule));
        self
    }

    /// Makes Chat Completions deviate from OpenAI the way `quirks` says, for every later
    /// request (see [`ChatQuirks`]; `ChatQuirks::default()` turns them off again).
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use agency_testing::{ChatQuirks, FakeOpenAi, Reply};
    /// use serde_json::json;
    ///
    /// let fake = FakeOpenAi::start().await;
    /// fake.chat_quirks(ChatQuirks::llama_cpp_python())
    ///     .push(Reply::function_call("get_weather", json!({"city": "Paris"})));
    /// # }
    /// ```
    pub fn chat_quirks(&self, quirks: ChatQuirks) -> &Self {
        self.shared.set_chat_quirks(quirks);
        self
    }

    /// The fake model of the reference transcripts (see [`crate::reference_reply`]);
    /// the default rule, usable again with `fake.respond_with(FakeOpenAi::reference_responder())`.
    pub fn reference_responder() -> fn(&RecordedRequest) -> Reply {
        reference_reply
    }

    /// Adds a file to the fake's Files API, as if uploaded with purpose `assistants`, and
    /// returns its id.
    pub fn add_file(&self, filename: &str, bytes: impl Into<Vec<u8>>) -> String {
        let id = self.shared.ids.next("file");
        self.shared.files.add(crate::StoredFile {
            id: id.clone(),
            filename: filename.to_owned(),
            purpose: "assistants".to_owned(),
            bytes: bytes.into(),
        });
        id
    }

    /// The files of the fake's Files API (added and uploaded), in order.
    pub fn files(&self) -> Vec<crate::StoredFile> {
        self.shared.files.all()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.shared.requests().pop()
    }

    /// How many requests were received (any path).
    pub fn request_count(&self) -> usize {
        self.shared.counters().requests
    }

    /// Answers the client abandoned: streams whose body was dropped before the
    /// last event, and requests dropped while their [`Reply::delay`] ran.
    pub fn dropped_streams(&self) -> usize {
        self.shared.counters().dropped
    }

    /// Streams sent to their last event.
    pub fn completed_streams(&self) -> usize {
        self.shared.counters().completed
    }

    /// Waits until at least one answer was abandoned; false if `timeout` passed first.
    pub async fn wait_for_dropped_stream(&self, timeout: Duration) -> bool {
        self.wait_for_dropped_streams(1, timeout).await
    }

    /// Waits until at least `count` answers were abandoned; false if `timeout` passed first.
    pub async fn wait_for_dropped_streams(&self, count: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |counters| counters.dropped >= count)
            .await
    }

    /// Waits until at least `count` requests arrived; false if `timeout` passed first.
    pub async fn wait_for_requests(&self, count: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |counters| counters.requests >= count)
            .await
    }
}

impl Drop for FakeOpenAi {
    /// Stops accepting connections; idle ones close, answers in flight run out.
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for FakeOpenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOpenAi")
            .field("addr", &self.addr)
            .field("counters", &self.shared.counters())
            .finish()
    }
}
