//! Shared values for tools, by type: the framework's dependency injection.
//!
//! A server, an agency or a run is given values ([`States`]): a database pool, a repository, a
//! client. A tool asks for one by type, as a `State<T>` parameter of a `#[tool]` function (not
//! part of its schema) or with [`ToolContext::state`](crate::ToolContext::state).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::{ToolContext, ToolError};

/// A shared value of type `T` a tool receives: the value a server, an agency or a run was given
/// with `.state(value)`. It dereferences to `T`; cloning is cheap.
///
/// As a parameter of a `#[tool]` function it is not part of the tool's input, and the tool
/// declares that it needs a `T`: a server or agency that serves the tool without one fails at
/// startup, naming the tool and the type.
///
/// ```
/// use agency_core::{State, States, Tool, ToolContext, ToolError};
///
/// struct Greeting(&'static str);
///
/// let greet = Tool::builder("greet")
///     .requires(State::<Greeting>::key())
///     .handler(|name: String, ctx: ToolContext| async move {
///         let greeting = State::<Greeting>::from_context(&ctx)?;
///         Ok::<_, ToolError>(format!("{}, {name}!", greeting.0))
///     });
/// assert_eq!(greet.requires()[0].type_name(), std::any::type_name::<Greeting>());
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let ctx = ToolContext::new().with_states(States::new().with(Greeting("Hello")));
/// let out = greet.call(serde_json::json!("Ada"), ctx).await.unwrap();
/// assert_eq!(out, "Hello, Ada!");
/// # });
/// ```
pub struct State<T: ?Sized>(Arc<T>);

impl<T: Send + Sync + 'static> State<T> {
    /// What a tool that takes this state requires ([`ToolBuilder::requires`](crate::ToolBuilder::requires)).
    pub fn key() -> StateKey {
        StateKey::of::<T>()
    }

    /// The context's value of type `T`, or [`ToolError::MissingState`] naming the type.
    pub fn from_context(ctx: &ToolContext) -> Result<Self, ToolError> {
        ctx.state::<T>()
    }
}

impl<T: ?Sized> State<T> {
    /// A handle to `value`.
    pub fn new(value: Arc<T>) -> Self {
        State(value)
    }

    /// The shared value itself.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&&*self.0).finish()
    }
}

/// A type a tool needs a value of: its `TypeId` and its name for messages.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateKey {
    id: TypeId,
    name: &'static str,
}

impl StateKey {
    /// The key of `T`.
    pub fn of<T: ?Sized + 'static>() -> Self {
        StateKey {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }

    /// The type's name, as `std::any::type_name` spells it.
    pub fn type_name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Values by type, given to tools. Cloning is cheap (the map is shared until it is changed).
///
/// ```
/// use agency_core::States;
///
/// #[derive(Debug, PartialEq)]
/// struct Limit(u32);
///
/// let server = States::new().with(Limit(10)).with("shared name");
/// let agency = States::new().with(Limit(3));
/// let states = agency.or(&server); // the agency's value wins
/// assert_eq!(*states.get::<Limit>().unwrap(), Limit(3));
/// assert_eq!(*states.get::<&str>().unwrap(), "shared name");
/// assert!(states.get::<String>().is_none());
/// ```
#[derive(Clone, Default)]
pub struct States(Arc<HashMap<TypeId, Slot>>);

#[derive(Clone)]
struct Slot {
    value: Arc<dyn Any + Send + Sync>,
    name: &'static str,
}

impl States {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value` (replacing a value of the same type).
    pub fn with<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.with_arc(Arc::new(value))
    }

    /// Adds a value already behind an `Arc` (replacing a value of the same type).
    pub fn with_arc<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.insert_arc(value);
        self
    }

    /// Adds a value already behind an `Arc`, in place.
    pub fn insert_arc<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        let slot = Slot {
            value,
            name: std::any::type_name::<T>(),
        };
        Arc::make_mut(&mut self.0).insert(TypeId::of::<T>(), slot);
    }

    /// The value of type `T`, if there is one.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let slot = self.0.get(&TypeId::of::<T>())?;
        slot.value.clone().downcast::<T>().ok()
    }

    /// Whether there is a value for `key`.
    pub fn contains(&self, key: &StateKey) -> bool {
        self.0.contains_key(&key.id)
    }

    /// These values, and those of `fallback` for the types these lack.
    pub fn or(&self, fallback: &States) -> States {
        if fallback.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return fallback.clone();
        }
        let mut map = (*fallback.0).clone();
        map.extend(self.0.iter().map(|(k, v)| (*k, v.clone())));
        States(Arc::new(map))
    }

    /// Whether there is no value at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first of `tools`' requirements these values do not meet, as an error naming the tool
    /// and the type.
    pub fn check<'a>(
        &self,
        tools: impl IntoIterator<Item = &'a crate::Tool>,
    ) -> Result<(), MissingState> {
        for tool in tools {
            if let Some(key) = tool.requires().iter().find(|k| !self.contains(k)) {
                return Err(MissingState {
                    tool: Some(tool.name().to_owned()),
                    type_name: key.type_name(),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.0.values().map(|s| s.name).collect();
        names.sort_unstable();
        f.debug_set().entries(names).finish()
    }
}

/// A tool needs a value of a type nobody provided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} needs a `{type_name}`, and none was provided: add `.state(value)` with one to the server, the agency or the run (RunConfig::state)",
    match tool { Some(t) => format!("tool '{t}'"), None => "a tool".to_owned() }
)]
pub struct MissingState {
    /// The tool, when known.
    pub tool: Option<String>,
    /// The type's name.
    pub type_name: &'static str,
}
