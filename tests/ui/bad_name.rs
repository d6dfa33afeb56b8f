use agency::prelude::*;

/// Spaces are not allowed in a tool name.
#[tool(name = "add two")]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// The identifier is longer than the 64 characters a tool name may have.
#[tool]
fn a_function_name_that_is_far_too_long_to_be_the_name_of_an_openai_tool() {}

fn main() {}
