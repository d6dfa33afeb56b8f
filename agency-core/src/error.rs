use std::fmt;

use crate::validate::{FieldError, SchemaError};

/// Why a tool call failed.
///
/// A tool returns `Err(ToolError)` (or any error that implements `Display`, which is turned into
/// [`ToolError::Failed`]) to say it could not do its work. The HTTP server answers such a failure
/// with `500 {"error": "<message>"}`; the run loop sends the message back to the model so it can
/// correct itself.
///
/// ```
/// use agency_core::ToolError;
///
/// fn divide(a: f64, b: f64) -> Result<f64, ToolError> {
///     if b == 0.0 {
///         return Err(ToolError::new("cannot divide by zero"));
///     }
///     Ok(a / b)
/// }
/// assert_eq!(divide(1.0, 0.0).unwrap_err().to_string(), "cannot divide by zero");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The tool ran and reported a failure; the message is the tool's own.
    #[error("{0}")]
    Failed(String),
    /// The arguments do not match the tool's input schema. Each entry names the field and why.
    #[error("invalid arguments for tool '{tool}': {}", FieldErrors(.errors))]
    InvalidArguments {
        /// The tool that refused the arguments.
        tool: String,
        /// Every problem found, with its path.
        errors: Vec<FieldError>,
    },
    /// The tool panicked. The panic was contained; the process keeps running.
    #[error("tool '{0}' panicked")]
    Panicked(String),
    /// The call was cancelled before the tool finished.
    #[error("tool '{0}' was cancelled")]
    Cancelled(String),
    /// The tool did not finish within its timeout; it was told to stop
    /// ([`ToolContext::cancellation`](crate::ToolContext::cancellation)) and its result dropped.
    #[error("tool '{tool}' did not finish within {} s and was stopped", .after.as_secs_f64())]
    TimedOut {
        /// The tool.
        tool: String,
        /// The timeout that passed.
        after: std::time::Duration,
    },
    /// The tool's input schema is unusable, so the tool is never called (registries, agencies
    /// and servers refuse such a tool; see [`Tool::check`](crate::Tool::check)).
    #[error("{0}")]
    InvalidSchema(ToolSchemaError),
    /// The tool needs a shared value (`State<T>`, [`ToolContext::state`](crate::ToolContext::state))
    /// that the server, the agency and the run all lack.
    #[error("{0}")]
    MissingState(crate::MissingState),
}

/// A tool whose input schema the argument validator cannot use: a `multipleOf` of 0 or less, a
/// `pattern` that is not a valid regex, bounds no value meets... Found when the tool is built
/// and given by [`Tool::check`](crate::Tool::check); a [`Toolbox`](crate::Toolbox), an agency
/// and the HTTP server refuse the tool with it.
///
/// ```
/// use agency_core::{Tool, ToolError, Toolbox, RegistryError};
/// use serde_json::json;
///
/// let pay = Tool::builder("pay").json_handler(
///     json!({"type": "object", "properties": {"cents": {"type": "integer", "multipleOf": 0}}}),
///     |args, _ctx| async move { Ok::<_, ToolError>(args) },
/// );
/// let err = pay.check().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "tool 'pay' has an input schema the argument validator cannot use: \
///      field `cents` has `multipleOf: 0`, which must be a number greater than 0"
/// );
/// assert!(matches!(Toolbox::new().with(pay), Err(RegistryError::InvalidToolSchema(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tool '{tool}' has an input schema the argument validator cannot use: {error}")]
pub struct ToolSchemaError {
    /// The tool.
    pub tool: String,
    /// What is wrong with its schema (boxed: it is large, and rare).
    pub error: Box<SchemaError>,
}

impl ToolError {
    /// A failure with a message for the caller (and the model).
    pub fn new(message: impl fmt::Display) -> Self {
        ToolError::Failed(message.to_string())
    }
}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        ToolError::Failed(message)
    }
}

impl From<&str> for ToolError {
    fn from(message: &str) -> Self {
        ToolError::Failed(message.to_owned())
    }
}

struct FieldErrors<'a>(&'a [FieldError]);

impl fmt::Display for FieldErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A problem with the set of tools (or agents) given to a registry or server, found at startup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two tools share one name; names must be unique because they are route and function names.
    #[error(
        "two tools are named '{name}': one {first}, the other {second}; rename one with #[tool(name = \"...\")]"
    )]
    DuplicateTool {
        /// The shared name.
        name: String,
        /// Where the first one came from (`defined at file:line`, or `registered explicitly`).
        first: String,
        /// Where the second one came from.
        second: String,
    },
    /// A tool name that OpenAI would refuse.
    #[error("tool name '{0}' is invalid: it must match {pattern}", pattern = agency_names::PATTERN)]
    InvalidToolName(String),
    /// A tool whose input schema the argument validator cannot use.
    #[error("{0}")]
    InvalidToolSchema(ToolSchemaError),
}
