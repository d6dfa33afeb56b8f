//! `GET /healthz` and `GET /readyz`: never behind auth, in the OpenAPI document, and readiness
//! that names the dependency that does not answer.

use std::sync::Arc;

use agency::http::{Server, ServerOptions};
use agency::thread::InMemoryThreadStore;
use agency::{Agency, Agent};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::http::start;

fn desk() -> Agency {
    Agency::builder("desk")
        .entry(Agent::builder("Assistant").build())
        .build()
        .unwrap()
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let server = Server::builder()
        .agency(desk())
        .threads(InMemoryThreadStore::default())
        .options(ServerOptions::default().with_app_token("s3cret"))
        .build()
        .unwrap();
    for path in ["/healthz", "/readyz"] {
        let op = &server.openapi()["paths"][path]["get"];
        assert!(op.is_object(), "{path} is documented");
        assert!(op.get("security").is_none(), "{path} is public: {op}");
    }
    let s = start(server).await;
    let health = s.get_json("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    let ready = s.get_json("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(
        ready.body,
        json!({"status": "ready", "checks": {"runs": "ok", "threads": "ok"}})
    );
    // The agency routes still want the token.
    assert_eq!(
        s.get_json("/desk/get_metadata").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn readiness_names_a_redis_that_does_not_answer() {
    let port = crate::http_threads::free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let registry = agency::redis::RedisRegistry::connect(&url).await.unwrap();
    let server = Server::builder()
        .agency(desk())
        .run_registry(Arc::new(registry))
        .build()
        .unwrap();
    let s = start(server).await;
    let ready = s.get_json("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.body
    );
    assert_eq!(ready.body["status"], "not_ready");
    let runs = ready.body["checks"]["runs"].as_str().unwrap();
    assert!(runs.starts_with(&format!("Redis at {url}")), "{runs}");
    assert!(ready.body["checks"].get("threads").is_none());
    // Alive all the same.
    assert_eq!(s.get_json("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_answer_carries_the_request_id() {
    let server = Server::builder().agency(desk()).build().unwrap();
    let s = start(server).await;
    let id_of =
        |reply: &crate::support::http::Reply| reply.header("x-request-id").unwrap().to_owned();
    let hex32 = |id: &str| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());

    // Its own, when usable; on errors too.
    let own = s
        .request(
            Method::GET,
            "/healthz",
            &[("x-request-id", "req-42")],
            Vec::new(),
        )
        .await;
    assert_eq!(id_of(&own), "req-42");
    let missing = s
        .request(
            Method::GET,
            "/nowhere",
            &[("x-request-id", "req-43")],
            Vec::new(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(id_of(&missing), "req-43");
    // A new one otherwise, each time another.
    let (a, b) = (s.get("/healthz").await, s.get("/healthz").await);
    assert!(hex32(&id_of(&a)) && hex32(&id_of(&b)) && id_of(&a) != id_of(&b));
    let long = "x".repeat(129);
    let refused = s
        .request(
            Method::GET,
            "/healthz",
            &[("x-request-id", &long)],
            Vec::new(),
        )
        .await;
    assert!(hex32(&id_of(&refused)));
    // A page of another origin may read it.
    let cors = s
        .request(
            Method::GET,
            "/healthz",
            &[("origin", "https://app.example.com")],
            Vec::new(),
        )
        .await;
    assert_eq!(
        cors.header("access-control-expose-headers"),
        Some("x-request-id")
    );
}

/// `--log-format json` on the real binary: one JSON object a line; a stream's end says its run,
/// outcome, frames and duration; a request's lines carry its id.
#[cfg(unix)]
#[tokio::test]
async fn json_logs_say_how_a_stream_ended() {
    use agency_testing::{FakeOpenAi, Reply, lorem};
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    use serde_json::Value;
    use tokio::io::AsyncBufReadExt;

    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(5)));
    let port = crate::http_threads::free_port();
    let quickstart = crate::safety::quickstart_binary();
    let mut child = crate::support::binary::serve(&quickstart, port, &fake.base_url())
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info,agency_http=debug")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    crate::http_threads::wait_until_up(&client, &base).await;
    let resp = client
        .post(format!("{base}/demo/get_response_stream"))
        .header("x-request-id", "log-test-1")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .unwrap();
    let mut events = resp.bytes_stream().eventsource();
    let meta = events.next().await.unwrap().unwrap();
    let run_id = serde_json::from_str::<Value>(&meta.data).unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    while events.next().await.is_some() {}

    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut ended, mut request) = (None, None);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while ended.is_none() || request.is_none() {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("the log lines in time")
            .unwrap()
            .expect("more log lines");
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        match entry["fields"]["message"].as_str() {
            Some("stream ended") if entry["fields"]["run_id"] == run_id.as_str() => {
                ended = Some(entry)
            }
            Some("request ended") if entry["span"]["request_id"] == "log-test-1" => {
                request = Some(entry)
            }
            _ => {}
        }
    }
    let ended = ended.unwrap();
    let fields = &ended["fields"];
    assert_eq!(fields["outcome"], "completed", "{ended}");
    assert_eq!(fields["agency"], "demo");
    assert_eq!(fields["client"], "connected");
    assert!(fields["frames"].as_u64().unwrap() >= 5, "{ended}");
    assert!(fields["duration_ms"].is_u64(), "{ended}");
    let request = request.unwrap();
    // Logged once the stream's body ended, so its duration is the stream's.
    assert_eq!(
        request["span"]["url.path"], "/demo/get_response_stream",
        "{request}"
    );
    assert_eq!(request["span"]["http.route"], "/demo/get_response_stream");
    assert_eq!(request["fields"]["status"], 200);
    assert!(request["fields"]["duration_ms"].is_f64(), "{request}");
}
