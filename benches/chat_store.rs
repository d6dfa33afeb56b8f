//! What a stored chat adds to `POST /{a}/get_response`: the agency routes against the fake
//! OpenAI server (answering at once), all on 127.0.0.1 in this process, in four series run in
//! alternating blocks (the order rotating, so drift in the machine's speed hits them alike):
//!
//! - **none**: no store, no history (`{"message"}`);
//! - **history**: no store, the same 100 messages sent by the client as `chat_history`;
//! - **sqlite**: `chat_id` of a chat of 100 messages in a SQLite file (a temp dir);
//! - **postgres**: the same in Postgres, when `AGENCY_TEST_POSTGRES_URL` is set (run through
//!   `tests/services.sh cargo bench --bench chat_store`).
//!
//! Every stored request uses a chat of its own, filled beforehand with 100 messages (50 user,
//! 50 assistant), so each one loads exactly 100 items and appends 2. "Added" is a series' p50
//! and p99 minus those of **none** (the store's cost and the bigger model request) and minus
//! those of **history** (the store's cost alone: load, lock, append).
//!
//! Run: `cargo bench --bench chat_store`; `BENCH_REQUESTS` (default 1 000 per series).

use std::time::{Duration, Instant};

use agency::http::Server;
use agency::item::{Entry, Message, Meta};
use agency::model::ClientConfig;
use agency::thread::{ChatKey, Threads};
use agency::{Agency, Agent};
use agency_testing::{FakeOpenAi, Reply};
use serde_json::{Value, json};
use tokio::net::TcpListener;

const HISTORY: usize = 100;
const BLOCK: usize = 50;

fn agency() -> Agency {
    let agent = Agent::builder("Assistant")
        .instructions("You are a helpful assistant.")
        .model("gpt-4o")
        .build();
    Agency::builder("bench")
        .entry(agent)
        .build()
        .expect("the agency builds")
}

fn history() -> Vec<Entry> {
    (0..HISTORY)
        .map(|i| {
            let message = if i % 2 == 0 {
                Message::user(format!("Question number {i}: what is {i} + {i}?"))
            } else {
                Message::assistant(format!("The answer to question {} is {}.", i - 1, 2 * i))
            };
            Entry::new(message, Meta::new_run("Assistant", None, None))
        })
        .collect()
}

/// Serves `bench` (with `threads` when given) in front of `fake`; the base URL.
async fn serve(fake: &FakeOpenAi, threads: Option<Threads>) -> String {
    let mut builder = Server::builder().agency(agency()).client(ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    });
    if let Some(threads) = threads {
        builder = builder.threads(threads);
    }
    let server = builder.build().expect("the server builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(server.serve_on(listener, std::future::pending()));
    format!("http://{addr}")
}

/// `n` chats of [`HISTORY`] messages each in `threads`, of the anonymous principal.
async fn fill(threads: &Threads, n: usize) -> Vec<String> {
    let items = history();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let key: ChatKey = threads.start("bench", "anonymous").await.expect("start");
        let turn = threads.turn(key.clone()).await.expect("turn");
        turn.append(&items).await.expect("append");
        ids.push(key.id);
    }
    ids
}

struct Series {
    name: &'static str,
    url: String,
    bodies: Vec<String>,
    times: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let dir = std::env::temp_dir().join(format!("agency-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("a client");
    let warmup = 50;
    let (_fake, mut series): (FakeOpenAi, Vec<Series>) = rt.block_on(async {
        let fake = FakeOpenAi::start().await;
        fake.respond_with(|_| Reply::text("Four words in all."));
        let plain = serve(&fake, None).await;
        let wire: Vec<Value> = history()
            .iter()
            .map(|e| serde_json::to_value(e).expect("an entry serializes"))
            .collect();
        let n = requests + warmup;
        let mut series = vec![
            Series {
                name: "none",
                url: format!("{plain}/bench/get_response"),
                bodies: vec![json!({"message": "Hello"}).to_string(); n],
                times: Vec::new(),
            },
            Series {
                name: "history",
                url: format!("{plain}/bench/get_response"),
                bodies: vec![json!({"message": "Hello", "chat_history": wire}).to_string(); n],
                times: Vec::new(),
            },
        ];
        let mut stores = vec![(
            "sqlite",
            format!("sqlite://{}", dir.join("threads.db").display()),
        )];
        match std::env::var("AGENCY_TEST_POSTGRES_URL") {
            Ok(url) => stores.push(("postgres", url)),
            Err(_) => println!("postgres: skipped (AGENCY_TEST_POSTGRES_URL is unset)"),
        }
        for (name, url) in stores {
            let store = agency::thread::open(&url).await.expect("the store opens");
            let threads = Threads::from(store);
            let ids = fill(&threads, n).await;
            let base = serve(&fake, Some(threads)).await;
            series.push(Series {
                name,
                url: format!("{base}/bench/get_response"),
                bodies: ids
                    .iter()
                    .map(|id| json!({"message": "Hello", "chat_id": id}).to_string())
                    .collect(),
                times: Vec::new(),
            });
        }
        (fake, series)
    });

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    client_rt.block_on(async {
        let mut next = vec![0usize; series.len()];
        let send = |url: String, body: String| {
            let request = client
                .post(url)
                .header("content-type", "application/json")
                .body(body);
            async move {
                let resp = request.send().await.expect("the server answers");
                let status = resp.status();
                let body = resp.bytes().await.expect("a body");
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            }
        };
        for s in series.iter_mut() {
            for body in s.bodies.drain(..warmup) {
                send(s.url.clone(), body).await;
            }
        }
        let blocks = requests.div_ceil(BLOCK);
        for block in 0..blocks {
            let count = series.len();
            for k in 0..count {
                let s = &mut series[(block + k) % count];
                let i = &mut next[(block + k) % count];
                for _ in 0..BLOCK {
                    let Some(body) = s.bodies.get(*i).cloned() else {
                        break;
                    };
                    *i += 1;
                    let start = Instant::now();
                    send(s.url.clone(), body).await;
                    s.times.push(start.elapsed());
                }
            }
        }
    });

    let stats: Vec<(&str, Duration, Duration)> = series
        .iter_mut()
        .map(|s| {
            s.times.sort_unstable();
            (
                s.name,
                percentile(&s.times, 0.5),
                percentile(&s.times, 0.99),
            )
        })
        .collect();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let (none50, none99) = (stats[0].1, stats[0].2);
    let (hist50, hist99) = (stats[1].1, stats[1].2);
    println!("get_response, {requests} requests a series, history of {HISTORY} messages:");
    for (name, p50, p99) in &stats {
        println!(
            "  {name:<9} p50 {:>8.1} µs  p99 {:>8.1} µs   added over none: p50 {:>+8.1} p99 {:>+8.1}   over history: p50 {:>+8.1} p99 {:>+8.1}",
            us(*p50),
            us(*p99),
            us(*p50) - us(none50),
            us(*p99) - us(none99),
            us(*p50) - us(hist50),
            us(*p99) - us(hist99),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
