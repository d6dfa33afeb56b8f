//! The agents a run can reach: the recipients of `send_message` and the targets of handoffs.

use std::collections::BTreeMap;

use crate::Agent;

/// The agents of a run and who may talk to whom. A plain agent run is a crew of one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Crew {
    /// Every agent by name, with its `send_message` / `transfer_to_*` tools already added.
    pub agents: BTreeMap<String, Agent>,
    /// sender → the agents it may message.
    pub recipients: BTreeMap<String, Vec<String>>,
    /// agent → the agents it may hand off to.
    pub handoffs: BTreeMap<String, Vec<String>>,
}

/// The name of the tool that hands off to `target`.
pub fn transfer_tool_name(target: &str) -> String {
    let mut name: String = format!("transfer_to_{target}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.truncate(64);
    name
}

/// The name of the agent-to-agent message tool.
pub const SEND_MESSAGE: &str = "send_message";

impl Crew {
    pub(crate) fn solo(agent: Agent) -> Crew {
        let mut agents = BTreeMap::new();
        agents.insert(agent.name().to_owned(), agent);
        Crew {
            agents,
            ..Crew::default()
        }
    }

    /// The handoff target of a call of `tool` by `agent`, if it is a transfer tool.
    pub(crate) fn handoff_target(&self, agent: &str, tool: &str) -> Option<&Agent> {
        self.handoffs
            .get(agent)?
            .iter()
            .find(|t| transfer_tool_name(t) == tool)
            .and_then(|t| self.agents.get(t))
    }

    /// Whether `agent` may message anyone (and so owns a `send_message` tool).
    pub(crate) fn can_send(&self, agent: &str) -> bool {
        self.recipients.get(agent).is_some_and(|r| !r.is_empty())
    }
}
