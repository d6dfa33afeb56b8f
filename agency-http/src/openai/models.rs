//! The models of the `/v1` routes: each agency is one (its route name), and `agency/agent` sends
//! the turn to that agent of it. `GET /v1/models` lists them.

use async_openai::types::models::{ListModelResponse, Model};
use axum::extract::State;
use axum::response::Response;

use super::{OpenAiError, SharedV1};
use crate::agency::SharedAgency;
use crate::error::json_response;

/// The agency (and agent) a request's `model` names.
pub(super) struct Target {
    pub agency: SharedAgency,
    /// The recipient, for `agency/agent`.
    pub agent: Option<String>,
    /// The model id as the client sent it (echoed in the answer).
    pub model: String,
}

/// Every model id: each agency, then `agency/agent` for each of its agents.
pub(super) fn ids(agencies: &[SharedAgency]) -> Vec<String> {
    agencies
        .iter()
        .flat_map(|a| {
            let agents = a
                .template
                .agent_names()
                .iter()
                .map(|agent| format!("{}/{agent}", a.route));
            std::iter::once(a.route.clone()).chain(agents)
        })
        .collect()
}

/// The agency `model` names; an unknown one is a 404 `model_not_found` that lists the models.
pub(super) fn resolve(agencies: &[SharedAgency], model: &str) -> Result<Target, OpenAiError> {
    let (route, agent) = match model.split_once('/') {
        Some((route, agent)) => (route, Some(agent)),
        None => (model, None),
    };
    let found = agencies
        .iter()
        .find(|a| a.route == route)
        .filter(|a| agent.is_none_or(|agent| a.template.agent_names().iter().any(|n| n == agent)));
    match found {
        Some(agency) => Ok(Target {
            agency: agency.clone(),
            agent: agent.map(str::to_owned),
            model: model.to_owned(),
        }),
        None => Err(OpenAiError::model_not_found(model, &ids(agencies))),
    }
}

/// `GET /v1/models`.
pub(super) async fn list(State(v1): State<SharedV1>) -> Response {
    let data = ids(&v1.agencies)
        .into_iter()
        .map(|id| Model {
            id,
            object: "model".to_owned(),
            created: v1.created,
            owned_by: "agency".to_owned(),
            ..Model::default()
        })
        .collect();
    let list = ListModelResponse {
        object: "list".to_owned(),
        data,
    };
    json_response(axum::http::StatusCode::OK, &list)
}
