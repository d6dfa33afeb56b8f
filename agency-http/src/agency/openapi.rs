//! The agency routes in the OpenAPI document: one request schema per agency (its
//! `recipient_agent` an enum of its agents), the bodies generated from their Rust types, and
//! every status each route can answer.

use serde_json::{Map, Value, json};

use super::chats::{ChatList, ChatListQuery, ChatThread};
use super::request::CancelRequest;
use super::response::{AgencyResponse, CancelResponse};
use super::resume::{LAST_EVENT_ID, ResumeQuery};
use super::routes::agency_path;
use super::state::AgencyState;
use crate::openapi::{OpenApiBuilder, names, response};

const METADATA: &str = "AgencyMetadata";

/// One server-sent event of `get_response_stream` (OpenAPI 3.1: the schema of each event).
fn sse_event() -> Value {
    json!({
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {
                "type": "string",
                "enum": ["meta", "message", "messages", "end"],
                "description": "`meta` first, `message` (unnamed) for each run event, `messages` once the run ended, `end` last",
            },
            "data": {
                "type": "string",
                "description": "JSON text: `{\"run_id\", \"chat_id\"?}` (meta), `{\"data\": <event>}` or `{\"error\"}` (message), `{\"new_messages\", \"run_id\", \"usage\"|\"cancelled\", \"chat_id\"?, \"chat_name\"?}` (messages); `[DONE]` for end",
            },
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
    })
}

/// 403: `client_config.base_url` is, or resolves to, an internal address.
fn forbidden() -> Value {
    response(
        "client_config.base_url is, or resolves to, an internal address",
        names::HTTP_ERROR,
    )
}

/// Adds the four routes of the agency `state` serves.
pub(crate) fn add_agency(doc: &mut OpenApiBuilder, state: &AgencyState) {
    if state.common.agui {
        return add_agui(doc, state);
    }
    let route = state.route.as_str();
    // The document also says what the server's client policy allows in `client_config`.
    let mut request_schema = state.requests.schema().clone();
    if let Some(client_config) = request_schema.pointer_mut("/$defs/ClientConfig") {
        state.common.policy.document(client_config);
    }
    let request = doc.add_schema(&format!("{route}Request"), &request_schema);
    let answer = doc.add_type::<AgencyResponse>();
    let cancel_request = doc.add_type::<CancelRequest>();
    let cancel_answer = doc.add_type::<CancelResponse>();
    doc.add_fixed_schema(METADATA, metadata());
    let keeps_chats = state.common.threads.is_some();
    let op = Operation {
        route,
        agency: state.template.name(),
    };
    let mut answered = response("The run's final answer, new messages and usage", &answer);
    if keeps_chats {
        answered["links"] = op.chat_links("$response.body#/chat_id");
    }
    let failed = |what| response(what, names::ERROR_RESPONSE);
    // With stored chats: an unknown `chat_id` is a 404, a store that does not answer a 503.
    let with_chats = |mut answers: Vec<(&'static str, Value)>| {
        if keeps_chats {
            answers.push((
                "404",
                response("No such chat is the caller's", names::HTTP_ERROR),
            ));
            if !answers.iter().any(|(status, _)| *status == "503") {
                answers.push(("503", failed("The conversation store is unavailable")));
            }
        }
        answers
    };
    op.add(
        doc,
        "get_response",
        "Get a response",
        Some(&request),
        with_chats(vec![
            ("200", answered),
            ("400", failed("File attachments are not supported")),
            ("403", forbidden()),
            (
                "500",
                failed("The run failed (out of turns, ...) or the agency could not be built"),
            ),
            (
                "502",
                failed("The model API failed or could not be reached"),
            ),
            (
                "503",
                failed("The server is shutting down (the run was stopped: retry elsewhere), or the conversation store is unavailable"),
            ),
            (
                "504",
                failed("The model API timed out, or the run passed its deadline"),
            ),
        ]),
    );
    let events = json!({
        "description": "Server-sent events: `meta` (the run id), the run's events as `data: {\"data\": ...}`, `messages`, then `end`, each with an `id:` (1 for `meta`, one more per frame: send the last one as `Last-Event-ID` to `runs/{run_id}/stream` to resume). A failed run sends an error event before `messages`; a request with file attachments gets one `data: {\"error\": ...}` frame, then `end`.",
        "content": {"text/event-stream": {"schema": sse_event()}},
    });
    op.add(
        doc,
        "get_response_stream",
        "Stream a response",
        Some(&request),
        with_chats(vec![
            ("200", events.clone()),
            ("403", forbidden()),
            ("500", failed("The agency could not be built")),
            (
                "502",
                failed("client_config.base_url names a host that does not resolve"),
            ),
        ]),
    );
    op.add(
        doc,
        "cancel_response_stream",
        "Cancel a streaming run",
        Some(&cancel_request),
        vec![
            (
                "200",
                response(
                    "The run was cancelled; its completed messages",
                    &cancel_answer,
                ),
            ),
            (
                "404",
                response("No such run is streaming", names::HTTP_ERROR),
            ),
            (
                "503",
                failed("The shared run registry (Redis) is unavailable"),
            ),
        ],
    );
    add_resume(doc, &op, events);
    add_metadata(doc, &op);
    if keeps_chats {
        add_chats(doc, &op);
    }
}

/// AG-UI mode: `get_response_stream` takes a `RunAgentInput` and answers AG-UI events; there is
/// no `get_response` and no `cancel_response_stream` (the client aborts the request).
fn add_agui(doc: &mut OpenApiBuilder, state: &AgencyState) {
    let op = Operation {
        route: &state.route,
        agency: state.template.name(),
    };
    let request = doc.add_type::<super::agui::RunAgentInput>();
    let failed = |what| response(what, names::ERROR_RESPONSE);
    let events = json!({
        "description": "AG-UI events, each a `data:` frame: `RUN_STARTED`, `STATE_SNAPSHOT` (when the client shares a state), `STEP_STARTED`/`STEP_FINISHED` around each agent's turn, `TEXT_MESSAGE_*`, `TOOL_CALL_*` (delegations and handoffs included), `TOOL_CALL_RESULT`, `REASONING_*`, `MESSAGES_SNAPSHOT` after each completed message, then `RUN_FINISHED`, or one `RUN_ERROR` as the last event. AG-UI mode serves no `get_response` and no `cancel_response_stream`: abort the request to cancel the run.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    });
    op.add(
        doc,
        "get_response_stream",
        "Run the agency (AG-UI)",
        Some(&request),
        vec![
            ("200", events),
            (
                "400",
                failed("File attachments are not supported in AG-UI mode"),
            ),
            ("403", forbidden()),
            ("500", failed("The agency could not be built")),
            (
                "502",
                failed("client_config.base_url names a host that does not resolve"),
            ),
        ],
    );
    add_metadata(doc, &op);
}

/// `GET /{a}/get_metadata`, in both modes.
fn add_metadata(doc: &mut OpenApiBuilder, op: &Operation<'_>) {
    op.add(
        doc,
        "get_metadata",
        "Agency metadata",
        None,
        vec![(
            "200",
            response("The agency as a graph of agents and tools", METADATA),
        )],
    );
    doc.add_fixed_schema(METADATA, metadata());
}

/// `GET /{a}/chats`, `GET` and `DELETE /{a}/chats/{chat_id}`.
fn add_chats(doc: &mut OpenApiBuilder, op: &Operation<'_>) {
    let list = doc.add_type::<ChatList>();
    let thread = doc.add_type::<ChatThread>();
    let unavailable = || {
        response(
            "The conversation store is unavailable",
            names::ERROR_RESPONSE,
        )
    };
    let missing = || response("No such chat is the caller's", names::HTTP_ERROR);
    let parameters = query_parameters(ChatListQuery::schema(), &["limit", "after"]);
    let chat_id = json!([{
        "name": "chat_id", "in": "path", "required": true,
        "description": "The chat id (`chat_id` of an answer)",
        "schema": {"type": "string"},
    }]);
    let mut page = response("One page of chats", &list);
    page["links"] = op.chat_links("$response.body#/chats/0/chat_id");
    op.add_read(
        doc,
        ("get", "chats", "list_chats"),
        "The caller's chats, most recently used first",
        Value::Array(parameters),
        vec![
            ("200", page),
            (
                "422",
                response("An invalid query parameter", names::HTTP_VALIDATION_ERROR),
            ),
            ("503", unavailable()),
        ],
    );
    op.add_read(
        doc,
        ("get", "chats/{chat_id}", "get_chat"),
        "A chat and its messages",
        chat_id.clone(),
        vec![
            (
                "200",
                response("The chat and every item of its runs", &thread),
            ),
            ("404", missing()),
            ("503", unavailable()),
        ],
    );
    op.add_read(
        doc,
        ("delete", "chats/{chat_id}", "delete_chat"),
        "Delete a chat",
        chat_id,
        vec![
            (
                "204",
                json!({"description": "The chat and its messages are deleted"}),
            ),
            ("404", missing()),
            ("503", unavailable()),
        ],
    );
}

/// The query parameters of a query type's `schema`, by name (their descriptions moved out of the
/// schemas).
fn query_parameters(schema: &Value, names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .filter_map(|name| {
            let mut schema = schema.pointer(&format!("/properties/{name}"))?.clone();
            let description = schema
                .as_object_mut()
                .and_then(|o| o.remove("description"))
                .unwrap_or_default();
            Some(json!({
                "name": name, "in": "query", "required": false,
                "description": description, "schema": schema,
            }))
        })
        .collect()
}

/// `GET /{a}/runs/{run_id}/stream`: a stream resumed after `Last-Event-ID`.
fn add_resume(doc: &mut OpenApiBuilder, op: &Operation<'_>, events: Value) {
    let mut parameters = vec![json!({
        "name": "run_id", "in": "path", "required": true,
        "description": "The run id (`run_id` of the stream's `meta` frame)",
        "schema": {"type": "string"},
    })];
    parameters.extend(query_parameters(ResumeQuery::schema(), &["last_event_id"]));
    parameters.push(json!({
        "name": LAST_EVENT_ID, "in": "header", "required": false,
        "description": "The `id:` of the last frame the client got (an `EventSource` sends it when it reconnects); the frames after it are sent",
        "schema": {"type": "string", "pattern": "^[0-9]{1,15}$"},
    }));
    let mut resumed = events;
    resumed["description"] = json!(
        "The run's frames after the one named, exactly once and in order, as they come, up to `end` (the same frames, with the same ids, as the stream that started the run)"
    );
    op.add_read(
        doc,
        ("get", "runs/{run_id}/stream", "resume_stream"),
        "Resume a stream after its last frame",
        Value::Array(parameters),
        vec![
            ("200", resumed),
            (
                "404",
                response(
                    "No such run is the caller's (or it ended long ago)",
                    names::HTTP_ERROR,
                ),
            ),
            (
                "410",
                response(
                    "The frames after the one named are no longer kept",
                    names::HTTP_ERROR,
                ),
            ),
            (
                "422",
                response(
                    "An invalid Last-Event-ID or last_event_id",
                    names::HTTP_VALIDATION_ERROR,
                ),
            ),
            (
                "503",
                response(
                    "The shared run registry (Redis) is unavailable",
                    names::ERROR_RESPONSE,
                ),
            ),
        ],
    );
}

/// The operations of one agency.
struct Operation<'a> {
    route: &'a str,
    agency: &'a str,
}

impl Operation<'_> {
    /// Adds `endpoint`: a POST with a JSON body of component `body` (401/413/422 documented
    /// too), or a GET without one (401 documented when auth is on).
    fn add(
        &self,
        doc: &mut OpenApiBuilder,
        endpoint: &str,
        summary: &str,
        body: Option<&str>,
        answers: Vec<(&str, Value)>,
    ) {
        let mut responses = Map::new();
        for (status, answer) in answers {
            responses.insert(status.to_owned(), answer);
        }
        let mut op = json!({
            "tags": [format!("agency: {}", self.agency)],
            "summary": summary,
            "operationId": format!("{}_{endpoint}", self.route),
        });
        let method = match body {
            Some(schema) => {
                doc.add_common_responses(&mut responses);
                op["requestBody"] = json!({
                    "required": true,
                    "content": {"application/json": {"schema": OpenApiBuilder::reference(schema)}},
                });
                "post"
            }
            None => {
                doc.add_auth_response(&mut responses);
                "get"
            }
        };
        op["responses"] = Value::Object(responses);
        doc.add_operation(&agency_path(self.route, endpoint), method, op);
    }
}

impl Operation<'_> {
    /// OpenAPI links from an answer that carries a chat id (at the runtime expression `id`) to
    /// the routes of that chat.
    fn chat_links(&self, id: &str) -> Value {
        json!({
            "GetChat": {"operationId": format!("{}_get_chat", self.route), "parameters": {"chat_id": id}},
            "DeleteChat": {"operationId": format!("{}_delete_chat", self.route), "parameters": {"chat_id": id}},
        })
    }

    /// Adds a route without a body: `(method, endpoint, operation id suffix)`, its parameters
    /// and answers (401 documented when auth is on).
    fn add_read(
        &self,
        doc: &mut OpenApiBuilder,
        (method, endpoint, id): (&str, &str, &str),
        summary: &str,
        parameters: Value,
        answers: Vec<(&str, Value)>,
    ) {
        let mut responses: Map<String, Value> = answers
            .into_iter()
            .map(|(status, answer)| (status.to_owned(), answer))
            .collect();
        doc.add_auth_response(&mut responses);
        let op = json!({
            "tags": [format!("agency: {}", self.agency)],
            "summary": summary,
            "operationId": format!("{}_{id}", self.route),
            "parameters": parameters,
            "responses": responses,
        });
        doc.add_operation(&agency_path(self.route, endpoint), method, op);
    }
}

fn metadata() -> Value {
    json!({
        "title": "AgencyMetadata",
        "type": "object",
        "properties": {
            "nodes": {"type": "array", "items": {"type": "object"}},
            "edges": {"type": "array", "items": {"type": "object"}},
            "metadata": {"type": "object"},
        },
        "required": ["nodes", "edges", "metadata"],
    })
}
