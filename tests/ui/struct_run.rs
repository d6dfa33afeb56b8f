use agency::prelude::*;

/// No `run` method.
#[tool]
struct Lonely {
    a: i64,
}

/// `run` borrows instead of taking `self`.
#[tool]
struct Borrower {
    a: i64,
}

impl Borrower {
    fn run(&self) -> i64 {
        self.a
    }
}

fn main() {}
