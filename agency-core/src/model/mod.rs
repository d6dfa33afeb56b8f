//! Models: the [`Model`] trait and its OpenAI back ends (Responses API and Chat Completions).
//!
//! Every back end yields the same stream of typed [`ModelEvent`]s, in the Responses API's
//! vocabulary (created, text and argument deltas, items added and done, completed with usage).
//! The Chat Completions back end produces them from its chunks, so the run loop and every client
//! see one format.

mod chat;
mod config;
mod egress;
mod error;
mod event;
pub mod files;
mod openai;
mod request;
mod synth;

pub use config::{ClientConfig, HeaderError, ModelApi, OPENAI_BASE_URL};
pub use egress::{Egress, EgressError, is_internal};
pub use error::ModelError;
pub use event::{
    DeltaEvent, InputTokensDetails, ItemEvent, ModelEvent, OutputTokensDetails, ResponseEvent,
    ResponseInfo, TokenUsage,
};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
pub use openai::OpenAiModel;
pub use request::{ModelRequest, ModelSettings, OutputSchema};
pub use synth::EventSynth;

/// A stream of model events.
pub type ModelStream = BoxStream<'static, Result<ModelEvent, ModelError>>;

/// Something that answers a [`ModelRequest`] with a stream of [`ModelEvent`]s.
///
/// Implement it to plug in another provider; tests use `agency_testing::ScriptedModel`, which
/// plays scripted replies in the process.
pub trait Model: Send + Sync + 'static {
    /// Starts a model call. Dropping the returned stream aborts the request.
    fn stream(&self, request: ModelRequest) -> BoxFuture<'static, Result<ModelStream, ModelError>>;
}
