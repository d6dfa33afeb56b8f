//! The `/v1` routes in the OpenAPI document. The bodies are OpenAI's (its own reference
//! documents them in full); the document gives what this server reads of them, with `model` an
//! enum of the agencies and their agents, and every status each route can answer.

use serde_json::{Map, json};

use super::error::ErrorBody;
use crate::agency::SharedAgency;
use crate::openapi::{OpenApiBuilder, response};

const TAG: &str = "OpenAI-compatible";

/// Documents `GET /v1/models`, `POST /v1/chat/completions` and `POST /v1/responses`.
pub(crate) fn add_to_openapi(doc: &mut OpenApiBuilder, agencies: &[SharedAgency]) {
    let models = super::models::ids(agencies);
    let error = doc.add_type::<ErrorBody>();
    let model = json!({
        "type": "string", "enum": models,
        "description": "An agency (its route name), or `agency/agent` to send the turn to that agent",
    });
    let roles = json!(["system", "developer", "user", "assistant"]);
    let message = json!({
        "type": "object",
        "required": ["role", "content"],
        "properties": {
            "role": {"type": "string", "enum": roles},
            "content": {"type": "string"},
        },
    });
    let chat_request = doc.add_schema(
        "ChatCompletionRequest",
        &json!({
            "type": "object",
            "description": "OpenAI's Chat Completions request: the conversation ends with the user's turn. Tool messages, `tools` and `n` > 1 are refused (the agency runs its own tools). `client_config` (the agency routes' model client override) is taken too.",
            "required": ["model", "messages"],
            "properties": {
                "model": model,
                "messages": {"type": "array", "items": message, "minItems": 1},
                "stream": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
            },
        }),
    );
    let responses_request = doc.add_schema(
        "ResponsesRequest",
        &json!({
            "type": "object",
            "description": "OpenAI's Responses request: `input` ends with the user's turn. `previous_response_id`, `conversation` and `tools` are refused (this server keeps no responses; the agency runs its own tools). `client_config` is taken too.",
            "required": ["model", "input"],
            "properties": {
                "model": model,
                "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": message, "minItems": 1}]},
                "instructions": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "stream": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
            },
        }),
    );
    let object = |kind: &str, required: &[&str]| {
        json!({
            "type": "object",
            "required": required,
            "properties": {"object": {"type": "string", "const": kind}},
        })
    };
    let completion = doc.add_schema(
        "ChatCompletion",
        &object(
            "chat.completion",
            &["id", "object", "created", "model", "choices", "usage"],
        ),
    );
    let api_response = doc.add_schema(
        "ResponseObject",
        &object(
            "response",
            &["id", "object", "created_at", "model", "status", "output"],
        ),
    );
    let list = doc.add_schema("ModelList", &object("list", &["object", "data"]));

    let mut answers = Map::new();
    answers.insert(
        "200".into(),
        response("The agencies and their agents, as models", &list),
    );
    doc.add_auth_response(&mut answers);
    let op = json!({
        "tags": [TAG], "summary": "List the models", "operationId": "list_models",
        "responses": answers,
    });
    doc.add_operation("/v1/models", "get", op);

    let run = |doc: &mut OpenApiBuilder,
               path: &str,
               id: &str,
               summary: &str,
               request: &str,
               answer: &str,
               events: &str| {
        let ok = json!({
            "description": format!("The agency's final answer (JSON), or with `stream: true` {events}"),
            "content": {
                "application/json": {"schema": OpenApiBuilder::reference(answer)},
                "text/event-stream": {"schema": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "event": {"type": "string", "description": "The event's `type` (Responses API); absent for Chat Completions"},
                        "data": {"type": "string", "description": "JSON text, or `[DONE]` last (Chat Completions)"},
                    },
                }},
            },
        });
        let failed = |what: &str| response(what, &error);
        let mut answers = Map::new();
        answers.insert("200".into(), ok);
        for (status, what) in [
            (
                "400",
                "The body is not a request this model takes (the `param` says where)",
            ),
            (
                "403",
                "client_config.base_url is, or resolves to, an internal address",
            ),
            ("404", "No agency (or agent) is this model"),
            ("413", "Request body too large"),
            ("500", "The run failed, or the agency could not be built"),
            ("502", "The model API failed or could not be reached"),
            ("503", "The server is shutting down"),
            (
                "504",
                "The model API timed out, or the run passed its deadline",
            ),
        ] {
            answers.insert(status.into(), failed(what));
        }
        // 401 has the agency routes' body (`{"detail": ...}`): auth is the same layer.
        doc.add_auth_response(&mut answers);
        let op = json!({
            "tags": [TAG], "summary": summary, "operationId": id,
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": OpenApiBuilder::reference(request)}},
            },
            "responses": answers,
        });
        doc.add_operation(path, "post", op);
    };
    run(
        doc,
        "/v1/chat/completions",
        "create_chat_completion",
        "Chat with an agency (Chat Completions)",
        &chat_request,
        &completion,
        "`chat.completion.chunk` events, then `[DONE]` (an `{\"error\"}` event if the run fails)",
    );
    run(
        doc,
        "/v1/responses",
        "create_response",
        "Ask an agency (Responses API)",
        &responses_request,
        &api_response,
        "the `response.*` events of one message, ending with `response.completed` (or `response.failed`)",
    );
}
