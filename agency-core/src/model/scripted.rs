use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::Value;

use super::{EventSynth, Model, ModelError, ModelRequest, ModelStream, TokenUsage};

/// One scripted model answer.
#[derive(Debug, Clone)]
pub enum ScriptedTurn {
    /// Answer with this text.
    Text(String),
    /// Call these tools (name, arguments JSON) in parallel.
    ToolCalls(Vec<(String, String)>),
    /// Fail with this error.
    Error(ModelError),
}

impl ScriptedTurn {
    /// A text answer.
    pub fn text(text: impl Into<String>) -> Self {
        ScriptedTurn::Text(text.into())
    }

    /// One tool call with `arguments`.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        ScriptedTurn::ToolCalls(vec![(name.into(), arguments.to_string())])
    }
}

/// An in-process model that plays a script, for fast tests and benchmarks of the run loop.
///
/// When the script runs out it answers `"done"`. It records the requests it got.
#[derive(Debug, Clone, Default)]
pub struct ScriptedModel {
    script: Arc<Mutex<VecDeque<ScriptedTurn>>>,
    requests: Arc<Mutex<Vec<ModelRequest>>>,
    usage: Option<(u64, u64)>,
}

impl ScriptedModel {
    /// A model that plays `turns` in order.
    pub fn new(turns: impl IntoIterator<Item = ScriptedTurn>) -> Self {
        ScriptedModel {
            script: Arc::new(Mutex::new(turns.into_iter().collect())),
            requests: Arc::default(),
            usage: Some((10, 5)),
        }
    }

    /// Appends turns to the script.
    pub fn push(&self, turn: ScriptedTurn) {
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(turn);
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reports no usage (as some compatible servers do).
    pub fn without_usage(mut self) -> Self {
        self.usage = None;
        self
    }
}

impl Model for ScriptedModel {
    fn stream(&self, request: ModelRequest) -> BoxFuture<'static, Result<ModelStream, ModelError>> {
        let turn = self
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or_else(|| ScriptedTurn::text("done"));
        let mut synth = EventSynth::new(&request.model);
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request);
        let usage = self.usage.map(|(input, output)| TokenUsage {
            input_tokens: input,
            output_tokens: output,
            total_tokens: input + output,
            ..TokenUsage::default()
        });
        Box::pin(async move {
            let mut events = synth.start();
            match turn {
                ScriptedTurn::Error(e) => return Err(e),
                ScriptedTurn::Text(text) => events.extend(synth.text_delta(&text)),
                ScriptedTurn::ToolCalls(calls) => {
                    for (i, (name, args)) in calls.iter().enumerate() {
                        let call_id = format!("call_{}_{}", i, uuid::Uuid::new_v4().simple());
                        events.extend(synth.function_call(&call_id, name, args));
                    }
                }
            }
            events.extend(synth.finish(usage));
            Ok(futures::stream::iter(events.into_iter().map(Ok)).boxed())
        })
    }
}
