//! Models: the [`Model`] trait and its OpenAI back ends (Responses API and Chat Completions).
//!
//! Every back end yields the same stream: OpenAI Responses API stream events as JSON
//! (`response.created`, `response.output_text.delta`, `response.output_item.done`,
//! `response.completed`, ...). The Chat Completions back end translates its chunks into them, so
//! the run loop and every client see one format.

mod chat;
mod config;
mod error;
mod openai;
mod request;
mod scripted;
mod synth;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde_json::Value;

pub use config::{ClientConfig, ModelApi};
pub use error::ModelError;
pub use openai::OpenAiModel;
pub use request::{ModelRequest, ModelSettings, OutputSchema};
pub use scripted::{ScriptedModel, ScriptedTurn};
pub use synth::ResponseSynth;

/// A stream of Responses API stream events.
pub type ModelStream = BoxStream<'static, Result<Value, ModelError>>;

/// Something that answers a [`ModelRequest`] with a stream of Responses API events.
///
/// Implement it to plug in another provider, or use [`ScriptedModel`] in tests.
pub trait Model: Send + Sync + 'static {
    /// Starts a model call. Dropping the returned stream aborts the request.
    fn stream(&self, request: ModelRequest) -> BoxFuture<'static, Result<ModelStream, ModelError>>;
}
