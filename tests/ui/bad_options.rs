use agency::prelude::*;

/// Misspelled option.
#[tool(nmae = "sum")]
fn sum(a: i64, b: i64) -> i64 {
    a + b
}

/// `strict` takes a bool.
#[tool(strict = "no")]
fn lax(a: i64) -> i64 {
    a
}

fn main() {}
