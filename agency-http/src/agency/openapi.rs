//! The agency routes in the OpenAPI document (API.md §12): one request schema per agency, with
//! `recipient_agent` an enum of its agents, and every status each route can answer.

use agency_core::Agency;
use serde_json::{Map, Value, json};

use super::routes::agency_path;
use crate::openapi::{OpenApiBuilder, names, response};

const CLIENT_CONFIG: &str = "ClientConfig";
const CANCEL_REQUEST: &str = "CancelRequest";
const CANCEL_RESPONSE: &str = "CancelResponse";
const AGENCY_RESPONSE: &str = "AgencyResponse";
const USAGE: &str = "Usage";
const METADATA: &str = "AgencyMetadata";

/// Adds the four routes of `agency` (served under `route`).
pub(crate) fn add_agency(doc: &mut OpenApiBuilder, agency: &Agency, route: &str) {
    let shared = [
        (CLIENT_CONFIG, client_config()),
        (CANCEL_REQUEST, cancel_request()),
        (CANCEL_RESPONSE, cancel_response()),
        (USAGE, usage()),
        (AGENCY_RESPONSE, agency_response()),
        (METADATA, metadata()),
    ];
    for (name, schema) in shared {
        doc.add_fixed_schema(name, schema);
    }
    // Written with component references already: added as is.
    let request = format!("{route}Request");
    doc.add_fixed_schema(&request, request_schema(agency));
    let op = Operation {
        route,
        agency: agency.name(),
    };
    let failed = |what| response(what, names::ERROR_RESPONSE);
    op.add(
        doc,
        "get_response",
        "Get a response",
        Some(&request),
        vec![
            (
                "200",
                response(
                    "The run's final answer, new messages and usage",
                    AGENCY_RESPONSE,
                ),
            ),
            ("400", failed("File attachments are not supported")),
            ("500", failed("The run failed (out of turns, ...)")),
            (
                "502",
                failed("The model API failed or could not be reached"),
            ),
            ("504", failed("The model API timed out")),
        ],
    );
    let events = json!({
        "description": "Server-sent events: `meta` (the run id), the run's events as `data: {\"data\": ...}`, `messages`, then `end`. A failed run sends an error event before `messages`.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    });
    op.add(
        doc,
        "get_response_stream",
        "Stream a response",
        Some(&request),
        vec![
            ("200", events),
            ("500", failed("The agency could not be built")),
        ],
    );
    op.add(
        doc,
        "cancel_response_stream",
        "Cancel a streaming run",
        Some(CANCEL_REQUEST),
        vec![
            (
                "200",
                response(
                    "The run was cancelled; its completed messages",
                    CANCEL_RESPONSE,
                ),
            ),
            (
                "404",
                response("No such run is streaming", names::HTTP_ERROR),
            ),
        ],
    );
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

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn request_schema(agency: &Agency) -> Value {
    json!({
        "title": format!("{} request", agency.name()),
        "type": "object",
        "properties": {
            "message": {
                "description": "The user's turn: a text, or Responses input messages (input_text, input_image, input_file parts).",
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "minItems": 1, "items": {"type": "object", "additionalProperties": true}},
                ],
            },
            "chat_history": nullable(json!({
                "type": "array", "items": {"type": "object", "additionalProperties": true},
                "description": "The conversation so far: earlier new_messages, concatenated.",
            })),
            "recipient_agent": nullable(json!({"type": "string", "enum": agency.agent_names()})),
            "file_ids": nullable(json!({"type": "array", "items": {"type": "string"}, "maxItems": 0})),
            "file_urls": nullable(json!({"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 0})),
            "additional_instructions": nullable(json!({"type": "string"})),
            "user_context": nullable(json!({"type": "object", "additionalProperties": true})),
            "client_config": nullable(OpenApiBuilder::reference(CLIENT_CONFIG)),
            "generate_chat_name": nullable(json!({"type": "boolean"})),
            "chat_id": nullable(json!({"type": "string", "description": "Keep the conversation server-side under this id (agencies with a thread store)."})),
        },
        "required": ["message"],
    })
}

fn client_config() -> Value {
    let s = || nullable(json!({"type": "string"}));
    json!({
        "title": "ClientConfig",
        "type": "object",
        "description": "A model client override for this request only.",
        "properties": {
            "base_url": s(), "api_key": s(), "model": s(),
            "default_headers": nullable(json!({"type": "object", "additionalProperties": {"type": "string"}})),
            "litellm_keys": nullable(json!({"type": "object", "additionalProperties": {"type": "string"}})),
        },
    })
}

fn cancel_request() -> Value {
    json!({
        "title": "CancelRequest",
        "type": "object",
        "properties": {
            "run_id": {"type": "string", "description": "The run id of the stream's meta event."},
            "cancel_mode": nullable(json!({"type": "string", "enum": ["immediate", "after_turn"]})),
        },
        "required": ["run_id"],
    })
}

fn cancel_response() -> Value {
    json!({
        "title": "CancelResponse",
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"}, "run_id": {"type": "string"}, "cancelled": {"type": "boolean"},
            "cancel_mode": {"type": "string", "enum": ["immediate", "after_turn"]},
            "new_messages": {"type": "array", "items": {"type": "object"}},
            "timed_out": {"type": "boolean"},
        },
        "required": ["ok", "run_id", "cancelled", "cancel_mode", "new_messages", "timed_out"],
    })
}

fn usage() -> Value {
    let n = || json!({"type": "integer", "minimum": 0});
    json!({
        "title": "Usage",
        "type": "object",
        "properties": {
            "request_count": n(), "cached_tokens": n(), "cache_write_tokens": n(), "input_tokens": n(),
            "output_tokens": n(), "total_tokens": n(), "reasoning_tokens": n(),
            "total_cost": {"type": "number", "minimum": 0},
        },
        "required": ["request_count", "cached_tokens", "cache_write_tokens", "input_tokens", "output_tokens", "total_tokens", "total_cost"],
    })
}

fn agency_response() -> Value {
    json!({
        "title": "AgencyResponse",
        "type": "object",
        "properties": {
            "response": {"description": "The final answer: a text, or the structured output."},
            "new_messages": {"type": "array", "items": {"type": "object"}},
            "usage": OpenApiBuilder::reference(USAGE),
            "chat_name": {"type": "string"},
        },
        "required": ["response", "new_messages", "usage"],
    })
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
