//! Rendering a reply as an OpenAI Chat Completions response and its stream chunks.

use serde_json::{Value, json};

use crate::ids::IdGen;
use crate::quirks::ChatQuirks;
use crate::recorded::RecordedRequest;
use crate::reply::{Output, Reply};
use crate::usage::estimate_tokens;

/// The `system_fingerprint` the fake reports.
const FINGERPRINT: &str = "fp_fake_openai";

/// A rendered Chat Completions turn.
pub(crate) struct ChatTurn {
    /// The `chat.completion` object, the non-streaming answer.
    pub(crate) completion: Value,
    /// The `chat.completion.chunk` objects of the stream (without `[DONE]`).
    pub(crate) chunks: Vec<Value>,
}

/// Renders `reply` as the answer to `request`; `quirks` change the stream only.
pub(crate) fn render(
    reply: &Reply,
    request: &RecordedRequest,
    ids: &IdGen,
    now: u64,
    quirks: ChatQuirks,
) -> ChatTurn {
    let id = ids.next_chat();
    let model = reply
        .model
        .clone()
        .or_else(|| request.model().map(str::to_owned))
        .unwrap_or_else(|| "gpt-4o".to_owned());
    let include_usage = request.body.pointer("/stream_options/include_usage") == Some(&json!(true))
        && !quirks.no_stream_usage;
    let messages = request.body.get("messages").cloned().unwrap_or(Value::Null);
    let usage = reply
        .usage
        .resolve(estimate_tokens(&messages), reply.estimated_output_tokens())
        .chat_json();

    let mut text_chunks: Vec<&String> = Vec::new();
    let mut calls = Vec::new();
    for output in reply.outputs() {
        match output {
            Output::Text(chunks) => text_chunks.extend(chunks),
            Output::Call(call) => {
                let call_id = call.call_id.clone().unwrap_or_else(|| ids.next("call"));
                calls.push((call_id, call));
            }
        }
    }
    let has_text = !text_chunks.is_empty() || calls.is_empty();
    let finish_reason = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };

    let tool_calls: Vec<Value> = calls
        .iter()
        .map(|(call_id, call)| {
            json!({"id": call_id, "type": "function",
                   "function": {"name": call.name, "arguments": call.arguments}})
        })
        .collect();
    let mut message = json!({
        "role": "assistant",
        "content": if has_text { json!(text_chunks.iter().map(|c| c.as_str()).collect::<String>()) } else { Value::Null },
        "refusal": null,
        "annotations": [],
    });
    if !tool_calls.is_empty() {
        message["tool_calls"] = json!(tool_calls);
    }
    let completion = json!({
        "id": id,
        "object": "chat.completion",
        "created": now,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason}],
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    });

    let chunk = |choices: Value| {
        let mut chunk = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": now,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        });
        if include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk
    };
    let delta = |delta: Value, finish: Value| {
        chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]))
    };

    let mut chunks = Vec::new();
    if quirks.null_tool_calls {
        chunks.push(delta(
            json!({"role": "assistant", "content": null, "tool_calls": null, "function_call": null}),
            Value::Null,
        ));
    }
    if has_text {
        chunks.push(delta(
            json!({"role": "assistant", "content": "", "refusal": null}),
            Value::Null,
        ));
        for text in text_chunks {
            chunks.push(delta(json!({"content": text}), Value::Null));
        }
    }
    for (index, (call_id, call)) in calls.iter().enumerate() {
        let header = json!({"index": index, "id": call_id, "type": "function",
                            "function": {"name": call.name, "arguments": ""}});
        // OpenAI: the header with empty arguments, then bare fragments; with repeated
        // headers every fragment carries the header.
        let mut pieces = Vec::new();
        if !quirks.repeat_call_header {
            pieces.push(header.clone());
        }
        for fragment in call.argument_chunks() {
            if quirks.repeat_call_header {
                let mut piece = header.clone();
                piece["function"]["arguments"] = json!(fragment);
                pieces.push(piece);
            } else if !fragment.is_empty() {
                pieces.push(json!({"index": index, "function": {"arguments": fragment}}));
            }
        }
        for piece in pieces {
            let mut body = if chunks.is_empty() {
                json!({"role": "assistant", "content": null, "refusal": null})
            } else {
                json!({})
            };
            if quirks.legacy_function_call {
                body["function_call"] =
                    json!({"name": call.name, "arguments": piece["function"]["arguments"]});
            }
            body["tool_calls"] = json!([piece]);
            chunks.push(delta(body, Value::Null));
        }
    }
    chunks.push(delta(json!({}), json!(finish_reason)));
    if include_usage {
        let mut last = chunk(json!([]));
        last["usage"] = usage;
        chunks.push(last);
    }
    ChatTurn { completion, chunks }
}
