//! The OpenAI-compatible routes (`ServerOptions::enable_openai`, on by default): every agency is
//! a model that Open WebUI, LibreChat, the OpenAI SDKs and any other OpenAI client can talk to.
//!
//! - `GET /v1/models`: the agencies (their route names) and `agency/agent` for each agent.
//! - `POST /v1/chat/completions`: Chat Completions, streaming or not.
//! - `POST /v1/responses`: the Responses API, streaming or not.
//!
//! The request's conversation is the run's history, its trailing user messages the turn. The
//! agency's own tool calls, delegations and handoffs stay inside: the reply is its final answer
//! (streamed: the text its top-level agents write), the usage every model call of the run. A
//! request's `client_config` (the OpenAI SDKs send it with `extra_body`) goes through the
//! server's client policy as on the agency routes, and the bearer token is checked the same way.
//! Errors have OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.

mod answer;
mod chat;
mod error;
mod models;
mod openapi;
mod responses;
mod turn;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequest, Request};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use error::{ErrorBody, ErrorObject, OpenAiError};

pub(crate) use openapi::add_to_openapi;

use crate::agency::{RequestClientConfig, SharedAgency};
use crate::body::{BodyLimit, JsonObject};

/// What the `/v1` routes share.
pub(crate) struct V1 {
    agencies: Vec<SharedAgency>,
    body_limit: usize,
    /// When the server started (each model's `created`).
    created: u32,
}

type SharedV1 = Arc<V1>;

impl FromRef<SharedV1> for BodyLimit {
    fn from_ref(v1: &SharedV1) -> BodyLimit {
        BodyLimit(v1.body_limit)
    }
}

/// The `/v1` routes of `agencies`.
pub(crate) fn router(agencies: &[SharedAgency], body_limit: usize) -> Router {
    let v1 = Arc::new(V1 {
        agencies: agencies.to_vec(),
        body_limit,
        created: now(),
    });
    Router::new()
        .route("/v1/models", get(models::list))
        .route("/v1/chat/completions", post(chat::completions))
        .route("/v1/responses", post(responses::create))
        .with_state(v1)
}

/// Now, in seconds since the Unix epoch.
fn now() -> u32 {
    u32::try_from(agency_core::item::now_micros() / 1_000_000).unwrap_or(u32::MAX)
}

/// A JSON object body, read with the server's limit; anything else is a 400 (413 past the
/// limit).
struct Body(Map<String, Value>);

impl FromRequest<SharedV1> for Body {
    type Rejection = OpenAiError;

    async fn from_request(req: Request, v1: &SharedV1) -> Result<Self, OpenAiError> {
        let JsonObject(body) = JsonObject::from_request(req, v1).await?;
        Ok(Body(body))
    }
}

/// Reads `body` as `T`, OpenAI's request type; what does not fit is a 400 naming the field.
fn parse<T: DeserializeOwned>(body: Map<String, Value>) -> Result<T, OpenAiError> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
        let param = e.path().to_string();
        OpenAiError::invalid(format!("{param}: {}", e.inner()), Some(&param))
    })
}

/// Takes the request's `client_config` (an extension of OpenAI's body) out of `body`.
fn client_config(
    body: &mut Map<String, Value>,
) -> Result<Option<RequestClientConfig>, OpenAiError> {
    match body.remove("client_config") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_path_to_error::deserialize(value)
            .map(Some)
            .map_err(|e| {
                let param = format!("client_config.{}", e.path());
                OpenAiError::invalid(format!("{param}: {}", e.inner()), Some(&param))
            }),
    }
}
