//! `POST /get_logs {"log_id": ...}` and `GET /get_logs?log_id=...` (with `enable_logging`):
//! a request's log entries, once; the file is deleted as it is read (API.md §8).

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use agency_core::validate::Validator;
use axum::Router;
use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ApiError;
use crate::error::json_response;
use crate::openapi::{OpenApiBuilder, names, response};
use crate::request_log::LogId;

/// The body of `POST /get_logs`, and the query of `GET /get_logs`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct LogsRequest {
    /// The id the request sent as `x-agency-log-id` (a plain name: letters, digits, `-`,
    /// `_`, `.`; at most 128 characters).
    #[serde(default)]
    pub log_id: String,
}

/// One entry of a request's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogEntry {
    /// The event's message.
    pub message: String,
    /// `timestamp` (RFC 3339, UTC), `level`, `location` (`file:line`), `target`, the event's
    /// fields, and `spans` (the spans around it, outermost first, each with its fields).
    pub details: Map<String, Value>,
}

static REQUEST: LazyLock<Validator> =
    LazyLock::new(|| Validator::compile(agency_core::schema::generate::<LogsRequest>()).0);

#[derive(Clone)]
struct Logs {
    dir: Arc<PathBuf>,
    body_limit: usize,
}

pub(crate) fn router(dir: PathBuf, body_limit: usize) -> Router {
    let state = Logs {
        dir: Arc::new(dir),
        body_limit,
    };
    Router::new()
        .route("/get_logs", get(by_query).post(by_body))
        .with_state(state)
}

async fn by_body(State(logs): State<Logs>, req: Request) -> Result<Response, ApiError> {
    let body = crate::body::read_json_object(req, logs.body_limit).await?;
    let value = REQUEST
        .validate(Value::Object(body))
        .map_err(ApiError::invalid_body)?;
    let request = LogsRequest::deserialize(&value).map_err(|e| ApiError::failed(e.to_string()))?;
    take(&logs.dir, &request.log_id).await
}

async fn by_query(
    State(logs): State<Logs>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let request: LogsRequest =
        crate::agency::query::parse(&REQUEST, query.as_deref().unwrap_or_default())?;
    take(&logs.dir, &request.log_id).await
}

/// Why a log could not be taken.
#[derive(Debug, thiserror::Error)]
enum TakeError {
    #[error("Log file not found")]
    NotFound,
    #[error("cannot read the log file: {0}")]
    Io(#[from] std::io::Error),
}

/// The entries of `id`'s log; its file is moved aside first (so lines written meanwhile start
/// a new file rather than being lost), read, then deleted.
async fn take(dir: &Path, id: &str) -> Result<Response, ApiError> {
    let id = LogId::parse(id)?;
    let path = id.file_in(dir);
    let taken = dir.join(format!(
        ".{}.{}.taken",
        id.as_str(),
        uuid::Uuid::new_v4().simple()
    ));
    let read = tokio::task::spawn_blocking(move || read_and_delete(&path, &taken)).await;
    match read {
        Ok(Ok(entries)) => Ok(json_response(StatusCode::OK, &entries)),
        Ok(Err(TakeError::NotFound)) => Err(ApiError::Failed {
            status: StatusCode::NOT_FOUND,
            message: TakeError::NotFound.to_string(),
        }),
        Ok(Err(e)) => Err(ApiError::failed(e.to_string())),
        Err(e) => Err(ApiError::failed(format!(
            "reading the log file failed: {e}"
        ))),
    }
}

fn read_and_delete(path: &Path, taken: &Path) -> Result<Vec<LogEntry>, TakeError> {
    // Only a regular file is a log; a link or a directory of that name is not.
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => {}
        Ok(_) => return Err(TakeError::NotFound),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(TakeError::NotFound),
        Err(e) => return Err(e.into()),
    }
    match std::fs::rename(path, taken) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(TakeError::NotFound),
        other => other?,
    }
    let text = std::fs::read(taken);
    let removed = std::fs::remove_file(taken);
    let text = text?;
    removed?;
    // Each line was written whole; one that does not parse (written by something else) is
    // skipped.
    Ok(text
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect())
}

/// The route in the OpenAPI document.
pub(crate) fn add_to_openapi(doc: &mut OpenApiBuilder) {
    let request = doc.add_type::<LogsRequest>();
    let entry = doc.add_type::<LogEntry>();
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "The request's log entries, oldest first; the log is deleted",
            "content": {"application/json": {"schema": {"type": "array", "items": OpenApiBuilder::reference(&entry)}}},
        }),
    );
    responses.insert(
        "400".into(),
        response(
            "No log id (`Log ID is required`), or one that is not a plain name",
            names::ERROR_RESPONSE,
        ),
    );
    responses.insert(
        "404".into(),
        response(
            "No log of that id (`Log file not found`)",
            names::ERROR_RESPONSE,
        ),
    );
    doc.add_common_responses(&mut responses);
    doc.add_auth_response(&mut responses);
    doc.add_operation(
        "/get_logs",
        "post",
        json!({
            "tags": ["logs"],
            "summary": "A request's log (sent with x-agency-log-id), once",
            "operationId": "get_logs",
            "requestBody": {"required": true, "content": {"application/json": {"schema": OpenApiBuilder::reference(&request)}}},
            "responses": responses.clone(),
        }),
    );
    doc.add_operation(
        "/get_logs",
        "get",
        json!({
            "tags": ["logs"],
            "summary": "A request's log (sent with x-agency-log-id), once",
            "operationId": "get_logs_by_query",
            "parameters": [{"name": "log_id", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 128}}],
            "responses": responses,
        }),
    );
}
