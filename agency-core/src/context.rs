use std::sync::{Arc, RwLock};

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::ToolError;
use crate::state::{MissingState, State, States};

/// What a running tool can see of the run that called it.
///
/// Take `&ToolContext` as a parameter of a `#[tool]` function (or of a tool struct's `run`) to
/// receive it; it is never part of the tool's schema. Cloning is cheap.
///
/// ```
/// use agency_core::ToolContext;
///
/// let ctx = ToolContext::new();
/// ctx.user_context().set("plan", "pro");
/// assert_eq!(ctx.user_context().get::<String>("plan").as_deref(), Some("pro"));
/// assert!(!ctx.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ToolContext {
    agent: Option<Arc<str>>,
    call_id: Option<Arc<str>>,
    user_context: UserContext,
    cancel: CancellationToken,
    default_timeout: Option<std::time::Duration>,
    states: States,
    shared_state: SharedState,
}

impl ToolContext {
    /// A context with no agent, an empty user context and a fresh cancellation token: what the
    /// HTTP tool routes give a tool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the agent that is calling the tool.
    pub fn with_agent(mut self, agent: impl Into<Arc<str>>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// Sets the model's id for this call.
    pub fn with_call_id(mut self, call_id: impl Into<Arc<str>>) -> Self {
        self.call_id = Some(call_id.into());
        self
    }

    /// Shares `user_context` with this call.
    pub fn with_user_context(mut self, user_context: UserContext) -> Self {
        self.user_context = user_context;
        self
    }

    /// The timeout for tools that set none of their own (default [`DEFAULT_TOOL_TIMEOUT`]).
    ///
    /// [`DEFAULT_TOOL_TIMEOUT`]: crate::DEFAULT_TOOL_TIMEOUT
    pub fn with_default_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// The timeout for tools that set none of their own, if one was given.
    pub fn default_timeout(&self) -> Option<std::time::Duration> {
        self.default_timeout
    }

    /// Gives this call the shared values of the server, agency or run.
    pub fn with_states(mut self, states: States) -> Self {
        self.states = states;
        self
    }

    /// Shares the run's client-visible state with this call.
    pub fn with_shared_state(mut self, state: SharedState) -> Self {
        self.shared_state = state;
        self
    }

    /// The state the run shares with its client (an AG-UI front end's `state`): tools read and
    /// change it, and the client is sent it again whenever a tool changed it. Empty when the
    /// client sent none.
    pub fn shared_state(&self) -> &SharedState {
        &self.shared_state
    }

    /// The shared values this call can ask for.
    pub fn states(&self) -> &States {
        &self.states
    }

    /// The shared value of type `T` (given with `.state(value)` to the server, the agency or the
    /// run), or [`ToolError::MissingState`] naming the type. A `State<T>` parameter of a
    /// `#[tool]` function is the same, checked at startup.
    ///
    /// ```
    /// use agency_core::{States, ToolContext};
    ///
    /// struct Pool(&'static str);
    ///
    /// let ctx = ToolContext::new().with_states(States::new().with(Pool("tasks.db")));
    /// assert_eq!(ctx.state::<Pool>().unwrap().0, "tasks.db");
    /// let missing = ctx.state::<String>().unwrap_err();
    /// assert!(missing.to_string().contains("needs a `alloc::string::String`"));
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<State<T>, ToolError> {
        self.states.get::<T>().map(State::new).ok_or_else(|| {
            ToolError::MissingState(MissingState {
                tool: None,
                type_name: std::any::type_name::<T>(),
            })
        })
    }

    /// The run's user context read as a `T` (a struct of the fields the tool expects); an error
    /// names the field that does not fit and why.
    ///
    /// ```
    /// use agency_core::{ToolContext, UserContext};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Caller {
    ///     plan: String,
    ///     seats: u32,
    /// }
    ///
    /// let ctx = ToolContext::new();
    /// ctx.user_context().set("plan", "pro");
    /// ctx.user_context().set("seats", "many");
    /// let err = ctx.user_context_as::<Caller>().err().unwrap();
    /// assert!(err.to_string().starts_with("user_context field `seats` does not fit"), "{err}");
    /// ctx.user_context().set("seats", 3);
    /// assert_eq!(ctx.user_context_as::<Caller>().unwrap().seats, 3);
    /// ```
    pub fn user_context_as<T: DeserializeOwned>(&self) -> Result<T, ToolError> {
        let value = Value::Object(self.user_context.snapshot());
        serde_path_to_error::deserialize::<_, T>(&value).map_err(|e| {
            let path = e.path().to_string();
            let ty = std::any::type_name::<T>();
            let reason = e.into_inner();
            ToolError::Failed(if path == "." {
                format!("user_context does not fit `{ty}`: {reason}")
            } else {
                format!("user_context field `{path}` does not fit `{ty}`: {reason}")
            })
        })
    }

    /// Ties this call to a run's cancellation.
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The name of the agent that called the tool; `None` when it was called over HTTP.
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    /// The model's id for this tool call; `None` when it was called over HTTP.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// Structured data of the run, shared by every tool of the run and never sent to the model.
    pub fn user_context(&self) -> &UserContext {
        &self.user_context
    }

    /// The run's cancellation token: long-running tools should stop when it fires.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// A run's shared, mutable key-value data (a JSON object), read and written by tools.
///
/// Clones share the same data.
#[derive(Clone, Debug, Default)]
pub struct UserContext(Arc<RwLock<Map<String, Value>>>);

impl UserContext {
    /// A context holding `values`.
    pub fn from_map(values: Map<String, Value>) -> Self {
        UserContext(Arc::new(RwLock::new(values)))
    }

    /// The value under `key`, deserialized as `T`; `None` when absent or of another shape.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Stores `value` under `key`; a value that cannot be represented as JSON is stored as null.
    pub fn set(&self, key: impl Into<String>, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        map.insert(key.into(), value);
    }

    /// Removes `key`, returning its raw value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        map.shift_remove(key)
    }

    /// A copy of the whole object.
    pub fn snapshot(&self) -> Map<String, Value> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Writes every entry of `values` over the current ones (the request wins).
    pub fn merge(&self, values: Map<String, Value>) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        map.extend(values);
    }
}

/// The state a run shares with its client (AG-UI's `state`): a JSON object tools read and write
/// like a [`UserContext`], which the client sees too. Clones share the same data.
///
/// ```
/// use agency_core::SharedState;
///
/// let state = SharedState::default();
/// state.set("theme", "dark");
/// assert_eq!(state.get::<String>("theme").as_deref(), Some("dark"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct SharedState(UserContext);

impl SharedState {
    /// A state holding `values`.
    pub fn from_map(values: Map<String, Value>) -> Self {
        SharedState(UserContext::from_map(values))
    }
}

impl std::ops::Deref for SharedState {
    type Target = UserContext;

    fn deref(&self) -> &UserContext {
        &self.0
    }
}
