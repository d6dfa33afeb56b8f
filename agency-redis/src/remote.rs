//! What goes to Redis: the connection, the writes, cancels and followers of runs streamed by
//! other processes, and the listener for cancels published by them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agency_core::CancelMode;
use agency_http::agency::{
    CancelOutcome, Frame, FrameKind, Frames, InProcessRegistry, RunKey, RunRegistryError,
};
use futures::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, RedisResult};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::keys::{RunKeys, cancel_channel};
use crate::script::{Call, Limits};
use crate::writer::Queue;
use crate::{COMMAND_TIMEOUT, RedisOptions};

/// How long one blocking read of a follower waits before it checks that the run still lives.
const BLOCK: Duration = Duration::from_secs(1);

/// A cancel, as published to every process.
#[derive(Serialize, Deserialize)]
struct CancelMessage {
    agency: String,
    run_id: String,
    mode: CancelMode,
}

pub(crate) struct Shared {
    client: redis::Client,
    /// Where Redis is, its password hidden.
    pub url: String,
    pub options: RedisOptions,
    limits: Limits,
    pub queue: Queue,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    healthy: AtomicBool,
    /// Redis may have lost what it had (it failed, or the cancel listener lost it): the next
    /// write sends every run of this process whole again.
    pub resync: AtomicBool,
}

fn config(response_timeout: Option<Duration>) -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(COMMAND_TIMEOUT))
        .set_response_timeout(response_timeout)
}

fn unavailable(e: redis::RedisError) -> RunRegistryError {
    RunRegistryError::Unavailable(format!("Redis: {e}"))
}

/// The frame a stream entry holds (`None` for an entry that is not one).
fn frame_of(entry: &StreamId) -> Option<Frame> {
    let id = entry.id.strip_prefix("0-")?.parse::<u64>().ok()?;
    let kind = FrameKind::from_name(&entry.get::<String>("k")?)?;
    Some(Frame::new(id, kind, entry.get::<String>("d")?))
}

impl Shared {
    pub(crate) fn new(client: redis::Client, url: String, options: RedisOptions) -> Self {
        let limits = Limits {
            node: uuid::Uuid::new_v4().to_string(),
            live_ms: u64::try_from(options.live_ttl.as_millis()).unwrap_or(u64::MAX),
            keep_ms: u64::try_from(options.keep.as_millis()).unwrap_or(u64::MAX),
            max_frames: options.max_frames,
        };
        Shared {
            client,
            url,
            queue: Queue::new(options.max_queued_bytes),
            options,
            limits,
            conn: tokio::sync::Mutex::new(None),
            healthy: AtomicBool::new(true),
            resync: AtomicBool::new(false),
        }
    }

    fn keys(&self, run: &RunKey) -> RunKeys {
        RunKeys::of(&self.options.prefix, run)
    }

    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// The shared connection, made when there is none.
    async fn conn(&self) -> RedisResult<MultiplexedConnection> {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config(Some(COMMAND_TIMEOUT)))
            .await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// A connection of its own for blocking reads (they would hold up the shared one).
    async fn blocking_conn(&self) -> RedisResult<MultiplexedConnection> {
        self.client
            .get_multiplexed_async_connection_with_config(&config(Some(BLOCK + COMMAND_TIMEOUT)))
            .await
    }

    /// Something failed: the connection is made again next time, the next write rewrites this
    /// process's runs (Redis may have lost them), and the first failure of an outage is logged.
    pub(crate) async fn failed(&self, doing: &str, e: &(dyn std::fmt::Display + Sync)) {
        self.conn.lock().await.take();
        self.resync.store(true, Ordering::Relaxed);
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "Redis at {} failed while {doing} ({e}): streams keep being served by this \
                 process; cancel and resume from other processes are degraded until it is back",
                self.url
            );
        }
    }

    fn succeeded(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("Redis at {} answers again", self.url);
        }
    }

    /// Runs `f` on the shared connection, within [`COMMAND_TIMEOUT`] more or less.
    async fn with_conn<T>(
        &self,
        doing: &str,
        f: impl AsyncFnOnce(&mut MultiplexedConnection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        let result = match self.conn().await {
            Ok(mut conn) => f(&mut conn).await,
            Err(e) => Err(e),
        };
        match &result {
            Ok(_) => self.succeeded(),
            Err(e) => self.failed(doing, e).await,
        }
        result
    }

    /// `SET name value NX PX ms`: whether it was set.
    pub(crate) async fn set_nx(&self, name: &str, value: &str, ms: u64) -> RedisResult<bool> {
        self.with_conn("taking a chat lock", async |conn| {
            redis::cmd("SET")
                .arg(name)
                .arg(value)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query_async::<Option<String>>(conn)
                .await
        })
        .await
        .map(|set| set.is_some())
    }

    /// Runs the Lua `script` on the key `name` with `args`.
    pub(crate) async fn script(
        &self,
        script: &redis::Script,
        name: &str,
        args: &[&str],
        doing: &str,
    ) -> RedisResult<()> {
        self.with_conn(doing, async |conn| {
            script.key(name).arg(args).invoke_async::<()>(conn).await
        })
        .await
    }

    pub(crate) async fn ping(&self) -> RedisResult<()> {
        self.with_conn("connecting", async |conn| {
            redis::cmd("PING").query_async::<()>(conn).await
        })
        .await
    }

    /// Writes one batch: a script call per run, all at once on the multiplexed connection.
    pub(crate) async fn write(&self, calls: &[(RunKey, Call)]) -> RedisResult<()> {
        self.with_conn("writing frames", async |conn| {
            let writes = calls.iter().map(|(run, call)| {
                let mut conn = conn.clone();
                let keys = self.keys(run);
                async move { call.invoke(&keys, &self.limits, &mut conn).await }
            });
            futures::future::try_join_all(writes).await.map(|_| ())
        })
        .await
    }

    /// Whether `owner` started `run`, which still streams in some process; and the id of its
    /// last frame in Redis.
    async fn lookup(&self, keys: &RunKeys) -> RedisResult<(Option<String>, bool, u64)> {
        let (owner, live, last): (Option<String>, bool, StreamRangeReply) = self
            .with_conn("looking up a run", async |conn| {
                redis::pipe()
                    .hget(&keys.info, "owner")
                    .exists(&keys.live)
                    .cmd("XREVRANGE")
                    .arg(&keys.frames)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(conn)
                    .await
            })
            .await?;
        let last = last.ids.first().and_then(frame_of).map_or(0, |f| f.id);
        Ok((owner, live, last))
    }

    /// A cancel of a run streamed by another process: published to every process (the one
    /// that streams it stops it), then the run's `messages` frame is awaited in its stream.
    pub(crate) async fn cancel(
        &self,
        run: &RunKey,
        owner: &str,
        mode: CancelMode,
        wait: Duration,
    ) -> Result<CancelOutcome, RunRegistryError> {
        let keys = self.keys(run);
        let (who, live, last) = self.lookup(&keys).await.map_err(unavailable)?;
        if who.as_deref() != Some(owner) || !live {
            return Err(RunRegistryError::NotFound);
        }
        let message = CancelMessage {
            agency: run.agency.clone(),
            run_id: run.run_id.clone(),
            mode,
        };
        let payload = serde_json::to_string(&message).unwrap_or_default();
        let channel = cancel_channel(&self.options.prefix);
        self.with_conn("publishing a cancel", async |conn| {
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&payload)
                .query_async::<i64>(conn)
                .await
        })
        .await
        .map_err(unavailable)?;
        let deadline = Instant::now() + wait;
        let mut tail = match self.blocking_conn().await {
            Ok(conn) => Tail::new(conn, keys, last),
            Err(e) => {
                tracing::warn!(
                    "cannot wait for the end of cancelled run '{}': {e}",
                    run.run_id
                );
                return Ok(CancelOutcome {
                    new_messages: Vec::new(),
                    timed_out: true,
                });
            }
        };
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, tail.next(self)).await {
            if let Some(new_messages) = frame.new_messages() {
                return Ok(CancelOutcome {
                    new_messages,
                    timed_out: false,
                });
            }
        }
        Ok(CancelOutcome {
            new_messages: Vec::new(),
            timed_out: true,
        })
    }

    /// The frames of a run streamed by another process, from its stream in Redis.
    pub(crate) async fn follow(
        self: &Arc<Self>,
        run: &RunKey,
        owner: &str,
        after: u64,
    ) -> Result<Frames, RunRegistryError> {
        let keys = self.keys(run);
        let (who, first): (Option<String>, StreamRangeReply) = self
            .with_conn("looking up a run", async |conn| {
                redis::pipe()
                    .hget(&keys.info, "owner")
                    .cmd("XRANGE")
                    .arg(&keys.frames)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(conn)
                    .await
            })
            .await
            .map_err(unavailable)?;
        if who.as_deref() != Some(owner) {
            return Err(RunRegistryError::NotFound);
        }
        let first_kept = first
            .ids
            .first()
            .and_then(frame_of)
            .ok_or(RunRegistryError::NotFound)?
            .id;
        if first_kept > after + 1 {
            return Err(RunRegistryError::Gone { after, first_kept });
        }
        let conn = self.blocking_conn().await.map_err(unavailable)?;
        let tail = Tail::new(conn, keys, after);
        let shared = self.clone();
        Ok(Box::pin(futures::stream::unfold(
            (tail, shared),
            |(mut tail, shared)| async move {
                let frame = tail.next(&shared).await?;
                Some((frame, (tail, shared)))
            },
        )))
    }

    /// Waits (at most `within`) until everything queued is written.
    pub(crate) async fn flush(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.queue.len() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if self.queue.len() > 0 {
            tracing::warn!(
                "{} write(s) to Redis at {} were not made before the end",
                self.queue.len(),
                self.url
            );
        }
    }
}

/// Reads a run's stream from an id on, waiting for more, until its `end` frame (or until the
/// run is found gone without one: its process died).
struct Tail {
    conn: MultiplexedConnection,
    keys: RunKeys,
    cursor: u64,
    ready: VecDeque<Frame>,
    done: bool,
}

impl Tail {
    fn new(conn: MultiplexedConnection, keys: RunKeys, after: u64) -> Self {
        Tail {
            conn,
            keys,
            cursor: after,
            ready: VecDeque::new(),
            done: false,
        }
    }

    async fn read(&mut self, block: Option<Duration>) -> RedisResult<usize> {
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT").arg(256);
        if let Some(block) = block {
            cmd.arg("BLOCK").arg(block.as_millis().max(1) as u64);
        }
        cmd.arg("STREAMS")
            .arg(&self.keys.frames)
            .arg(format!("0-{}", self.cursor));
        let reply: Option<StreamReadReply> = cmd.query_async(&mut self.conn).await?;
        let before = self.ready.len();
        for key in reply.map(|r| r.keys).unwrap_or_default() {
            for entry in &key.ids {
                if let Some(frame) = frame_of(entry)
                    && frame.id > self.cursor
                {
                    self.cursor = frame.id;
                    self.ready.push_back(frame);
                }
            }
        }
        Ok(self.ready.len() - before)
    }

    async fn next(&mut self, shared: &Shared) -> Option<Frame> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                self.done = frame.kind == FrameKind::End;
                return Some(frame);
            }
            if self.done {
                return None;
            }
            match self.read(Some(BLOCK)).await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!("reading the frames of a run from Redis: {e}");
                    return None;
                }
            }
            // Nothing came: does the run still live? (Its end and last frames are written at
            // once, so a last read after finding it gone gets them.)
            let live = shared
                .with_conn("following a run", async |conn| {
                    redis::cmd("EXISTS")
                        .arg(&self.keys.live)
                        .query_async::<bool>(conn)
                        .await
                })
                .await;
            if !matches!(live, Ok(true)) && matches!(self.read(None).await, Ok(0) | Err(_)) {
                return None;
            }
        }
    }
}

/// Listens for cancels published by any process, and cancels the runs of this process they
/// name; connects again (backing off up to 5 s) whenever Redis goes away.
pub(crate) async fn listen(
    shared: Arc<Shared>,
    local: Arc<InProcessRegistry>,
    stop: CancellationToken,
) {
    let channel = cancel_channel(&shared.options.prefix);
    let mut backoff = Duration::from_millis(100);
    loop {
        let session = async {
            let mut pubsub =
                tokio::time::timeout(COMMAND_TIMEOUT, shared.client.get_async_pubsub())
                    .await
                    .map_err(|_| "connecting timed out".to_owned())?
                    .map_err(|e| e.to_string())?;
            pubsub
                .subscribe(&channel)
                .await
                .map_err(|e| e.to_string())?;
            backoff = Duration::from_millis(100);
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(cancel) =
                    serde_json::from_slice::<CancelMessage>(message.get_payload_bytes())
                else {
                    continue;
                };
                let run = RunKey::new(cancel.agency, cancel.run_id);
                if local.cancel_local(&run, cancel.mode) {
                    tracing::info!(run_id = %run.run_id, "cancelled by another process");
                }
            }
            Err::<(), _>("the connection closed".to_owned())
        };
        tokio::select! {
            () = stop.cancelled() => return,
            Err(e) = session => {
                shared.failed("listening for cancels", &e).await;
                // Wakes the writer, so that the rewrite comes as soon as Redis is back.
                shared.queue.renew_all();
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
