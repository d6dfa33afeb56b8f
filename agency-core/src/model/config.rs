use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Egress;

/// Which OpenAI API a model is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelApi {
    /// The Responses API (OpenAI's own; the default).
    #[default]
    Responses,
    /// Chat Completions, for OpenAI-compatible servers (Ollama, vLLM, LiteLLM...).
    ChatCompletions,
}

/// How to reach the model API. Every field is optional; [`ClientConfig::from_env`] reads the
/// defaults from the environment and a request's `client_config` overrides them.
///
/// The key goes with the URL: a configuration that overrides `base_url` takes neither the
/// `api_key` nor the `default_headers` of the one it overrides, so credentials never leave for
/// an address someone else chose. `Debug` prints keys and header values redacted.
///
/// ```
/// use agency_core::model::ClientConfig;
///
/// let base = ClientConfig { api_key: Some("sk-env".into()), ..ClientConfig::default() };
/// let model = ClientConfig { model: Some("gpt-4.1-mini".into()), ..ClientConfig::default() };
/// assert_eq!(base.overridden_by(&model).api_key.as_deref(), Some("sk-env"));
///
/// let elsewhere = ClientConfig { base_url: Some("http://127.0.0.1:11434/v1".into()), ..ClientConfig::default() };
/// let merged = base.overridden_by(&elsewhere);
/// assert_eq!(merged.api_key, None); // the server's key stays home
/// assert_eq!(merged.base_url.as_deref(), Some("http://127.0.0.1:11434/v1"));
/// assert!(!format!("{base:?}").contains("sk-env"));
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// API base URL (default `https://api.openai.com/v1`; env `OPENAI_BASE_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// API key (env `OPENAI_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Extra headers sent with every model request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_headers: BTreeMap<String, String>,
    /// A model name every agent uses instead of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Which API to call (env `AGENCY_MODEL_API` = `responses` | `chat_completions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ModelApi>,
    /// Retries on 429, 5xx and connection errors, with exponential backoff (default 3; env
    /// `AGENCY_MODEL_MAX_RETRIES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<usize>,
    /// How long to wait for the API's first byte, and then between two events (default 120 s;
    /// env `AGENCY_MODEL_TIMEOUT` in seconds).
    #[serde(skip)]
    pub timeout: Option<Duration>,
    /// Set when `base_url` was chosen by someone the operator does not trust (a request): model
    /// calls then go through a client that enforces this rule on connect and on every redirect.
    #[serde(skip)]
    pub egress: Option<Egress>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field(
                "default_headers",
                &self
                    .default_headers
                    .keys()
                    .map(|k| (k, REDACTED))
                    .collect::<BTreeMap<_, _>>(),
            )
            .field("model", &self.model)
            .field("api", &self.api)
            .field("max_retries", &self.max_retries)
            .field("timeout", &self.timeout)
            .field("egress", &self.egress)
            .finish()
    }
}

/// A key or header of a [`ClientConfig`] that cannot go into an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The API key has characters an `Authorization` header cannot carry.
    #[error("the API key has characters an HTTP header cannot carry (only visible ASCII)")]
    ApiKey,
    /// A header name that is not a valid HTTP header name.
    #[error("'{0}' is not a valid HTTP header name")]
    Name(String),
    /// A header value that is not a valid HTTP header value.
    #[error("the value of header '{0}' has characters an HTTP header cannot carry")]
    Value(String),
}

/// What `Debug` prints instead of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// The default base URL.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

impl ClientConfig {
    /// The configuration from `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `AGENCY_MODEL_API`,
    /// `AGENCY_MODEL_MAX_RETRIES` and `AGENCY_MODEL_TIMEOUT` (unset or empty: default).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        ClientConfig {
            base_url: var("OPENAI_BASE_URL"),
            api_key: var("OPENAI_API_KEY"),
            default_headers: BTreeMap::new(),
            model: None,
            api: var("AGENCY_MODEL_API").and_then(|v| match v.trim() {
                "chat" | "chat_completions" | "chat-completions" => Some(ModelApi::ChatCompletions),
                "responses" => Some(ModelApi::Responses),
                other => {
                    tracing::warn!("AGENCY_MODEL_API={other} is not `responses` or `chat_completions`; using responses");
                    None
                }
            }),
            max_retries: var("AGENCY_MODEL_MAX_RETRIES").and_then(|v| v.trim().parse().ok()),
            timeout: var("AGENCY_MODEL_TIMEOUT")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64),
            egress: None,
        }
    }

    /// `self` with every field that `other` sets replaced; headers are merged (other wins).
    ///
    /// When `other` sets `base_url`, its `api_key` and `default_headers` are the only ones kept:
    /// `self`'s credentials are for `self`'s URL.
    pub fn overridden_by(&self, other: &ClientConfig) -> ClientConfig {
        let moved = other.base_url.is_some();
        let mut headers = match moved {
            true => BTreeMap::new(),
            false => self.default_headers.clone(),
        };
        headers.extend(other.default_headers.clone());
        let own_key = (!moved).then(|| self.api_key.clone()).flatten();
        ClientConfig {
            base_url: other.base_url.clone().or_else(|| self.base_url.clone()),
            api_key: other.api_key.clone().or(own_key),
            default_headers: headers,
            model: other.model.clone().or_else(|| self.model.clone()),
            api: other.api.or(self.api),
            max_retries: other.max_retries.or(self.max_retries),
            timeout: other.timeout.or(self.timeout),
            egress: match moved {
                true => other.egress.clone(),
                false => self.egress.clone(),
            },
        }
    }

    /// Checks that the key and the headers can be sent: every problem found.
    ///
    /// ```
    /// use agency_core::model::{ClientConfig, HeaderError};
    ///
    /// let bad = ClientConfig { api_key: Some("sk-\n".into()), ..ClientConfig::default() };
    /// assert_eq!(bad.header_errors(), [HeaderError::ApiKey]);
    /// ```
    pub fn header_errors(&self) -> Vec<HeaderError> {
        use reqwest::header::{HeaderName, HeaderValue};
        let mut errors = Vec::new();
        if let Some(key) = &self.api_key
            && HeaderValue::from_str(&format!("Bearer {key}")).is_err()
        {
            errors.push(HeaderError::ApiKey);
        }
        for (name, value) in &self.default_headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err() {
                errors.push(HeaderError::Name(name.clone()));
            } else if HeaderValue::from_str(value).is_err() {
                errors.push(HeaderError::Value(name.clone()));
            }
        }
        errors
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.base_url.as_deref().unwrap_or(OPENAI_BASE_URL)
    }
}
