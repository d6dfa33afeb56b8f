//! Throughput of `POST /tool/add` through the whole server (router, CORS, auth, body reading,
//! validation, tool, JSON answer) against a bare axum handler that parses the same JSON into a
//! struct and answers the same body; and the time to build the router and the OpenAPI document
//! for 200 tools.
//!
//! Run: `cargo bench --bench tool_server`. Environment:
//! - `BENCH_SECS` (default 5): seconds per load run; each server gets 3 runs, alternating;
//! - `BENCH_CONNS` (default 16): keep-alive connections;
//! - `BENCH_WRK=0` skips `wrk` even when it is installed (`apt-get install wrk`); with it, the
//!   figures of both load generators are printed;
//! - `BENCH_SERVE=full` (or `bare`) only serves that variant on `127.0.0.1:BENCH_PORT` (default
//!   8000) until killed, for profiling (`perf record -p <pid>` while `wrk` runs).
//!
//! The load generators run on the same machine as the servers; both servers get the same
//! generator, the same runtime (2 worker threads) and the same number of runs, interleaved.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agency::http::axum::{self, Json, Router, routing::post};
use agency::http::{Server, ServerOptions};
use agency::{Tool, ToolError, Toolbox};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "bench-secret-token";
const BODY: &str = r#"{"a":2,"b":3}"#;

#[derive(Deserialize, JsonSchema)]
struct AddArgs {
    /// First addend
    a: i64,
    /// Second addend
    b: i64,
}

fn add_tool(name: String) -> Tool {
    Tool::builder(name)
        .description("Add two integers and return the sum.")
        .handler(|args: AddArgs, _ctx| async move { Ok::<_, ToolError>(args.a + args.b) })
}

async fn bare_add(Json(args): Json<AddArgs>) -> Json<Value> {
    Json(json!({ "response": args.a + args.b }))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let secs: u64 = env_or("BENCH_SECS", 5);
    let conns: usize = env_or("BENCH_CONNS", 16);
    let use_wrk = env_or("BENCH_WRK", 1u8) == 1 && wrk_available();

    build_time_for_200_tools();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Ok(which) = std::env::var("BENCH_SERVE") {
        runtime.block_on(serve_only(&which, env_or("BENCH_PORT", 8000)));
        return;
    }
    let (full, bare) = runtime.block_on(async {
        let full = spawn(full_router()).await;
        let bare = spawn(bare_router()).await;
        (full, bare)
    });
    println!("\nthroughput of POST /tool/add, {conns} keep-alive connections, {secs} s per run:");

    let duration = Duration::from_secs(secs);
    type Generator = Box<dyn Fn(SocketAddr) -> f64>;
    let mut generators: Vec<(&str, Generator)> = vec![(
        "in-process generator",
        Box::new(move |addr| in_process_load(addr, conns, duration)),
    )];
    if use_wrk {
        generators.push((
            "wrk",
            Box::new(move |addr| wrk_load(addr, conns, duration).unwrap_or(f64::NAN)),
        ));
    } else {
        println!("(wrk not used: not installed or BENCH_WRK=0)");
    }
    for (label, run) in &generators {
        let (mut f, mut b) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            f.push(run(full));
            b.push(run(bare));
        }
        let (fm, bm) = (median(&mut f), median(&mut b));
        println!(
            "  {label:<21} full stack {fm:>9.0} req/s (runs {}), bare axum {bm:>9.0} req/s (runs {}), ratio {:.3}",
            fmt_runs(&f),
            fmt_runs(&b),
            fm / bm
        );
    }
    drop(runtime);
}

fn full_router() -> Router {
    Server::builder()
        .tool(add_tool("add".to_owned()))
        .options(ServerOptions::default().with_app_token(TOKEN))
        .build()
        .expect("the server builds")
        .router()
}

fn bare_router() -> Router {
    Router::new().route("/tool/add", post(bare_add))
}

async fn serve_only(which: &str, port: u16) {
    let router = if which == "bare" {
        bare_router()
    } else {
        full_router()
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    println!(
        "serving the {which} variant on 127.0.0.1:{port} (pid {})",
        std::process::id()
    );
    axum::serve(listener, router).await.expect("serve");
}

/// (b) Builds the router and the OpenAPI document of 200 tools, 20 times; prints min and median.
fn build_time_for_200_tools() {
    let start = Instant::now();
    let tools = (0..200)
        .map(|i| add_tool(format!("tool_{i:03}")))
        .try_fold(Toolbox::new(), Toolbox::with)
        .expect("unique names");
    let make_tools = start.elapsed();
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let server = Server::builder()
            .tools(tools.clone())
            .options(ServerOptions::default().with_app_token(TOKEN))
            .build()
            .expect("the server builds");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            server.openapi()["paths"].as_object().map(|p| p.len()),
            Some(200)
        );
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let med = median(&mut times);
    println!(
        "build router + OpenAPI document for 200 tools: min {min:.2} ms, median {med:.2} ms \
         (target < 50 ms); creating the 200 tools (schemas) took {:.2} ms",
        make_tools.as_secs_f64() * 1000.0
    );
}

async fn spawn(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn fmt_runs(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.0}"))
        .collect::<Vec<_>>()
        .join("/")
}

// ---------------------------------------------------------------------------------------------
// In-process load generator: `conns` keep-alive HTTP/1.1 connections on a runtime of its own
// (one thread), each sending the next request as soon as the previous answer is read.

fn in_process_load(addr: SocketAddr, conns: usize, duration: Duration) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async move {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let request = format!(
            "POST /tool/add HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             authorization: Bearer {TOKEN}\r\ncontent-length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (done, stop, request) = (done.clone(), stop.clone(), request.clone());
            tasks.push(tokio::spawn(async move {
                let mut conn = TcpStream::connect(addr).await.expect("connect");
                conn.set_nodelay(true).expect("nodelay");
                let mut buf = Vec::with_capacity(4096);
                while !stop.load(Ordering::Relaxed) {
                    conn.write_all(request.as_bytes()).await.expect("write");
                    read_response(&mut conn, &mut buf).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let start = Instant::now();
        tokio::time::sleep(duration).await;
        stop.store(true, Ordering::Relaxed);
        let n = done.load(Ordering::Relaxed);
        let elapsed = start.elapsed();
        for t in tasks {
            let _ = t.await;
        }
        n as f64 / elapsed.as_secs_f64()
    })
}

/// Reads one response (headers and a `content-length` body) and checks it is a 200.
async fn read_response(conn: &mut TcpStream, buf: &mut Vec<u8>) {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).expect("ASCII headers");
            assert!(
                head.starts_with("HTTP/1.1 200"),
                "unexpected answer: {head}"
            );
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .expect("content-length");
            while buf.len() < end + 4 + len {
                let n = conn.read(&mut chunk).await.expect("read");
                assert!(n > 0, "connection closed");
                buf.extend_from_slice(&chunk[..n]);
            }
            return;
        }
        let n = conn.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// wrk, when installed: one thread, `conns` connections, a Lua script for the POST.

fn wrk_available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
}

fn wrk_load(addr: SocketAddr, conns: usize, duration: Duration) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("agency-bench-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{BODY}'\n\
             wrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.headers[\"Authorization\"] = \"Bearer {TOKEN}\"\n\
             done = function(summary, latency, requests)\n\
               io.write(string.format(\"non2xx %d\\n\", summary.errors.status))\n\
             end\n"
        ),
    )
    .ok()?;
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{}s", duration.as_secs()),
        ])
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{addr}/tool/add"))
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    if text
        .lines()
        .any(|l| l.starts_with("non2xx ") && l != "non2xx 0")
    {
        eprintln!("wrk saw non-2xx answers:\n{text}");
        return None;
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}
