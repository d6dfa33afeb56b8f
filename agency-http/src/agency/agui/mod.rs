//! AG-UI mode (`ServerOptions::enable_agui`, `--agui`): `POST /{a}/get_response_stream` takes an
//! AG-UI `RunAgentInput` and answers AG-UI events, so CopilotKit and other AG-UI front ends
//! talk to the agency directly. `get_response` and `cancel_response_stream` are not served (the
//! client aborts the request to cancel).
//!
//! - The user's turn is the trailing user messages of `messages` (or the client's tool results);
//!   what comes before is the history, unless `chat_history` is given. The turn reaches the
//!   model once.
//! - `tools` are offered to the agent beside its own; a call of one ends the run
//!   (`TOOL_CALL_START/ARGS/END`, then `RUN_FINISHED`), and the client's next request, with the
//!   tool's result, continues it.
//! - `state` is shared with the tools ([`ToolContext::shared_state`]): sent as `STATE_SNAPSHOT`
//!   after `RUN_STARTED`, and again whenever a tool changed it.
//! - A failure ends the stream with one `RUN_ERROR`.
//!
//! [`ToolContext::shared_state`]: agency_core::ToolContext::shared_state

mod events;
mod input;

use agency_core::run::RunInput;
use agency_core::{RunConfig, RunControl, RunStream, SharedState, UserContext, validate};
use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::response::Response;
use axum::response::sse::Event;
use axum::routing::{get, post};
use futures::StreamExt;
use serde_json::Value;

pub use events::AguiEvent;
pub use input::{
    AguiFunction, AguiMessage, AguiToolCall, ClientTool, ContextItem, RunAgentInput, UserContent,
};

use super::routes::agency_path;
use super::state::SharedAgency;
use crate::ApiError;
use crate::body::JsonObject;
use events::Translator;

/// The agency's routes in AG-UI mode.
pub(crate) fn router(state: SharedAgency) -> Router {
    let path = |endpoint| agency_path(&state.route, endpoint);
    Router::new()
        .route(&path("get_response_stream"), post(stream))
        .route(&path("get_metadata"), get(super::routes::metadata))
        .with_state(state)
}

/// A `RunAgentInput`, validated (snake_case keys made camelCase first).
struct Input(RunAgentInput);

impl FromRequest<SharedAgency> for Input {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SharedAgency) -> Result<Self, ApiError> {
        let JsonObject(body) = JsonObject::from_request(req, state).await?;
        let body = Value::Object(input::normalize_keys(body));
        validate::parse(body)
            .map(Input)
            .map_err(ApiError::invalid_body)
    }
}

async fn stream(
    State(state): State<SharedAgency>,
    Input(input): Input,
) -> Result<Response, ApiError> {
    let shared = match input.state {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(SharedState::from_map(map)),
        Some(other) => {
            return Err(ApiError::body_error(
                "dict_type",
                "Input should be a valid dictionary (the shared state is a JSON object)",
                other,
            ));
        }
    };
    let conversation =
        input::conversation(&input.messages, input.chat_history).map_err(ApiError::invalid_body)?;
    let common = &state.common;
    let client = match input.client_config {
        Some(c) => common.policy.admit(c).await?,
        None => Default::default(),
    };
    let run_client = common.client.overridden_by(&client);
    let mut attachments = crate::files::attach_for_request(
        &common.files,
        &run_client,
        input.file_ids,
        input.file_urls,
    )
    .await?;
    let agency = (state.factory)()
        .map_err(|e| ApiError::failed(format!("the agency could not be built: {e}")))?;
    let run_id = input
        .run_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let thread_id = input
        .thread_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let instructions: Vec<String> = input
        .additional_instructions
        .into_iter()
        .chain(input::context_instructions(&input.context))
        .collect();
    let mut config = RunConfig::default()
        .client(run_client)
        .history(conversation.history)
        .user_context(UserContext::from_map(
            input.user_context.unwrap_or_default(),
        ))
        .run_timeout(common.run_timeout)
        .tool_timeout(common.tool_timeout)
        .states(common.states.clone())
        .run_id(run_id.clone())
        .control(RunControl::child_of(&common.shutdown));
    config.model = common.model.clone();
    config.observer = Some(common.metrics.clone());
    config.client_tools = input.tools.iter().map(ClientTool::tool).collect();
    config.shared_state = shared.clone().unwrap_or_default();
    config.code_interpreter_files = std::mem::take(&mut attachments.code_interpreter);
    if !instructions.is_empty() {
        config.additional_instructions = Some(instructions.join("\n\n"));
    }
    let input_items = attachments.apply(RunInput::Items(conversation.input));
    let run = agency.run_streamed(input_items, None, config);
    let messages = input
        .messages
        .into_iter()
        .map(AguiMessage::with_id)
        .collect();
    let translator = Translator::new(thread_id, run_id, messages, shared);
    Ok(respond(run, translator, &state))
}

/// Where the stream is.
enum Phase {
    Start(RunStream),
    Events(RunStream),
    Done,
}

/// The SSE response: `RUN_STARTED`, the run's events translated, then `RUN_FINISHED` or one
/// `RUN_ERROR`. The client going away drops the run, which cancels it.
fn respond(run: RunStream, translator: Translator, state: &SharedAgency) -> Response {
    let connected = state.common.metrics.stream_started();
    let metrics = state.common.metrics.clone();
    let agency = state.route.clone();
    let began = std::time::Instant::now();
    let events = futures::stream::unfold(
        (Phase::Start(run), translator),
        move |(phase, mut tr)| {
            let (metrics, agency) = (metrics.clone(), agency.clone());
            async move {
                match phase {
                    Phase::Start(run) => Some((tr.start(), (Phase::Events(run), tr))),
                    Phase::Events(mut run) => match run.next().await {
                        Some(event) => {
                            let out = tr.on(&event);
                            Some((out, (Phase::Events(run), tr)))
                        }
                        None => {
                            let (out, outcome) = match run.finish().await {
                                Ok(out) if out.cancelled => (
                                    tr.fail(
                                        "the run was cancelled (the server is shutting down)"
                                            .to_owned(),
                                        "cancelled",
                                    ),
                                    "cancelled",
                                ),
                                Ok(out) => (tr.finish(out.final_output), "completed"),
                                Err(failure) => (
                                    tr.fail(failure.error.to_string(), failure.error.kind()),
                                    "failed",
                                ),
                            };
                            metrics.run_ended(&agency, outcome);
                            tracing::info!(
                                agency = %agency,
                                outcome,
                                duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX),
                                "AG-UI stream ended"
                            );
                            Some((out, (Phase::Done, tr)))
                        }
                    },
                    Phase::Done => None,
                }
            }
        },
    );
    let frames = events.flat_map(futures::stream::iter).map(move |event| {
        let _connected = &connected;
        Event::default().data(event.to_json())
    });
    super::sse::sse(frames)
}
