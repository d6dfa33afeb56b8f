//! Chat Completions: Responses input items → chat messages, and chat chunks → Responses events.

use std::collections::BTreeMap;

use futures::{Stream, StreamExt};
use serde_json::{Map, Value, json};

use super::{ModelError, ModelRequest, ResponseSynth};

/// The Chat Completions request body for `request`.
pub(crate) fn request_body(request: &ModelRequest) -> Value {
    let mut messages = Vec::new();
    if let Some(instructions) = &request.instructions {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    messages.extend(to_messages(&request.input));
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(true));
    let s = &request.settings;
    if s.include_usage != Some(false) {
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(crate::Tool::chat_completions_definition)
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        if let Some(parallel) = s.parallel_tool_calls {
            body.insert("parallel_tool_calls".into(), json!(parallel));
        }
        if let Some(choice) = &s.tool_choice {
            let choice = match choice.as_str() {
                "auto" | "required" | "none" => json!(choice),
                name => json!({"type": "function", "function": {"name": name}}),
            };
            body.insert("tool_choice".into(), choice);
        }
    }
    if let Some(t) = s.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = s.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(m) = s.max_output_tokens {
        body.insert("max_completion_tokens".into(), json!(m));
    }
    if let Some(effort) = &s.reasoning_effort {
        body.insert("reasoning_effort".into(), json!(effort));
    }
    if let Some(out) = &request.output_schema {
        body.insert(
            "response_format".into(),
            json!({"type": "json_schema", "json_schema": {"name": out.name, "schema": out.schema, "strict": out.strict}}),
        );
    }
    Value::Object(body)
}

/// Responses input items as chat messages; consecutive function calls join one assistant message.
fn to_messages(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        match crate::item::kind(item) {
            "function_call" => {
                let call = json!({
                    "id": item.get("call_id"), "type": "function",
                    "function": {"name": item.get("name"), "arguments": item.get("arguments")},
                });
                let joined = out.last_mut().and_then(|last| {
                    let open = last.get("role") == Some(&json!("assistant"))
                        && last.get("tool_calls").is_some();
                    if open {
                        last.get_mut("tool_calls")?.as_array_mut()
                    } else {
                        None
                    }
                });
                match joined {
                    Some(calls) => calls.push(call),
                    None => out
                        .push(json!({"role": "assistant", "content": null, "tool_calls": [call]})),
                }
            }
            "function_call_output" => out.push(json!({
                "role": "tool", "tool_call_id": item.get("call_id"),
                "content": item.get("output").map(crate::item::output_string).unwrap_or_default(),
            })),
            "message" => {
                let role = item.get("role").and_then(Value::as_str).unwrap_or("user");
                let role = if role == "developer" { "system" } else { role };
                out.push(json!({"role": role, "content": content(item.get("content"), role)}));
            }
            // Reasoning and other item kinds have no Chat Completions form.
            _ => {}
        }
    }
    out
}

fn content(content: Option<&Value>, role: &str) -> Value {
    let Some(Value::Array(parts)) = content else {
        return content.cloned().unwrap_or(Value::Null);
    };
    if role != "user" {
        // Assistant and system content must be text.
        let text: String = parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect();
        return Value::String(text);
    }
    let parts = parts
        .iter()
        .filter_map(|p| match p.get("type").and_then(Value::as_str) {
            Some("input_text" | "output_text" | "text") => {
                Some(json!({"type": "text", "text": p.get("text")}))
            }
            Some("input_image") => {
                let url = p.get("image_url").cloned().unwrap_or(Value::Null);
                Some(json!({"type": "image_url", "image_url": {"url": url}}))
            }
            Some("input_file") => {
                Some(json!({"type": "file", "file": {"file_id": p.get("file_id")}}))
            }
            _ => None,
        })
        .collect();
    Value::Array(parts)
}

#[derive(Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

/// Translates a stream of chat completion chunks into Responses API events.
pub(crate) fn to_response_events<S>(
    chunks: S,
    model: String,
) -> impl Stream<Item = Result<Value, ModelError>> + Send
where
    S: Stream<Item = Result<Value, ModelError>> + Send + 'static,
{
    struct State<S> {
        chunks: std::pin::Pin<Box<S>>,
        synth: ResponseSynth,
        calls: BTreeMap<u64, PendingCall>,
        usage: Value,
        started: bool,
        done: bool,
    }
    let state = State {
        chunks: Box::pin(chunks),
        synth: ResponseSynth::new(&model),
        calls: BTreeMap::new(),
        usage: Value::Null,
        started: false,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        let mut events: Vec<Result<Value, ModelError>> = Vec::new();
        if !st.started {
            st.started = true;
            events.extend(st.synth.start().into_iter().map(Ok));
        }
        match st.chunks.next().await {
            Some(Err(e)) => {
                st.done = true;
                events.push(Err(e));
            }
            Some(Ok(chunk)) => {
                if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
                    st.usage = usage.clone();
                }
                let delta = chunk.pointer("/choices/0/delta");
                if let Some(text) = delta
                    .and_then(|d| d.get("content"))
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                {
                    events.extend(st.synth.text_delta(text).into_iter().map(Ok));
                }
                for call in delta
                    .and_then(|d| d.get("tool_calls"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                    let pending = st.calls.entry(index).or_default();
                    if let Some(id) = call.get("id").and_then(Value::as_str) {
                        pending.id = id.to_owned();
                    }
                    if let Some(f) = call.get("function") {
                        if let Some(name) = f.get("name").and_then(Value::as_str) {
                            pending.name.push_str(name);
                        }
                        if let Some(args) = f.get("arguments").and_then(Value::as_str) {
                            pending.arguments.push_str(args);
                        }
                    }
                }
            }
            None => {
                st.done = true;
                for (_, call) in std::mem::take(&mut st.calls) {
                    let id = if call.id.is_empty() {
                        format!("call_{}", uuid::Uuid::new_v4().simple())
                    } else {
                        call.id
                    };
                    events.extend(
                        st.synth
                            .function_call(&id, &call.name, &call.arguments)
                            .into_iter()
                            .map(Ok),
                    );
                }
                let usage = responses_usage(&st.usage);
                events.extend(st.synth.finish(usage).into_iter().map(Ok));
            }
        }
        Some((futures::stream::iter(events), st))
    })
    .flatten()
}

/// Chat usage field names → Responses ones.
fn responses_usage(usage: &Value) -> Value {
    if usage.is_null() {
        return Value::Null;
    }
    let n = |p: &str| usage.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    json!({
        "input_tokens": n("/prompt_tokens"),
        "input_tokens_details": {"cached_tokens": n("/prompt_tokens_details/cached_tokens")},
        "output_tokens": n("/completion_tokens"),
        "output_tokens_details": {"reasoning_tokens": n("/completion_tokens_details/reasoning_tokens")},
        "total_tokens": n("/total_tokens"),
    })
}
