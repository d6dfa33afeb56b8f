use std::sync::Arc;
use std::time::Duration;

use crate::model::{ClientConfig, Model, OpenAiModel};
use crate::thread::{ChatKey, ChatRef, Threads};
use crate::{SharedState, States, UserContext};

use super::{RunControl, RunObserver};

/// How long a run may take by default (10 minutes).
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// How to run: which model client, the user context, extra instructions, cancellation,
/// deadlines.
///
/// The default reads the client from the environment ([`ClientConfig::from_env`]), gives the run
/// [`DEFAULT_RUN_TIMEOUT`] and each tool call [`DEFAULT_TOOL_TIMEOUT`](crate::DEFAULT_TOOL_TIMEOUT)
/// (unless the tool sets its own).
#[derive(Clone)]
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
    /// Uploaded file ids for a code-interpreter container of the agent that gets the message,
    /// this run only (the Responses API's `code_interpreter` tool; a request's `file_ids` of
    /// types the model cannot read inline).
    pub code_interpreter_files: Vec<String>,
    /// The history the conversation already has (items with metadata).
    pub history: Vec<crate::item::Entry>,
    /// Overrides the agent's `max_turns`.
    pub max_turns: Option<u32>,
    /// Cancels the run.
    pub control: RunControl,
    /// The stored chat the run continues ([`Agency::run`](crate::Agency::run) only): its items
    /// come before `history`, the run's new items are appended to it, and a second run of the
    /// same chat waits for the first (see [`Threads::turn`](crate::thread::Threads::turn)).
    pub chat: Option<ChatRef>,
    /// The longest the run may take: past it the run stops as on an immediate cancel and fails
    /// with [`RunError::DeadlineExceeded`](super::RunError::DeadlineExceeded).
    pub run_timeout: Duration,
    /// The longest a tool call may take when the tool sets no timeout of its own.
    pub tool_timeout: Duration,
    /// Told of each model call and tool call as it ends (metrics).
    pub observer: Option<Arc<dyn RunObserver>>,
    /// The run's id in logs and traces (the `run_id` field of its `invoke_agent` span); default:
    /// the entry agent's `agent_run_id`.
    pub run_id: Option<String>,
    /// Shared values for the run's tools (`State<T>`); an agency's own fill in the types these
    /// lack.
    pub states: States,
    /// Tools the client runs (an AG-UI front end's), offered to the agent that gets the message
    /// beside its own: a call of one ends the run with the call unanswered (see
    /// [`ToolBuilder::client`](crate::ToolBuilder::client)).
    pub client_tools: Vec<crate::Tool>,
    /// The state the run shares with its client, which tools read and write.
    pub shared_state: SharedState,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            client: ClientConfig::default(),
            model: None,
            user_context: UserContext::default(),
            additional_instructions: None,
            code_interpreter_files: Vec::new(),
            history: Vec::new(),
            max_turns: None,
            control: RunControl::default(),
            chat: None,
            run_timeout: DEFAULT_RUN_TIMEOUT,
            tool_timeout: crate::DEFAULT_TOOL_TIMEOUT,
            observer: None,
            run_id: None,
            states: States::default(),
            client_tools: Vec::new(),
            shared_state: SharedState::default(),
        }
    }
}

impl std::fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("client", &self.client)
            .field("custom_model", &self.model.is_some())
            .field("additional_instructions", &self.additional_instructions)
            .field("code_interpreter_files", &self.code_interpreter_files)
            .field("history_len", &self.history.len())
            .field("max_turns", &self.max_turns)
            .field("chat", &self.chat.as_ref().map(|c| &c.key))
            .field("run_timeout", &self.run_timeout)
            .field("tool_timeout", &self.tool_timeout)
            .field("observer", &self.observer.is_some())
            .field("run_id", &self.run_id)
            .field("states", &self.states)
            .field("client_tools", &self.client_tools.len())
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

    /// Sets the longest the run may take.
    pub fn run_timeout(mut self, timeout: Duration) -> Self {
        self.run_timeout = timeout;
        self
    }

    /// Sets the longest a tool call may take, for tools without a timeout of their own.
    pub fn tool_timeout(mut self, timeout: Duration) -> Self {
        self.tool_timeout = timeout;
        self
    }

    /// Continues the stored chat `key` of `threads` (see the field `chat`).
    pub fn chat(mut self, threads: Threads, key: ChatKey) -> Self {
        self.chat = Some(ChatRef { threads, key });
        self
    }

    /// Reports each model call and tool call of the run to `observer` as it ends.
    pub fn observer(mut self, observer: Arc<dyn RunObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sets the run's id in logs and traces.
    pub fn run_id(mut self, id: impl Into<String>) -> Self {
        self.run_id = Some(id.into());
        self
    }

    /// Gives the run's tools `value`, which they take as a `State<T>` parameter or with
    /// [`ToolContext::state`](crate::ToolContext::state).
    ///
    /// ```
    /// use agency_core::RunConfig;
    ///
    /// struct Repo;
    /// let config = RunConfig::default().state(Repo);
    /// assert!(config.states.get::<Repo>().is_some());
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states = self.states.with(value);
        self
    }

    /// Gives the run's tools every value of `states` (over the ones it has).
    pub fn states(mut self, states: States) -> Self {
        self.states = states.or(&self.states);
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
