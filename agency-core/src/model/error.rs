use std::time::Duration;

/// Why a model call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No API key was configured.
    #[error(
        "no OpenAI API key: set the OPENAI_API_KEY environment variable, or send client_config.api_key with the request (or point OPENAI_BASE_URL at a server that needs no key)"
    )]
    MissingApiKey,
    /// The model API answered with an error status.
    #[error("the model API answered {status}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The API's error message.
        message: String,
    },
    /// The model API could not be reached.
    #[error("the model API at {url} could not be reached: {reason}")]
    Unreachable {
        /// The base URL tried.
        url: String,
        /// Why.
        reason: String,
    },
    /// The model API did not answer in time.
    #[error("the model API did not answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The model reported a failed response (`response.failed` / `error` events).
    #[error("the model failed to respond: {0}")]
    Failed(String),
    /// The model API sent something that could not be understood.
    #[error("the model API sent an unexpected answer: {0}")]
    Protocol(String),
    /// The client configuration is invalid (a header that is not valid HTTP, ...).
    #[error("invalid model client configuration: {0}")]
    Config(String),
}

impl ModelError {
    /// The kind of failure in `snake_case` (OpenTelemetry's `error.type` of a model call, a
    /// metric label): `missing_api_key`, `api`, `unreachable`, `timeout`, `failed`, `protocol`
    /// or `config`.
    ///
    /// ```
    /// use agency_core::model::ModelError;
    ///
    /// assert_eq!(ModelError::Failed("overloaded".into()).kind(), "failed");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            ModelError::MissingApiKey => "missing_api_key",
            ModelError::Api { .. } => "api",
            ModelError::Unreachable { .. } => "unreachable",
            ModelError::Timeout(_) => "timeout",
            ModelError::Failed(_) => "failed",
            ModelError::Protocol(_) => "protocol",
            ModelError::Config(_) => "config",
        }
    }
}
