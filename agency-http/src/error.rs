//! The error answers of the server, in the JSON shapes of the FastAPI server it replaces.

use agency_core::{FieldError, Loc};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answer of the server. Each variant knows its status and its JSON body:
/// FastAPI-style `{"detail": ...}` for protocol errors (unknown path, wrong method, auth, body
/// limit, validation), `{"error": ...}` for failures of the work itself.
///
/// Handlers return `Result<_, ApiError>`; the conversion to a response never fails.
///
/// ```
/// use agency_http::ApiError;
/// use axum::response::IntoResponse;
///
/// let response = ApiError::NotFound.into_response();
/// assert_eq!(response.status(), 404);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 404 `{"detail":"Not Found"}`: no route has this path.
    #[error("Not Found")]
    NotFound,
    /// 405 `{"detail":"Method Not Allowed"}`: the path exists, the method does not. The router
    /// adds the `allow` header.
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    /// 401 `{"detail":"Not authenticated"}` with `WWW-Authenticate: Bearer`: no bearer token.
    #[error("Not authenticated")]
    NotAuthenticated,
    /// 401 `{"detail":"Unauthorized"}`: a bearer token, but not the right one.
    #[error("Unauthorized")]
    Unauthorized,
    /// 413 `{"detail":"Request body too large: limit is N bytes"}`.
    #[error("Request body too large: limit is {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// 422 `{"detail":[...]}`: the request body is not what the route takes. Each error's `loc`
    /// starts with `"body"`.
    #[error("invalid request body: {} problem(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// Any status with `{"detail": "<message>"}` (for example 400 for an unreadable body, or 404
    /// for an unknown run).
    #[error("{message}")]
    Detail {
        /// The status to answer with.
        status: StatusCode,
        /// The `detail` text.
        message: String,
    },
    /// Any status with `{"error": "<message>"}`: the work itself failed (a tool returned an
    /// error or panicked, a run failed...). 500 unless said otherwise.
    #[error("{message}")]
    Failed {
        /// The status to answer with.
        status: StatusCode,
        /// The `error` text.
        message: String,
    },
}

impl ApiError {
    /// A 500 `{"error": message}`.
    pub fn failed(message: impl Into<String>) -> Self {
        ApiError::Failed {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }

    /// `{"detail": message}` with `status`.
    pub fn detail(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError::Detail {
            status,
            message: message.into(),
        }
    }

    /// A 422 with one error about the body itself (`loc: ["body"]`).
    pub fn body_error(kind: &'static str, msg: impl Into<String>, input: Value) -> Self {
        ApiError::Validation(vec![FieldError {
            kind: kind.into(),
            loc: vec![Loc::Key("body".to_owned())],
            msg: msg.into(),
            input,
            ctx: None,
        }])
    }

    /// A 422 from errors whose `loc` is relative to the body: `"body"` is put in front of each.
    pub fn invalid_body(errors: Vec<FieldError>) -> Self {
        ApiError::invalid_in("body", errors)
    }

    /// A 422 from errors whose `loc` is relative to a part of the request (`"body"`,
    /// `"query"`, ...): `part` is put in front of each.
    pub fn invalid_in(part: &str, errors: Vec<FieldError>) -> Self {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    e.loc.insert(0, Loc::Key(part.to_owned()));
                    e
                })
                .collect(),
        )
    }

    /// The HTTP status of this answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAuthenticated | ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Detail { status, .. } | ApiError::Failed { status, .. } => *status,
        }
    }

    /// The JSON body of this answer.
    pub fn body(&self) -> Value {
        match self {
            ApiError::Validation(errors) => json!({ "detail": errors }),
            ApiError::Failed { message, .. } => json!({ "error": message }),
            other => json!({ "detail": other.to_string() }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = json_response(status, &self.body());
        if matches!(self, ApiError::NotAuthenticated) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A response with `status`, `content-type: application/json` and `body` serialized compactly.
pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        // Serializing a `Value` (or a struct of them) cannot fail; answer something valid anyway.
        Err(e) => {
            tracing::error!("could not serialize a response body: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                r#"{"error":"internal error: the response could not be serialized"}"#,
            )
                .into_response()
        }
    }
}
