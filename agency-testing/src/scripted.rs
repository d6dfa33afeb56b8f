//! An in-process model that plays [`Reply`]s: the fake server's vocabulary without HTTP.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use agency_core::model::{
    EventSynth, InputTokensDetails, Model, ModelError, ModelEvent, ModelRequest, ModelStream,
    OutputTokensDetails, TokenUsage,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::json;

use crate::reply::{Body, Output};
use crate::usage::estimate_tokens;
use crate::{Garbage, Reply};

/// A [`Model`] that plays scripted [`Reply`]s in order, in the process: the same replies a test
/// pushes to [`crate::FakeOpenAi`], without a server, for fast tests and benchmarks of the run
/// loop. When the script runs out it answers `"done"`. It records the requests it got.
///
/// Text is streamed in the reply's chunks, calls with their arguments, usage as scripted (or
/// estimated as the fake does); `delay` and `chunk_delay` wait, `with_garbage` adds an event of
/// an unknown kind, `end_stream_after` cuts the stream, and an error reply fails the call with
/// its status and message.
///
/// ```
/// use agency_core::{Agent, RunConfig, Tool, ToolError};
/// use agency_testing::{Reply, ScriptedModel};
/// use serde_json::json;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let add = Tool::builder("add").handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
/// let agent = Agent::builder("Assistant").tool(add).build();
/// let model = ScriptedModel::new([
///     Reply::function_call("add", json!([2, 40])),
///     Reply::text("It is 42.").usage(10, 3),
/// ]);
/// let out = agent.run("What is 2 + 40?", RunConfig::with_model(model.clone())).await.unwrap();
/// assert_eq!(out.final_output, "It is 42.");
/// assert_eq!(out.usage.request_count, 2);
/// assert_eq!(model.requests().len(), 2);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScriptedModel {
    script: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<ModelRequest>>>,
}

impl ScriptedModel {
    /// A model that plays `replies` in order.
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Self {
        ScriptedModel {
            script: Arc::new(Mutex::new(replies.into_iter().collect())),
            requests: Arc::default(),
        }
    }

    /// Appends a reply to the script.
    pub fn push(&self, reply: Reply) -> &Self {
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(reply);
        self
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The events of `reply` for a request of `model`, with `input_tokens` estimated from the input.
fn events(reply: &Reply, model: &str, estimated_input: u32) -> Vec<ModelEvent> {
    let mut synth = EventSynth::new(reply.model.as_deref().unwrap_or(model));
    let mut events = synth.start();
    for output in reply.outputs() {
        match output {
            Output::Text(chunks) => {
                for chunk in chunks {
                    events.extend(synth.text_delta(chunk));
                }
            }
            Output::Call(call) => {
                let call_id = call
                    .call_id
                    .clone()
                    .unwrap_or_else(|| format!("call_{}", uuid::Uuid::new_v4().simple()));
                events.extend(synth.function_call(&call_id, &call.name, &call.arguments));
            }
        }
    }
    let usage = reply
        .usage
        .resolve(estimated_input, reply.estimated_output_tokens());
    events.extend(synth.finish(Some(TokenUsage {
        input_tokens: usage.input_tokens.into(),
        output_tokens: usage.output_tokens.into(),
        total_tokens: usage.total_tokens().into(),
        input_tokens_details: Some(InputTokensDetails {
            cached_tokens: usage.cached_tokens.into(),
            cache_write_tokens: 0,
        }),
        output_tokens_details: Some(OutputTokensDetails {
            reasoning_tokens: usage.reasoning_tokens.into(),
        }),
    })));
    if let Some(garbage) = reply.garbage {
        let kind = match garbage {
            Garbage::UnknownEvent => "response.fake_unknown_event",
            Garbage::MalformedJson => "response.fake_malformed_event",
        };
        let middle = events.len() / 2;
        if let Ok(event) = ModelEvent::from_json(&json!({"type": kind}).to_string()) {
            events.insert(middle, event);
        }
    }
    if let Some(n) = reply.end_after {
        events.truncate(n);
    }
    events
}

impl Model for ScriptedModel {
    fn stream(&self, request: ModelRequest) -> BoxFuture<'static, Result<ModelStream, ModelError>> {
        let reply = self
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or_else(|| Reply::text("done"));
        let estimated_input = match reply.usage.input {
            Some(_) => 0,
            None => serde_json::to_value(&request.input)
                .map(|input| estimate_tokens(&input))
                .unwrap_or(0),
        };
        let model = request.model.clone();
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request);
        Box::pin(async move {
            if let Some(delay) = reply.delay {
                tokio::time::sleep(delay).await;
            }
            match &reply.body {
                Body::Error(e) => {
                    return Err(ModelError::Api {
                        status: e.status,
                        message: e.message.clone(),
                    });
                }
                Body::Status(status) => {
                    return Err(ModelError::Api {
                        status: *status,
                        message: String::new(),
                    });
                }
                Body::Output(_) => {}
            }
            let events = events(&reply, &model, estimated_input);
            let stream = futures::stream::iter(events.into_iter().map(Ok));
            Ok(match reply.chunk_delay {
                None => stream.boxed(),
                Some(pause) => stream
                    .enumerate()
                    .then(move |(i, event)| async move {
                        if i > 0 {
                            tokio::time::sleep(pause).await;
                        }
                        event
                    })
                    .boxed(),
            })
        })
    }
}
