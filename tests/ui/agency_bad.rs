use agency::prelude::*;

/// Answers.
#[agent]
struct Assistant;

#[agency(name = "demo")]
fn with_options() -> AgencyBuilder {
    Agency::builder("demo").entry(Assistant)
}

#[agency]
fn generic<T>() -> AgencyBuilder {
    Agency::builder("demo").entry(Assistant)
}

#[agency]
fn with_params(name: String) -> AgencyBuilder {
    Agency::builder(name).entry(Assistant)
}

#[agency]
async fn later() -> AgencyBuilder {
    Agency::builder("demo").entry(Assistant)
}

#[agency]
struct Demo;

fn main() {}
