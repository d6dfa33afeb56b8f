//! The tools an agency adds: `send_message` and `transfer_to_<agent>` (API.md §13).

use serde_json::{Value, json};

use crate::run::{SEND_MESSAGE, transfer_tool_name};
use crate::{Agent, Tool, ToolError};

/// `send_message` for a sender whose recipients are `recipients`.
pub(crate) fn send_message(recipients: &[&Agent]) -> Tool {
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
        .json_handler(parameters, |_args: Value, _ctx| async {
            Err::<Value, _>(ToolError::new(
                "send_message only runs inside an agency run",
            ))
        })
}

/// `transfer_to_<target>`: the target's description is the tool's.
pub(crate) fn transfer_to(target: &Agent) -> Tool {
    let description = if target.description().is_empty() {
        format!("Hand the conversation over to {}.", target.name())
    } else {
        target.description().to_owned()
    };
    Tool::builder(transfer_tool_name(target.name()))
        .description(description)
        .json_handler(
            json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
            |_args: Value, _ctx| async {
                Err::<Value, _>(ToolError::new("handoffs only run inside an agency run"))
            },
        )
}
