use agency::prelude::*;

/// Not serializable.
pub struct Handle(u64);

/// The output must be `Serialize` (or a `Result` of a `Serialize` value).
#[tool]
fn open(path: String) -> Handle {
    Handle(path.len() as u64)
}

fn main() {}
