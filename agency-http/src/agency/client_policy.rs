//! What a request's `client_config` may change of the model client, and what it may not.
//!
//! The operator's configuration (environment, command line, builder) is trusted; a request's is
//! not. A request that names a `base_url` must bring its own `api_key` (the server's key only
//! goes to the server's own URL), the URL must pass the server's [`Egress`] rule, and a `model`
//! must be one of `allowed_models` when that list is set.

use agency_core::model::{ClientConfig, Egress};
use agency_core::{FieldError, Loc};
use serde_json::{Value, json};

use super::request::{RequestClientConfig, value_error};

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
    /// server's configuration; every problem as a field error located under `client_config`.
    pub async fn admit(
        &self,
        config: RequestClientConfig,
    ) -> Result<ClientConfig, Vec<FieldError>> {
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
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut client = ClientConfig::from(config);
        client.egress = egress;
        Ok(client)
    }
}

fn error(field: &str, msg: &str, input: Value) -> FieldError {
    let loc = vec![Loc::Key("client_config".into()), Loc::Key(field.into())];
    value_error(loc, msg, input)
}
