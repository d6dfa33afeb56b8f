use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
/// ```
/// use agency_core::model::ClientConfig;
///
/// let base = ClientConfig { api_key: Some("sk-env".into()), ..ClientConfig::default() };
/// let request = ClientConfig { base_url: Some("http://127.0.0.1:11434/v1".into()), ..ClientConfig::default() };
/// let merged = base.overridden_by(&request);
/// assert_eq!(merged.api_key.as_deref(), Some("sk-env"));
/// assert_eq!(merged.base_url.as_deref(), Some("http://127.0.0.1:11434/v1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
}

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
        }
    }

    /// `self` with every field that `other` sets replaced; headers are merged (other wins).
    pub fn overridden_by(&self, other: &ClientConfig) -> ClientConfig {
        let mut headers = self.default_headers.clone();
        headers.extend(other.default_headers.clone());
        ClientConfig {
            base_url: other.base_url.clone().or_else(|| self.base_url.clone()),
            api_key: other.api_key.clone().or_else(|| self.api_key.clone()),
            default_headers: headers,
            model: other.model.clone().or_else(|| self.model.clone()),
            api: other.api.or(self.api),
            max_retries: other.max_retries.or(self.max_retries),
            timeout: other.timeout.or(self.timeout),
        }
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.base_url.as_deref().unwrap_or(OPENAI_BASE_URL)
    }
}
