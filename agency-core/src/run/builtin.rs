//! The tools the run loop carries out itself: `send_message` (ask another agent and get its
//! answer) and `transfer_to_<agent>` (hand the conversation over). Each carries its schema, for
//! the model, and its behaviour, here.

use serde_json::json;

use tracing::Instrument;

use super::ToolOutcome;
use super::agent_run::{AgentRun, CallResult};
use super::calls::ToolWatch;
use crate::item::{FunctionCall, FunctionCallOutput, Message, Meta};
use crate::{Agent, Tool};

/// The name of the agent-to-agent message tool.
pub const SEND_MESSAGE: &str = "send_message";

/// What a built-in tool does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// Runs one of `recipients` with the message and answers with its final output.
    SendMessage {
        /// The agents the sender may message.
        recipients: Vec<String>,
    },
    /// Hands the conversation to `target`, which continues the same turn.
    Handoff {
        /// The agent that takes over.
        target: String,
    },
    /// Run by the client (an AG-UI front end): a call ends the run, unanswered, for the client
    /// to answer in its next request.
    Client,
}

impl Builtin {
    /// Why calling it outside a run fails.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Builtin::SendMessage { .. } => "send_message only runs inside an agency run",
            Builtin::Handoff { .. } => "handoffs only run inside an agency run",
            Builtin::Client => "this tool is run by the client that offered it, not by the server",
        }
    }
}

/// The name of the tool that hands off to `target`.
pub fn transfer_tool_name(target: &str) -> String {
    agency_names::sanitize(&format!("transfer_to_{target}"))
}

/// `send_message` for a sender whose recipients are `recipients`.
pub(crate) fn send_message_tool(recipients: &[&Agent]) -> Tool {
    let names: Vec<&str> = recipients.iter().map(|a| a.name()).collect();
    let mut description = String::from(
        "Use this tool to communicate directly with the other agents of your agency: you send a \
         message to one recipient agent and receive its answer. The recipient sees nothing of your \
         conversation but this message, so include every detail it needs. Send one message per \
         recipient at a time.\n\nAvailable recipient agents:",
    );
    for agent in recipients {
        let what = if agent.description().is_empty() {
            "(no description)"
        } else {
            agent.description()
        };
        description.push_str(&format!("\n- {}: {what}", agent.name()));
    }
    let parameters = json!({
        "type": "object",
        "properties": {
            "recipient_agent": {
                "type": "string",
                "enum": names,
                "description": "The agent to send the message to.",
            },
            "message": {
                "type": "string",
                "description": "The message for the recipient: the task, with every detail and piece of context it needs.",
            },
            "additional_instructions": {
                "type": "string",
                "description": "Extra instructions for the recipient for this message only; an empty string when there are none.",
            },
        },
        "required": ["recipient_agent", "message", "additional_instructions"],
        "additionalProperties": false,
    });
    Tool::builder(SEND_MESSAGE)
        .description(description)
        .builtin(
            parameters,
            Builtin::SendMessage {
                recipients: names.iter().map(|n| (*n).to_owned()).collect(),
            },
        )
}

/// `transfer_to_<target>`: the target's description is the tool's.
pub(crate) fn transfer_tool(target: &Agent) -> Tool {
    let description = if target.description().is_empty() {
        format!("Hand the conversation over to {}.", target.name())
    } else {
        target.description().to_owned()
    };
    Tool::builder(transfer_tool_name(target.name()))
        .description(description)
        .builtin(
            json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
            Builtin::Handoff {
                target: target.name().to_owned(),
            },
        )
}

/// The arguments of a `send_message` call.
#[derive(serde::Deserialize)]
pub(super) struct MessageArgs {
    #[serde(default)]
    pub(super) recipient_agent: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    additional_instructions: String,
}

impl AgentRun {
    /// `send_message`: runs the recipient in its thread with this agent; its answer is the
    /// output. Every failure is a message for the sender's model.
    pub(super) fn send_message(
        &self,
        call: &FunctionCall,
        args: Result<MessageArgs, serde_json::Error>,
        recipients: &[String],
    ) -> impl Future<Output = CallResult> + Send + 'static {
        let sender = self.agent().name().to_owned();
        let call_id = call.call_id.clone();
        let scope = self.scope().clone();
        let allowed = recipients.to_vec();
        let watch = self.watch_tool(call);
        let span = watch.span.clone();
        let sent = async move {
            let text = |s: String| CallResult::text(s);
            let refuse = |watch: ToolWatch, why: String| {
                watch.end(ToolOutcome::InvalidArguments, Some(&why));
                CallResult::text(why)
            };
            let args = match args {
                Ok(a) => a,
                Err(e) => {
                    return refuse(
                        watch,
                        format!(
                            "Error: the arguments of send_message are not valid ({e}); send recipient_agent, message and additional_instructions."
                        ),
                    );
                }
            };
            let Some(recipient) = allowed
                .iter()
                .find(|r| **r == args.recipient_agent)
                .and_then(|r| scope.crew.agent(r))
                .cloned()
            else {
                return refuse(
                    watch,
                    format!(
                        "Error: '{}' is not an agent {sender} can message. Available recipients: {}.",
                        args.recipient_agent,
                        allowed.join(", ")
                    ),
                );
            };
            if args.message.trim().is_empty() {
                return refuse(
                    watch,
                    "Error: `message` is required and must be a non-empty string.".to_owned(),
                );
            }
            let extra = Some(args.additional_instructions).filter(|s| !s.trim().is_empty());
            let history = scope.transcript.thread(recipient.name(), Some(&sender));
            let meta = Meta::new_run(recipient.name(), Some(&sender), Some(&call_id));
            let sub_span = super::agent_span(
                scope.crew.agency(),
                recipient.name(),
                &meta.agent_run_id,
                Some(&sender),
            );
            let run = AgentRun::new(scope, recipient.clone(), meta, history, extra);
            let answer = run
                .run(vec![Message::user(args.message).into()])
                .instrument(sub_span)
                .await;
            match answer {
                Ok(super::Answer::Final(serde_json::Value::String(answer))) => {
                    watch.end(ToolOutcome::Ok, None);
                    text(answer)
                }
                Ok(super::Answer::Final(answer)) => {
                    watch.end(ToolOutcome::Ok, None);
                    CallResult { output: answer }
                }
                Ok(super::Answer::Cancelled) => {
                    watch.end(ToolOutcome::Cancelled, Some("cancelled"));
                    text(format!(
                        "Error: {} was cancelled before answering.",
                        recipient.name()
                    ))
                }
                Err(e) => {
                    watch.end(ToolOutcome::Failed, Some(&e.to_string()));
                    text(format!("Error: {} failed: {e}", recipient.name()))
                }
            }
        };
        sent.instrument(span)
    }

    /// A handoff: `target` continues the same turn with the full history.
    pub(super) async fn hand_off(&mut self, call: &FunctionCall, target: Agent) {
        let output = FunctionCallOutput::new(
            call.call_id.clone(),
            json!({"assistant": target.name()}).to_string(),
        );
        self.push(output.clone().into());
        let meta = self.meta().clone();
        self.emit(crate::RunEvent::HandoffOccurred {
            meta,
            item: output,
            target: target.name().to_owned(),
        })
        .await;
        tracing::info!(from = self.agent().name(), to = target.name(), "handoff");
        let reminder = format!(
            "Transfer completed. You are {}. Please continue the task.",
            target.name()
        );
        self.become_agent(target);
        self.push(Message::system(reminder).into());
        let meta = self.meta().clone();
        self.emit(crate::RunEvent::AgentUpdated { meta }).await;
    }
}
