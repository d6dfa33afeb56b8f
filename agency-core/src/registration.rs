//! What `#[tool]`, `#[agent]` and `#[agency]` register through `inventory`: one
//! [`Registration`] shape, collected once for each kind of item.

use std::fmt;

use crate::{Agency, AgencyError, Agent, Tool};

/// An item registered by `#[tool]`, `#[agent]` or `#[agency]` through `inventory`: its name,
/// where it was defined, and how to build it. Generated code builds these; you rarely name this
/// type, but [`ToolRegistration`], [`AgentRegistration`] and [`AgencyRegistration`].
pub struct Registration<T> {
    /// The item's name.
    pub name: &'static str,
    /// Where the item was defined, as `file:line`.
    pub location: &'static str,
    /// Builds the item.
    pub build: fn() -> T,
}

impl<T> Registration<T>
where
    Self: inventory::Collect,
{
    /// Every registration of this kind in the crates linked into the program, sorted by name,
    /// then by location.
    pub fn all() -> Vec<&'static Self> {
        let mut all: Vec<&'static Self> = inventory::iter::<Self>().collect();
        all.sort_by_key(|r| (r.name, r.location));
        all
    }
}

impl<T> fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("location", &self.location)
            .field("build", &self.build)
            .finish()
    }
}

/// A tool registered by `#[tool]`; `Toolbox::discover()` collects them.
pub type ToolRegistration = Registration<Tool>;

/// An agent registered by `#[agent]`; `build` builds it on the first call, later calls hand out
/// cheap clones.
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
///
/// Two agents may share a name (in different agencies, say); an agency refuses two different
/// agents of one name when it is built.
pub type AgentRegistration = Registration<Agent>;

/// An agency factory registered by `#[agency]`, under the factory function's name; `build` is
/// called once per request, so requests share no state.
pub type AgencyRegistration = Registration<Result<Agency, AgencyError>>;

inventory::collect!(ToolRegistration);
inventory::collect!(AgentRegistration);
inventory::collect!(AgencyRegistration);
