use super::event::{DeltaEvent, ItemEvent, ModelEvent, ResponseEvent, ResponseInfo, TokenUsage};
use crate::item::{FunctionCall, Message, Role};

/// Writes the events of one response made of text and function calls, in the order the
/// Responses API sends them: `Created`, then per item `ItemAdded`, its deltas and `ItemDone`,
/// then `Completed` with the usage.
///
/// The Chat Completions back end and scripted models use it, so every model yields the same
/// events.
///
/// ```
/// use agency_core::model::{EventSynth, ModelEvent, TokenUsage};
///
/// let mut synth = EventSynth::new("gpt-4o");
/// let mut events = synth.start();
/// events.extend(synth.text_delta("Hello"));
/// events.extend(synth.finish(Some(TokenUsage { input_tokens: 3, output_tokens: 1, total_tokens: 4, ..Default::default() })));
/// assert!(matches!(events.first(), Some(ModelEvent::Created(_))));
/// let Some(ModelEvent::ItemDone(done)) = events.iter().rev().nth(1) else { panic!() };
/// assert_eq!(done.item.assistant_text().as_deref(), Some("Hello"));
/// assert!(matches!(events.last(), Some(ModelEvent::Completed(c)) if c.response.usage.is_some()));
/// ```
#[derive(Debug, Clone)]
pub struct EventSynth {
    response_id: String,
    model: String,
    outputs: usize,
    text: Option<(String, String)>,
}

impl EventSynth {
    /// A synthesizer for one response of `model`.
    pub fn new(model: &str) -> Self {
        EventSynth {
            response_id: format!("resp_{}", uuid::Uuid::new_v4().simple()),
            model: model.to_owned(),
            outputs: 0,
            text: None,
        }
    }

    fn response(&self, status: &str, usage: Option<TokenUsage>) -> ResponseEvent {
        ResponseEvent {
            response: ResponseInfo {
                id: self.response_id.clone(),
                model: Some(self.model.clone()),
                status: Some(status.to_owned()),
                usage,
            },
            raw: Default::default(),
        }
    }

    /// `Created`.
    pub fn start(&mut self) -> Vec<ModelEvent> {
        vec![ModelEvent::Created(self.response("in_progress", None))]
    }

    /// A piece of the answer's text (opens the message item on the first piece).
    pub fn text_delta(&mut self, delta: &str) -> Vec<ModelEvent> {
        let mut events = Vec::with_capacity(2);
        let index = self.outputs;
        let (item_id, text) = self.text.get_or_insert_with(|| {
            let item_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            let mut open = Message {
                content: crate::item::Content::Parts(Vec::new()),
                ..Message::new(Role::Assistant, "")
            };
            open.id = Some(item_id.clone());
            open.status = Some("in_progress".to_owned());
            events.push(ModelEvent::ItemAdded(ItemEvent::new(index, open)));
            (item_id, String::new())
        });
        text.push_str(delta);
        let mut piece = DeltaEvent::new(item_id.clone(), index, delta);
        piece.content_index = Some(0);
        events.push(ModelEvent::TextDelta(piece));
        events
    }

    fn close_text(&mut self) -> Option<ModelEvent> {
        let (item_id, text) = self.text.take()?;
        let mut message = Message::assistant(text);
        message.id = Some(item_id);
        let event = ModelEvent::ItemDone(ItemEvent::new(self.outputs, message));
        self.outputs += 1;
        Some(event)
    }

    /// A complete function call (closes the text item if one is open).
    pub fn function_call(&mut self, call_id: &str, name: &str, arguments: &str) -> Vec<ModelEvent> {
        let mut events: Vec<ModelEvent> = self.close_text().into_iter().collect();
        let id = format!("fc_{}", uuid::Uuid::new_v4().simple());
        let index = self.outputs;
        let mut open = FunctionCall::new(call_id, name, "");
        open.id = Some(id.clone());
        open.status = Some("in_progress".to_owned());
        events.push(ModelEvent::ItemAdded(ItemEvent::new(index, open)));
        events.push(ModelEvent::ArgumentsDelta(DeltaEvent::new(
            id.clone(),
            index,
            arguments,
        )));
        let mut call = FunctionCall::new(call_id, name, arguments);
        call.id = Some(id);
        events.push(ModelEvent::ItemDone(ItemEvent::new(index, call)));
        self.outputs += 1;
        events
    }

    /// Closes open items and ends with `Completed` carrying `usage`.
    pub fn finish(&mut self, usage: Option<TokenUsage>) -> Vec<ModelEvent> {
        let mut events: Vec<ModelEvent> = self.close_text().into_iter().collect();
        events.push(ModelEvent::Completed(self.response("completed", usage)));
        events
    }
}
