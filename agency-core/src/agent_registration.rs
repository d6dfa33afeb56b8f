//! Agents registered by `#[agent]`.

use crate::Agent;

/// An agent registered by `#[agent]` through `inventory`. Generated code builds these; you rarely
/// name this type.
///
/// ```
/// use agency_core::AgentRegistration;
///
/// // Every `#[agent]` struct of the crates linked into the program, sorted by name.
/// for registration in AgentRegistration::all() {
///     let agent = (registration.build)();
///     assert_eq!(agent.name(), registration.name);
/// }
/// ```
#[derive(Debug)]
pub struct AgentRegistration {
    /// The agent's name.
    pub name: &'static str,
    /// Where the agent was defined, as `file:line`.
    pub location: &'static str,
    /// Builds the agent (the first call builds it; later calls hand out cheap clones).
    pub build: fn() -> Agent,
}

inventory::collect!(AgentRegistration);

impl AgentRegistration {
    /// Every registered agent, sorted by name, then by location.
    ///
    /// Two agents may share a name (in different agencies, say); an agency refuses two
    /// different agents of one name when it is built.
    pub fn all() -> Vec<&'static AgentRegistration> {
        let mut all: Vec<_> = inventory::iter::<AgentRegistration>().collect();
        all.sort_by_key(|r| (r.name, r.location));
        all
    }
}
