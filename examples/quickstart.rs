//! The quickstart: two tools, served over HTTP with OpenAPI docs.
//!
//! ```sh
//! cargo run --example quickstart            # serve on http://localhost:8000 (docs at /docs)
//! cargo run --example quickstart -- list    # what was discovered
//! cargo run --example quickstart -- export openapi -o openapi.json
//! ```

use agency::prelude::*;

/// Add two integers and return the sum.
#[tool]
fn add(a: i64, b: i64) -> i64 {
    a + b
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

#[tokio::main]
async fn main() -> agency::Result<()> {
    agency::main().await
}
