//! The command line of a user's binary (`agency::main!()`), on the quickstart's own process:
//! its name and version, the environment it reads, usage errors, a port in use, the banner.

use std::process::Output;
use std::time::Duration;

use crate::safety::quickstart_binary;

fn quickstart(args: &[&str]) -> Output {
    std::process::Command::new(quickstart_binary())
        .args(args)
        .env_remove("APP_TOKEN")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_and_help_name_the_users_binary_and_the_framework() {
    let version = quickstart(&["--version"]);
    assert!(version.status.success());
    let framework = env!("CARGO_PKG_VERSION");
    // The example's package is `agency` itself, so both versions are the same here; the name is
    // the binary's.
    assert_eq!(
        text(&version.stdout).trim(),
        format!("quickstart {framework} (agency-rs {framework})")
    );
    let help = quickstart(&["--help"]);
    assert!(help.status.success());
    let help = text(&help.stdout);
    assert!(help.starts_with("quickstart "), "{help}");
    assert!(help.contains("Usage: quickstart"), "{help}");
}

/// Every environment variable the framework's code reads by name is listed by `--help` (the
/// options' own show as `[env: ...]`).
#[test]
fn help_lists_every_environment_variable_the_framework_reads() {
    let help = text(&quickstart(&["--help"]).stdout);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut read = std::collections::BTreeSet::new();
    let mut files = vec![root.join("src")];
    for dir in [
        "agency-core",
        "agency-http",
        "agency-threads",
        "agency-redis",
        "agency-otel",
    ] {
        files.push(root.join(dir).join("src"));
    }
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for pattern in ["var(\"", "var_os(\"", "env = \""] {
            for piece in source.split(pattern).skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if name.len() > 2 && piece[name.len()..].starts_with('"') {
                    read.insert(name);
                }
            }
        }
    }
    read.remove("CARGO_MANIFEST_DIR"); // compile time, the macros'
    for needed in [
        "OPENAI_API_KEY",
        "AGENCY_MODEL_TIMEOUT",
        "AGENCY_PORT",
        "RUST_LOG",
    ] {
        assert!(
            read.contains(needed) || needed == "RUST_LOG",
            "the scan finds {needed}: {read:?}"
        );
    }
    read.insert("RUST_LOG".to_owned()); // read by tracing-subscriber
    for name in &read {
        assert!(
            help.contains(name.as_str()),
            "--help does not list {name}:\n{help}"
        );
    }
}

#[test]
fn a_usage_error_is_clap_s_own_message_and_exit_status_2() {
    let out = quickstart(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: unexpected argument '--no-such-flag' found"),
        "{err}"
    );
    assert!(!err.contains("Error: "), "not a Debug dump: {err}");
    assert!(out.stdout.is_empty());
    let out = quickstart(&["serve", "--port", "seventy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'seventy'"));
}

#[test]
fn a_port_in_use_is_named_with_how_to_choose_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = quickstart(&["serve", "--host", "127.0.0.1", "--port", &port]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(
        err.contains("--port") && err.contains("AGENCY_PORT"),
        "{err}"
    );
    // One line for people: `error: ` and the message (its Display), not `Error: ` and a
    // Debug dump, and the OS error said once.
    assert!(err.starts_with("error: could not listen on "), "{err}");
    assert!(
        !err.contains("Error: ") && !err.contains("caused by"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn any_other_error_is_an_error_line_with_exit_status_1() {
    let out = quickstart(&["export", "tools", "-o", "/nonexistent-dir/tools.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: cannot write /nonexistent-dir/tools.json: "),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

/// The banner: framework version, the model API without its credentials, where the token comes
/// from, CORS and the body limit; never the key.
#[cfg(unix)]
#[tokio::test]
async fn the_banner_tells_version_model_api_auth_cors_and_limit_but_no_secret() {
    use tokio::io::AsyncBufReadExt;

    let port = crate::http_threads::free_port();
    let mut child = tokio::process::Command::new(quickstart_binary())
        .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--app-token-env",
            "MY_TOKEN",
            "--cors-origins",
            "https://app.example.com",
        ])
        .args(["--body-limit", "4096"])
        .env("MY_TOKEN", "t0ps3cret")
        .env("OPENAI_API_KEY", "sk-n0t-in-logs")
        .env("OPENAI_BASE_URL", "https://user:pw@llm.example.com/v1")
        .env("AGENCY_THREADS", "none")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains("listening on") {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("the banner in time")
            .unwrap()
            .expect("more lines");
        seen.push_str(&line);
        seen.push('\n');
    }
    let banner = seen
        .lines()
        .find(|l| l.contains("agency-rs "))
        .unwrap_or_else(|| panic!("no banner in:\n{seen}"));
    assert!(banner.contains(env!("CARGO_PKG_VERSION")), "{banner}");
    assert!(banner.contains("@llm.example.com/v1"), "{banner}");
    assert!(
        banner.contains("auth bearer token from MY_TOKEN"),
        "{banner}"
    );
    assert!(
        banner.contains("CORS origins https://app.example.com"),
        "{banner}"
    );
    assert!(banner.contains("body limit 4096 bytes"), "{banner}");
    for secret in ["t0ps3cret", "sk-n0t-in-logs", "user:pw", ":pw@"] {
        assert!(!seen.contains(secret), "{secret} leaked:\n{seen}");
    }
    assert!(seen.contains("/metrics"), "{seen}");
    let listening = seen.lines().find(|l| l.contains("listening on")).unwrap();
    assert!(
        listening.contains(&format!(
            "docs at http://127.0.0.1:{port}/docs and http://127.0.0.1:{port}/redoc; chat at http://127.0.0.1:{port}/chat"
        )),
        "the chat URL is beside the docs URL: {listening}"
    );
}
