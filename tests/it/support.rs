//! What several test modules share: the tools of the reference transcripts (`add` and
//! `Address`, as the original server had them), built by hand so their names stay free for the
//! `#[tool]` items other modules define, and the HTTP harness (`http`).

pub mod binary;
pub mod http;

use agency::{Tool, ToolError};
use schemars::JsonSchema;
use serde::Deserialize;

/// Add two integers and return the sum.
#[derive(JsonSchema, Deserialize)]
pub struct AddArgs {
    /// First addend
    pub a: i64,
    /// Second addend
    pub b: i64,
}

/// Format a postal address from a street and a zip code.
#[derive(JsonSchema, Deserialize)]
pub struct Address {
    /// Street name and number
    pub street: String,
    /// Numeric postal code
    pub zip_code: u32,
}

/// How urgent a task is.
#[derive(JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Only its schema and parsing are used.
pub enum Priority {
    /// Can wait
    Low,
    /// This week
    Medium,
    /// Today
    High,
}

/// An undocumented enum: a plain `enum` of strings.
#[derive(JsonSchema, Deserialize)]
#[allow(dead_code)] // Only its schema and parsing are used.
pub enum Size {
    Small,
    Large,
}

/// `add(a, b)`: the reference's first tool.
pub fn add_tool() -> Tool {
    Tool::builder("add")
        .description("Add two integers and return the sum.")
        .handler(|args: AddArgs, _ctx| async move { Ok::<_, ToolError>(args.a + args.b) })
}

/// `Address { street, zip_code }`: the reference's second tool.
pub fn address_tool() -> Tool {
    Tool::builder("Address")
        .description("Format a postal address from a street and a zip code.")
        .handler(|a: Address, _ctx| async move {
            Ok::<_, ToolError>(format!("{}, {}", a.street, a.zip_code))
        })
}

/// Entries as they go on the wire (what `new_messages` holds).
pub fn wire(entries: &[agency::Entry]) -> Vec<serde_json::Value> {
    entries
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}
