//! The example binaries `cargo test` builds, started as a user starts them.

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// `target/<profile>/examples/<name>`, which `cargo test` builds before it runs the tests.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples",
        path.display()
    );
    path
}

/// `binary serve` on 127.0.0.1:`port` against the model API at `model_base_url` (the fake's): no store (`AGENCY_THREADS=none`), no
/// token, output discarded, killed when dropped. Later `.env`, `.stdout`... calls override.
pub fn serve(binary: &Path, port: u16, model_base_url: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(binary);
    command
        .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
        .env("AGENCY_THREADS", "none")
        .env("OPENAI_BASE_URL", model_base_url)
        .env("OPENAI_API_KEY", "k")
        .env_remove("APP_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// A fresh directory under the system's temporary one, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
