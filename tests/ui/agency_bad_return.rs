use agency::IntoAgency;
use agency::prelude::*;

/// Answers.
#[agent]
struct Assistant;

#[agency]
fn named() -> &'static str {
    "demo"
}

#[agency]
fn nothing() {}

#[agency]
fn opaque() -> impl Clone {
    1
}

/// Fine: `impl IntoAgency` is accepted.
#[agency]
fn fine() -> impl IntoAgency {
    Agency::builder("fine").entry(Assistant)
}

fn main() {}
