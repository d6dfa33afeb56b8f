//! Agents: a model with instructions and tools.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;

use crate::model::{ModelSettings, OutputSchema};
use crate::{Tool, Toolset, schema};

/// The model an agent uses when it names none: `AGENCY_MODEL`, else `gpt-4o`.
pub fn default_model() -> String {
    std::env::var("AGENCY_MODEL")
        .ok()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| "gpt-4o".to_owned())
}

/// The most turns a run takes unless the agent says otherwise.
pub const DEFAULT_MAX_TURNS: u32 = 25;

/// An agent: a name, instructions, tools and a model. Cloning is cheap.
///
/// `#[agent]` builds one from a struct; [`Agent::builder`] builds one by hand.
///
/// ```
/// use agency_core::Agent;
///
/// let agent = Agent::builder("Assistant")
///     .description("General assistant.")
///     .instructions("You are a helpful assistant.")
///     .model("gpt-4o-mini")
///     .conversation_starter("What can you do?")
///     .build();
/// assert_eq!(agent.name(), "Assistant");
/// assert_eq!(agent.model(), "gpt-4o-mini");
/// assert_eq!(agent.max_turns(), 25);
/// ```
#[derive(Debug, Clone)]
pub struct Agent(Arc<AgentDef>);

#[derive(Debug, Clone)]
struct AgentDef {
    name: Cow<'static, str>,
    description: Cow<'static, str>,
    instructions: Cow<'static, str>,
    tools: Vec<Tool>,
    toolsets: Vec<Arc<dyn Toolset>>,
    model: Option<Cow<'static, str>>,
    settings: ModelSettings,
    conversation_starters: Vec<String>,
    quick_replies: Vec<String>,
    output: Option<OutputSchema>,
    max_turns: u32,
}

/// Why an agent could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// `instructions_file` could not be read.
    #[error("agent '{agent}': cannot read instructions file '{path}': {reason}")]
    InstructionsFile {
        /// The agent.
        agent: String,
        /// The path given.
        path: String,
        /// Why.
        reason: String,
    },
}

impl Agent {
    /// Starts building an agent named `name`.
    pub fn builder(name: impl Into<Cow<'static, str>>) -> AgentBuilder {
        AgentBuilder(AgentDef {
            name: name.into(),
            description: Cow::Borrowed(""),
            instructions: Cow::Borrowed(""),
            tools: Vec::new(),
            toolsets: Vec::new(),
            model: None,
            settings: ModelSettings::default(),
            conversation_starters: Vec::new(),
            quick_replies: Vec::new(),
            output: None,
            max_turns: DEFAULT_MAX_TURNS,
        })
    }

    /// The agent's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
    /// What the agent does (other agents read it to decide whom to message).
    pub fn description(&self) -> &str {
        &self.0.description
    }
    /// The system instructions.
    pub fn instructions(&self) -> &str {
        &self.0.instructions
    }
    /// The agent's own tools.
    pub fn tools(&self) -> &[Tool] {
        &self.0.tools
    }
    /// Where the agent takes more tools from when a run starts (MCP servers, say).
    pub fn toolsets(&self) -> &[Arc<dyn Toolset>] {
        &self.0.toolsets
    }
    /// The tool named `name`, among the agent's tools.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.0.tools.iter().find(|t| t.name() == name)
    }
    /// The model name.
    pub fn model(&self) -> String {
        self.0
            .model
            .as_deref()
            .map(str::to_owned)
            .unwrap_or_else(default_model)
    }
    /// The model settings.
    pub fn settings(&self) -> &ModelSettings {
        &self.0.settings
    }
    /// Suggested first messages for a chat UI.
    pub fn conversation_starters(&self) -> &[String] {
        &self.0.conversation_starters
    }
    /// Suggested quick replies for a chat UI.
    pub fn quick_replies(&self) -> &[String] {
        &self.0.quick_replies
    }
    /// The schema of a structured final answer, if any.
    pub fn output_schema(&self) -> Option<&OutputSchema> {
        self.0.output.as_ref()
    }
    /// The most model turns one run of this agent takes.
    pub fn max_turns(&self) -> u32 {
        self.0.max_turns
    }
    /// Whether the model is a reasoning model (o-series, gpt-5).
    pub fn is_reasoning_model(&self) -> bool {
        let model = self.model();
        let model = model.rsplit('/').next().unwrap_or(&model);
        model.starts_with('o') && model[1..].starts_with(|c: char| c.is_ascii_digit())
            || model.starts_with("gpt-5")
    }

    /// Whether `self` and `other` are clones of one agent value.
    pub fn ptr_eq(&self, other: &Agent) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// A copy of this agent with other instructions.
    pub fn with_instructions(&self, instructions: impl Into<Cow<'static, str>>) -> Agent {
        let mut def = (*self.0).clone();
        def.instructions = instructions.into();
        Agent(Arc::new(def))
    }

    /// A copy of this agent with more tools (used by agencies to add `send_message` and
    /// `transfer_to_*`).
    pub fn with_extra_tools(&self, tools: impl IntoIterator<Item = Tool>) -> Agent {
        let mut def = (*self.0).clone();
        def.tools.extend(tools);
        Agent(Arc::new(def))
    }
}

/// Builds an [`Agent`]; see [`Agent::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AgentBuilder(AgentDef);

impl AgentBuilder {
    /// What the agent does.
    pub fn description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.0.description = description.into();
        self
    }
    /// The system instructions.
    pub fn instructions(mut self, instructions: impl Into<Cow<'static, str>>) -> Self {
        self.0.instructions = instructions.into();
        self
    }
    /// Reads the system instructions from a file.
    pub fn instructions_file(mut self, path: impl AsRef<Path>) -> Result<Self, AgentError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| AgentError::InstructionsFile {
            agent: self.0.name.to_string(),
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        self.0.instructions = Cow::Owned(text);
        Ok(self)
    }
    /// Adds a tool.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.0.tools.push(tool);
        self
    }
    /// Adds tools.
    pub fn tools(mut self, tools: impl IntoIterator<Item = Tool>) -> Self {
        self.0.tools.extend(tools);
        self
    }
    /// Adds a source of tools found when a run starts (an MCP server: `agency::mcp::McpServer`),
    /// offered beside the agent's own; see [`Toolset`].
    pub fn toolset(mut self, toolset: impl Toolset) -> Self {
        self.0.toolsets.push(Arc::new(toolset));
        self
    }
    /// The model name (default: `AGENCY_MODEL`, else `gpt-4o`).
    pub fn model(mut self, model: impl Into<Cow<'static, str>>) -> Self {
        self.0.model = Some(model.into());
        self
    }
    /// All model settings at once.
    pub fn settings(mut self, settings: ModelSettings) -> Self {
        self.0.settings = settings;
        self
    }
    /// Sampling temperature.
    pub fn temperature(mut self, t: f64) -> Self {
        self.0.settings.temperature = Some(t);
        self
    }
    /// Nucleus sampling.
    pub fn top_p(mut self, p: f64) -> Self {
        self.0.settings.top_p = Some(p);
        self
    }
    /// Maximum output tokens per model call.
    pub fn max_output_tokens(mut self, n: u32) -> Self {
        self.0.settings.max_output_tokens = Some(n);
        self
    }
    /// Reasoning effort (`minimal`, `low`, `medium`, `high`).
    pub fn reasoning_effort(mut self, effort: impl Into<String>) -> Self {
        self.0.settings.reasoning_effort = Some(effort.into());
        self
    }
    /// Whether the model may call several tools at once.
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.0.settings.parallel_tool_calls = Some(parallel);
        self
    }
    /// `auto`, `required`, `none`, or a tool name. A forced choice (`required` or a name) holds
    /// until the agent's tools were called once in a run; later turns use the provider's default.
    pub fn tool_choice(mut self, choice: impl Into<String>) -> Self {
        self.0.settings.tool_choice = Some(choice.into());
        self
    }
    /// Ask Chat Completions servers for usage in the stream.
    pub fn include_usage(mut self, include: bool) -> Self {
        self.0.settings.include_usage = Some(include);
        self
    }
    /// Adds a conversation starter.
    pub fn conversation_starter(mut self, text: impl Into<String>) -> Self {
        self.0.conversation_starters.push(text.into());
        self
    }
    /// Adds a quick reply.
    pub fn quick_reply(mut self, text: impl Into<String>) -> Self {
        self.0.quick_replies.push(text.into());
        self
    }
    /// Makes the final answer a JSON value of type `T` (strict structured output).
    pub fn output_type<T: JsonSchema>(mut self) -> Self {
        let raw = schema::generate::<T>();
        let name = raw
            .get("title")
            .and_then(|t| t.as_str())
            .unwrap_or("output")
            .to_owned();
        let what = format!("the output type of agent '{}'", self.0.name);
        let for_model = schema::for_model(&raw, true, &what);
        self.0.output = Some(OutputSchema {
            name,
            schema: for_model.schema,
            strict: for_model.strict,
        });
        self
    }
    /// The most model turns one run takes (default 25).
    pub fn max_turns(mut self, n: u32) -> Self {
        self.0.max_turns = n.max(1);
        self
    }
    /// Finishes the agent.
    pub fn build(self) -> Agent {
        Agent(Arc::new(self.0))
    }
}
