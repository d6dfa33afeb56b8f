//! What every agent run inside one run shares.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Crew, RunConfig, transcript::Transcript};
use crate::RunEvent;
use crate::model::Model;

/// Where events go: nowhere (a plain run) or a channel (a streamed run).
pub(crate) type Sink = Option<mpsc::Sender<RunEvent>>;

/// The scope of one run: the agents it can reach, its configuration, its transcript, where its
/// events go and the model back end. Cloning is cheap; sub-agent runs share their parent's.
#[derive(Clone)]
pub(crate) struct Scope {
    pub(crate) crew: Arc<Crew>,
    pub(crate) config: Arc<RunConfig>,
    pub(crate) transcript: Arc<Transcript>,
    pub(crate) sink: Sink,
    pub(crate) backend: Arc<dyn Model>,
}
