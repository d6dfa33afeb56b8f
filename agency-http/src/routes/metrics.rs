//! `GET /metrics`: the server's metrics in the Prometheus (OpenMetrics) text format, behind auth
//! when it is on (see [`crate::metrics`] for what is counted).

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::metrics::{CONTENT_TYPE, Metrics};
use crate::openapi::OpenApiBuilder;

pub(crate) fn router(metrics: Arc<Metrics>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || async move {
            ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render()).into_response() as Response
        }),
    )
}

/// The route in the OpenAPI document.
pub(crate) fn add_to_openapi(doc: &mut OpenApiBuilder) {
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "Requests by route and status, request durations, active streams, runs by outcome, model calls, tokens and cost by model, tool calls by tool and outcome",
            "content": {"application/openmetrics-text": {"schema": {"type": "string"}}},
        }),
    );
    doc.add_auth_response(&mut responses);
    doc.add_operation(
        "/metrics",
        "get",
        json!({
            "tags": ["metrics"],
            "summary": "Metrics, in the Prometheus text format",
            "operationId": "metrics",
            "responses": responses,
        }),
    );
}
