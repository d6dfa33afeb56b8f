use std::sync::Arc;

use agency_core::model::{ClientConfig, Model};
use agency_core::{Agency, AgencyError};

use super::cancel::CancelRegistry;
use crate::auth::BearerAuth;

/// Makes a fresh agency for each request, so requests share no mutable state.
pub type AgencyFactory = Arc<dyn Fn() -> Result<Agency, AgencyError> + Send + Sync>;

/// What the routes of one agency need.
#[derive(Clone)]
pub(crate) struct AgencyState {
    /// `{a}` of the routes.
    pub route: String,
    pub factory: AgencyFactory,
    /// One instance built at startup: names for validation, the metadata graph.
    pub template: Agency,
    /// The model client from the environment (a request's `client_config` goes over it).
    pub client: ClientConfig,
    /// A model back end to use instead of OpenAI.
    pub model: Option<Arc<dyn Model>>,
    pub registry: Arc<dyn CancelRegistry>,
    pub auth: Option<BearerAuth>,
    pub body_limit: usize,
}
