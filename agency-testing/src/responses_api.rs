//! Rendering a reply as an OpenAI Responses API response and its stream events.

use serde_json::{Map, Value, json};

use crate::ids::IdGen;
use crate::recorded::RecordedRequest;
use crate::reply::{Output, Reply};
use crate::usage::estimate_tokens;

/// A rendered Responses turn: the final object and the stream events leading to it.
pub(crate) struct ResponsesTurn {
    /// The complete `Response` object (status `completed`), the non-streaming answer.
    pub(crate) response: Value,
    /// The stream events, from `response.created` to `response.completed`.
    pub(crate) events: Vec<Value>,
}

/// Renders `reply` as the answer to `request`.
pub(crate) fn render(
    reply: &Reply,
    request: &RecordedRequest,
    ids: &IdGen,
    now: u64,
) -> ResponsesTurn {
    let id = ids.next("resp");
    let model = reply
        .model
        .clone()
        .or_else(|| request.model().map(str::to_owned))
        .unwrap_or_else(|| "gpt-4o".to_owned());
    let mut events = Events::default();
    let shell = |status: &str, output: Vec<Value>, usage: Value, completed_at: Value| {
        response_object(
            &id,
            &model,
            request,
            now,
            status,
            output,
            usage,
            completed_at,
        )
    };

    events.push(
        "response.created",
        json!({"response": shell("in_progress", vec![], Value::Null, Value::Null)}),
    );
    events.push(
        "response.in_progress",
        json!({"response": shell("in_progress", vec![], Value::Null, Value::Null)}),
    );
    let mut output = Vec::new();
    for (index, part) in reply.outputs().iter().enumerate() {
        let item = match part {
            Output::Text(chunks) => events.message(ids, index, chunks),
            Output::Call(call) => {
                let call_id = call.call_id.clone();
                events.function_call(ids, index, &call.name, call_id, &call.argument_chunks())
            }
        };
        output.push(item);
    }
    let input = request.body.get("input").cloned().unwrap_or(Value::Null);
    let usage = reply
        .usage
        .resolve(estimate_tokens(&input), reply.estimated_output_tokens())
        .responses_json();
    let response = shell("completed", output, usage, json!(now));
    events.push("response.completed", json!({"response": response.clone()}));
    ResponsesTurn {
        response,
        events: events.list,
    }
}

/// Stream events under construction, numbered in order.
#[derive(Default)]
struct Events {
    list: Vec<Value>,
}

impl Events {
    /// Appends an event of `kind` with `fields`, after `type` and `sequence_number`.
    fn push(&mut self, kind: &str, fields: Value) {
        let mut event = Map::new();
        event.insert("type".into(), json!(kind));
        event.insert("sequence_number".into(), json!(self.list.len()));
        if let Value::Object(fields) = fields {
            event.extend(fields);
        }
        self.list.push(Value::Object(event));
    }

    /// The events of an assistant message at `index`; returns the finished item.
    fn message(&mut self, ids: &IdGen, index: usize, chunks: &[String]) -> Value {
        let item_id = ids.next("msg");
        let text = chunks.concat();
        let message = |status: &str, content: Vec<Value>| json!({"id": item_id, "type": "message", "status": status, "content": content, "role": "assistant"});
        let part = |text: &str| json!({"type": "output_text", "annotations": [], "logprobs": [], "text": text});
        let at = json!({"item_id": item_id, "output_index": index, "content_index": 0});
        let with = |extra: Value| merge(&at, extra);

        self.push(
            "response.output_item.added",
            json!({"output_index": index, "item": message("in_progress", vec![])}),
        );
        self.push(
            "response.content_part.added",
            with(json!({"part": part("")})),
        );
        for chunk in chunks {
            self.push(
                "response.output_text.delta",
                with(json!({"delta": chunk, "logprobs": []})),
            );
        }
        self.push(
            "response.output_text.done",
            with(json!({"text": text, "logprobs": []})),
        );
        self.push(
            "response.content_part.done",
            with(json!({"part": part(&text)})),
        );
        let done = message("completed", vec![part(&text)]);
        self.push(
            "response.output_item.done",
            json!({"output_index": index, "item": done.clone()}),
        );
        done
    }

    /// The events of a function call at `index`; returns the finished item.
    fn function_call(
        &mut self,
        ids: &IdGen,
        index: usize,
        name: &str,
        call_id: Option<String>,
        chunks: &[String],
    ) -> Value {
        let item_id = ids.next("fc");
        let call_id = call_id.unwrap_or_else(|| ids.next("call"));
        let arguments = chunks.concat();
        let item = |status: &str, arguments: &str| {
            json!({"id": item_id, "type": "function_call", "status": status,
                   "arguments": arguments, "call_id": call_id, "name": name})
        };
        let at = json!({"item_id": item_id, "output_index": index});

        self.push(
            "response.output_item.added",
            json!({"output_index": index, "item": item("in_progress", "")}),
        );
        for chunk in chunks {
            self.push(
                "response.function_call_arguments.delta",
                merge(&at, json!({"delta": chunk})),
            );
        }
        self.push(
            "response.function_call_arguments.done",
            merge(&at, json!({"name": name, "arguments": arguments})),
        );
        let done = item("completed", &arguments);
        self.push(
            "response.output_item.done",
            json!({"output_index": index, "item": done.clone()}),
        );
        done
    }
}

/// `base` with the fields of `extra` appended.
fn merge(base: &Value, extra: Value) -> Value {
    let mut merged = base.as_object().cloned().unwrap_or_default();
    if let Value::Object(extra) = extra {
        merged.extend(extra);
    }
    Value::Object(merged)
}

/// A `Response` object echoing the request's settings, as OpenAI returns it.
#[allow(clippy::too_many_arguments)]
fn response_object(
    id: &str,
    model: &str,
    request: &RecordedRequest,
    created_at: u64,
    status: &str,
    output: Vec<Value>,
    usage: Value,
    completed_at: Value,
) -> Value {
    let echo = |field: &str, default: Value| {
        request
            .body
            .get(field)
            .filter(|value| !value.is_null())
            .cloned()
            .unwrap_or(default)
    };
    json!({
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": false,
        "completed_at": completed_at,
        "error": null,
        "incomplete_details": null,
        "instructions": echo("instructions", Value::Null),
        "max_output_tokens": echo("max_output_tokens", Value::Null),
        "max_tool_calls": null,
        "model": model,
        "output": output,
        "parallel_tool_calls": echo("parallel_tool_calls", json!(true)),
        "previous_response_id": echo("previous_response_id", Value::Null),
        "prompt_cache_key": echo("prompt_cache_key", Value::Null),
        "reasoning": echo("reasoning", json!({"effort": null, "summary": null})),
        "safety_identifier": null,
        "service_tier": "default",
        "store": echo("store", json!(true)),
        "temperature": echo("temperature", json!(1.0)),
        "text": echo("text", json!({"format": {"type": "text"}, "verbosity": "medium"})),
        "tool_choice": echo("tool_choice", json!("auto")),
        "tools": echo("tools", json!([])),
        "top_logprobs": 0,
        "top_p": echo("top_p", json!(1.0)),
        "truncation": echo("truncation", json!("disabled")),
        "usage": usage,
        "user": null,
        "metadata": echo("metadata", json!({})),
    })
}
