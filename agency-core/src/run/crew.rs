//! The agents a run can reach.

use std::collections::BTreeMap;

use crate::Agent;

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
