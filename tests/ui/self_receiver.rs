use agency::prelude::*;

struct Calculator;

impl Calculator {
    /// A method is not a tool.
    #[tool]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
