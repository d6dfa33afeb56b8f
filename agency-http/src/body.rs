//! Reading a JSON request body, with FastAPI's error shapes for every way it can be wrong.

use agency_core::{FieldError, Loc};
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value, json};

use crate::ApiError;

/// Reads the body of `req` as JSON, refusing more than `limit` bytes.
///
/// The content type decides: `application/json` and `application/<anything>+json` are parsed as
/// JSON; any other type (a form, plain text...) and no `content-type` at all are not JSON, and
/// the body comes back as a JSON string of its text (lossy UTF-8), which a route that wants an
/// object then refuses with `model_attributes_type` (reference case 19). (FastAPI parses a body
/// with no `content-type` as JSON; this server does not guess.)
///
/// Errors: an empty body is `missing` (`loc: ["body"]`), a body that is not valid JSON is
/// `json_invalid` with the byte offset of the problem (`loc: ["body", 17]`) and the parser's
/// message in `ctx.error` (this covers invalid UTF-8, nesting deeper than 128 levels and
/// numbers out of range such as `1e400`), a body over the limit is 413.
pub async fn read_json(req: Request, limit: usize) -> Result<Value, ApiError> {
    let is_json = is_json_content_type(req.headers());
    if declared_length(req.headers()).is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let bytes = read_bytes(req, limit).await?;
    if bytes.is_empty() {
        return Err(ApiError::body_error(
            "missing",
            "Field required",
            Value::Null,
        ));
    }
    if !is_json {
        return Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    }
    parse_json(&bytes)
}

/// Reads the body as JSON (see [`read_json`]) and requires a JSON object, as every route of the
/// server takes one: anything else is `model_attributes_type` with the body as `input`.
pub async fn read_json_object(req: Request, limit: usize) -> Result<Map<String, Value>, ApiError> {
    match read_json(req, limit).await? {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::body_error(
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
            other,
        )),
    }
}

/// The largest request body the server reads, in bytes (see
/// [`ServerOptions::with_body_limit`](crate::ServerOptions::with_body_limit)).
///
/// [`JsonObject`] finds it in the router's state: a state type `S` provides it with
/// `impl FromRef<S> for BodyLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// An extractor for a JSON object body, read with [`read_json_object`] and the state's
/// [`BodyLimit`]; it is refused with the matching [`ApiError`] (413, 422 `json_invalid`,
/// `model_attributes_type`, ...).
///
/// Put it last among a handler's arguments (it consumes the body), after the auth layer: the
/// token is checked before the body is read.
///
/// ```
/// use agency_http::axum::{Router, extract::FromRef, routing::post};
/// use agency_http::body::{BodyLimit, JsonObject};
///
/// #[derive(Clone)]
/// struct App {
///     limit: usize,
/// }
///
/// impl FromRef<App> for BodyLimit {
///     fn from_ref(app: &App) -> BodyLimit {
///         BodyLimit(app.limit)
///     }
/// }
///
/// async fn keys(JsonObject(body): JsonObject) -> String {
///     body.keys().cloned().collect::<Vec<_>>().join(",")
/// }
///
/// let app: Router = Router::new().route("/keys", post(keys)).with_state(App { limit: 1024 });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JsonObject(pub Map<String, Value>);

impl<S> FromRequest<S> for JsonObject
where
    S: Send + Sync,
    BodyLimit: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let BodyLimit(limit) = BodyLimit::from_ref(state);
        read_json_object(req, limit).await.map(JsonObject)
    }
}

/// Parses `bytes` as JSON, turning a syntax error into FastAPI's `json_invalid` error.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| json_invalid(bytes, &e))
}

fn json_invalid(bytes: &[u8], e: &serde_json::Error) -> ApiError {
    let mut offset = byte_offset(bytes, e.line(), e.column());
    // A bad literal (`nope`, `tru`) is reported where it starts, as Python's parser does.
    while offset > 0 && bytes[offset - 1].is_ascii_alphabetic() {
        offset -= 1;
    }
    ApiError::Validation(vec![FieldError {
        kind: "json_invalid".into(),
        loc: vec![Loc::Key("body".to_owned()), Loc::Index(offset)],
        msg: "JSON decode error".to_owned(),
        input: json!({}),
        ctx: Some(json!({ "error": message_without_position(e) })),
    }])
}

/// The byte offset of serde_json's (1-based line, column) position: the column counts bytes
/// from the start of the line, and points just past the byte where parsing stopped.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// serde_json's message without its " at line L column C" suffix (the offset says where).
fn message_without_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => full,
    }
}

async fn read_bytes(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let body = Limited::new(req.into_body(), limit);
    match body.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::PayloadTooLarge { limit }),
        Err(e) => Err(ApiError::detail(
            StatusCode::BAD_REQUEST,
            format!("Could not read the request body: {e}"),
        )),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// FastAPI's rule: no content type, `application/json` and `application/*+json` are JSON.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        // No type is no claim of JSON: refused like a form body, not guessed at (FastAPI
        // guesses JSON, so a cross-site form post with no type could reach a route as JSON).
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset_of(text: &str) -> usize {
        let e = serde_json::from_str::<Value>(text).unwrap_err();
        byte_offset(text.as_bytes(), e.line(), e.column())
    }

    #[test]
    fn offsets_point_at_the_problem() {
        assert_eq!(offset_of("{\"a\": }"), 6);
        assert_eq!(offset_of("{\n  \"a\": 1,\n  x\n}"), 14);
        assert!(offset_of("not json") <= 1);
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json_content_type(&h), "no type is not JSON");
        for (ct, json) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/vnd.api+json", true),
            ("application/x-www-form-urlencoded", false),
            ("text/plain", false),
            ("application/+json", false),
        ] {
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            assert_eq!(is_json_content_type(&h), json, "{ct}");
        }
    }
}
