use std::collections::BTreeMap;

use crate::{RegistryError, Tool, ToolRegistration};

/// A set of tools with unique, valid names, sorted by name.
///
/// ```
/// use agency_core::{Tool, Toolbox, ToolError};
///
/// let echo = Tool::builder("echo").handler(|v: String, _| async move { Ok::<_, ToolError>(v) });
/// let tools = Toolbox::new().with(echo.clone()).unwrap();
/// assert_eq!(tools.get("echo").map(Tool::name), Some("echo"));
/// assert!(Toolbox::new().with(echo.clone()).unwrap().with(echo).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Toolbox {
    tools: BTreeMap<String, (Tool, String)>,
}

impl Toolbox {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every tool registered with `#[tool]` in the crates linked into this binary.
    ///
    /// A crate that is only listed in `Cargo.toml` and never named in code is not linked, and its
    /// tools are missing: name it somewhere (`use my_tools as _;`).
    pub fn discover() -> Result<Self, RegistryError> {
        let mut tools = Toolbox::new();
        for reg in ToolRegistration::all() {
            tools.insert((reg.build)(), format!("defined at {}", reg.location))?;
        }
        Ok(tools)
    }

    /// Adds `tool`, refusing an invalid or duplicate name and an input schema the validator
    /// cannot use ([`Tool::check`]).
    pub fn with(mut self, tool: Tool) -> Result<Self, RegistryError> {
        self.insert(tool, "registered explicitly".to_owned())?;
        Ok(self)
    }

    /// Adds every tool of `other`, refusing duplicates.
    pub fn merge(mut self, other: Toolbox) -> Result<Self, RegistryError> {
        for (_, (tool, location)) in other.tools {
            self.insert(tool, location)?;
        }
        Ok(self)
    }

    fn insert(&mut self, tool: Tool, location: String) -> Result<(), RegistryError> {
        if !agency_names::is_valid(tool.name()) {
            return Err(RegistryError::InvalidToolName(tool.name().to_owned()));
        }
        tool.check().map_err(RegistryError::InvalidToolSchema)?;
        if let Some((_, first)) = self.tools.get(tool.name()) {
            return Err(RegistryError::DuplicateTool {
                name: tool.name().to_owned(),
                first: first.clone(),
                second: location,
            });
        }
        self.tools.insert(tool.name().to_owned(), (tool, location));
        Ok(())
    }

    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.get(name).map(|(t, _)| t)
    }

    /// The tools, sorted by name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Tool> {
        self.tools.values().map(|(t, _)| t)
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}
