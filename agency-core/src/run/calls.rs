//! A turn's calls: tools and agent-to-agent messages run concurrently, then the first handoff.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::Value;

use super::Builtin;
use super::agent_run::{AgentRun, CallResult};
use super::builtin::MessageArgs;
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

    /// One tool call; every failure becomes a message for the model.
    fn call_tool(&self, call: &FunctionCall) -> impl Future<Output = Value> + Send + 'static {
        let name = call.name.clone();
        let args = call.parsed_arguments();
        let tool = self.agent().tool(&name).cloned();
        let config = &self.scope().config;
        let ctx = ToolContext::new()
            .with_agent(self.meta().agent.as_str())
            .with_call_id(call.call_id.as_str())
            .with_user_context(config.user_context.clone())
            .with_default_timeout(config.tool_timeout)
            .with_cancellation(config.control.token().child_token());
        async move {
            let Some(tool) = tool else {
                return Value::String(format!("Error: there is no tool named '{name}'."));
            };
            let args = match args {
                Ok(v) => v,
                Err(e) => {
                    return Value::String(format!(
                        "Error: the arguments for tool '{name}' are not valid JSON ({e}); send a JSON object."
                    ));
                }
            };
            match tool.call(args, ctx).await {
                Ok(v) => v,
                Err(e @ ToolError::InvalidArguments { .. }) => Value::String(format!("Error: {e}")),
                Err(e) => Value::String(format!("Error running tool '{name}': {e}")),
            }
        }
    }
}
