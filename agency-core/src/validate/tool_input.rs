//! A tool's input schema, compiled for validation when the tool is built.

use serde_json::Value;

use super::Validator;
use crate::ToolSchemaError;
use crate::schema::bound_integers;

/// The schema a tool's arguments are validated against, compiled, and why the tool is refused
/// if it is.
pub(crate) struct ToolInput {
    validator: Validator,
    refused: Option<ToolSchemaError>,
}

impl ToolInput {
    /// Compiles `schema` for the tool `tool`, with the range of 64-bit integers on integers
    /// that have no bounds (what the validator takes). What the validator leaves unchecked is
    /// added to `warnings`; both that and a refusal are logged.
    pub(crate) fn new(tool: &str, mut schema: Value, warnings: &mut Vec<String>) -> Self {
        bound_integers(&mut schema);
        let (validator, problems) = Validator::compile(schema);
        let refused = problems.into_iter().next().map(|error| ToolSchemaError {
            tool: tool.to_owned(),
            error: Box::new(error),
        });
        if let Some(refused) = &refused {
            tracing::error!("{refused}");
        }
        if !validator.unchecked().is_empty() {
            let warning = format!(
                "tool '{tool}': the argument validator does not check {}; arguments are not refused for them",
                validator.unchecked().join(", ")
            );
            tracing::warn!("{warning}");
            warnings.push(warning);
        }
        ToolInput { validator, refused }
    }

    pub(crate) fn validator(&self) -> &Validator {
        &self.validator
    }

    /// Why the tool is refused, if it is.
    pub(crate) fn refused(&self) -> Option<&ToolSchemaError> {
        self.refused.as_ref()
    }
}
