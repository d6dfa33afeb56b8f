//! `GET /healthz` (the process serves) and `GET /readyz` (what it depends on answers): for load
//! balancers and orchestrators, never behind auth.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use agency_core::thread::Threads;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::agency::RunRegistry;
use crate::error::json_response;
use crate::openapi::{OpenApiBuilder, response};

/// The longest one readiness check may take.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The 200 body of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Health {
    /// Always `ok`: the process serves requests.
    pub status: String,
}

/// The body of `GET /readyz`: 200 when every check passed, 503 otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready` when a check failed.
    pub status: String,
    /// Per dependency (`threads`: the conversation store, `runs`: the run registry), `ok` or
    /// why it failed.
    pub checks: BTreeMap<String, String>,
}

/// What `/readyz` checks.
#[derive(Clone)]
pub(crate) struct Dependencies {
    pub threads: Option<Threads>,
    pub registry: Arc<dyn RunRegistry>,
}

pub(crate) fn router(deps: Dependencies) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(move || readyz(deps.clone())))
}

async fn healthz() -> Response {
    let body = Health {
        status: "ok".to_owned(),
    };
    json_response(StatusCode::OK, &body)
}

/// `result` within [`READY_TIMEOUT`], as a check's value.
async fn check(result: impl Future<Output = Result<(), String>>) -> String {
    match tokio::time::timeout(READY_TIMEOUT, result).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(e)) => e,
        Err(_) => format!("no answer within {} s", READY_TIMEOUT.as_secs()),
    }
}

async fn readyz(deps: Dependencies) -> Response {
    let mut checks = BTreeMap::new();
    let threads = async {
        match &deps.threads {
            Some(threads) => {
                Some(check(async { threads.ping().await.map_err(|e| e.to_string()) }).await)
            }
            None => None,
        }
    };
    let (threads, runs) = tokio::join!(threads, check(deps.registry.ready()));
    if let Some(threads) = threads {
        checks.insert("threads".to_owned(), threads);
    }
    checks.insert("runs".to_owned(), runs);
    let ready = checks.values().all(|v| v == "ok");
    if !ready {
        tracing::warn!(?checks, "not ready");
    }
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" }.to_owned(),
        checks,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, &body)
}

/// Both routes in the OpenAPI document.
pub(crate) fn add_to_openapi(doc: &mut OpenApiBuilder) {
    let health = doc.add_type::<Health>();
    let readiness = doc.add_type::<Readiness>();
    doc.add_public_operation(
        "/healthz",
        "get",
        json!({
            "tags": ["health"],
            "summary": "Liveness: the process serves",
            "operationId": "healthz",
            "responses": {"200": response("The process serves requests", &health)},
        }),
    );
    doc.add_public_operation(
        "/readyz",
        "get",
        json!({
            "tags": ["health"],
            "summary": "Readiness: the conversation store and the run registry answer",
            "operationId": "readyz",
            "responses": {
                "200": response("Every dependency answers", &readiness),
                "503": response("A dependency does not answer (see `checks`)", &readiness),
            },
        }),
    );
}
