//! A turn's calls: tools and agent-to-agent messages run concurrently, then the first handoff.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::Value;
use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::agent_run::{AgentRun, CallResult};
use super::builtin::MessageArgs;
use super::{Builtin, RunObserver, ToolCallReport, ToolOutcome};
use crate::item::{FunctionCall, FunctionCallOutput};
use crate::{Agent, RunEvent, ToolContext, ToolError};

type Pending = Pin<Box<dyn Future<Output = (usize, CallResult)> + Send>>;

impl AgentRun {
    /// Runs this turn's calls: tools and messages concurrently, then the first handoff.
    pub(super) async fn run_calls(&mut self, calls: Vec<FunctionCall>) {
        let mut handoff: Option<(usize, Agent)> = None;
        let mut immediate: Vec<(usize, String)> = Vec::new();
        let mut pending: FuturesUnordered<Pending> = FuturesUnordered::new();
        let mut busy_recipients = HashSet::new();
        for (index, call) in calls.iter().enumerate() {
            let builtin = self
                .agent()
                .tool(&call.name)
                .and_then(|t| t.builtin())
                .cloned();
            match builtin {
                Some(Builtin::Handoff { target }) => {
                    match (&handoff, self.scope().crew.agent(&target)) {
                        (None, Some(agent)) => handoff = Some((index, agent.clone())),
                        (Some(_), _) => immediate.push((
                            index,
                            "Error: only one handoff per turn; this one was ignored.".to_owned(),
                        )),
                        (None, None) => immediate.push((
                            index,
                            format!("Error: there is no agent named '{target}' to hand off to."),
                        )),
                    }
                }
                Some(Builtin::SendMessage { recipients }) => {
                    let args = call.arguments_as::<MessageArgs>();
                    if let Ok(a) = &args
                        && !busy_recipients.insert(a.recipient_agent.clone())
                    {
                        let r = &a.recipient_agent;
                        immediate.push((index, format!(
                            "Error: a message from {} to {r} is already pending; wait for its answer before sending another.",
                            self.agent().name()
                        )));
                        continue;
                    }
                    let fut = self.send_message(call, args, &recipients);
                    pending.push(Box::pin(async move { (index, fut.await) }));
                }
                // The client answers it, in its next request: the run ends after this turn.
                Some(Builtin::Client) => self.awaiting_client = true,
                None => {
                    let fut = self.call_tool(call);
                    pending.push(Box::pin(async move {
                        (index, CallResult { output: fut.await })
                    }));
                }
            }
        }
        for (index, text) in immediate {
            self.record_output(&calls[index], Value::String(text)).await;
        }
        while let Some((index, result)) = pending.next().await {
            self.record_output(&calls[index], result.output).await;
        }
        drop(pending);
        if let Some((index, target)) = handoff {
            self.hand_off(&calls[index], target).await;
        }
    }

    async fn record_output(&mut self, call: &FunctionCall, output: Value) {
        let item = FunctionCallOutput::from_json(call.call_id.clone(), &output);
        self.push(item.clone().into());
        if self.streaming() {
            let meta = self.meta().clone();
            self.emit(RunEvent::ToolOutput { meta, item, output }).await;
        }
    }

    /// One tool call, in its `execute_tool {name}` span; every failure becomes a message for the
    /// model.
    fn call_tool(&self, call: &FunctionCall) -> impl Future<Output = Value> + Send + 'static {
        let name = call.name.clone();
        let args = call.parsed_arguments();
        let tool = self.agent().tool(&name).cloned();
        let config = &self.scope().config;
        let ctx = ToolContext::new()
            .with_agent(self.meta().agent.as_str())
            .with_call_id(call.call_id.as_str())
            .with_user_context(config.user_context.clone())
            .with_states(config.states.clone())
            .with_shared_state(config.shared_state.clone())
            .with_default_timeout(config.tool_timeout)
            .with_cancellation(config.control.token().child_token());
        let watch = self.watch_tool(call);
        let span = watch.span.clone();
        async move {
            let Some(tool) = tool else {
                watch.end(ToolOutcome::UnknownTool, Some("no such tool"));
                return Value::String(format!("Error: there is no tool named '{name}'."));
            };
            let args = match args {
                Ok(v) => v,
                Err(e) => {
                    watch.end(ToolOutcome::InvalidArguments, Some("arguments are not JSON"));
                    return Value::String(format!(
                        "Error: the arguments for tool '{name}' are not valid JSON ({e}); send a JSON object."
                    ));
                }
            };
            let result = tool.call(args, ctx).await;
            let outcome = ToolOutcome::of(&result);
            match result {
                Ok(v) => {
                    watch.end(outcome, None);
                    v
                }
                Err(e @ ToolError::InvalidArguments { .. }) => {
                    watch.end(outcome, Some(&e.to_string()));
                    Value::String(format!("Error: {e}"))
                }
                Err(e) => {
                    watch.end(outcome, Some(&e.to_string()));
                    Value::String(format!("Error running tool '{name}': {e}"))
                }
            }
        }
        .instrument(span)
    }

    /// Starts watching a call: its span (a child of the current one) and clock.
    pub(super) fn watch_tool(&self, call: &FunctionCall) -> ToolWatch {
        let agent = self.agent().name();
        let span = tracing::info_span!(
            "tool call",
            otel.name = format!("execute_tool {}", call.name),
            otel.status_code = Empty,
            gen_ai.operation.name = "execute_tool",
            gen_ai.agent.name = agent,
            gen_ai.tool.name = %call.name,
            gen_ai.tool.call.id = %call.call_id,
            outcome = Empty,
            duration_ms = Empty,
            error.type = Empty,
        );
        ToolWatch {
            span,
            started: Instant::now(),
            observer: self.scope().config.observer.clone(),
            agent: agent.to_owned(),
            tool: call.name.clone(),
            call_id: call.call_id.clone(),
        }
    }
}

/// A tool call being watched: its span, when it started, who to tell of its end.
pub(super) struct ToolWatch {
    pub(super) span: Span,
    started: Instant,
    observer: Option<Arc<dyn RunObserver>>,
    agent: String,
    tool: String,
    call_id: String,
}

impl ToolWatch {
    /// The call ended with `outcome` (and this error): recorded on its span, logged, reported.
    pub(super) fn end(self, outcome: ToolOutcome, error: Option<&str>) {
        let duration = self.started.elapsed();
        let span = &self.span;
        span.record("outcome", outcome.as_str());
        span.record("duration_ms", duration.as_secs_f64() * 1000.0);
        span.in_scope(|| match error {
            Some(error) => {
                span.record("error.type", outcome.as_str());
                span.record("otel.status_code", "ERROR");
                tracing::info!("tool call ended: {error}");
            }
            None => tracing::info!("tool call ended"),
        });
        if let Some(observer) = &self.observer {
            observer.tool_call(&ToolCallReport {
                agent: &self.agent,
                tool: &self.tool,
                call_id: &self.call_id,
                duration,
                outcome,
            });
        }
    }
}
