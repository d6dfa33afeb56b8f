//! Agencies: agents joined by communication flows (`send_message`) and handoffs.
//!
//! ```
//! use agency_core::{Agency, Agent};
//!
//! let ceo = Agent::builder("CEO").description("Runs the company.").build();
//! let dev = Agent::builder("Developer").description("Writes code.").build();
//! let agency = Agency::builder("Dev Shop").entry(ceo.clone()).flow(ceo, dev).build().unwrap();
//! assert_eq!(agency.route_name(), "Dev_Shop");
//! assert_eq!(agency.agent_names(), ["CEO", "Developer"]);
//! let ceo = agency.agent("CEO").unwrap();
//! assert!(ceo.tools().iter().any(|t| t.name() == "send_message"));
//! ```

mod builder;
mod metadata;
mod run;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use crate::registration::AgencyRegistration;
pub use builder::{AgencyBuilder, AgencyError, IntoAgency, IntoAgent};

use crate::Agent;
use crate::run::Crew;

/// A set of agents with entry points and directed flows between them. Cloning is cheap.
#[derive(Clone)]
pub struct Agency(Arc<AgencyDef>);

struct AgencyDef {
    name: String,
    /// Agent names in order: entry points first, then as added.
    order: Vec<String>,
    entry_points: Vec<String>,
    crew: Arc<Crew>,
    /// The agents as the user defined them (without the added tools), for metadata.
    own_tools: std::collections::BTreeMap<String, Vec<crate::Tool>>,
    flows: Vec<(String, String)>,
    handoffs: Vec<(String, String)>,
    shared_instructions: String,
    user_context: Map<String, Value>,
    states: crate::States,
}

impl std::fmt::Debug for Agency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agency")
            .field("name", &self.0.name)
            .field("agents", &self.0.order)
            .field("entry_points", &self.0.entry_points)
            .field("flows", &self.0.flows)
            .field("handoffs", &self.0.handoffs)
            .finish_non_exhaustive()
    }
}

impl Agency {
    /// Starts building an agency named `name`.
    pub fn builder(name: impl Into<String>) -> AgencyBuilder {
        AgencyBuilder::new(name.into())
    }

    /// The agency's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Its route name: the name with spaces replaced by `_` (`/{route_name}/get_response`).
    pub fn route_name(&self) -> String {
        self.0.name.replace(' ', "_")
    }

    /// Agent names, entry points first.
    pub fn agent_names(&self) -> &[String] {
        &self.0.order
    }

    /// The agents, entry points first, each with the tools the agency added
    /// (`send_message`, `transfer_to_*`, shared tools).
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.0.order.iter().filter_map(|n| self.0.crew.agent(n))
    }

    /// The agent named `name`.
    pub fn agent(&self, name: &str) -> Option<&Agent> {
        self.0.crew.agent(name)
    }

    /// The entry points (the agents a user may talk to first).
    pub fn entry_points(&self) -> &[String] {
        &self.0.entry_points
    }

    /// The agent that gets a message with no `recipient_agent`: the first entry point.
    pub fn default_recipient(&self) -> &str {
        self.0
            .entry_points
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Communication flows `(sender, recipient)`.
    pub fn flows(&self) -> &[(String, String)] {
        &self.0.flows
    }

    /// Handoffs `(from, to)`.
    pub fn handoffs(&self) -> &[(String, String)] {
        &self.0.handoffs
    }

    /// Instructions every agent gets before its own.
    pub fn shared_instructions(&self) -> &str {
        &self.0.shared_instructions
    }

    /// The agency's own user context (a request's is merged over it).
    pub fn user_context(&self) -> &Map<String, Value> {
        &self.0.user_context
    }

    /// The shared values the agency gives its tools ([`AgencyBuilder::state`]).
    pub fn states(&self) -> &crate::States {
        &self.0.states
    }

    /// Checks that every tool of every agent gets the shared values it requires from the
    /// agency's own values or `fallback` (a server's): the error names the first tool and type
    /// missing.
    ///
    /// ```
    /// use agency_core::{Agency, Agent, State, States, Tool, ToolError};
    ///
    /// struct Repo;
    /// let count = Tool::builder("count_tasks")
    ///     .requires(State::<Repo>::key())
    ///     .handler(|(): (), _ctx| async move { Ok::<_, ToolError>(0) });
    /// let agent = Agent::builder("Reporter").tool(count).build();
    /// let agency = Agency::builder("Tasks").entry(agent).build().unwrap();
    /// let err = agency.check_states(&States::new()).unwrap_err();
    /// assert!(err.to_string().starts_with("tool 'count_tasks' needs a `"), "{err}");
    /// assert!(agency.check_states(&States::new().with(Repo)).is_ok());
    /// ```
    pub fn check_states(&self, fallback: &crate::States) -> Result<(), crate::MissingState> {
        let states = self.0.states.or(fallback);
        states.check(self.agents().flat_map(|a| a.tools()))
    }
}
