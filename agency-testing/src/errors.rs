//! OpenAI-shaped error answers.

use serde_json::{Value, json};

use crate::reply::ApiError;

/// The `{"error": {"message", "type", "param", "code"}}` body of an error.
pub(crate) fn error_body(error: &ApiError) -> Value {
    json!({
        "error": {
            "message": error.message,
            "type": error.kind,
            "param": error.param,
            "code": error.code,
        }
    })
}

/// What OpenAI answers for a path it does not serve.
pub(crate) fn invalid_url(method: &str, path: &str) -> ApiError {
    ApiError {
        status: 404,
        message: format!("Invalid URL ({method} {path})"),
        kind: "invalid_request_error".to_owned(),
        code: None,
        param: None,
    }
}

/// What OpenAI answers for a body that is not a JSON object.
pub(crate) fn invalid_json() -> ApiError {
    ApiError {
        status: 400,
        message: "We could not parse the JSON body of your request. (HINT: This likely means \
                  you aren't using your HTTP library correctly. The OpenAI API expects a JSON \
                  payload, but what was sent was not valid JSON.)"
            .to_owned(),
        kind: "invalid_request_error".to_owned(),
        code: None,
        param: None,
    }
}
