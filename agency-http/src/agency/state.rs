use std::sync::Arc;

use agency_core::model::{ClientConfig, Model};
use agency_core::{Agency, AgencyError};
use axum::body::Bytes;
use axum::extract::FromRef;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::ClientPolicy;
use super::request::AgencyRequestSchema;
use super::runs::RunRegistry;
use crate::body::BodyLimit;

/// Makes a fresh agency for each request, so requests share no mutable state.
pub type AgencyFactory = Arc<dyn Fn() -> Result<Agency, AgencyError> + Send + Sync>;

/// What the routes of one agency need: their axum state (shared, so cloning it per request is
/// one reference count).
pub(crate) type SharedAgency = Arc<AgencyState>;

pub(crate) struct AgencyState {
    /// `{a}` of the routes.
    pub route: String,
    pub factory: AgencyFactory,
    /// One instance built at startup: names for validation, the metadata graph.
    pub template: Agency,
    /// The request schema, with the agency's agents as the `recipient_agent` enum.
    pub requests: AgencyRequestSchema,
    /// The `get_metadata` body, serialized once.
    pub metadata: Bytes,
    /// What every agency of the server shares.
    pub common: Arc<Common>,
}

/// What the agencies of one server share: the model client, the limits, the shutdown signal.
pub(crate) struct Common {
    /// The model client from the environment (a request's `client_config` goes over it).
    pub client: ClientConfig,
    /// What a request's `client_config` may change.
    pub policy: ClientPolicy,
    /// A model back end to use instead of OpenAI.
    pub model: Option<Arc<dyn Model>>,
    /// Where streamed runs are registered (cancel, resume).
    pub registry: Arc<dyn RunRegistry>,
    /// Whether a stream's run is cancelled when its client goes away.
    pub cancel_on_disconnect: bool,
    /// The runs that go on without their client: the server waits for them at shutdown.
    pub tracker: tokio_util::task::TaskTracker,
    /// Where chats are kept, when they are.
    pub threads: Option<agency_core::thread::Threads>,
    pub body_limit: usize,
    pub run_timeout: Duration,
    pub tool_timeout: Duration,
    /// How long an `after_turn` cancel waits for its stream (the shutdown deadline).
    pub cancel_wait: Duration,
    /// Fires when the server shuts down: every run is a child of it.
    pub shutdown: CancellationToken,
    /// The shared values the server gives tools (under each agency's own).
    pub states: agency_core::States,
    /// AG-UI mode: `get_response_stream` speaks AG-UI.
    pub agui: bool,
    /// The server's metrics (runs, streams; each run reports its model and tool calls).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where a request's `file_urls` may come from.
    pub files: crate::files::Sources,
}

impl FromRef<SharedAgency> for BodyLimit {
    fn from_ref(state: &SharedAgency) -> BodyLimit {
        BodyLimit(state.common.body_limit)
    }
}

impl AgencyState {
    /// The state of `template`'s routes: its request schema and metadata body are built here,
    /// once.
    pub(crate) fn new(
        route: String,
        factory: AgencyFactory,
        template: Agency,
        common: Arc<Common>,
    ) -> Self {
        let mut metadata = super::layout::metadata(&template);
        // Filled in per request (the entries that are directories then), by the route.
        metadata["allowed_local_file_dirs"] = serde_json::Value::Null;
        AgencyState {
            route,
            factory,
            requests: AgencyRequestSchema::new(&template),
            metadata: Bytes::from(metadata.to_string()),
            template,
            common,
        }
    }
}
