//! Chat Completions: Responses items → chat messages, and chat chunks → [`ModelEvent`]s.

use std::collections::BTreeMap;

use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::event::{InputTokensDetails, ModelEvent, OutputTokensDetails, TokenUsage};
use super::{EventSynth, ModelError, ModelRequest};
use crate::item::{Content, Item, Part, Role};

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

/// Responses items as chat messages; consecutive function calls join one assistant message.
fn to_messages(items: &[Item]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        match item {
            Item::FunctionCall(call) => {
                let call = json!({
                    "id": call.call_id, "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
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
                    // `""`, not `null`: llama-cpp-python refuses a `null` content (HTTP 500),
                    // and OpenAI takes either.
                    None => {
                        out.push(json!({"role": "assistant", "content": "", "tool_calls": [call]}))
                    }
                }
            }
            Item::FunctionCallOutput(output) => out.push(json!({
                "role": "tool", "tool_call_id": output.call_id, "content": output.output,
            })),
            Item::Message(message) => {
                let role = match message.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                    Role::System | Role::Developer => "system",
                };
                out.push(json!({"role": role, "content": content(&message.content, role)}));
            }
            // Reasoning and other item kinds have no Chat Completions form.
            Item::Reasoning(_) | Item::Other(_) => {}
        }
    }
    out
}

fn content(content: &Content, role: &str) -> Value {
    let parts = match content {
        Content::Text(text) => return Value::String(text.clone()),
        Content::Parts(parts) => parts,
    };
    if role != "user" {
        // Assistant and system content must be text.
        return Value::String(parts.iter().filter_map(Part::text).collect());
    }
    let parts = parts
        .iter()
        .filter_map(|p| match p {
            Part::InputText { text } | Part::OutputText { text, .. } => {
                Some(json!({"type": "text", "text": text}))
            }
            Part::InputImage {
                image_url, file_id, ..
            } => {
                let url = image_url.clone().or_else(|| file_id.clone());
                Some(json!({"type": "image_url", "image_url": {"url": url}}))
            }
            Part::InputFile { file_id, .. } => {
                Some(json!({"type": "file", "file": {"file_id": file_id}}))
            }
            Part::Other(_) => None,
        })
        .collect();
    Value::Array(parts)
}

/// One streamed chat completion chunk: the fields the translation reads.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChatUsage>,
}

#[derive(Debug, Default, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
}

/// The legacy `function_call` some servers send beside `tool_calls` is not read: it repeats
/// the first call (with a name that can differ, e.g. `get_weather:`).
#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Default, Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: u64,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Debug, Default, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct ChatUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<CachedDetails>,
    #[serde(default)]
    completion_tokens_details: Option<ReasoningDetails>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct CachedDetails {
    #[serde(default)]
    cached_tokens: u64,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct ReasoningDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

impl From<ChatUsage> for TokenUsage {
    fn from(u: ChatUsage) -> Self {
        TokenUsage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
            input_tokens_details: Some(InputTokensDetails {
                cached_tokens: u.prompt_tokens_details.map_or(0, |d| d.cached_tokens),
                cache_write_tokens: 0,
            }),
            output_tokens_details: Some(OutputTokensDetails {
                reasoning_tokens: u
                    .completion_tokens_details
                    .map_or(0, |d| d.reasoning_tokens),
            }),
        }
    }
}

/// A tool call being streamed: the deltas of one `index` so far.
#[derive(Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

impl PendingCall {
    /// Adds one delta: the id and name are the first non-empty ones (OpenAI sends them once,
    /// llama-cpp-python repeats them in every delta), the arguments are appended.
    fn add(&mut self, delta: ToolCallDelta) {
        fn first(kept: &mut String, new: Option<String>) {
            if let Some(new) = new
                && kept.is_empty()
            {
                *kept = new;
            }
        }
        first(&mut self.id, delta.id);
        if let Some(f) = delta.function {
            first(&mut self.name, f.name);
            if let Some(args) = f.arguments {
                self.arguments.push_str(&args);
            }
        }
    }
}

/// Translates a stream of chat completion chunks into [`ModelEvent`]s.
pub(crate) fn to_events<S>(
    chunks: S,
    model: String,
) -> impl Stream<Item = Result<ModelEvent, ModelError>> + Send
where
    S: Stream<Item = Result<Chunk, ModelError>> + Send + 'static,
{
    struct State<S> {
        chunks: std::pin::Pin<Box<S>>,
        synth: EventSynth,
        calls: BTreeMap<u64, PendingCall>,
        usage: Option<ChatUsage>,
        started: bool,
        done: bool,
    }
    let state = State {
        chunks: Box::pin(chunks),
        synth: EventSynth::new(&model),
        calls: BTreeMap::new(),
        usage: None,
        started: false,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        let mut events: Vec<Result<ModelEvent, ModelError>> = Vec::new();
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
                if let Some(usage) = chunk.usage {
                    st.usage = Some(usage);
                }
                for choice in chunk.choices.into_iter().take(1) {
                    if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                        events.extend(st.synth.text_delta(&text).into_iter().map(Ok));
                    }
                    for call in choice.delta.tool_calls.into_iter().flatten() {
                        st.calls.entry(call.index).or_default().add(call);
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
                let usage = st.usage.take().map(TokenUsage::from);
                events.extend(st.synth.finish(usage).into_iter().map(Ok));
            }
        }
        Some((futures::stream::iter(events), st))
    })
    .flatten()
}
