use agency::prelude::*;

/// Generic over T.
#[tool]
fn first<T: Clone>(items: Vec<T>) -> Option<T> {
    items.first().cloned()
}

/// Generic through `impl Trait`.
#[tool]
fn shout(text: impl Into<String>) -> String {
    text.into().to_uppercase()
}

/// A generic struct.
#[tool]
struct Wrapper<T> {
    inner: T,
}

fn main() {}
