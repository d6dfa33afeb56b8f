//! Toolsets: tools an agent takes from somewhere else when a run starts (an MCP server's, say),
//! rather than from its own code.

use std::fmt::Debug;

use futures::future::BoxFuture;

use crate::Tool;

/// A source of tools found at run time. An agent with toolsets
/// ([`AgentBuilder::toolset`](crate::AgentBuilder::toolset)) asks each for its tools when a run
/// starts and offers them beside its own; a tool named like one of its own is left out (its own
/// wins), with a warning.
///
/// `tools` never fails: a source that cannot answer reports why (a log line) and returns what it
/// has, an empty list if nothing, and answers again on the next run. It must answer within its
/// own deadline: the run waits for it.
///
/// ```
/// use agency_core::{Agent, Tool, ToolError, Toolset};
/// use futures::future::BoxFuture;
///
/// /// Tools made up when asked.
/// #[derive(Debug)]
/// struct Clock;
///
/// impl Toolset for Clock {
///     fn name(&self) -> &str {
///         "clock"
///     }
///     fn tools(&self) -> BoxFuture<'_, Vec<Tool>> {
///         Box::pin(async {
///             vec![Tool::builder("now").handler(|(): (), _| async { Ok::<_, ToolError>("noon") })]
///         })
///     }
/// }
///
/// let agent = Agent::builder("Assistant").toolset(Clock).build();
/// assert_eq!(agent.toolsets()[0].name(), "clock");
/// assert!(agent.tools().is_empty(), "its tools come when a run starts");
/// ```
pub trait Toolset: Debug + Send + Sync + 'static {
    /// What the toolset is called in logs and warnings.
    fn name(&self) -> &str;

    /// Its tools now.
    fn tools(&self) -> BoxFuture<'_, Vec<Tool>>;
}
