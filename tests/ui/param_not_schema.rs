use agency::prelude::*;

/// Deserializable, but without a JSON schema (no `#[derive(schemars::JsonSchema)]`).
#[derive(serde::Deserialize)]
pub struct Color {
    pub red: u8,
}

/// Paint something.
#[tool]
fn paint(
    /// The color
    color: Color,
) -> u8 {
    color.red
}

fn main() {}
