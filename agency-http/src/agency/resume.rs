//! `GET /{a}/runs/{run_id}/stream`: a run's stream again, from the frame after the last one the
//! client saw (`Last-Event-ID`), on any process that shares the run registry.

use std::sync::LazyLock;

use agency_core::validate::Validator;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::runs::{RunKey, RunRegistryError};
use super::state::SharedAgency;
use crate::{ApiError, Principal};

/// The header a reconnecting `EventSource` sends: the id of the last frame it got.
pub const LAST_EVENT_ID: &str = "last-event-id";

/// The query of `GET /{a}/runs/{run_id}/stream`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ResumeQuery {
    /// Send the frames after this id (for a client that cannot set `Last-Event-ID`; the header
    /// wins). None or 0: every frame from `meta` on.
    #[schemars(range(max = 999_999_999_999_999u64))]
    pub last_event_id: Option<u64>,
}

static QUERY: LazyLock<Validator> =
    LazyLock::new(|| Validator::compile(agency_core::schema::generate::<ResumeQuery>()).0);

impl ResumeQuery {
    /// The JSON schema of the query (its properties are the query parameters).
    pub fn schema() -> &'static Value {
        QUERY.schema()
    }
}

/// The frame id to resume after: the `Last-Event-ID` header, else the query's `last_event_id`.
fn resume_after(headers: &HeaderMap, query: Option<&str>) -> Result<u64, ApiError> {
    if let Some(value) = headers.get(LAST_EVENT_ID) {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let digits = (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        return text.parse::<u64>().ok().filter(|_| digits).ok_or_else(|| {
            ApiError::Validation(vec![agency_core::FieldError {
                kind: "int_parsing".into(),
                loc: vec![
                    agency_core::Loc::Key("header".into()),
                    agency_core::Loc::Key(LAST_EVENT_ID.into()),
                ],
                msg: "Input should be a frame id: 1 to 15 digits".to_owned(),
                input: Value::String(text),
                ctx: None,
            }])
        });
    }
    let query: ResumeQuery = super::query::parse(&QUERY, query.unwrap_or_default())?;
    Ok(query.last_event_id.unwrap_or(0))
}

/// Whether `id` could be a run id (a longer or stranger one is never registered).
pub(crate) fn plausible(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A registry failure as an answer: 404, 410 (frames no longer kept), 503.
pub(crate) fn registry_error(run_id: &str, error: RunRegistryError, action: &str) -> ApiError {
    match error {
        RunRegistryError::NotFound => ApiError::detail(
            StatusCode::NOT_FOUND,
            format!("Run '{run_id}' not found{action}"),
        ),
        gone @ RunRegistryError::Gone { .. } => {
            ApiError::detail(StatusCode::GONE, gone.to_string())
        }
        unavailable @ RunRegistryError::Unavailable(_) => {
            tracing::warn!(run_id, "{unavailable}");
            ApiError::Failed {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!("{unavailable}; try again"),
            }
        }
    }
}

pub(crate) async fn resume(
    State(state): State<SharedAgency>,
    principal: Principal,
    run_id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = resume_after(&headers, query.as_deref())?;
    let run_id = match run_id {
        Ok(Path(id)) if plausible(&id) => id,
        _ => return Err(ApiError::NotFound),
    };
    let key = RunKey::new(state.route.clone(), run_id);
    let frames = state
        .common
        .registry
        .follow(&key, principal.name(), after)
        .await
        .map_err(|e| registry_error(&key.run_id, e, ""))?;
    // No follower outlives the longest a run may take.
    let deadline = tokio::time::sleep(state.common.run_timeout + state.common.cancel_wait);
    Ok(super::sse::resumed(
        frames.take_until(deadline).boxed(),
        &state.common.metrics,
    ))
}
