//! What several test modules share: the tools of the reference transcripts (`add` and
//! `Address`, as the original server had them), built by hand so their names stay free for the
//! `#[tool]` items other modules define, and the HTTP harness (`http`).

pub mod binary;
pub mod http;

use agency::{Tool, ToolError};
use schemars::JsonSchema;
use serde::Deserialize;

/// Add two integers and return the sum.
#[derive(JsonSchema, Deserialize)]
pub struct AddArgs {
    /// First addend
    pub a: i64,
    /// Second addend
    pub b: i64,
}

/// Format a postal address from a street and a zip code.
#[derive(JsonSchema, Deserialize)]
pub struct Address {
    /// Street name and number
    pub street: String,
    /// Numeric postal code
    pub zip_code: u32,
}

/// How urgent a task is.
#[derive(JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Only its schema and parsing are used.
pub enum Priority {
    /// Can wait
    Low,
    /// This week
    Medium,
    /// Today
    High,
}

/// An undocumented enum: a plain `enum` of strings.
#[derive(JsonSchema, Deserialize)]
#[allow(dead_code)] // Only its schema and parsing are used.
pub enum Size {
    Small,
    Large,
}

/// `add(a, b)`: the reference's first tool.
pub fn add_tool() -> Tool {
    Tool::builder("add")
        .description("Add two integers and return the sum.")
        .handler(|args: AddArgs, _ctx| async move { Ok::<_, ToolError>(args.a + args.b) })
}

/// `Address { street, zip_code }`: the reference's second tool.
pub fn address_tool() -> Tool {
    Tool::builder("Address")
        .description("Format a postal address from a street and a zip code.")
        .handler(|a: Address, _ctx| async move {
            Ok::<_, ToolError>(format!("{}, {}", a.street, a.zip_code))
        })
}

/// Entries as they go on the wire (what `new_messages` holds).
pub fn wire(entries: &[agency::Entry]) -> Vec<serde_json::Value> {
    entries
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

/// The quickstart binary serving on `127.0.0.1:port` against the model API at `model_base_url`,
/// keeping no chats, logging at `info`, without auth (set `APP_TOKEN` for it), its output
/// discarded and killed when dropped; add arguments and spawn it.
pub fn quickstart_serving(port: u16, model_base_url: &str) -> tokio::process::Command {
    let mut command = binary::serve(&crate::safety::quickstart_binary(), port, model_base_url);
    command.env("RUST_LOG", "info");
    command
}

/// A model client for the fake OpenAI server at `base_url`: a key, and no retries.
pub fn fake_client(base_url: String) -> agency::model::ClientConfig {
    agency::model::ClientConfig {
        base_url: Some(base_url),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..agency::model::ClientConfig::default()
    }
}

/// Runs `python3 tests/{script} URL TOKEN` (an official client driving the server at `url`),
/// within 2 minutes; fails with its output unless it exits 0 and reports every one of
/// `checks` as a line `"check": "<name>"`. `package` is the PyPI pin `tests/services.sh`
/// installs, for the failure message.
pub async fn python_checks(script: &str, url: &str, token: &str, package: &str, checks: &[&str]) {
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let run = tokio::process::Command::new("python3")
        .arg(script)
        .arg(url)
        .arg(token)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the client in time")
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the client failed (pip install {package}; tests/services.sh does):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for check in checks {
        assert!(
            stdout.contains(&format!("\"check\": \"{check}\"")),
            "{check} missing:\n{stdout}"
        );
    }
}
