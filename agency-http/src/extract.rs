//! Extractors for your own routes ([`ServerBuilder::routes`](crate::ServerBuilder::routes)):
//! a JSON body, a query string and path parameters read as Rust types, validated with the same
//! pydantic rules as tool arguments and refused with the server's own 422 shape
//! (`{"detail": [{"type", "loc", "msg", "input"}]}`), `loc` starting with `body`, `query` or
//! `path`.
//!
//! ```
//! use agency_http::axum::{Router, routing::get};
//! use agency_http::extract::{Json, Path, Query};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Page {
//!     /// How many to list
//!     limit: Option<u32>,
//! }
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
//! struct Note {
//!     text: String,
//! }
//!
//! async fn list(Query(page): Query<Page>) -> String {
//!     format!("{} notes", page.limit.unwrap_or(10))
//! }
//!
//! async fn update(Path(id): Path<u64>, Json(note): Json<Note>) -> Json<Note> {
//!     Json(Note { text: format!("{id}: {}", note.text) })
//! }
//!
//! let routes: Router = Router::new()
//!     .route("/notes", get(list))
//!     .route("/notes/{id}", agency_http::axum::routing::put(update));
//! ```

use agency_core::validate;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::body::{BodyLimit, read_json};
use crate::error::json_response;
use crate::{ApiError, DEFAULT_BODY_LIMIT};

/// A JSON request body read as `T` (validated against `T`'s schema first), or, as a response,
/// `T` serialized as JSON with status 200.
///
/// The body limit is the server's (`--body-limit`) on routes given to
/// [`ServerBuilder::routes`](crate::ServerBuilder::routes). Refusals: 413 over the limit, 422
/// `json_invalid` for a body that is not JSON, 422 `missing` for an empty one, 422 with every
/// field's problem otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned + JsonSchema + 'static,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
        let value = read_json(req, limit).await?;
        validate::parse(value)
            .map(Json)
            .map_err(ApiError::invalid_body)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

/// The query string read as `T` (a struct whose fields are the parameters). Values arrive as
/// text and are coerced by the schema's types (`?limit=20` fills a `u32`); a parameter given
/// twice keeps its last value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned + JsonSchema + 'static,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let map = texts(form_urlencoded::parse(query.as_bytes()));
        validate::parse(Value::Object(map))
            .map(Query)
            .map_err(|errors| ApiError::invalid_in("query", errors))
    }
}

/// The route's path parameters read as `T`: a struct of them by name, or one value for a route
/// with a single parameter (`Path<u64>` on `/tasks/{id}`). Values are coerced like query
/// values; a refusal's `loc` is `["path", <name>]`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + JsonSchema + 'static,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::detail(StatusCode::BAD_REQUEST, e.body_text()))?;
        let map = texts(params.iter());
        let schema = validate::validator_of::<T>();
        let is_struct = schema.schema().get("type").and_then(Value::as_str) == Some("object");
        let (value, name) = match (is_struct, map.len()) {
            (false, 1) => {
                let (name, value) = map.into_iter().next().unwrap_or_default();
                (value, Some(name))
            }
            _ => (Value::Object(map), None),
        };
        validate::parse(value).map(Path).map_err(|errors| {
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    if let Some(name) = &name {
                        e.loc.insert(0, agency_core::Loc::Key(name.clone()));
                    }
                    e
                })
                .collect();
            ApiError::invalid_in("path", errors)
        })
    }
}

/// Named text values (a query string's, a path's) as a JSON object of strings, for the
/// validator to coerce; a name given twice keeps its last value.
fn texts<K: Into<String>, V: Into<String>>(
    pairs: impl Iterator<Item = (K, V)>,
) -> Map<String, Value> {
    pairs
        .map(|(k, v)| (k.into(), Value::String(v.into())))
        .collect()
}
