use agency::prelude::*;

/// Fields.
#[agent]
struct Named {
    model: String,
}

/// Tuple fields.
#[agent]
struct Tuple(String);

/// Generic.
#[agent]
struct Generic<T>;

/// An enum.
#[agent]
enum Agents {
    A,
}

/// A function.
#[agent]
fn assistant() -> Agent {
    Agent::builder("Assistant").build()
}

fn main() {}
