use std::sync::Arc;

use crate::UserContext;
use crate::model::{ClientConfig, Model, OpenAiModel};

use super::RunControl;

/// How to run: which model client, the user context, extra instructions, cancellation.
///
/// The default reads the client from the environment ([`ClientConfig::from_env`]).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RunConfig {
    /// The model client configuration (env defaults overridden by the request's).
    pub client: ClientConfig,
    /// A model back end to use instead of OpenAI (tests, other providers).
    pub model: Option<Arc<dyn Model>>,
    /// Structured data for tools, never sent to the model.
    pub user_context: UserContext,
    /// Extra instructions for the agent that gets the message, this run only.
    pub additional_instructions: Option<String>,
    /// The history the conversation already has (items with metadata).
    pub history: Vec<crate::item::Entry>,
    /// Overrides the agent's `max_turns`.
    pub max_turns: Option<u32>,
    /// Cancels the run.
    pub control: RunControl,
    /// Keeps the conversation server-side under this id (agencies with a thread store).
    pub chat_id: Option<String>,
}

impl std::fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("client", &self.client)
            .field("custom_model", &self.model.is_some())
            .field("additional_instructions", &self.additional_instructions)
            .field("history_len", &self.history.len())
            .field("max_turns", &self.max_turns)
            .field("chat_id", &self.chat_id)
            .finish_non_exhaustive()
    }
}

impl RunConfig {
    /// Client settings from the environment.
    pub fn from_env() -> Self {
        RunConfig {
            client: ClientConfig::from_env(),
            ..RunConfig::default()
        }
    }

    /// Runs on `model` instead of OpenAI.
    pub fn with_model(model: impl Model) -> Self {
        RunConfig {
            model: Some(Arc::new(model)),
            ..RunConfig::default()
        }
    }

    /// Sets the client configuration.
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.client = client;
        self
    }

    /// Sets the history.
    pub fn history(mut self, history: Vec<crate::item::Entry>) -> Self {
        self.history = history;
        self
    }

    /// Sets the user context.
    pub fn user_context(mut self, user_context: UserContext) -> Self {
        self.user_context = user_context;
        self
    }

    /// Sets extra instructions for this run.
    pub fn additional_instructions(mut self, text: impl Into<String>) -> Self {
        self.additional_instructions = Some(text.into());
        self
    }

    /// Sets the cancel handle.
    pub fn control(mut self, control: RunControl) -> Self {
        self.control = control;
        self
    }

    /// The model back end for this run.
    pub(crate) fn backend(&self) -> Arc<dyn Model> {
        match &self.model {
            Some(m) => m.clone(),
            None => Arc::new(OpenAiModel::new(self.client.clone())),
        }
    }
}
