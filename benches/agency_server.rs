//! The agency routes against the fake OpenAI server answering at once (the reference responder,
//! `words=5`), all on 127.0.0.1 in this process:
//!
//! 1. RSS of the process with `BENCH_STREAMS` (default 1 000) `get_response_stream` streams open
//!    at once (the model sends its first event, then stalls), read from `/proc/self/status`
//!    before they are opened and once every stream has forwarded the model's first event. The
//!    figure is the whole process: server, fake model API and client connections.
//! 2. Latency of `POST /bench/get_response` at concurrency 1, against
//!    - the **forwarder**: a bare axum handler on its own port doing the least any server must do
//!      for that request: parse `{"message"}`, POST the same Responses request to the fake with
//!      one shared reqwest client, parse its SSE stream, answer the text, the two items (user
//!      message and assistant message, stamped with `agent`, `callerAgent`, `agent_run_id`,
//!      `timestamp`, `type`) and the usage. Its answer is checked equal to ours (ids and
//!      timestamps aside). It parses the JSON data of the three kinds of event it needs
//!      (`response.output_text.delta`, `response.output_item.done`, `response.completed`, picked
//!      by their `event:` line) and skips the others; `BENCH_FORWARDER_PARSE_ALL=1` makes it
//!      parse every event's data, as a client that looks at each event's `type` would. The ratio
//!      ours / forwarder is the figure to watch (target <= 1.15);
//!    - the same model request sent to the fake directly (the body the server sent, captured
//!      from the fake, posted with reqwest and read to the end): the difference of the means is
//!      the server's own cost (HTTP, validation, agency, run loop, SSE parsing of the model
//!      stream, JSON answer).
//!
//!    The three series run in alternating blocks (the order rotating), so that drift in the
//!    machine's speed hits them alike.
//! 3. Requests per second of `get_response` at concurrency 1 and 16 (keep-alive HTTP/1.1,
//!    reqwest, a fixed number of requests), ours and the forwarder's.
//! 4. Delay to the first SSE frame of the model's first event (`response.created`) in
//!    `get_response_stream`, against the fake's own time to its first event for the same request.
//!
//! Run: `cargo bench --bench agency_server`. Environment: `BENCH_REQUESTS` (default 2 000:
//! requests per latency series; concurrency 16 sends four times as many), `BENCH_STREAMS`
//! (default 1 000), `BENCH_NODELAY=1`: serve `Server::router()` on sockets with `TCP_NODELAY`
//! instead of through `serve_on` (whose sockets keep Nagle's algorithm: a small SSE frame
//! written while the previous one is unacknowledged waits for the client's delayed ACK).
//!
//! Instruction counting (`benches/callgrind.sh`): `BENCH_ONLY=ours|forwarder|direct` skips all
//! of the above; after the setup (one `get_response` to capture the model request) and 200
//! warm-up requests it sends `BENCH_REQUESTS` sequential requests to that target only, then
//! exits. Two runs with different `BENCH_REQUESTS` under `valgrind --tool=callgrind` give the
//! instructions per request as the difference of their totals, startup and warm-up cancelled.
//!
//! The server, the forwarder and the fake share one runtime of 2 worker threads; the client runs
//! on a current-thread runtime in the main thread. On a 2-core machine they compete for the
//! cores, so throughput at concurrency 16 is a lower bound of what the server alone does.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agency::http::Server;
use agency::http::axum;
use agency::http::axum::response::IntoResponse;
use agency::model::ClientConfig;
use agency::{Agency, Agent, PriceTable, Tool, ToolError, Usage};
use agency_testing::{FakeOpenAi, Reply, lorem};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Deserialize, JsonSchema)]
struct AddArgs {
    /// First addend
    a: i64,
    /// Second addend
    b: i64,
}

#[derive(Deserialize, JsonSchema)]
struct AddressArgs {
    /// Street name and number
    street: String,
    /// Numeric postal code
    zip_code: u32,
}

/// The reference agency: `bench` / `Assistant` with `add` and `Address`.
fn bench_agency() -> Agency {
    let add = Tool::builder("add")
        .description("Add two integers and return the sum.")
        .handler(|x: AddArgs, _ctx| async move { Ok::<_, ToolError>(x.a + x.b) });
    let address = Tool::builder("Address")
        .description("Format a postal address from a street and a zip code.")
        .handler(|a: AddressArgs, _ctx| async move {
            Ok::<_, ToolError>(format!("{}, {}", a.street, a.zip_code))
        });
    let assistant = Agent::builder("Assistant")
        .description("General assistant used for benchmarking.")
        .instructions("You are a helpful assistant. Use the tools when asked.")
        .model("gpt-4o")
        .tool(add)
        .tool(address)
        .build();
    Agency::builder("bench")
        .entry(assistant)
        .build()
        .expect("the agency builds")
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// VmRSS of this process, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}

/// A fake model API and a server in front of it, on `rt`.
struct Setup {
    fake: FakeOpenAi,
    base: String,
}

fn setup(rt: &tokio::runtime::Runtime) -> Setup {
    rt.block_on(async {
        let fake = FakeOpenAi::start().await;
        let server = Server::builder()
            .agency(bench_agency())
            .client(ClientConfig {
                base_url: Some(fake.base_url()),
                api_key: Some("k".into()),
                max_retries: Some(0),
                ..ClientConfig::default()
            })
            .build()
            .expect("the server builds");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        if std::env::var("BENCH_NODELAY").is_ok_and(|v| v == "1") {
            use agency::http::axum::serve::ListenerExt;
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            tokio::spawn(async move { agency::http::axum::serve(listener, server.router()).await });
        } else {
            tokio::spawn(server.serve_on(listener, std::future::pending()));
        }
        Setup {
            fake,
            base: format!("http://{addr}"),
        }
    })
}

fn main() {
    let requests: usize = env_or("BENCH_REQUESTS", 2_000);
    let streams: usize = env_or("BENCH_STREAMS", 1_000);
    let only = std::env::var("BENCH_ONLY").ok().filter(|v| !v.is_empty());
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("a client");

    if only.is_none() {
        // 1. RSS first, before the fake has recorded thousands of requests.
        let stalled = setup(&server_rt);
        stalled
            .fake
            .respond_with(|_| Reply::text(lorem(5)).chunk_delay(Duration::from_secs(3600)));
        let (before, during) = client_rt.block_on(open_streams(&client, &stalled, streams));
        println!(
            "RSS with {streams} open streams: {before:.1} MiB before, {during:.1} MiB while open \
             (+{:.1} MiB, {:.1} KiB per stream; whole process: server, fake model API, client; \
             target < 200 MB)",
            during - before,
            (during - before) * 1024.0 / streams as f64
        );
        drop(stalled);
    }

    let s = setup(&server_rt);
    let url = format!("{}/bench/get_response", s.base);
    let body = json!({"message": "Hello words=5"}).to_string();
    // The model request the server makes, to send the fake directly and to model the
    // forwarder's on.
    let ours_answer = client_rt.block_on(answer(&client, &url, &body));
    let sent = s.fake.last_request().expect("the server called the model");
    let direct_url = format!("{}/responses", s.fake.base_url());
    let direct_body = sent.body.to_string();
    let forwarder = start_forwarder(&server_rt, direct_url.clone(), &sent.body);
    let forwarder_url = format!("{forwarder}/bench/get_response");
    client_rt.block_on(async {
        let theirs = answer(&client, &forwarder_url, &body).await;
        let forwarded = s
            .fake
            .last_request()
            .expect("the forwarder called the model");
        assert_eq!(
            forwarded.body, sent.body,
            "the forwarder sends the server's model request"
        );
        assert_eq!(
            masked(ours_answer),
            masked(theirs),
            "the forwarder answers as the server does (ids and timestamps aside)"
        );
    });

    let targets = [
        ("ours", url.as_str(), body.as_str()),
        ("forwarder", forwarder_url.as_str(), body.as_str()),
        ("direct", direct_url.as_str(), direct_body.as_str()),
    ];
    if let Some(only) = only {
        let &(_, u, b) = targets
            .iter()
            .find(|(name, _, _)| *name == only)
            .unwrap_or_else(|| panic!("BENCH_ONLY={only}: expected ours, forwarder or direct"));
        let is_direct = only == "direct";
        client_rt.block_on(async {
            let mut start = Instant::now();
            for i in 0..200 + requests {
                if i == 200 {
                    start = Instant::now();
                }
                if is_direct {
                    direct(&client, u, b).await;
                } else {
                    get_response(&client, u, b).await;
                }
            }
            eprintln!(
                "BENCH_ONLY={only}: {requests} requests after 200 warm-up ones, {:.3} ms mean",
                start.elapsed().as_secs_f64() * 1e3 / requests.max(1) as f64
            );
        });
        drop(s);
        drop(server_rt);
        return;
    }

    client_rt.block_on(async {
        // Warm-up.
        for _ in 0..200 {
            get_response(&client, &url, &body).await;
            get_response(&client, &forwarder_url, &body).await;
            direct(&client, &direct_url, &direct_body).await;
        }

        // 2. + 3. Latency and throughput at concurrency 1, in alternating blocks whose order
        // rotates: ours, forwarder, direct; forwarder, direct, ours; ...
        let mut lat: [Vec<f64>; 3] = Default::default();
        let mut time = [Duration::ZERO; 3];
        let rounds = 8;
        let block = (requests / rounds).max(1);
        for round in 0..rounds {
            for k in 0..3 {
                let t = (round + k) % 3;
                let (_, u, b) = targets[t];
                let start = Instant::now();
                for _ in 0..block {
                    lat[t].push(if t == 2 {
                        direct(&client, u, b).await
                    } else {
                        get_response(&client, u, b).await
                    });
                }
                time[t] += start.elapsed();
            }
        }
        let [ours, fwd, theirs] = &mut lat;
        let (om, fm, tm) = (mean(ours), mean(fwd), mean(theirs));
        let line = |what: &str, series: &mut [f64], mean: f64| {
            println!(
                "{what}: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
                mean * 1e3,
                pct(series, 50.0) * 1e3,
                pct(series, 99.0) * 1e3
            )
        };
        line(
            &format!(
                "get_response latency, concurrency 1, {} requests",
                ours.len()
            ),
            ours,
            om,
        );
        line("  the forwarder (bare axum + reqwest + SSE parse)", fwd, fm);
        println!(
            "  ours / forwarder (means): {:.2}x (target <= 1.15x); p50: {:.2}x",
            om / fm,
            pct(ours, 50.0) / pct(fwd, 50.0)
        );
        line("  the same model request to the fake directly", theirs, tm);
        println!(
            "  server's added latency (difference of the means): {:.3} ms (target < 1 ms); \
             the forwarder's: {:.3} ms",
            (om - tm) * 1e3,
            (fm - tm) * 1e3
        );
        let rps = |t: usize| lat[t].len() as f64 / time[t].as_secs_f64();
        println!(
            "get_response throughput, concurrency 1: {:.0} req/s (the forwarder: {:.0} req/s, \
             the fake directly: {:.0} req/s)",
            rps(0),
            rps(1),
            rps(2)
        );

        let n16 = requests * 4;
        let (c, u, b) = (&client, url.as_str(), body.as_str());
        let rps = load(16, n16, move || get_response(c, u, b)).await;
        let f = forwarder_url.as_str();
        let forwarder_rps = load(16, n16, move || get_response(c, f, b)).await;
        let (u, b) = (direct_url.as_str(), direct_body.as_str());
        let direct_rps = load(16, n16, move || direct(c, u, b)).await;
        println!(
            "get_response throughput, concurrency 16, {n16} requests: {rps:.0} req/s \
             (the forwarder: {forwarder_rps:.0} req/s, the fake directly: {direct_rps:.0} req/s)"
        );

        // 4. First model event through the stream, against the fake's own first event.
        let stream_url = format!("{}/bench/get_response_stream", s.base);
        let (mut meta, mut first, mut fake_first) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..requests / 2 + 100 {
            let (m, f) = first_model_frame(&client, &stream_url, &body).await;
            let d = first_event(&client, &direct_url, &direct_body).await;
            if i >= 100 {
                meta.push(m);
                first.push(f);
                fake_first.push(d);
            }
        }
        let (fm, dm) = (mean(&first), mean(&fake_first));
        println!(
            "get_response_stream, {} streams: meta after {:.3} ms (mean); the model's first \
             event (response.created) after {:.3} ms mean, p50 {:.3} ms",
            first.len(),
            mean(&meta) * 1e3,
            fm * 1e3,
            pct(&mut first, 50.0) * 1e3
        );
        println!(
            "  the fake's own first event for the same request: {:.3} ms mean, p50 {:.3} ms; \
             delay added before the first model frame: {:.3} ms",
            dm * 1e3,
            pct(&mut fake_first, 50.0) * 1e3,
            (fm - dm) * 1e3
        );
    });
    drop(s);
    drop(server_rt);
}

/// One `get_response` answer, parsed.
async fn answer(client: &reqwest::Client, url: &str, body: &str) -> Value {
    send(client, url, body)
        .await
        .json()
        .await
        .expect("a JSON answer")
}

/// `answer` with what differs from one run to the next (ids, timestamps) blanked.
fn masked(mut answer: Value) -> Value {
    for item in answer["new_messages"]
        .as_array_mut()
        .expect("new_messages")
        .iter_mut()
    {
        for key in ["id", "agent_run_id", "timestamp"] {
            if let Some(v) = item.get_mut(key) {
                *v = Value::Null;
            }
        }
    }
    answer
}

// The forwarder: the least a server must do to answer `get_response` from the model's stream.

/// What every forwarded request shares.
#[derive(Clone)]
struct Forwarder {
    http: reqwest::Client,
    model_url: Arc<str>,
    model: Arc<str>,
    instructions: Arc<str>,
    tools: Arc<Value>,
    /// `BENCH_FORWARDER_PARSE_ALL=1`: parse the data of every SSE event, not only of the three
    /// kinds the answer needs (picked by their `event:` line).
    parse_all: bool,
}

#[derive(Deserialize)]
struct Ask {
    message: String,
}

/// The Responses request, serialized from borrowed parts.
#[derive(Serialize)]
struct ModelBody<'a> {
    model: &'a str,
    input: [InputMessage<'a>; 1],
    stream: bool,
    instructions: &'a str,
    tools: &'a Value,
}

#[derive(Serialize)]
struct InputMessage<'a> {
    content: &'a str,
    role: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Serves the forwarder on a 127.0.0.1 port on `rt`; its base URL. `sent` is the model request
/// the server made, whose model, instructions and tools the forwarder sends too.
fn start_forwarder(rt: &tokio::runtime::Runtime, model_url: String, sent: &Value) -> String {
    use agency::http::axum::serve::ListenerExt;
    let text = |key: &str| Arc::<str>::from(sent[key].as_str().expect(key));
    let state = Forwarder {
        http: reqwest::Client::new(),
        model_url: model_url.into(),
        model: text("model"),
        instructions: text("instructions"),
        tools: Arc::new(sent["tools"].clone()),
        parse_all: std::env::var("BENCH_FORWARDER_PARSE_ALL").is_ok_and(|v| v == "1"),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("local addr");
    rt.spawn(async move {
        let listener = TcpListener::from_std(listener)
            .expect("a tokio listener")
            .tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
        let app = axum::Router::new()
            .route("/bench/get_response", axum::routing::post(forward))
            .with_state(state);
        axum::serve(listener, app).await
    });
    format!("http://{addr}")
}

async fn forward(
    axum::extract::State(f): axum::extract::State<Forwarder>,
    axum::Json(ask): axum::Json<Ask>,
) -> axum::response::Response {
    let body = ModelBody {
        model: &f.model,
        input: [InputMessage {
            content: &ask.message,
            role: "user",
            kind: "message",
        }],
        stream: true,
        instructions: &f.instructions,
        tools: &f.tools,
    };
    let resp = f
        .http
        .post(&*f.model_url)
        .header("content-type", "application/json")
        .header("authorization", "Bearer k")
        .body(serde_json::to_vec(&body).expect("a JSON body"))
        .send()
        .await
        .expect("the model answers");
    assert_eq!(resp.status(), 200);
    let (mut text, mut item, mut usage) = (String::new(), None, None);
    let mut events = resp.bytes_stream().eventsource();
    while let Some(event) = events.next().await {
        let event = event.expect("SSE");
        let kind = event.event.as_str();
        let wanted = matches!(
            kind,
            "response.output_text.delta" | "response.output_item.done" | "response.completed"
        );
        if !wanted && !f.parse_all {
            continue;
        }
        let mut data: Value = serde_json::from_str(&event.data).expect("a JSON event");
        match kind {
            "response.output_text.delta" => text.push_str(data["delta"].as_str().unwrap_or("")),
            "response.output_item.done" => item = Some(data["item"].take()),
            "response.completed" => usage = Some(data["response"]["usage"].take()),
            _ => {}
        }
    }
    let tokens: agency::model::TokenUsage =
        serde_json::from_value(usage.expect("response.completed")).expect("usage");
    let usage = Usage::from_tokens(&tokens, &f.model, PriceTable::global());
    let run_id = agency::item::new_agent_run_id();
    let stamp = |mut item: Value| {
        let map = item.as_object_mut().expect("an item");
        map.insert("agent".into(), json!("Assistant"));
        map.insert("callerAgent".into(), Value::Null);
        map.insert("agent_run_id".into(), json!(run_id));
        map.insert("timestamp".into(), json!(agency::item::now_micros()));
        map.entry("type").or_insert_with(|| json!("message"));
        item
    };
    let user = stamp(json!({"content": ask.message, "role": "user"}));
    let assistant = stamp(item.expect("response.output_item.done"));
    axum::Json(json!({
        "response": text,
        "new_messages": [user, assistant],
        "usage": usage,
    }))
    .into_response()
}

/// Opens `n` streams and holds them until each has forwarded the model's first event; returns
/// the RSS (MiB) before and while they are open.
async fn open_streams(client: &reqwest::Client, s: &Setup, n: usize) -> (f64, f64) {
    let url = format!("{}/bench/get_response_stream", s.base);
    let body = json!({"message": "Hello words=5"}).to_string();
    // Warm-up: a few complete answers through a responder that does not stall.
    s.fake.push_all((0..20).map(|_| Reply::text(lorem(5))));
    for _ in 0..20 {
        let mut events = sse(client, &url, &body).await;
        while events.next().await.is_some() {}
    }
    let before = rss_mib();
    let opened = futures::future::join_all((0..n).map(|_| async {
        let mut events = sse(client, &url, &body).await;
        loop {
            let event = events
                .next()
                .await
                .expect("the stream ended early")
                .expect("SSE");
            if event.data.contains("\"response.created\"") {
                break;
            }
        }
        events
    }))
    .await;
    let during = rss_mib();
    assert_eq!(opened.len(), n);
    drop(opened);
    assert!(
        s.fake
            .wait_for_dropped_streams(n, Duration::from_secs(30))
            .await,
        "the model requests of the closed streams were not dropped"
    );
    (before, during)
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

/// `POST url` with the JSON `body` and the fake's API key (our server and the forwarder ignore
/// it); the answer must be 200.
async fn send(client: &reqwest::Client, url: &str, body: &str) -> reqwest::Response {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header("authorization", "Bearer k")
        .body(body.to_owned())
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200, "{url}");
    resp
}

async fn sse(client: &reqwest::Client, url: &str, body: &str) -> Events {
    Box::pin(send(client, url, body).await.bytes_stream().eventsource())
}

/// One `get_response`, read to the end; its latency in seconds.
async fn get_response(client: &reqwest::Client, url: &str, body: &str) -> f64 {
    let start = Instant::now();
    let bytes = send(client, url, body).await.bytes().await.expect("body");
    let elapsed = start.elapsed().as_secs_f64();
    debug_assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
    assert!(bytes.starts_with(b"{\"response\":\"Lorem ipsum dolor sit amet\""));
    elapsed
}

/// The model request sent to the fake directly (as the server's client does), its whole SSE
/// answer read; the latency in seconds.
async fn direct(client: &reqwest::Client, url: &str, body: &str) -> f64 {
    let start = Instant::now();
    let bytes = send(client, url, body).await.bytes().await.expect("body");
    let elapsed = start.elapsed().as_secs_f64();
    assert!(
        bytes.windows(18).any(|w| w == b"response.completed"),
        "a complete model stream"
    );
    elapsed
}

/// Seconds to `meta` and to the frame of the model's first event; the stream is read to its end.
async fn first_model_frame(client: &reqwest::Client, url: &str, body: &str) -> (f64, f64) {
    let start = Instant::now();
    let mut events = sse(client, url, body).await;
    let (mut meta, mut first) = (None, None);
    while let Some(event) = events.next().await {
        let event = event.expect("SSE");
        if event.event == "meta" && meta.is_none() {
            meta = Some(start.elapsed().as_secs_f64());
        }
        if first.is_none() && event.data.contains("\"raw_response_event\"") {
            first = Some(start.elapsed().as_secs_f64());
        }
    }
    (
        meta.expect("a meta frame"),
        first.expect("a model event frame"),
    )
}

/// Seconds to the fake's first SSE event for the model request; its stream is read to its end.
async fn first_event(client: &reqwest::Client, url: &str, body: &str) -> f64 {
    let start = Instant::now();
    let mut events = sse(client, url, body).await;
    let mut first = None;
    while let Some(event) = events.next().await {
        event.expect("SSE");
        first.get_or_insert_with(|| start.elapsed().as_secs_f64());
    }
    first.expect("an event")
}

/// `total` requests, `concurrency` at a time (keep-alive connections); requests per second.
async fn load<F, Fut>(concurrency: usize, total: usize, send: F) -> f64
where
    F: Fn() -> Fut,
    Fut: Future<Output = f64>,
{
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    futures::future::join_all((0..concurrency).map(|_| async {
        while next.fetch_add(1, Ordering::Relaxed) < total {
            send().await;
        }
    }))
    .await;
    total as f64 / start.elapsed().as_secs_f64()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p / 100.0).round() as usize]
}
