//! The routes of one agency (API.md §2): `get_response`, `get_response_stream`,
//! `cancel_response_stream`, `get_metadata`.

use std::time::Duration;

use agency_core::model::ModelError;
use agency_core::run::RunInput;
use agency_core::{Agency, Agent, RunConfig, RunControl, RunError, RunFailure, Usage, UserContext};
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::cancel::Ticket;
use super::request::{AgencyRequest, CancelRequest};
use super::sse;
use super::state::AgencyState;
use crate::ApiError;
use crate::body::read_json_object;
use crate::error::json_response;

/// How long a cancel waits for the stream to end.
const CANCEL_WAIT: Duration = Duration::from_secs(30);

/// The path of an agency route: `/{route}/{endpoint}`.
pub fn agency_path(route: &str, endpoint: &str) -> String {
    format!("/{route}/{endpoint}")
}

pub(crate) fn router(state: AgencyState) -> Router {
    let route = state.route.clone();
    let s = state.clone();
    let get_response = post(move |req: Request| {
        let s = s.clone();
        async move { guarded(&s, req, get_response).await }
    });
    let s = state.clone();
    let stream = post(move |req: Request| {
        let s = s.clone();
        async move { guarded(&s, req, get_response_stream).await }
    });
    let s = state.clone();
    let cancel = post(move |req: Request| {
        let s = s.clone();
        async move { guarded(&s, req, cancel).await }
    });
    let s = state;
    let metadata = get(move |req: Request| {
        let s = s.clone();
        async move {
            match s.auth.as_ref().map(|a| a.check(req.headers())) {
                Some(Err(e)) => e.into_response(),
                _ => metadata(&s),
            }
        }
    });
    Router::new()
        .route(&agency_path(&route, "get_response"), get_response)
        .route(&agency_path(&route, "get_response_stream"), stream)
        .route(&agency_path(&route, "cancel_response_stream"), cancel)
        .route(&agency_path(&route, "get_metadata"), metadata)
}

/// Auth (before the body is read), then the body as a JSON object, then the handler.
async fn guarded<F, Fut>(state: &AgencyState, req: Request, handler: F) -> Response
where
    F: FnOnce(AgencyState, Map<String, Value>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    if let Some(Err(e)) = state.auth.as_ref().map(|a| a.check(req.headers())) {
        return e.into_response();
    }
    match read_json_object(req, state.body_limit).await {
        Ok(body) => handler(state.clone(), body).await,
        Err(e) => e.into_response(),
    }
}

/// A validated request, a fresh agency, and the run's configuration.
struct Prepared {
    agency: Agency,
    request: AgencyRequest,
    input: RunInput,
    config: RunConfig,
}

fn prepare(state: &AgencyState, body: &Map<String, Value>) -> Result<Prepared, ApiError> {
    let mut request =
        AgencyRequest::parse(body, &state.template).map_err(ApiError::invalid_body)?;
    if !request.file_ids.is_empty() || !request.file_urls.is_empty() {
        return Err(ApiError::Failed {
            status: StatusCode::BAD_REQUEST,
            message: "Error downloading file from provided urls: file attachments (file_ids, file_urls) are not supported by this server yet".to_owned(),
        });
    }
    let agency = (state.factory)()
        .map_err(|e| ApiError::failed(format!("the agency could not be built: {e}")))?;
    let input = request
        .message
        .take()
        .unwrap_or(RunInput::Text(String::new()));
    let mut config = RunConfig::default()
        .client(state.client.overridden_by(&request.client_config))
        .history(std::mem::take(&mut request.chat_history))
        .user_context(UserContext::from_map(std::mem::take(
            &mut request.user_context,
        )));
    config.model = state.model.clone();
    config.additional_instructions = request.additional_instructions.take();
    config.chat_id = request.chat_id.take();
    Ok(Prepared {
        agency,
        request,
        input,
        config,
    })
}

/// The status and body of a failed run: 502 when the model API failed or could not be reached,
/// 504 when it timed out, 500 otherwise.
pub(crate) fn run_error(error: &RunError) -> ApiError {
    let status = match error {
        RunError::Model(ModelError::Timeout(_)) => StatusCode::GATEWAY_TIMEOUT,
        RunError::Model(_) => StatusCode::BAD_GATEWAY,
        RunError::UnknownAgent { .. } | RunError::InvalidHistory(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::Failed {
        status,
        message: error.to_string(),
    }
}

async fn get_response(state: AgencyState, body: Map<String, Value>) -> Response {
    let p = match prepare(&state, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let recipient = p.request.recipient_agent.clone();
    let namer = p
        .request
        .generate_chat_name
        .then(|| (p.input.clone(), p.config.clone()));
    match p.agency.run(p.input, recipient.as_deref(), p.config).await {
        Ok(out) => {
            let mut usage = out.usage;
            let mut body = json!({
                "response": out.final_output,
                "new_messages": out.new_items,
            });
            if let Some((input, config)) = namer
                && let Some((name, cost)) = chat_name(&p.agency, input, config).await
            {
                usage.add(&cost);
                body["chat_name"] = Value::String(name);
            }
            body["usage"] = json!(usage);
            json_response(StatusCode::OK, &body)
        }
        Err(RunFailure { error, .. }) => {
            tracing::warn!(agency = %state.route, "run failed: {error}");
            run_error(&error).into_response()
        }
    }
}

async fn get_response_stream(state: AgencyState, body: Map<String, Value>) -> Response {
    let mut p = match prepare(&state, &body) {
        Ok(p) => p,
        Err(ApiError::Failed { message, status }) if status == StatusCode::BAD_REQUEST => {
            return sse::failure(message);
        }
        Err(e) => return e.into_response(),
    };
    let run_id = uuid::Uuid::new_v4().to_string();
    let control = RunControl::new();
    p.config.control = control.clone();
    state.registry.register(&state.route, &run_id, control);
    let ticket = Ticket {
        registry: state.registry.clone(),
        agency: state.route.clone(),
        run_id,
        finished: false,
    };
    // The name is asked for once the run has ended, when the run's control has fired (its
    // stream is gone): the naming call gets a control of its own.
    let namer: sse::Namer = p.request.generate_chat_name.then(|| {
        let (agency, input) = (p.agency.clone(), p.input.clone());
        let mut config = p.config.clone();
        config.control = RunControl::new();
        Box::pin(async move { chat_name(&agency, input, config).await }) as _
    });
    let run = p
        .agency
        .run_streamed(p.input, p.request.recipient_agent.as_deref(), p.config);
    sse::response(run, ticket, namer)
}

async fn cancel(state: AgencyState, body: Map<String, Value>) -> Response {
    let request = match CancelRequest::parse(&body) {
        Ok(r) => r,
        Err(errors) => return ApiError::invalid_body(errors).into_response(),
    };
    let outcome = state
        .registry
        .cancel(
            &state.route,
            &request.run_id,
            request.cancel_mode,
            CANCEL_WAIT,
        )
        .await;
    match outcome {
        None => ApiError::detail(
            StatusCode::NOT_FOUND,
            format!("Run '{}' not found or already completed", request.run_id),
        )
        .into_response(),
        Some(outcome) => json_response(
            StatusCode::OK,
            &json!({
                "ok": true,
                "run_id": request.run_id,
                "cancelled": true,
                "cancel_mode": request.cancel_mode,
                "new_messages": outcome.new_messages,
                "timed_out": outcome.timed_out,
            }),
        ),
    }
}

fn metadata(state: &AgencyState) -> Response {
    let mut graph = super::layout::metadata(&state.template);
    graph["allowed_local_file_dirs"] = Value::Null;
    json_response(StatusCode::OK, &graph)
}

/// A 2–6 word name for the conversation, from one short model call; `None` if it fails.
async fn chat_name(agency: &Agency, input: RunInput, config: RunConfig) -> Option<(String, Usage)> {
    let model = agency.agent(agency.default_recipient())?.model();
    let namer = Agent::builder("ChatNamer")
        .instructions(
            "Write a title of two to six words for a conversation that starts with the user's \
             message below. Answer with the title only, without quotes or punctuation at the end.",
        )
        .model(model)
        .max_turns(1)
        .build();
    let mut config = config;
    config.history = Vec::new();
    config.chat_id = None;
    config.additional_instructions = None;
    match namer.run(input, config).await {
        Ok(out) => {
            let text = out
                .final_output
                .as_str()?
                .trim()
                .trim_matches(['"', '\'', '.'])
                .to_owned();
            let words: Vec<&str> = text.split_whitespace().take(6).collect();
            (!words.is_empty()).then(|| (words.join(" "), out.usage))
        }
        Err(e) => {
            tracing::warn!("could not generate a chat name: {}", e.error);
            None
        }
    }
}
