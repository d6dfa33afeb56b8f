//! The agents a run can reach.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::join_all;

use crate::{Agent, Tool};

/// The agents of a run by name, each with its built-in tools (`send_message`, `transfer_to_*`)
/// already added. A plain agent run is a crew of one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Crew {
    agents: BTreeMap<String, Agent>,
    /// The agency's name, for logs and traces; `None` for a plain agent run.
    agency: Option<String>,
}

impl Crew {
    pub(crate) fn of_agency(name: &str) -> Crew {
        Crew {
            agency: Some(name.to_owned()),
            ..Crew::default()
        }
    }

    pub(crate) fn agency(&self) -> Option<&str> {
        self.agency.as_deref()
    }

    pub(crate) fn solo(agent: Agent) -> Crew {
        let mut crew = Crew::default();
        crew.add(agent);
        crew
    }

    pub(crate) fn add(&mut self, agent: Agent) {
        self.agents.insert(agent.name().to_owned(), agent);
    }

    /// Every tool of every agent.
    pub(crate) fn tools(&self) -> impl Iterator<Item = &crate::Tool> {
        self.agents.values().flat_map(|a| a.tools())
    }

    pub(crate) fn agent(&self, name: &str) -> Option<&Agent> {
        self.agents.get(name)
    }
}

/// `crew` and `entry` with every toolset's tools added to its agent (the toolsets asked all at
/// once); both as they are when no agent has a toolset.
pub(crate) async fn with_toolsets(crew: Arc<Crew>, entry: Agent) -> (Arc<Crew>, Agent) {
    let has = |a: &Agent| !a.toolsets().is_empty();
    if !has(&entry) && !crew.agents.values().any(has) {
        return (crew, entry);
    }
    let entry_is_the_crews = crew.agent(entry.name()).is_some_and(|a| a.ptr_eq(&entry));
    let resolved = join_all(crew.agents.values().filter(|a| has(a)).map(toolset_tools)).await;
    let mut grown = (*crew).clone();
    for agent in resolved {
        grown.add(agent);
    }
    let entry = match grown.agent(entry.name()) {
        Some(agent) if entry_is_the_crews => agent.clone(),
        _ if has(&entry) => toolset_tools(&entry).await,
        _ => entry,
    };
    (Arc::new(grown), entry)
}

/// `agent` with its toolsets' tools after its own; a tool named like one it already has is left
/// out, with a warning.
async fn toolset_tools(agent: &Agent) -> Agent {
    let found = join_all(agent.toolsets().iter().map(|set| set.tools())).await;
    let mut extra: Vec<Tool> = Vec::new();
    for (set, tools) in agent.toolsets().iter().zip(found) {
        for tool in tools {
            let taken =
                agent.tool(tool.name()).is_some() || extra.iter().any(|t| t.name() == tool.name());
            if taken {
                tracing::warn!(
                    "agent '{}': the tool '{}' of {} is left out: the agent already has a tool of that name",
                    agent.name(),
                    tool.name(),
                    set.name()
                );
                continue;
            }
            extra.push(tool);
        }
    }
    agent.with_extra_tools(extra)
}
