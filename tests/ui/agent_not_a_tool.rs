use agency::prelude::*;

fn helper(a: i64) -> i64 {
    a
}

struct NotATool;

mod tools {
    pub enum Plain {}
}

/// Lists things that are not tools.
#[agent(tools = [helper, NotATool, tools::Plain])]
struct Assistant;

/// A structured answer needs a `JsonSchema` type.
#[agent(output = NotATool)]
struct Structured;

fn main() {
    let _ = helper(1);
}
