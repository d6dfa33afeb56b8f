//! `GET /healthz` and `GET /readyz`: never behind auth, in the OpenAPI document, and readiness
//! that names the dependency that does not answer.

use std::sync::Arc;

use agency::http::{Server, ServerOptions};
use agency::thread::InMemoryThreadStore;
use agency::{Agency, Agent};
use reqwest::StatusCode;
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
