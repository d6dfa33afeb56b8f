//! Many processes, one service (issue 14): every frame has an `id:`; a stream resumes after
//! `Last-Event-ID` on the process that runs it or, through Redis, on another; a cancel reaches
//! the run from any process; Redis going away and coming back loses nothing. "Processes" here
//! are servers on their own ports, each with its own registry: they share nothing but Redis.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use agency::http::agency::RunRegistry;
use agency::http::{ApiToken, Server, ServerOptions};
use agency::model::ClientConfig;
use agency::redis::{RedisOptions, RedisRegistry};
use agency::thread::{SqliteThreadStore, Threads};
use agency::{Agency, Agent};
use agency_testing::{FakeOpenAi, Reply, lorem};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::http::{Running, start};

const REDIS_URL_VAR: &str = "AGENCY_TEST_REDIS_URL";
const READ_WAIT: Duration = Duration::from_secs(20);
/// Between two streamed chunks of the model: long enough to act mid-run.
const CHUNK: Duration = Duration::from_millis(40);

fn redis_url() -> String {
    std::env::var(REDIS_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{REDIS_URL_VAR} is not set: run the tests through tests/services.sh, which starts a \
             throwaway Redis and sets it (`tests/services.sh cargo test --workspace`)"
        )
    })
}

/// A key prefix no other test uses.
fn prefix() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

fn desk() -> Agency {
    let agent = Agent::builder("Assistant").model("gpt-4o").build();
    Agency::builder("desk").entry(agent).build().unwrap()
}

async fn registry(url: &str, prefix: &str) -> Arc<RedisRegistry> {
    let options = RedisOptions::default().with_prefix(prefix);
    Arc::new(RedisRegistry::connect_with(url, options).await.unwrap())
}

/// A server of `desk` on the fake model, with `registry` (none: the in-process one).
async fn serve(
    fake: &FakeOpenAi,
    registry: Option<Arc<dyn RunRegistry>>,
    options: ServerOptions,
) -> Running {
    serve_with(fake, registry, None, options).await
}

async fn serve_with(
    fake: &FakeOpenAi,
    registry: Option<Arc<dyn RunRegistry>>,
    threads: Option<Threads>,
    options: ServerOptions,
) -> Running {
    let mut builder = Server::builder()
        .agency(desk())
        .options(options)
        .client(ClientConfig {
            base_url: Some(fake.base_url()),
            api_key: Some("k".into()),
            max_retries: Some(0),
            ..ClientConfig::default()
        });
    if let Some(registry) = registry {
        builder = builder.run_registry(registry);
    }
    if let Some(threads) = threads {
        builder = builder.threads(threads);
    }
    start(builder.build().unwrap()).await
}

/// Two servers sharing one Redis (under a fresh prefix).
async fn pair(fake: &FakeOpenAi, options: ServerOptions) -> (Running, Running) {
    let (url, prefix) = (redis_url(), prefix());
    let a = serve(fake, Some(registry(&url, &prefix).await), options.clone()).await;
    let b = serve(fake, Some(registry(&url, &prefix).await), options).await;
    (a, b)
}

/// One SSE frame: its id, event name and data.
#[derive(Debug, Clone, PartialEq)]
struct Got {
    id: u64,
    event: String,
    data: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }

    /// The text of a text delta frame.
    fn delta(&self) -> Option<String> {
        let v: Value = serde_json::from_str(&self.data).ok()?;
        (v["data"]["data"]["type"] == "response.output_text.delta")
            .then(|| v["data"]["data"]["delta"].as_str().unwrap().to_owned())
    }
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

struct Frames(Events);

impl Frames {
    fn of(resp: reqwest::Response) -> Frames {
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Frames(Box::pin(resp.bytes_stream().eventsource()))
    }

    async fn next(&mut self) -> Option<Got> {
        let event = tokio::time::timeout(READ_WAIT, self.0.next())
            .await
            .expect("no SSE frame in time")?
            .expect("a well-formed SSE stream");
        Some(Got {
            id: event.id.parse().expect("every frame has a numeric id"),
            event: event.event,
            data: event.data,
        })
    }

    async fn rest(mut self) -> Vec<Got> {
        let mut all = Vec::new();
        while let Some(frame) = self.next().await {
            all.push(frame);
        }
        all
    }

    /// Frames up to and including the first that `stop` accepts.
    async fn until(&mut self, stop: impl Fn(&Got) -> bool) -> Vec<Got> {
        let mut seen = Vec::new();
        loop {
            let frame = self.next().await.expect("the stream ended first");
            let done = stop(&frame);
            seen.push(frame);
            if done {
                return seen;
            }
        }
    }
}

impl Running {
    async fn open_stream(&self, body: Value, headers: &[(&str, &str)]) -> Frames {
        let resp = self
            .post_json_request("/desk/get_response_stream", &body, headers)
            .send()
            .await
            .unwrap();
        Frames::of(resp)
    }

    async fn resume(&self, run_id: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        self.request_to(Method::GET, &format!("/desk/runs/{run_id}/stream"), headers)
            .send()
            .await
            .unwrap()
    }

    async fn cancel_run(
        &self,
        run_id: &str,
        headers: &[(&str, &str)],
    ) -> crate::support::http::Answer {
        self.post_json_with(
            "/desk/cancel_response_stream",
            &json!({"run_id": run_id}),
            headers,
        )
        .await
    }
}

fn run_id(frames: &[Got]) -> String {
    assert_eq!(frames[0].event, "meta");
    frames[0].json()["run_id"].as_str().unwrap().to_owned()
}

fn ids(frames: &[Got]) -> Vec<u64> {
    frames.iter().map(|f| f.id).collect()
}

fn text(frames: &[Got]) -> String {
    frames.iter().filter_map(Got::delta).collect()
}

/// Frames 1..=n in order, `meta` first and `messages`, `end` last.
fn assert_whole(frames: &[Got]) {
    assert_eq!(ids(frames), (1..=frames.len() as u64).collect::<Vec<_>>());
    assert_eq!(frames[0].event, "meta");
    let n = frames.len();
    assert_eq!(frames[n - 2].event, "messages");
    assert_eq!(
        (frames[n - 1].event.as_str(), frames[n - 1].data.as_str()),
        ("end", "[DONE]")
    );
}

#[tokio::test]
async fn frames_are_numbered_and_a_stream_resumes_in_its_own_process() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(12)));
    let s = serve(&fake, None, ServerOptions::default()).await;
    let all = s
        .open_stream(json!({"message": "hi"}), &[])
        .await
        .rest()
        .await;
    assert_whole(&all);
    assert_eq!(text(&all), lorem(12));
    let run = run_id(&all);

    // After frame 5, by header and by query: exactly the frames after it.
    let after_five = Frames::of(s.resume(&run, &[("last-event-id", "5")]).await)
        .rest()
        .await;
    assert_eq!(after_five, all[5..]);
    let by_query = s
        .request_to(
            Method::GET,
            &format!("/desk/runs/{run}/stream?last_event_id=5"),
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(Frames::of(by_query).rest().await, all[5..]);
    // From the start, and past the end.
    assert_eq!(Frames::of(s.resume(&run, &[]).await).rest().await, all);
    let last = all.len().to_string();
    let none = Frames::of(s.resume(&run, &[("last-event-id", &last)]).await)
        .rest()
        .await;
    assert!(none.is_empty(), "{none:?}");

    // Errors: a bad id, an unknown run.
    let bad = s.resume(&run, &[("last-event-id", "five")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["detail"][0]["loc"], json!(["header", "last-event-id"]));
    let unknown = s.resume("no-such-run", &[]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["detail"], "Run 'no-such-run' not found");
    s.shut_down().await.unwrap();
}

#[tokio::test]
async fn a_run_is_its_callers_only_for_resume_and_cancel() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(200)).chunk_delay(CHUNK));
    let tokens = [
        ApiToken::new("alice", "alice-token"),
        ApiToken::new("bob", "bob-token"),
    ];
    let options = ServerOptions::default().with_tokens(tokens);
    let (a, b) = pair(&fake, options).await;
    let alice = [("authorization", "Bearer alice-token")];
    let bob = [("authorization", "Bearer bob-token")];
    let mut stream = a.open_stream(json!({"message": "hi"}), &alice).await;
    let seen = stream.until(|f| f.delta().is_some()).await;
    let run = run_id(&seen);
    for s in [&a, &b] {
        assert_eq!(s.resume(&run, &bob).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(s.cancel_run(&run, &bob).await.status, StatusCode::NOT_FOUND);
    }
    // The run went on untouched.
    assert_eq!(a.cancel_run(&run, &alice).await.status, StatusCode::OK);
    let rest = stream.rest().await;
    assert_eq!(rest[rest.len() - 2].json()["cancelled"], true);
}

#[tokio::test]
async fn a_cancel_through_b_stops_the_stream_on_a() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(200)).chunk_delay(CHUNK));
    let (a, b) = pair(&fake, ServerOptions::default()).await;
    let mut stream = a.open_stream(json!({"message": "hi"}), &[]).await;
    let mut seen = stream.until(|f| f.delta().is_some()).await;
    let run = run_id(&seen);

    let (cancelled, rest) = tokio::join!(b.cancel_run(&run, &[]), stream.rest());
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["cancelled"], true);
    assert_eq!(cancelled.body["timed_out"], false, "{}", cancelled.body);
    seen.extend(rest);
    assert_whole(&seen);
    let messages = seen[seen.len() - 2].json();
    assert_eq!(messages["cancelled"], true, "{messages}");
    // B answered with what A's run completed (nothing: the message was in progress).
    assert_eq!(cancelled.body["new_messages"], messages["new_messages"]);
    assert!(text(&seen).len() < lorem(200).len());
    // The model request was dropped.
    let deadline = tokio::time::Instant::now() + READ_WAIT;
    while fake.dropped_streams() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fake.dropped_streams(), 1);
    assert_eq!(fake.completed_streams(), 0);
    // Ended: a second cancel, from either process, finds nothing.
    assert_eq!(b.cancel_run(&run, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.cancel_run(&run, &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_client_that_leaves_a_resumes_on_b_and_gets_every_frame_once() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(60)).chunk_delay(CHUNK));
    let options = ServerOptions::default().with_cancel_on_disconnect(false);
    let (a, b) = pair(&fake, options).await;
    let mut stream = a.open_stream(json!({"message": "hi"}), &[]).await;
    let mut seen = stream.until(|f| f.delta().is_some_and(|_| f.id >= 8)).await;
    let run = run_id(&seen);
    drop(stream); // The client goes away mid-run.

    let last = seen.last().unwrap().id.to_string();
    let rest = Frames::of(b.resume(&run, &[("last-event-id", &last)]).await)
        .rest()
        .await;
    seen.extend(rest);
    assert_whole(&seen);
    assert_eq!(text(&seen), lorem(60));
    let messages = seen[seen.len() - 2].json();
    assert!(messages.get("cancelled").is_none(), "{messages}");
    assert_eq!(fake.completed_streams(), 1);
    assert_eq!(fake.dropped_streams(), 0);
    // The whole stream again, from Redis, on B.
    let again = Frames::of(b.resume(&run, &[]).await).rest().await;
    assert_eq!(again, seen);
}

#[tokio::test]
async fn by_default_a_client_that_leaves_cancels_and_the_resume_says_so() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(200)).chunk_delay(CHUNK));
    let (a, b) = pair(&fake, ServerOptions::default()).await;
    let mut stream = a.open_stream(json!({"message": "hi"}), &[]).await;
    let seen = stream.until(|f| f.delta().is_some()).await;
    let run = run_id(&seen);
    drop(stream);
    let last = seen.last().unwrap().id.to_string();
    let rest = Frames::of(b.resume(&run, &[("last-event-id", &last)]).await)
        .rest()
        .await;
    let n = rest.len();
    assert_eq!(rest[n - 2].json()["cancelled"], true);
    assert_eq!(rest[0].id, seen.last().unwrap().id + 1);
}

/// A `redis-server` of the test's own, to stop and start again on the same port.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
    dir: std::path::PathBuf,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = crate::http_threads::free_port();
        let dir = std::env::temp_dir().join(format!("agency-redis-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut redis = OwnRedis {
            port,
            child: None,
            dir,
        };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on PATH (tests/services.sh installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + READ_WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn redis_stopped_mid_run_and_restarted_loses_nothing() {
    let mut redis = OwnRedis::start();
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(40)).chunk_delay(CHUNK));
    let prefix = prefix();
    let (ra, rb) = (
        registry(&redis.url(), &prefix).await,
        registry(&redis.url(), &prefix).await,
    );
    let a = serve(&fake, Some(ra.clone()), ServerOptions::default()).await;
    let b = serve(&fake, Some(rb.clone()), ServerOptions::default()).await;
    let mut stream = a.open_stream(json!({"message": "hi"}), &[]).await;
    let mut seen = stream.until(|f| f.delta().is_some()).await;
    let run = run_id(&seen);

    redis.stop();
    // The stream goes on, served by A alone, to its end.
    seen.extend(stream.rest().await);
    assert_whole(&seen);
    assert_eq!(text(&seen), lorem(40));
    until("A notices that Redis is gone", || !ra.is_healthy()).await;
    assert!(ra.queued() > 0, "A keeps the frames Redis did not get");
    // B cannot reach the run now: 503 for resume and cancel, not a wrong 404.
    assert_eq!(
        b.resume(&run, &[]).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // A still serves it from memory, and new runs.
    assert_eq!(Frames::of(a.resume(&run, &[]).await).rest().await, seen);
    fake.push(Reply::text("still here"));
    let answer = a
        .post_json("/desk/get_response", &json!({"message": "hi"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    redis.restart();
    until("A writes what it kept", || {
        ra.queued() == 0 && ra.is_healthy()
    })
    .await;
    // The whole run, from Redis, on B.
    assert_eq!(Frames::of(b.resume(&run, &[]).await).rest().await, seen);
    // And cancels reach A again from B (its listener reconnected).
    fake.push(Reply::text(lorem(200)).chunk_delay(CHUNK));
    let mut stream = a.open_stream(json!({"message": "again"}), &[]).await;
    let seen = stream.until(|f| f.delta().is_some()).await;
    let second = run_id(&seen);
    let cancelled = b.cancel_run(&second, &[]).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let rest = stream.rest().await;
    assert_eq!(rest[rest.len() - 2].json()["cancelled"], true);
}

#[tokio::test]
async fn five_hundred_concurrent_streams_with_redis() {
    const STREAMS: usize = 500;
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|_| Reply::text(lorem(10)).chunk_delay(Duration::from_millis(5)));
    let (url, prefix) = (redis_url(), prefix());
    let ra = registry(&url, &prefix).await;
    let a = serve(&fake, Some(ra.clone()), ServerOptions::default()).await;
    let b = serve(
        &fake,
        Some(registry(&url, &prefix).await),
        ServerOptions::default(),
    )
    .await;
    let runs = futures::future::join_all((0..STREAMS).map(|i| {
        let a = &a;
        async move {
            let body = json!({"message": format!("stream {i}")});
            a.open_stream(body, &[]).await.rest().await
        }
    }))
    .await;
    for frames in &runs {
        assert_whole(frames);
        assert_eq!(text(frames), lorem(10));
    }
    assert_eq!(fake.completed_streams(), STREAMS);
    until("A writes every frame to Redis", || ra.queued() == 0).await;
    // Every run is in Redis, whole: B serves a sample of them.
    for frames in runs.iter().step_by(50) {
        let run = run_id(frames);
        assert_eq!(&Frames::of(b.resume(&run, &[]).await).rest().await, frames);
    }
}

/// Two real server processes (the quickstart binary, `--redis`) on one Redis: a stream that
/// leaves A resumes on B; a stream on A is cancelled through B.
#[cfg(unix)]
#[tokio::test]
async fn two_quickstart_processes_share_runs_through_redis() {
    let fake = FakeOpenAi::start().await;
    // The binary uses the default key prefix: its run ids are its own anyway.
    let url = redis_url();
    let spawn = || {
        let port = crate::http_threads::free_port();
        let quickstart = crate::safety::quickstart_binary();
        let child = crate::support::binary::serve(&quickstart, port, &fake.base_url())
            .env("AGENCY_REDIS", &url)
            .env("AGENCY_CANCEL_ON_DISCONNECT", "false")
            .env("AGENCY_THREADS", "memory")
            .spawn()
            .unwrap();
        (child, format!("http://127.0.0.1:{port}"))
    };
    let ((_a, a), (_b, b)) = (spawn(), spawn());
    let client = reqwest::Client::new();
    crate::http_threads::wait_until_up(&client, &a).await;
    crate::http_threads::wait_until_up(&client, &b).await;
    let open = |base: &str| {
        client
            .post(format!("{base}/demo/get_response_stream"))
            .json(&json!({"message": "hi"}))
            .send()
    };

    fake.push(Reply::text(lorem(40)).chunk_delay(CHUNK));
    let mut stream = Frames::of(open(&a).await.unwrap());
    let mut seen = stream.until(|f| f.delta().is_some()).await;
    let run = run_id(&seen);
    drop(stream);
    let last = seen.last().unwrap().id.to_string();
    let resumed = client
        .get(format!("{b}/demo/runs/{run}/stream"))
        .header("last-event-id", last)
        .send()
        .await
        .unwrap();
    seen.extend(Frames::of(resumed).rest().await);
    assert_whole(&seen);
    assert_eq!(text(&seen), lorem(40));

    fake.push(Reply::text(lorem(200)).chunk_delay(CHUNK));
    let mut stream = Frames::of(open(&a).await.unwrap());
    let seen = stream.until(|f| f.delta().is_some()).await;
    let run = run_id(&seen);
    let cancelled = client
        .post(format!("{b}/demo/cancel_response_stream"))
        .json(&json!({"run_id": run}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let rest = stream.rest().await;
    assert_eq!(rest[rest.len() - 2].json()["cancelled"], true);
    assert!(fake.wait_for_dropped_streams(1, READ_WAIT).await);
}

#[tokio::test]
async fn frames_no_longer_kept_are_a_410_and_the_rest_still_resumes() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(200)));
    // A log of about 4 KiB: the last few frames of the run.
    let small = agency::http::agency::InProcessRegistry::default().log_bytes(4_000);
    let s = serve(&fake, Some(Arc::new(small)), ServerOptions::default()).await;
    let all = s
        .open_stream(json!({"message": "hi"}), &[])
        .await
        .rest()
        .await;
    assert_whole(&all);
    let run = run_id(&all);
    let gone = s.resume(&run, &[]).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    let body: Value = gone.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("no longer kept"),
        "{body}"
    );
    // The last frames are still there.
    let after = (all.len() - 2).to_string();
    let tail = Frames::of(s.resume(&run, &[("last-event-id", &after)]).await)
        .rest()
        .await;
    assert_eq!(tail, all[all.len() - 2..]);
}

/// Two processes on one SQLite file and one Redis: concurrent runs of one chat, sent to both,
/// take turns (the Redis chat lock), so each sees every earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_has_one_run_at_a_time_across_processes() {
    const RUNS: usize = 20;
    let fake = FakeOpenAi::start().await;
    // The answer is how many user messages the model was sent; slow enough for runs to overlap.
    fake.respond_with(|req| {
        let users = req
            .input_items()
            .iter()
            .filter(|i| i["role"] == "user")
            .count();
        Reply::text(users.to_string()).delay(Duration::from_millis(15))
    });
    let db = crate::thread_store::TempDb::new();
    let (url, prefix) = (redis_url(), prefix());
    let mut servers = Vec::new();
    for _ in 0..2 {
        let registry = registry(&url, &prefix).await;
        let store = SqliteThreadStore::connect(&db.url()).await.unwrap();
        let threads = Threads::new(store).with_lock(registry.chat_lock());
        servers.push(
            serve_with(
                &fake,
                Some(registry),
                Some(threads),
                ServerOptions::default(),
            )
            .await,
        );
    }
    let first = servers[0]
        .post_json(
            "/desk/get_response",
            &json!({"message": "hi", "chat_id": "new"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let chat = first.body["chat_id"].as_str().unwrap().to_owned();
    let answers = futures::future::join_all((0..RUNS).map(|i| {
        let (server, chat) = (&servers[i % 2], chat.clone());
        async move {
            let answer = server
                .post_json(
                    "/desk/get_response",
                    &json!({"message": "again", "chat_id": chat}),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body["response"]
                .as_str()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        }
    }))
    .await;
    let mut seen = answers.clone();
    seen.sort_unstable();
    assert_eq!(seen, (2..=RUNS + 1).collect::<Vec<_>>(), "{answers:?}");
}

/// A Redis that is not there: the server starts, streams and chats as one process would.
#[tokio::test]
async fn without_its_redis_a_server_still_serves_streams_and_chats() {
    let fake = FakeOpenAi::start().await;
    let port = crate::http_threads::free_port();
    let registry = registry(&format!("redis://127.0.0.1:{port}"), &prefix()).await;
    let threads = Threads::new(agency::thread::InMemoryThreadStore::default())
        .with_lock(registry.chat_lock());
    let s = serve_with(
        &fake,
        Some(registry.clone()),
        Some(threads),
        ServerOptions::default(),
    )
    .await;
    fake.push(Reply::text(lorem(8)));
    let all = s
        .open_stream(json!({"message": "hi"}), &[])
        .await
        .rest()
        .await;
    assert_whole(&all);
    assert!(!registry.is_healthy());
    fake.push_all([Reply::text("one"), Reply::text("two")]);
    let first = s
        .post_json(
            "/desk/get_response",
            &json!({"message": "hi", "chat_id": "new"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = json!({"message": "again", "chat_id": first.body["chat_id"]});
    let second = s.post_json("/desk/get_response", &again).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    // A run of another process cannot be reached: 503, not 404.
    assert_eq!(
        s.cancel_run("elsewhere", &[]).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}
