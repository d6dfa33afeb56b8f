//! What recording every frame costs a stream: `get_response_stream` of a long answer
//! (`BENCH_WORDS`, default 2 000 words: one SSE frame per word) against the fake OpenAI server
//! answering at once, on three servers in this process that differ only in their run registry:
//!
//! - **null**: records nothing (resume impossible): the stream's own cost;
//! - **memory**: the default [`InProcessRegistry`] (every frame kept in this process);
//! - **redis**: [`RedisRegistry`] on the Redis of `AGENCY_TEST_REDIS_URL` (every frame also
//!   written to a Redis stream).
//!
//! Series run in alternating blocks (the order rotating) so that drift hits them alike. Per
//! registry: the mean time from the request to the `end` frame, per frame (the latency a client
//! sees, amortised), and the CPU time of this process per frame (server, fake model and client
//! all count; Redis's own CPU is read from `INFO cpu` and reported apart). Then the RSS of
//! `BENCH_STREAMS` (default 1 000) open streams (the model sends its first event, then stalls)
//! on the registry `BENCH_RSS` names (`redis`, the default, or `memory`).
//!
//! Run: `tests/services.sh cargo bench --bench run_registry` (services.sh starts the Redis).

use std::sync::Arc;
use std::time::{Duration, Instant};

use agency::http::Server;
use agency::http::agency::{
    CancelOutcome, Frame, Frames, InProcessRegistry, RunKey, RunRegistry, RunRegistryError,
};
use agency::model::ClientConfig;
use agency::redis::{RedisOptions, RedisRegistry};
use agency::{Agency, Agent, CancelMode, Entry, RunControl};
use agency_testing::{FakeOpenAi, Reply, lorem};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::json;
use tokio::net::TcpListener;

/// Records nothing: a stream with no registry behind it.
struct Null;

impl RunRegistry for Null {
    fn register<'a>(&'a self, _: &'a RunKey, _: &'a str, _: RunControl) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    fn record(&self, _: &RunKey, _: Frame) {}
    fn finish<'a>(&'a self, _: &'a RunKey, _: Vec<Entry>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    fn cancel<'a>(
        &'a self,
        _: &'a RunKey,
        _: &'a str,
        _: CancelMode,
        _: Duration,
    ) -> BoxFuture<'a, Result<CancelOutcome, RunRegistryError>> {
        Box::pin(async { Err(RunRegistryError::NotFound) })
    }
    fn follow<'a>(
        &'a self,
        _: &'a RunKey,
        _: &'a str,
        _: u64,
    ) -> BoxFuture<'a, Result<Frames, RunRegistryError>> {
        Box::pin(async { Err(RunRegistryError::NotFound) })
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn proc_field(file: &str, key: &str) -> f64 {
    let text = std::fs::read_to_string(file).expect(file);
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect(key)
}

fn rss_mib() -> f64 {
    proc_field("/proc/self/status", "VmRSS:") / 1024.0
}

/// User + system CPU time of this process, in seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("stat") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Redis's own CPU time (user + system), in seconds, and how many scripts it has run.
async fn redis_cpu(conn: &mut redis::aio::MultiplexedConnection) -> (f64, f64) {
    let info: String = redis::cmd("INFO")
        .arg("all")
        .query_async(conn)
        .await
        .unwrap();
    let field = |key: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().trim_start_matches("calls=").parse().ok())
            .unwrap_or(0.0)
    };
    (
        field("used_cpu_user:") + field("used_cpu_sys:"),
        field("cmdstat_evalsha:") + field("cmdstat_eval:"),
    )
}

async fn serve(fake: &FakeOpenAi, registry: Arc<dyn RunRegistry>) -> String {
    let agency = Agency::builder("bench")
        .entry(Agent::builder("Writer").model("gpt-4o").build())
        .build()
        .unwrap();
    let server = Server::builder()
        .agency(agency)
        .run_registry(registry)
        .client(ClientConfig {
            base_url: Some(fake.base_url()),
            api_key: Some("k".into()),
            max_retries: Some(0),
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve_on(listener, std::future::pending()));
    format!("http://{addr}/bench/get_response_stream")
}

/// Opens a stream: its events.
async fn open(
    client: &reqwest::Client,
    url: &str,
) -> impl futures::Stream<Item = Result<eventsource_stream::Event, impl std::error::Error>> {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(json!({"message": "write"}).to_string())
        .send()
        .await
        .unwrap();
    resp.bytes_stream().eventsource()
}

/// One stream read to its end: the time it took and its frame count.
async fn stream(client: &reqwest::Client, url: &str) -> (Duration, usize) {
    let start = Instant::now();
    let mut events = std::pin::pin!(open(client, url).await);
    let mut frames = 0;
    while let Some(event) = events.next().await {
        event.unwrap();
        frames += 1;
    }
    (start.elapsed(), frames)
}

/// Opens `n` streams that stall after the model's first event; the RSS before and while open.
async fn open_streams(
    client: &reqwest::Client,
    url: &str,
    fake: &FakeOpenAi,
    n: usize,
) -> (f64, f64) {
    fake.respond_with(|_| Reply::text(lorem(50)).chunk_delay(Duration::from_secs(600)));
    let before = rss_mib();
    let opened = futures::future::join_all((0..n).map(|_| async {
        let mut events = Box::pin(open(client, url).await);
        while let Some(Ok(event)) = events.next().await {
            if event.data.contains("\"response.created\"") {
                break;
            }
        }
        events
    }))
    .await;
    let during = rss_mib();
    drop(opened);
    fake.wait_for_dropped_streams(n, Duration::from_secs(60))
        .await;
    (before, during)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let words: usize = env_or("BENCH_WORDS", 2_000);
    let rounds: usize = env_or("BENCH_ROUNDS", 30);
    let streams: usize = env_or("BENCH_STREAMS", 1_000);
    let redis_url = std::env::var("AGENCY_TEST_REDIS_URL")
        .expect("AGENCY_TEST_REDIS_URL: run through tests/services.sh");
    let fake = FakeOpenAi::start().await;
    let answer = lorem(words);
    fake.respond_with(move |_| Reply::text(&answer));
    let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let redis = Arc::new(
        RedisRegistry::connect_with(&redis_url, RedisOptions::default().with_prefix(prefix))
            .await
            .unwrap(),
    );
    let memory: Arc<dyn RunRegistry> = Arc::new(InProcessRegistry::default());
    let targets: Vec<(&str, String)> = vec![
        ("null", serve(&fake, Arc::new(Null)).await),
        ("memory", serve(&fake, memory).await),
        ("redis", serve(&fake, redis.clone()).await),
    ];
    let client = reqwest::Client::new();
    for (_, url) in &targets {
        for _ in 0..3 {
            stream(&client, url).await;
        }
    }
    let mut time = [Duration::ZERO; 3];
    let mut cpu = [0.0f64; 3];
    let mut redis_cpu_used = 0.0;
    let mut scripts = 0.0;
    let mut info = redis::Client::open(redis_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut frames = 0;
    for round in 0..rounds {
        for k in 0..3 {
            let i = (round + k) % 3;
            let (cpu0, (r0, s0)) = (cpu_secs(), redis_cpu(&mut info).await);
            let (took, n) = stream(&client, &targets[i].1).await;
            if i == 2 {
                // The queued frames are written: their cost is counted in this series.
                while redis.queued() > 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let (r1, s1) = redis_cpu(&mut info).await;
                redis_cpu_used += r1 - r0;
                scripts += s1 - s0;
            }
            cpu[i] += cpu_secs() - cpu0;
            time[i] += took;
            frames = n;
        }
    }
    println!("{rounds} streams of {frames} frames ({words} words) per registry, alternating:");
    let per_frame = |d: f64| d * 1e6 / (rounds * frames) as f64;
    for (i, (name, _)) in targets.iter().enumerate() {
        println!(
            "  {name:>6}: {:.2} µs/frame to the client ({:.1} ms per stream), {:.2} µs CPU/frame in this process",
            per_frame(time[i].as_secs_f64()),
            time[i].as_secs_f64() * 1e3 / rounds as f64,
            per_frame(cpu[i]),
        );
    }
    println!(
        "  redis-server itself: {:.2} µs CPU/frame; {:.1} frames per script call",
        per_frame(redis_cpu_used),
        (rounds * frames) as f64 / scripts
    );

    // One RSS series per process (memory freed by one would flatter the next):
    // `BENCH_RSS=redis` (default) or `memory`.
    let rss_of = std::env::var("BENCH_RSS").unwrap_or_else(|_| "redis".to_owned());
    for (name, url) in targets.iter().filter(|(name, _)| *name == rss_of) {
        let (before, during) = open_streams(&client, url, &fake, streams).await;
        println!(
            "RSS with {streams} open streams on {name}: {before:.1} MiB before, {during:.1} MiB open (+{:.1} MiB, {:.1} KiB per stream; whole process: server, fake model, client)",
            during - before,
            (during - before) * 1024.0 / streams as f64
        );
    }
}
