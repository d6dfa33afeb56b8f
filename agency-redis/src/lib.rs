//! The Redis run registry of agency-rs: many server processes, one service.
//!
//! [`RedisRegistry`] is a [`RunRegistry`] for a fleet of server processes behind a load balancer
//! without sticky sessions:
//!
//! - **Cancel anywhere.** A `cancel_response_stream` that reaches any process stops the run in
//!   the process that streams it (Redis pub/sub), and answers with the run's completed
//!   messages, read from the run's frames.
//! - **Resume anywhere.** Every frame of every stream is appended to a Redis stream of its run
//!   (bounded, expiring a while after the run ends), under its SSE `id:`; a client that lost its
//!   connection reconnects to any process (`GET /{a}/runs/{run_id}/stream` with
//!   `Last-Event-ID`) and gets every later frame exactly once, in order.
//! - **Faults.** Writes leave the stream's path through a queue: a Redis that is slow or gone
//!   never slows or fails a run. The queue (bounded) is written out when Redis is back;
//!   meanwhile cross-process cancel and resume of the runs it holds degrade, with one warning.
//!   A crashed process leaves nothing behind for long: a run's keys expire unless the process
//!   that streams it renews them.
//!
//! - **One run at a time per chat, fleet-wide**, with [`RedisRegistry::chat_lock`] on the
//!   server's [`Threads`](agency_core::thread::Threads).
//!
//! Runs of this process are served from memory first (an [`InProcessRegistry`] inside), so a
//! single process behaves exactly as without Redis.
//!
//! ```no_run
//! use agency_core::{Agency, Agent};
//! use agency_http::Server;
//! use agency_redis::RedisRegistry;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = RedisRegistry::connect("redis://127.0.0.1:6379").await?;
//! let agency = Agency::builder("Demo").entry(Agent::builder("Assistant").build());
//! Server::builder().agency(agency).run_registry(registry).build()?.serve().await?;
//! # Ok(()) }
//! ```

mod chat_lock;
mod keys;
mod remote;
mod script;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use agency_core::{CancelMode, Entry, RunControl};
use agency_http::agency::{
    CancelOutcome, Frame, Frames, InProcessRegistry, RunKey, RunRegistry, RunRegistryError,
};
use futures::future::BoxFuture;
use tokio_util::sync::{CancellationToken, DropGuard};

pub use chat_lock::RedisChatLock;
pub use keys::DEFAULT_PREFIX;

/// How long a run's keys live without being renewed by the process that streams it.
pub const DEFAULT_LIVE_TTL: Duration = Duration::from_secs(30);
/// How long the frames of an ended run stay readable.
pub const DEFAULT_KEEP: Duration = agency_http::agency::DEFAULT_KEEP;
/// How many frames the Redis stream of one run keeps (about; the oldest go first).
pub const DEFAULT_MAX_FRAMES: usize = 10_000;
/// How much frame data waits in memory for a Redis that does not answer.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// The longest the start of a stream waits for Redis to know the run.
const REGISTER_WAIT: Duration = Duration::from_millis(500);
/// The longest one Redis command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// How a [`RedisRegistry`] uses Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisOptions {
    /// The prefix of every key and channel (default [`DEFAULT_PREFIX`]): fleets that share a
    /// Redis use different ones.
    pub prefix: String,
    /// See [`DEFAULT_LIVE_TTL`].
    pub live_ttl: Duration,
    /// See [`DEFAULT_KEEP`].
    pub keep: Duration,
    /// See [`DEFAULT_MAX_FRAMES`].
    pub max_frames: usize,
    /// See [`DEFAULT_MAX_QUEUED_BYTES`].
    pub max_queued_bytes: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            prefix: DEFAULT_PREFIX.to_owned(),
            live_ttl: DEFAULT_LIVE_TTL,
            keep: DEFAULT_KEEP,
            max_frames: DEFAULT_MAX_FRAMES,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
        }
    }
}

impl RedisOptions {
    /// Sets the key prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long an unrenewed run lives.
    pub fn with_live_ttl(mut self, ttl: Duration) -> Self {
        self.live_ttl = ttl;
        self
    }

    /// Sets how long the frames of an ended run stay readable.
    pub fn with_keep(mut self, keep: Duration) -> Self {
        self.keep = keep;
        self
    }
}

/// Why a [`RedisRegistry`] could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The URL is not a Redis URL (`redis://[user:password@]host[:port][/db]`, `rediss://`,
    /// `redis+unix:///path`).
    #[error("'{url}' is not a Redis URL: {source}")]
    InvalidUrl {
        /// The URL, its password hidden.
        url: String,
        /// What is wrong with it.
        source: redis::RedisError,
    },
}

/// A [`RunRegistry`] shared by the server processes that use one Redis; see the crate docs.
pub struct RedisRegistry {
    local: Arc<InProcessRegistry>,
    shared: Arc<remote::Shared>,
    _stop: DropGuard,
}

impl std::fmt::Debug for RedisRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRegistry")
            .field("url", &self.shared.url)
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl RedisRegistry {
    /// A registry on the Redis at `url`, with the default [`RedisOptions`]. See
    /// [`RedisRegistry::connect_with`].
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        Self::connect_with(url, RedisOptions::default()).await
    }

    /// A registry on the Redis at `url`. Redis need not answer yet: the registry connects when
    /// it needs to (and warns once now if it cannot), and serves this process's runs from
    /// memory meanwhile. Starts its tasks (the cancel listener, the writer, the renewal of this
    /// process's runs) on the current tokio runtime; they stop when the registry is dropped.
    pub async fn connect_with(url: &str, options: RedisOptions) -> Result<Self, RedisError> {
        let client = redis::Client::open(url).map_err(|source| RedisError::InvalidUrl {
            url: agency_core::redact_url(url),
            source,
        })?;
        let local = Arc::new(
            InProcessRegistry::default()
                .keep_ended(options.keep, agency_http::agency::DEFAULT_MAX_KEPT),
        );
        let stop = CancellationToken::new();
        let shared = Arc::new(remote::Shared::new(
            client,
            agency_core::redact_url(url),
            options,
        ));
        if let Err(e) = shared.ping().await {
            tracing::warn!(
                "Redis at {} does not answer ({e}): streams are served from this process until it does",
                shared.url
            );
        }
        tokio::spawn(writer::run(shared.clone(), local.clone(), stop.clone()));
        tokio::spawn(remote::listen(shared.clone(), local.clone(), stop.clone()));
        tokio::spawn(writer::renew(shared.clone(), stop.clone()));
        Ok(RedisRegistry {
            local,
            shared,
            _stop: stop.drop_guard(),
        })
    }

    /// A lock on chats over the same Redis, for [`Threads::with_lock`]: one run at a time per
    /// chat across every process.
    ///
    /// [`Threads::with_lock`]: agency_core::thread::Threads::with_lock
    pub fn chat_lock(&self) -> RedisChatLock {
        RedisChatLock {
            shared: self.shared.clone(),
        }
    }

    /// Whether the last exchange with Redis went well.
    pub fn is_healthy(&self) -> bool {
        self.shared.is_healthy()
    }

    /// How many writes wait for Redis.
    pub fn queued(&self) -> usize {
        self.shared.queue.len()
    }
}

impl RunRegistry for RedisRegistry {
    fn register<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        control: RunControl,
    ) -> BoxFuture<'a, ()> {
        let seq = self.shared.queue.start(run, owner);
        let registered = self.local.register(run, owner, control);
        Box::pin(async move {
            registered.await;
            // A cancel or resume sent to another process as soon as `meta` arrives finds the
            // run; a Redis that fails is not waited for.
            if self.shared.is_healthy() {
                self.shared.queue.written_up_to(seq, REGISTER_WAIT).await;
            }
        })
    }

    fn record(&self, run: &RunKey, frame: Frame) {
        self.shared.queue.frame(run, frame.clone());
        self.local.record(run, frame);
    }

    fn finish<'a>(&'a self, run: &'a RunKey, new_messages: Vec<Entry>) -> BoxFuture<'a, ()> {
        self.shared.queue.end(run);
        self.local.finish(run, new_messages)
    }

    fn cancel<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Result<CancelOutcome, RunRegistryError>> {
        if self.local.contains(run) {
            return self.local.cancel(run, owner, mode, wait);
        }
        Box::pin(self.shared.cancel(run, owner, mode, wait))
    }

    fn follow<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Frames, RunRegistryError>> {
        if self.local.contains(run) {
            return self.local.follow(run, owner, after);
        }
        Box::pin(self.shared.follow(run, owner, after))
    }

    fn flush(&self, within: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.shared.flush(within))
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async {
            self.shared
                .ping()
                .await
                .map_err(|e| format!("Redis at {}: {e}", self.shared.url))
        })
    }
}
