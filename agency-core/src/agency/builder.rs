use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Agency, AgencyDef};
use crate::run::{Crew, send_message_tool, transfer_tool};
use crate::{Agent, States, Tool};

/// Something that is (or makes) an [`Agent`]: an `Agent`, or a struct marked `#[agent]`.
pub trait IntoAgent {
    /// The agent.
    fn into_agent(self) -> Agent;
}

impl IntoAgent for Agent {
    fn into_agent(self) -> Agent {
        self
    }
}

impl IntoAgent for &Agent {
    fn into_agent(self) -> Agent {
        self.clone()
    }
}

/// What an `#[agency]` factory may return: an [`Agency`], an [`AgencyBuilder`], or a `Result`.
pub trait IntoAgency {
    /// The agency, or why it is invalid.
    fn into_agency(self) -> Result<Agency, AgencyError>;
}

impl IntoAgency for Agency {
    fn into_agency(self) -> Result<Agency, AgencyError> {
        Ok(self)
    }
}

impl IntoAgency for AgencyBuilder {
    fn into_agency(self) -> Result<Agency, AgencyError> {
        self.build()
    }
}

impl<E: Into<AgencyError>> IntoAgency for Result<Agency, E> {
    fn into_agency(self) -> Result<Agency, AgencyError> {
        self.map_err(Into::into)
    }
}

/// Why an agency is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgencyError {
    /// No agent at all.
    #[error("agency '{0}' has no agents: add one with .entry(agent)")]
    NoAgents(String),
    /// Two different agents share a name.
    #[error(
        "agency '{agency}' has two different agents named '{agent}'; agent names must be unique"
    )]
    DuplicateAgent {
        /// The agency.
        agency: String,
        /// The name.
        agent: String,
    },
    /// An agent ends up with two tools of one name.
    #[error(
        "agent '{agent}' of agency '{agency}' has two tools named '{tool}' (its own, shared, send_message or transfer_to_*)"
    )]
    DuplicateTool {
        /// The agency.
        agency: String,
        /// The agent.
        agent: String,
        /// The tool.
        tool: String,
    },
    /// A tool of an agent whose input schema the argument validator cannot use.
    #[error("agent '{agent}' of agency '{agency}': {error}")]
    InvalidToolSchema {
        /// The agency.
        agency: String,
        /// The agent.
        agent: String,
        /// The tool and what is wrong with its schema (boxed: it is large, and rare).
        error: Box<crate::ToolSchemaError>,
    },
    /// A name that cannot be a route or an enum value.
    #[error("invalid name '{0}': agency and agent names must be non-empty and contain no '/'")]
    InvalidName(String),
}

/// Builds an [`Agency`]; see [`Agency::builder`].
#[must_use]
pub struct AgencyBuilder {
    name: String,
    agents: Vec<Agent>,
    entry_points: Vec<String>,
    flows: Vec<(String, String)>,
    handoffs: Vec<(String, String)>,
    shared_instructions: String,
    shared_tools: Vec<Tool>,
    user_context: Map<String, Value>,
    states: States,
    error: Option<AgencyError>,
}

impl AgencyBuilder {
    pub(super) fn new(name: String) -> Self {
        AgencyBuilder {
            name,
            agents: Vec::new(),
            entry_points: Vec::new(),
            flows: Vec::new(),
            handoffs: Vec::new(),
            shared_instructions: String::new(),
            shared_tools: Vec::new(),
            user_context: Map::new(),
            states: States::new(),
            error: None,
        }
    }

    fn add(&mut self, agent: Agent) -> String {
        let name = agent.name().to_owned();
        match self.agents.iter().find(|a| a.name() == name) {
            Some(existing) => {
                if !same_agent(existing, &agent) && self.error.is_none() {
                    self.error = Some(AgencyError::DuplicateAgent {
                        agency: self.name.clone(),
                        agent: name.clone(),
                    });
                }
            }
            None => self.agents.push(agent),
        }
        name
    }

    /// Adds an agent the user can talk to (the first one is the default recipient).
    pub fn entry(mut self, agent: impl IntoAgent) -> Self {
        let name = self.add(agent.into_agent());
        if !self.entry_points.contains(&name) {
            self.entry_points.push(name);
        }
        self
    }

    /// Adds an agent reachable only through flows or handoffs.
    pub fn agent(mut self, agent: impl IntoAgent) -> Self {
        self.add(agent.into_agent());
        self
    }

    /// `sender → recipient`: the sender gets a `send_message` tool that can reach the recipient.
    pub fn flow(mut self, sender: impl IntoAgent, recipient: impl IntoAgent) -> Self {
        let s = self.add(sender.into_agent());
        let r = self.add(recipient.into_agent());
        if !self.flows.contains(&(s.clone(), r.clone())) {
            self.flows.push((s, r));
        }
        self
    }

    /// `from ⇒ to`: `from` gets a `transfer_to_<to>` tool; after a transfer `to` continues the
    /// same turn with the full history.
    pub fn handoff(mut self, from: impl IntoAgent, to: impl IntoAgent) -> Self {
        let f = self.add(from.into_agent());
        let t = self.add(to.into_agent());
        if !self.handoffs.contains(&(f.clone(), t.clone())) {
            self.handoffs.push((f, t));
        }
        self
    }

    /// Instructions every agent gets before its own.
    pub fn shared_instructions(mut self, text: impl Into<String>) -> Self {
        self.shared_instructions = text.into();
        self
    }

    /// A tool every agent gets.
    pub fn shared_tool(mut self, tool: Tool) -> Self {
        self.shared_tools.push(tool);
        self
    }

    /// The agency's user context (a request's `user_context` is merged over it).
    pub fn user_context(mut self, context: Map<String, Value>) -> Self {
        self.user_context = context;
        self
    }

    /// Gives the agents' tools `value`, which they take as a `State<T>` parameter or with
    /// [`ToolContext::state`](crate::ToolContext::state) (a run's own values win; a server's
    /// fill in the types the agency lacks).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states = self.states.with(value);
        self
    }

    /// Checks the agency and gives each agent its agency tools.
    pub fn build(self) -> Result<Agency, AgencyError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.name.trim().is_empty() || self.name.contains('/') {
            return Err(AgencyError::InvalidName(self.name));
        }
        if self.agents.is_empty() {
            return Err(AgencyError::NoAgents(self.name));
        }
        for agent in &self.agents {
            if agent.name().trim().is_empty() || agent.name().contains('/') {
                return Err(AgencyError::InvalidName(agent.name().to_owned()));
            }
        }
        let mut entry_points = self.entry_points;
        if entry_points.is_empty() {
            entry_points.push(self.agents[0].name().to_owned());
        }
        let mut order = entry_points.clone();
        for a in &self.agents {
            if !order.iter().any(|n| n == a.name()) {
                order.push(a.name().to_owned());
            }
        }
        let by_name: BTreeMap<&str, &Agent> = self.agents.iter().map(|a| (a.name(), a)).collect();
        let mut crew = Crew::of_agency(&self.name);
        let mut own_tools = BTreeMap::new();
        for agent in &self.agents {
            let name = agent.name();
            own_tools.insert(name.to_owned(), agent.tools().to_vec());
            let recipients: Vec<String> = self
                .flows
                .iter()
                .filter(|(s, _)| s == name)
                .map(|(_, r)| r.clone())
                .collect();
            let targets: Vec<String> = self
                .handoffs
                .iter()
                .filter(|(f, _)| f == name)
                .map(|(_, t)| t.clone())
                .collect();
            let mut extra: Vec<Tool> = self.shared_tools.clone();
            if !recipients.is_empty() {
                let agents: Vec<&Agent> = recipients
                    .iter()
                    .filter_map(|r| by_name.get(r.as_str()).copied())
                    .collect();
                extra.push(send_message_tool(&agents));
            }
            for t in &targets {
                if let Some(target) = by_name.get(t.as_str()) {
                    extra.push(transfer_tool(target));
                }
            }
            let mut full = agent.with_extra_tools(extra);
            if !self.shared_instructions.is_empty() {
                let instructions = if agent.instructions().is_empty() {
                    self.shared_instructions.clone()
                } else {
                    format!("{}\n\n{}", self.shared_instructions, agent.instructions())
                };
                full = full.with_instructions(instructions);
            }
            let mut seen = std::collections::HashSet::new();
            for tool in full.tools() {
                tool.check()
                    .map_err(|error| AgencyError::InvalidToolSchema {
                        agency: self.name.clone(),
                        agent: name.to_owned(),
                        error: Box::new(error),
                    })?;
                if !seen.insert(tool.name()) {
                    return Err(AgencyError::DuplicateTool {
                        agency: self.name.clone(),
                        agent: name.to_owned(),
                        tool: tool.name().to_owned(),
                    });
                }
            }
            crew.add(full);
        }
        Ok(Agency(Arc::new(AgencyDef {
            name: self.name,
            order,
            entry_points,
            crew: Arc::new(crew),
            own_tools,
            flows: self.flows,
            handoffs: self.handoffs,
            shared_instructions: self.shared_instructions,
            user_context: self.user_context,
            states: self.states,
        })))
    }
}

/// Two values for one agent name are the same agent when they share their definition.
fn same_agent(a: &Agent, b: &Agent) -> bool {
    a.ptr_eq(b)
        || (a.description() == b.description()
            && a.instructions() == b.instructions()
            && a.model() == b.model()
            && a.tools().len() == b.tools().len())
}
