use agency::prelude::*;

/// An enum is not a tool.
#[tool]
enum Mode {
    Fast,
    Slow,
}

/// A tuple struct has no property names.
#[tool]
struct Pair(i64, i64);

/// `#[tool]` derives these itself.
#[tool]
#[derive(Debug, serde::Deserialize)]
struct Twice {
    a: i64,
}

fn main() {}
