//! The quickstart: two tools, an agent that uses them and an agency around it, served over HTTP
//! with OpenAPI docs.
//!
//! ```sh
//! cargo run --example quickstart            # serve on http://localhost:8000 (docs at /docs)
//! cargo run --example quickstart -- list    # what was discovered
//! cargo run --example quickstart -- export openapi -o openapi.json
//! ```

use agency::prelude::*;

/// Add two integers and return the sum.
#[tool]
fn add(a: i32, b: i32) -> i64 {
    // 32-bit inputs, a 64-bit sum: no input can overflow it.
    i64::from(a) + i64::from(b)
}

/// Format a postal address from a street and a zip code.
#[tool]
struct Address {
    /// Street name and number
    street: String,
    /// Numeric postal code
    zip_code: u32,
}

impl Address {
    fn run(self) -> String {
        format!("{}, {}", self.street, self.zip_code)
    }
}

/// General assistant used for benchmarking.
#[agent(
    name = "Assistant",
    instructions = "You are a helpful assistant. Use the tools when asked.",
    model = "gpt-4o",
    tools = [add, Address],
)]
struct Assistant;

#[agency]
fn demo() -> AgencyBuilder {
    Agency::builder("demo").entry(Assistant)
}

#[tokio::main]
async fn main() -> agency::Result<()> {
    agency::main!().await
}
