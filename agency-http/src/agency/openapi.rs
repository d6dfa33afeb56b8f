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
    let request = doc.add_schema(&format!("{route}Request"), &request_schema(agency));
    let tag = json!([format!("agency: {}", agency.name())]);
    let body = |schema: &str| json!({"required": true, "content": {"application/json": {"schema": OpenApiBuilder::reference(schema)}}});

    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        response(
            "The run's final answer, new messages and usage",
            AGENCY_RESPONSE,
        ),
    );
    doc.add_common_responses(&mut responses);
    responses.insert(
        "400".into(),
        response("File attachments are not supported", names::ERROR_RESPONSE),
    );
    responses.insert(
        "500".into(),
        response("The run failed (out of turns, ...)", names::ERROR_RESPONSE),
    );
    responses.insert(
        "502".into(),
        response(
            "The model API failed or could not be reached",
            names::ERROR_RESPONSE,
        ),
    );
    responses.insert(
        "504".into(),
        response("The model API timed out", names::ERROR_RESPONSE),
    );
    doc.add_operation(
        &agency_path(route, "get_response"),
        "post",
        json!({
            "tags": tag, "summary": "Get a response", "operationId": format!("{route}_get_response"),
            "description": format!("Sends a message to an agent of agency '{}' and answers when the run ends.", agency.name()),
            "requestBody": body(&request), "responses": responses,
        }),
    );

    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "Server-sent events: `meta` (the run id), the run's events as `data: {\"data\": ...}`, `messages`, then `end`. A failed run sends an error event before `messages`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }),
    );
    doc.add_common_responses(&mut responses);
    responses.insert(
        "500".into(),
        response("The agency could not be built", names::ERROR_RESPONSE),
    );
    doc.add_operation(
        &agency_path(route, "get_response_stream"),
        "post",
        json!({
            "tags": tag, "summary": "Stream a response", "operationId": format!("{route}_get_response_stream"),
            "requestBody": body(&request), "responses": responses,
        }),
    );

    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        response(
            "The run was cancelled; its completed messages",
            CANCEL_RESPONSE,
        ),
    );
    doc.add_common_responses(&mut responses);
    responses.insert(
        "404".into(),
        response("No such run is streaming", names::HTTP_ERROR),
    );
    doc.add_operation(
        &agency_path(route, "cancel_response_stream"),
        "post",
        json!({
            "tags": tag, "summary": "Cancel a streaming run", "operationId": format!("{route}_cancel_response_stream"),
            "requestBody": body(CANCEL_REQUEST), "responses": responses,
        }),
    );

    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        response("The agency as a graph of agents and tools", METADATA),
    );
    doc.add_auth_response(&mut responses);
    doc.add_operation(
        &agency_path(route, "get_metadata"),
        "get",
        json!({
            "tags": tag, "summary": "Agency metadata", "operationId": format!("{route}_get_metadata"),
            "responses": responses,
        }),
    );
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
