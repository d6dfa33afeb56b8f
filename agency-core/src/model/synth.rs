use serde_json::{Value, json};

/// Writes a Responses API event stream: the events OpenAI sends, in its order, for a response
/// made of text and function calls.
///
/// The Chat Completions back end and [`crate::model::ScriptedModel`] use it so that every model
/// yields the same events.
///
/// ```
/// use agency_core::model::ResponseSynth;
///
/// let mut synth = ResponseSynth::new("gpt-4o");
/// let mut events = synth.start();
/// events.extend(synth.text_delta("Hello"));
/// events.extend(synth.finish(serde_json::json!({"input_tokens": 3, "output_tokens": 1, "total_tokens": 4})));
/// let types: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
/// assert_eq!(types.first(), Some(&"response.created"));
/// assert_eq!(types.last(), Some(&"response.completed"));
/// assert_eq!(events.last().unwrap()["response"]["output"][0]["content"][0]["text"], "Hello");
/// ```
#[derive(Debug, Clone)]
pub struct ResponseSynth {
    response_id: String,
    model: String,
    sequence: u64,
    output: Vec<Value>,
    text: Option<(String, String)>,
}

impl ResponseSynth {
    /// A synthesizer for one response of `model`.
    pub fn new(model: &str) -> Self {
        ResponseSynth {
            response_id: format!("resp_{}", uuid::Uuid::new_v4().simple()),
            model: model.to_owned(),
            sequence: 0,
            output: Vec::new(),
            text: None,
        }
    }

    fn event(&mut self, mut event: Value) -> Value {
        if let Value::Object(map) = &mut event {
            map.insert("sequence_number".into(), json!(self.sequence));
        }
        self.sequence += 1;
        event
    }

    fn response(&self, status: &str, usage: Value) -> Value {
        json!({
            "id": self.response_id,
            "object": "response",
            "created_at": crate::item::now_micros() / 1_000_000,
            "status": status,
            "model": self.model,
            "output": self.output,
            "usage": usage,
        })
    }

    /// `response.created` and `response.in_progress`.
    pub fn start(&mut self) -> Vec<Value> {
        let created = self.response("in_progress", Value::Null);
        vec![
            self.event(json!({"type": "response.created", "response": created.clone()})),
            self.event(json!({"type": "response.in_progress", "response": created})),
        ]
    }

    /// A piece of the answer's text (opens the message item on the first piece).
    pub fn text_delta(&mut self, delta: &str) -> Vec<Value> {
        let mut events = Vec::new();
        if self.text.is_none() {
            let item_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            let index = self.output.len();
            events.push(self.event(json!({
                "type": "response.output_item.added",
                "output_index": index,
                "item": {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []},
            })));
            events.push(self.event(json!({
                "type": "response.content_part.added",
                "item_id": item_id, "output_index": index, "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
            })));
            self.text = Some((item_id, String::new()));
        }
        let index = self.output.len();
        let Some((item_id, text)) = self.text.as_mut() else {
            return events;
        };
        text.push_str(delta);
        let item_id = item_id.clone();
        events.push(self.event(json!({
            "type": "response.output_text.delta",
            "item_id": item_id, "output_index": index, "content_index": 0,
            "delta": delta, "logprobs": [],
        })));
        events
    }

    fn close_text(&mut self) -> Vec<Value> {
        let Some((item_id, text)) = self.text.take() else {
            return Vec::new();
        };
        let index = self.output.len();
        let part = json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []});
        let item = json!({
            "id": item_id, "type": "message", "role": "assistant", "status": "completed",
            "content": [part.clone()],
        });
        let events = vec![
            self.event(json!({
                "type": "response.output_text.done",
                "item_id": item_id, "output_index": index, "content_index": 0,
                "text": text, "logprobs": [],
            })),
            self.event(json!({
                "type": "response.content_part.done",
                "item_id": item_id, "output_index": index, "content_index": 0, "part": part,
            })),
            self.event(json!({"type": "response.output_item.done", "output_index": index, "item": item.clone()})),
        ];
        self.output.push(item);
        events
    }

    /// A complete function call (closes the text item if one is open).
    pub fn function_call(&mut self, call_id: &str, name: &str, arguments: &str) -> Vec<Value> {
        let mut events = self.close_text();
        let id = format!("fc_{}", uuid::Uuid::new_v4().simple());
        let index = self.output.len();
        events.push(self.event(json!({
            "type": "response.output_item.added",
            "output_index": index,
            "item": {"id": id, "type": "function_call", "status": "in_progress", "call_id": call_id, "name": name, "arguments": ""},
        })));
        events.push(self.event(json!({
            "type": "response.function_call_arguments.delta",
            "item_id": id, "output_index": index, "delta": arguments,
        })));
        events.push(self.event(json!({
            "type": "response.function_call_arguments.done",
            "item_id": id, "output_index": index, "name": name, "arguments": arguments,
        })));
        let item = json!({
            "id": id, "type": "function_call", "status": "completed",
            "call_id": call_id, "name": name, "arguments": arguments,
        });
        events.push(self.event(json!({"type": "response.output_item.done", "output_index": index, "item": item.clone()})));
        self.output.push(item);
        events
    }

    /// Closes open items and ends with `response.completed` carrying `usage` (Responses field
    /// names: `input_tokens`, `output_tokens`, ...).
    pub fn finish(&mut self, usage: Value) -> Vec<Value> {
        let mut events = self.close_text();
        let response = self.response("completed", usage);
        events.push(self.event(json!({"type": "response.completed", "response": response})));
        events
    }
}
