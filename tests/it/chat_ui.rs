//! The built-in web chat (`/chat`), in a real browser: Debian's chromium driven by
//! playwright-core (`tests/browser/chat.mjs`, installed by `tests/services.sh`) against the
//! example binaries on the fake model. Each run checks that no request leaves the server under
//! test and saves a screenshot of each state under `target/chat-screens/`. Plus the page's HTTP
//! surface: headers, sizes, `--no-chat-ui`.

use std::path::PathBuf;
use std::time::Duration;

use agency_testing::{FakeOpenAi, Reply};
use reqwest::StatusCode;
use serde_json::json;

use crate::http_threads::{free_port, wait_until_up};
use crate::support::binary::{example, serve};

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// `target/chat-screens/`: the screenshots, a CI artifact.
fn screens_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("chat-screens")
}

/// A served example binary, killed when dropped.
struct Served {
    base: String,
    _child: tokio::process::Child,
}

async fn served(binary: &str, fake: &FakeOpenAi, env: &[(&str, &str)], args: &[&str]) -> Served {
    let port = free_port();
    let mut command = serve(&example(binary), port, &fake.base_url());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.args(args).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&reqwest::Client::new(), &base).await;
    Served {
        base,
        _child: child,
    }
}

/// Runs `tests/browser/chat.mjs MODE` against `s`; fails with its output when a check fails.
async fn browse(mode: &str, s: &Served, token: Option<&str>) {
    let playwright = browser_dir().join("node_modules/playwright-core");
    assert!(
        playwright.exists(),
        "{} is missing: run the tests through tests/services.sh (it runs `npm ci --prefix tests/browser`)",
        playwright.display()
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (tests/services.sh does), or set CHROMIUM"
    );
    let mut command = tokio::process::Command::new("node");
    command
        .arg(browser_dir().join("chat.mjs"))
        .args([mode, &s.base])
        .arg(screens_dir())
        .kill_on_drop(true);
    if let Some(token) = token {
        command.arg(token);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the browser run ends in time")
        .expect("node runs (Node.js is needed for the browser tests)");
    assert!(
        out.status.success(),
        "the chat page failed in chromium ({mode}); screenshots in {}:\n{}{}",
        screens_dir().display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Server-side chats: the page loads, an answer streams in (Markdown rendered, HTML kept as
/// text), a tool call shows as a step, Stop cancels a slow run, a reload brings the
/// conversation back, the chat list reopens it.
#[tokio::test]
async fn in_chromium_the_page_streams_shows_steps_stops_and_restores_a_stored_chat() {
    let fake = FakeOpenAi::start().await;
    let s = served("quickstart", &fake, &[("AGENCY_THREADS", "memory")], &[]).await;
    browse("threads", &s, None).await;
}

/// Auth on, no store: the page asks for the token (again when it is wrong), keeps it for the
/// tab only, and keeps the conversation in the browser, sending it as `chat_history`.
#[tokio::test]
async fn in_chromium_the_page_asks_for_the_token_and_keeps_the_history_itself() {
    let fake = FakeOpenAi::start().await;
    let token = "chat-ui-secret-token";
    let s = served("quickstart", &fake, &[("APP_TOKEN", token)], &[]).await;
    browse("auth", &s, Some(token)).await;
    let last = fake.requests().pop().unwrap();
    assert!(
        last.body["input"]
            .to_string()
            .contains(r#""filename":"notes.txt""#),
        "the attached file reaches the model: {}",
        last.body["input"]
    );
}

/// AG-UI mode: the same page speaks AG-UI (`RunAgentInput` in, events out).
#[tokio::test]
async fn in_chromium_the_page_works_in_agui_mode() {
    let fake = FakeOpenAi::start().await;
    let s = served("quickstart", &fake, &[], &["--agui"]).await;
    browse("agui", &s, None).await;
}

/// Two agencies: the picker, the graph's flows, a conversation starter, a delegation with the
/// sub-agent's answer inside its step, a handoff.
#[tokio::test]
async fn in_chromium_the_page_shows_agencies_delegations_and_handoffs() {
    let fake = FakeOpenAi::start().await;
    let s = served("agencies", &fake, &[], &[]).await;
    browse("agencies", &s, None).await;
    fake.push(Reply::function_call("transfer_to_Billing", json!({})));
    fake.push(Reply::text(
        "Billing here: your refund for order 42 is on its way.",
    ));
    browse("handoff", &s, None).await;
}

/// `GET url`: its status and body.
async fn get(url: String) -> (StatusCode, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The page over plain HTTP: public even with auth on, locked down by its headers, small, and
/// gone with `--no-chat-ui`.
#[tokio::test]
async fn the_chat_page_is_public_small_locked_down_and_can_be_turned_off() {
    let fake = FakeOpenAi::start().await;
    let s = served("quickstart", &fake, &[("APP_TOKEN", "t")], &[]).await;
    let page = reqwest::get(format!("{}/chat", s.base)).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#""auth":true"#), "{html}");
    assert!(!html.contains("\"t\""), "the page never holds the token");
    let mut total = html.len();
    for asset in ["chat.js", "chat.css"] {
        let (status, body) = get(format!("{}/chat/assets/{asset}", s.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !body.contains("https://") && !body.contains("//cdn"),
            "{asset} loads nothing from outside"
        );
        total += body.len();
    }
    assert!(total < 150 * 1024, "the page weighs {total} bytes");
    let (status, body) = get(format!("{}/chat/demo", s.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""agency":"demo""#));
    let (status, body) = get(format!("{}/chat/nope", s.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"detail":"Not Found"}"#);
    let (status, _) = get(format!("{}/chat/assets/..%2F..%2Fopenapi.json", s.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, doc) = get(format!("{}/openapi.json", s.base)).await;
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["paths"]["/chat/{agency}"]["get"]["responses"]["404"].is_object());

    let off = served("quickstart", &fake, &[], &["--no-chat-ui"]).await;
    let (status, _) = get(format!("{}/chat", off.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, doc) = get(format!("{}/openapi.json", off.base)).await;
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["paths"].get("/chat").is_none());
}
