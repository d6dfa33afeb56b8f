use agency::prelude::*;

/// Two parameters with one name.
#[tool]
fn twice(a: i64, a: i64) -> i64 {
    a
}

/// A pattern instead of a name, and a borrowed parameter.
#[tool]
fn pattern((x, y): (i64, i64), label: &str) -> String {
    format!("{label}: {}", x + y)
}

fn main() {}
