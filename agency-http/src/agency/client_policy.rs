//! What a request's `client_config` may change of the model client, and what it may not.
//!
//! The operator's configuration (environment, command line, builder) is trusted; a request's is
//! not. A request that names a `base_url` must bring its own `api_key` (the server's key only
//! goes to the server's own URL), the URL must pass the server's [`Egress`] rule, and a `model`
//! must be one of `allowed_models` when that list is set.

use agency_core::model::{ClientConfig, Egress, EgressError, HeaderError};
use agency_core::{FieldError, Loc};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::request::{RequestClientConfig, replace_property, value_error};
use crate::ApiError;

/// Why a request's `client_config` is refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Refusal {
    /// 422: what the document already says (a `base_url` without `api_key`, a URL outside the
    /// rule's pattern, a model outside `allowed_models`).
    Invalid(Vec<FieldError>),
    /// 403: a URL of the right form whose host is, or resolves to, an internal address.
    Forbidden(String),
    /// 502: the host of `base_url` does not resolve.
    Unreachable(String),
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        match refusal {
            Refusal::Invalid(errors) => ApiError::invalid_body(errors),
            Refusal::Forbidden(message) => ApiError::detail(StatusCode::FORBIDDEN, message),
            Refusal::Unreachable(message) => ApiError::Failed {
                status: StatusCode::BAD_GATEWAY,
                message,
            },
        }
    }
}

/// The server's rule for request-chosen model clients. Cloning is cheap.
///
/// ```
/// use agency_http::agency::ClientPolicy;
/// use agency_core::model::Egress;
///
/// let policy = ClientPolicy::new(Egress::default(), Some(vec!["gpt-4.1-mini".into()]));
/// assert_eq!(policy.allowed_models(), Some(&["gpt-4.1-mini".to_owned()][..]));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientPolicy {
    egress: Egress,
    models: Option<Vec<String>>,
}

impl ClientPolicy {
    /// A rule: where request-chosen base URLs may point, and which models a request may pick
    /// (`None`: any).
    pub fn new(egress: Egress, allowed_models: Option<Vec<String>>) -> Self {
        ClientPolicy {
            egress,
            models: allowed_models,
        }
    }

    /// The models a request may pick, if restricted.
    pub fn allowed_models(&self) -> Option<&[String]> {
        self.models.as_deref()
    }

    /// Checks a request's `client_config` and turns it into the override to put over the
    /// server's configuration. What the document says is a 422 with every problem located under
    /// `client_config`; an internal address a 403; a host that does not resolve a 502.
    pub async fn admit(&self, config: RequestClientConfig) -> Result<ClientConfig, Refusal> {
        let mut errors = Vec::new();
        let mut egress = None;
        if let Some(url) = &config.base_url {
            if config.api_key.is_none() {
                errors.push(error(
                    "api_key",
                    "a request that sets client_config.base_url must send its own client_config.api_key: the server's key is only sent to the server's own model API",
                    Value::Null,
                ));
            }
            match self.egress.check(url).await {
                Ok(_) => egress = Some(self.egress.clone()),
                Err(e @ EgressError::Internal { .. }) if errors.is_empty() => {
                    return Err(Refusal::Forbidden(format!("client_config.base_url: {e}")));
                }
                Err(e @ EgressError::Unresolved { .. }) if errors.is_empty() => {
                    return Err(Refusal::Unreachable(format!(
                        "the model API at {url} could not be reached: {e}"
                    )));
                }
                Err(EgressError::Internal { .. } | EgressError::Unresolved { .. }) => {}
                Err(e) => errors.push(error("base_url", &e.to_string(), json!(url))),
            }
        }
        if let (Some(model), Some(allowed)) = (&config.model, &self.models)
            && !allowed.iter().any(|m| m == model)
        {
            let msg = match allowed.is_empty() {
                true => "this server does not let a request choose the model".to_owned(),
                false => format!(
                    "model '{model}' is not allowed here; allowed: {}",
                    allowed.join(", ")
                ),
            };
            errors.push(error("model", &msg, json!(model)));
        }
        let mut client = ClientConfig::from(config);
        for problem in client.header_errors() {
            let (loc, input) = match &problem {
                HeaderError::Name(name) | HeaderError::Value(name) => (
                    vec![key("default_headers"), key(name)],
                    json!(client.default_headers.get(name)),
                ),
                _ => (vec![key("api_key")], Value::Null),
            };
            let mut loc_full = vec![key("client_config")];
            loc_full.extend(loc);
            errors.push(value_error(loc_full, &problem.to_string(), input));
        }
        if !errors.is_empty() {
            return Err(Refusal::Invalid(errors));
        }
        client.egress = egress;
        Ok(client)
    }
}

impl ClientPolicy {
    /// Writes the rule into the document's schema of `client_config` (`schema`, an object
    /// schema): `base_url` gets the rule's `pattern` (or may only be `null`), `model` the
    /// allowed models as an enum, and a `base_url` requires an `api_key`. So a request the
    /// document calls valid is refused only for what no schema can say (where a host resolves).
    pub fn document(&self, schema: &mut Value) {
        let base_url = match self.egress.url_pattern() {
            Some(pattern) => json!({"anyOf": [
                {"type": "string", "format": "uri", "pattern": pattern},
                {"type": "null"},
            ]}),
            None => json!({"type": "null"}),
        };
        replace_property(schema, "base_url", base_url);
        if let Some(models) = &self.models {
            let model = json!({"anyOf": [{"type": "string", "enum": models}, {"type": "null"}]});
            replace_property(schema, "model", model);
        }
        // What an HTTP header can carry (the server refuses the rest with 422).
        if let Some(Value::Object(api_key)) = schema.pointer_mut("/properties/api_key") {
            api_key.insert("pattern".into(), json!("^[!-~]*$"));
        }
        if let Some(Value::Object(headers)) = schema.pointer_mut("/properties/default_headers") {
            headers.insert(
                "propertyNames".into(),
                json!({"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"}),
            );
            headers.insert(
                "additionalProperties".into(),
                json!({"type": "string", "pattern": "^[\t -~]*$"}),
            );
        }
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "anyOf".into(),
                json!([
                    {"properties": {"base_url": {"type": "null"}}},
                    {"properties": {"api_key": {"type": "string"}}, "required": ["api_key"]},
                ]),
            );
        }
    }
}

fn error(field: &str, msg: &str, input: Value) -> FieldError {
    value_error(vec![key("client_config"), key(field)], msg, input)
}

fn key(k: &str) -> Loc {
    Loc::Key(k.to_owned())
}
