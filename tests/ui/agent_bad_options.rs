use agency::prelude::*;

/// A misspelled option, values of the wrong kind or out of range, an option given twice.
#[agent(
    nmae = "Typos",
    model = 4,
    temperature = 3.5,
    max_turns = 0,
    reasoning_effort = "hard",
    conversation_starters = "Hi",
    tools = [add, add],
    model = "gpt-4o",
    model = "gpt-4o-mini",
    name = "a/b",
)]
struct Typos;

/// Both kinds of instructions.
#[agent(instructions = "Be nice.", instructions_file = "prompts/nice.md")]
struct Both;

/// A file that does not exist.
#[agent(instructions_file = "prompts/missing.md")]
struct Missing;

/// Add two integers.
#[tool]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    // Uses of the agents compile: only the errors above are reported.
    let _ = Typos::agent();
    let _ = Agency::builder("x").entry(Both).flow(Both, Missing);
}
