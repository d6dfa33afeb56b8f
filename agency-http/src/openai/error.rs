//! The errors of the `/v1` routes, in OpenAI's shape: `{"error": {"message", "type", "param",
//! "code"}}`, so that OpenAI's clients raise them as they raise OpenAI's own.

use agency_core::Loc;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ApiError;
use crate::error::json_response;

/// An error answer of a `/v1` route.
///
/// ```
/// use agency_http::openai::OpenAiError;
/// use axum::response::IntoResponse;
///
/// let error = OpenAiError::invalid("messages must not be empty", Some("messages"));
/// assert_eq!(error.status(), 400);
/// assert_eq!(error.body().error.kind, "invalid_request_error");
/// assert_eq!(error.into_response().status(), 400);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status}: {}", body.error.message)]
pub struct OpenAiError {
    status: StatusCode,
    body: ErrorBody,
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorObject,
}

/// What went wrong, as OpenAI words it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorObject {
    /// What went wrong and what to do about it.
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
    /// `server_error`...
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault, when there is one (`messages.0.content`).
    pub param: Option<String>,
    /// A machine-readable code (`model_not_found`), when there is one.
    pub code: Option<String>,
}

impl OpenAiError {
    /// An error with this status, type, message, field and code.
    pub fn new(
        status: StatusCode,
        kind: &str,
        message: impl Into<String>,
        param: Option<&str>,
        code: Option<&str>,
    ) -> Self {
        OpenAiError {
            status,
            body: ErrorBody {
                error: ErrorObject {
                    message: message.into(),
                    kind: kind.to_owned(),
                    param: param.map(str::to_owned),
                    code: code.map(str::to_owned),
                },
            },
        }
    }

    /// A 400 `invalid_request_error` about `param`.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        OpenAiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
            param,
            None,
        )
    }

    /// A 404 `model_not_found`: `model` names no agency (or no agent of it).
    pub fn model_not_found(model: &str, available: &[String]) -> Self {
        OpenAiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!(
                "The model '{model}' does not exist: the models are the agencies served here, and 'agency/agent' for one of their agents (GET /v1/models lists them: {})",
                available.join(", ")
            ),
            Some("model"),
            Some("model_not_found"),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl From<ApiError> for OpenAiError {
    /// The server's own errors (a refused `client_config`, a failed run...) with their status; a
    /// body the route cannot read is a 400 here, as OpenAI answers it.
    fn from(error: ApiError) -> Self {
        let (status, param) = match &error {
            ApiError::Validation(errors) => (
                StatusCode::BAD_REQUEST,
                errors.first().map(|e| param_of(&e.loc)),
            ),
            other => (other.status(), None),
        };
        let message = match &error {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", param_of(&e.loc), e.msg))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let kind = match status.as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            s if s >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        OpenAiError::new(status, kind, message, param.as_deref(), None)
    }
}

/// `messages.0.content` from `["body", "messages", 0, "content"]`.
fn param_of(loc: &[Loc]) -> String {
    let parts: Vec<String> = loc
        .iter()
        .filter(|l| !matches!(l, Loc::Key(k) if k == "body"))
        .map(|l| match l {
            Loc::Key(k) => k.clone(),
            Loc::Index(i) => i.to_string(),
        })
        .collect();
    match parts.is_empty() {
        true => "body".to_owned(),
        false => parts.join("."),
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body)
    }
}
