use crate::Agency;

/// An agency factory registered by `#[agency]` through `inventory`.
#[derive(Debug)]
pub struct AgencyRegistration {
    /// The factory function's name.
    pub name: &'static str,
    /// Where it was defined, as `file:line`.
    pub location: &'static str,
    /// Builds the agency (called once per request, so requests share no state).
    pub build: fn() -> Result<Agency, crate::agency::AgencyError>,
}

inventory::collect!(AgencyRegistration);

impl AgencyRegistration {
    /// Every registered factory, sorted by name.
    pub fn all() -> Vec<&'static AgencyRegistration> {
        let mut all: Vec<_> = inventory::iter::<AgencyRegistration>().collect();
        all.sort_by_key(|r| (r.name, r.location));
        all
    }
}
