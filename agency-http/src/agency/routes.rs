//! The routes of one agency: `get_response`, `get_response_stream`, `cancel_response_stream`,
//! `get_metadata`. Auth is a layer in front of them (see `server`), so it is checked before a
//! body is read.

use std::collections::BTreeMap;

use agency_core::model::ModelError;
use agency_core::run::RunInput;
use agency_core::{Agency, RunConfig, RunControl, RunError, RunFailure, RunOutput, UserContext};
use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::request::{AgencyRequest, CancelRequest};
use super::response::{AgencyResponse, CancelResponse};
use super::runs::{RunKey, RunRegistryError};
use super::sse;
use super::state::SharedAgency;
use crate::body::JsonObject;
use crate::error::json_response;
use crate::{ApiError, Principal};
use agency_core::thread::ChatRef;

/// The path of an agency route: `/{route}/{endpoint}`.
pub fn agency_path(route: &str, endpoint: &str) -> String {
    format!("/{route}/{endpoint}")
}

pub(crate) fn router(state: SharedAgency) -> Router {
    if state.common.agui {
        return super::agui::router(state);
    }
    let path = |endpoint| agency_path(&state.route, endpoint);
    let chats = match state.common.threads {
        Some(_) => super::chats::router(state.clone()),
        None => Router::new(),
    };
    Router::new()
        .route(&path("get_response"), post(get_response))
        .route(&path("get_response_stream"), post(get_response_stream))
        .route(&path("cancel_response_stream"), post(cancel))
        .route(&path("get_metadata"), get(metadata))
        .route(&path("runs/{run_id}/stream"), get(super::resume::resume))
        .with_state(state)
        .merge(chats)
}

/// A request body validated for the agency of the route; refused with the [`ApiError`] (422
/// with every field error, or what [`JsonObject`] refuses).
struct Valid<T>(T);

impl FromRequest<SharedAgency> for Valid<AgencyRequest> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SharedAgency) -> Result<Self, ApiError> {
        let JsonObject(body) = JsonObject::from_request(req, state).await?;
        let request = state.requests.parse(body).map_err(ApiError::invalid_body)?;
        Ok(Valid(request))
    }
}

impl FromRequest<SharedAgency> for Valid<CancelRequest> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SharedAgency) -> Result<Self, ApiError> {
        let JsonObject(body) = JsonObject::from_request(req, state).await?;
        let request = CancelRequest::parse(body).map_err(ApiError::invalid_body)?;
        Ok(Valid(request))
    }
}

/// A fresh agency and the run's input and configuration.
pub(crate) struct Prepared {
    pub(crate) agency: Agency,
    /// The stored chat the run continues.
    pub(crate) chat: Option<ChatRef>,
    pub(crate) recipient: Option<String>,
    pub(crate) generate_chat_name: bool,
    pub(crate) input: RunInput,
    /// `file_urls` name → uploaded id, when `file_urls` was given.
    pub(crate) file_ids_map: Option<BTreeMap<String, String>>,
    pub(crate) config: RunConfig,
}

/// The client policy applied, files attached, the agency built and the run configured: what
/// every route that starts a run from an [`AgencyRequest`] does first. `streaming`: the chat is
/// checked before the run starts (a stream cannot answer 404 later).
pub(crate) async fn prepare(
    state: &SharedAgency,
    principal: &Principal,
    request: AgencyRequest,
    streaming: bool,
) -> Result<Prepared, ApiError> {
    let AgencyRequest {
        message,
        chat_history,
        recipient_agent,
        file_ids,
        file_urls,
        additional_instructions,
        user_context,
        client_config,
        generate_chat_name,
        chat_id,
    } = request;
    let common = &state.common;
    let client = match client_config {
        Some(c) => common.policy.admit(c).await?,
        None => Default::default(),
    };
    let run_client = common.client.overridden_by(&client);
    let mut attachments =
        crate::files::attach_for_request(&common.files, &run_client, file_ids, file_urls).await?;
    let agency = (state.factory)()
        .map_err(|e| ApiError::failed(format!("the agency could not be built: {e}")))?;
    let mut config = RunConfig::default()
        .client(run_client)
        .history(chat_history.unwrap_or_default())
        .user_context(UserContext::from_map(user_context.unwrap_or_default()))
        .run_timeout(common.run_timeout)
        .tool_timeout(common.tool_timeout)
        .states(common.states.clone())
        .control(RunControl::child_of(&common.shutdown));
    config.model = common.model.clone();
    config.additional_instructions = additional_instructions;
    config.code_interpreter_files = std::mem::take(&mut attachments.code_interpreter);
    config.observer = Some(common.metrics.clone());
    let chat = match chat_id {
        Some(id) => Some(super::chats::resolve(state, principal, id, streaming).await?),
        None => None,
    };
    config.chat = chat.clone();
    Ok(Prepared {
        agency,
        chat,
        recipient: recipient_agent,
        generate_chat_name: generate_chat_name.unwrap_or(false),
        input: attachments.apply(message.into()),
        file_ids_map: attachments.file_ids_map.take(),
        config,
    })
}

/// The status and body of a failed run: 502 when the model API failed or could not be reached,
/// 504 when it or the run timed out, 500 otherwise.
pub(crate) fn run_error(error: &RunError) -> ApiError {
    let status = match error {
        RunError::Model(ModelError::Timeout(_)) | RunError::DeadlineExceeded(_) => {
            StatusCode::GATEWAY_TIMEOUT
        }
        RunError::Model(_) => StatusCode::BAD_GATEWAY,
        RunError::UnknownAgent { .. } | RunError::InvalidHistory(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        RunError::ChatNotFound(id) => return super::chats::not_found(id),
        RunError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::Failed {
        status,
        message: error.to_string(),
    }
}

async fn get_response(
    State(state): State<SharedAgency>,
    principal: Principal,
    Valid(request): Valid<AgencyRequest>,
) -> Result<Response, ApiError> {
    let mut p = prepare(&state, &principal, request, false).await?;
    p.config.run_id = Some(uuid::Uuid::new_v4().to_string());
    let namer = p
        .generate_chat_name
        .then(|| (p.input.clone(), p.config.clone()));
    let out = run_to_end(&state, &p.agency, p.input, p.recipient.as_deref(), p.config).await?;
    let mut answer = AgencyResponse {
        response: out.final_output,
        new_messages: out.new_items,
        usage: out.usage,
        chat_name: None,
        chat_id: p.chat.as_ref().map(|c| c.key.id.clone()),
        file_ids_map: p.file_ids_map,
    };
    if let Some((input, config)) = namer
        && let Some((name, cost)) = p.agency.chat_name(input, config).await
    {
        answer.usage.add(&cost);
        if let Some(chat) = &p.chat {
            super::chats::keep_name(chat, &name).await;
        }
        answer.chat_name = Some(name);
    }
    Ok(json_response(StatusCode::OK, &answer))
}

/// Runs to the end, the run's outcome counted; a failure as [`run_error`] says, a run the
/// shutdown stopped as 503.
pub(crate) async fn run_to_end(
    state: &SharedAgency,
    agency: &Agency,
    input: RunInput,
    recipient: Option<&str>,
    config: RunConfig,
) -> Result<RunOutput, ApiError> {
    settle(state, agency.run(input, recipient, config).await)
}

/// How a run ended, counted in the metrics: a failure as [`run_error`] says, a run the shutdown
/// stopped as 503.
pub(crate) fn settle(
    state: &SharedAgency,
    result: Result<RunOutput, RunFailure>,
) -> Result<RunOutput, ApiError> {
    let out = result.map_err(|RunFailure { error, .. }| {
        state.common.metrics.run_ended(&state.route, "failed");
        run_error(&error)
    })?;
    let outcome = if out.cancelled {
        "cancelled"
    } else {
        "completed"
    };
    state.common.metrics.run_ended(&state.route, outcome);
    if out.cancelled && state.common.shutdown.is_cancelled() {
        return Err(ApiError::Failed {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the server is shutting down: the run was stopped before its answer; send the request again (to another instance)".to_owned(),
        });
    }
    Ok(out)
}

async fn get_response_stream(
    State(state): State<SharedAgency>,
    principal: Principal,
    Valid(request): Valid<AgencyRequest>,
) -> Response {
    let mut p = match prepare(&state, &principal, request, true).await {
        Ok(p) => p,
        Err(ApiError::Failed { message, status }) if status == StatusCode::BAD_REQUEST => {
            return sse::failure(message);
        }
        Err(e) => return e.into_response(),
    };
    let key = RunKey::new(state.route.clone(), uuid::Uuid::new_v4().to_string());
    p.config.run_id = Some(key.run_id.clone());
    let common = &state.common;
    common
        .registry
        .register(&key, principal.name(), p.config.control.clone())
        .await;
    // The name is asked for once the run has ended, when the run's control has fired (its
    // stream is gone): the naming call gets a control of its own.
    let namer: sse::Namer = p.generate_chat_name.then(|| {
        let (agency, input) = (p.agency.clone(), p.input.clone());
        let mut config = p.config.clone();
        config.control = RunControl::child_of(&state.common.shutdown);
        Box::pin(async move { agency.chat_name(input, config).await }) as _
    });
    let run = p
        .agency
        .run_streamed(p.input, p.recipient.as_deref(), p.config);
    sse::response(
        run,
        sse::Started {
            registry: common.registry.clone(),
            key,
            namer,
            chat: p.chat,
            file_ids_map: p.file_ids_map,
            cancel_on_disconnect: common.cancel_on_disconnect,
            tracker: common.tracker.clone(),
            metrics: common.metrics.clone(),
        },
    )
}

async fn cancel(
    State(state): State<SharedAgency>,
    principal: Principal,
    Valid(request): Valid<CancelRequest>,
) -> Result<Response, ApiError> {
    let mode = request.cancel_mode.unwrap_or_default();
    let key = RunKey::new(state.route.clone(), request.run_id);
    let common = &state.common;
    let not_found = |e| super::resume::registry_error(&key.run_id, e, " or already completed");
    // An id no run can have is not looked up (nor sent to a shared registry).
    if !super::resume::plausible(&key.run_id) {
        return Err(not_found(RunRegistryError::NotFound));
    }
    let outcome = common
        .registry
        .cancel(&key, principal.name(), mode, common.cancel_wait)
        .await
        .map_err(not_found)?;
    let answer = CancelResponse {
        ok: true,
        run_id: key.run_id,
        cancelled: true,
        cancel_mode: mode,
        new_messages: outcome.new_messages,
        timed_out: outcome.timed_out,
    };
    Ok(json_response(StatusCode::OK, &answer))
}

pub(super) async fn metadata(State(state): State<SharedAgency>) -> Response {
    let dirs = state.common.files.local_dirs_now();
    if dirs.is_empty() {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            state.metadata.clone(),
        )
            .into_response();
    }
    let mut body: serde_json::Value = serde_json::from_slice(&state.metadata).unwrap_or_default();
    body["allowed_local_file_dirs"] = serde_json::json!(dirs);
    json_response(StatusCode::OK, &body)
}
