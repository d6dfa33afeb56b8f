//! Request logs (API.md §8) on the real binary: `--enable-logging --logs-dir DIR`, a request
//! sending `x-agency-log-id`, and `/get_logs` returning its entries once; ids that are not plain
//! names refused on the header and on the route; concurrent logged requests writing whole lines.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agency_testing::{FakeOpenAi, Reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::http_threads::{free_port, wait_until_up};

const TOKEN: &str = "logs-token";

/// The quickstart serving on 127.0.0.1 with request logs in a fresh directory.
struct Logged {
    base: String,
    client: reqwest::Client,
    /// The logs directory (inside `root`).
    dir: PathBuf,
    /// A fresh directory around `dir`: what must stay untouched.
    root: PathBuf,
    _child: tokio::process::Child,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

async fn serve(fake: &FakeOpenAi, via_env: bool) -> Logged {
    let root = std::env::temp_dir().join(format!("agency-logs-{}", uuid::Uuid::new_v4().simple()));
    let dir = root.join("logs");
    std::fs::create_dir_all(&root).unwrap();
    let port = free_port();
    let mut command = crate::support::quickstart_serving(port, &fake.base_url());
    command.env("APP_TOKEN", TOKEN);
    if via_env {
        command
            .env("AGENCY_ENABLE_LOGGING", "true")
            .env("AGENCY_LOGS_DIR", &dir);
    } else {
        command.arg("--enable-logging").arg("--logs-dir").arg(&dir);
    }
    let child = command.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until_up(&client, &base).await;
    Logged {
        base,
        client,
        dir,
        root,
        _child: child,
    }
}

impl Logged {
    async fn post(&self, path: &str, log_id: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(&body);
        if let Some(id) = log_id {
            req = req.header("x-agency-log-id", id);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// `GET path`, with the token or without.
    async fn get(&self, auth: bool, path: &str) -> (StatusCode, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if auth {
            req = req.bearer_auth(TOKEN);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn get_logs(&self, log_id: &str) -> (StatusCode, Value) {
        self.post("/get_logs", None, json!({ "log_id": log_id }))
            .await
    }

    /// Waits until the file of `id` has `lines` lines, and checks that each is a whole JSON
    /// line of the documented shape.
    async fn wait_for_lines(&self, id: &str, lines: usize) {
        let path = self.dir.join(format!("{id}.jsonl"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let complete: Vec<&str> = text.split_terminator('\n').collect();
            if complete.len() >= lines && text.ends_with('\n') {
                for line in complete {
                    let entry: Value = serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("not a whole JSON line ({e}): {line}"));
                    assert!(entry["message"].is_string(), "{entry}");
                    assert!(entry["details"]["timestamp"].is_string(), "{entry}");
                }
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} has {} lines, not {lines}:\n{text}",
                path.display(),
                complete.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn messages(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {entries}"))
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect()
}

/// Every file below `root`, for "nothing was written outside the logs directory".
fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(unix)]
#[tokio::test]
async fn a_logged_run_is_read_once_with_get_logs() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})));
    fake.push(Reply::text("It is 42."));
    let s = serve(&fake, false).await;
    let (status, body) = s
        .post(
            "/demo/get_response",
            Some("run-1"),
            json!({"message": "add 2 and 40"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.wait_for_lines("run-1", 1).await;
    // "request ended" is written once the response body is gone: wait for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(s.dir.join("run-1.jsonl"))
        .unwrap_or_default()
        .contains("request ended")
    {
        assert!(tokio::time::Instant::now() < deadline, "no 'request ended'");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (status, entries) = s.get_logs("run-1").await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let said = messages(&entries);
    for expected in [
        "request received",
        "model call ended",
        "tool call ended",
        "run ended",
        "request ended",
    ] {
        assert!(said.contains(&expected), "no '{expected}' in {said:?}");
    }
    let first = &entries[0]["details"];
    assert_eq!(first["level"], "INFO", "{first}");
    assert!(
        first["location"].as_str().unwrap().contains(".rs:"),
        "{first}"
    );
    assert!(
        first["timestamp"].as_str().unwrap().ends_with('Z'),
        "{first}"
    );
    let run = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["message"] == "run ended")
        .unwrap();
    let spans = run["details"]["spans"].as_array().unwrap();
    assert_eq!(spans[0]["name"], "request", "{run}");
    assert_eq!(spans[0]["http.route"], "/demo/get_response");
    assert!(
        spans
            .iter()
            .any(|s| s["name"] == "run" && s["agency"] == "demo"),
        "{run}"
    );
    assert!(
        spans[0].get("agency.log_file").is_none(),
        "the file's path is not logged: {run}"
    );

    // Once: the file is gone, and asking again is a 404.
    assert!(!s.dir.join("run-1.jsonl").exists());
    let (status, body) = s.get_logs("run-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"error": "Log file not found"}));
    let (status, body) = s.get_logs("").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "Log ID is required"}));
    let (status, body) = s.post("/get_logs", None, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // GET ?log_id= too, and both behind auth.
    let (status, _) = s
        .post("/tool/add", Some("tool-1"), json!({"a": 1, "b": 2}))
        .await;
    assert_eq!(status, StatusCode::OK);
    s.wait_for_lines("tool-1", 2).await;
    let (status, _) = s.get(false, "/get_logs?log_id=tool-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, entries) = s.get(true, "/get_logs?log_id=tool-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(messages(&entries)[0], "request received", "{entries}");
    let (status, _) = s.get(true, "/get_logs?log_id=").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The route is in the OpenAPI document.
    let (_, doc) = s.get(false, "/openapi.json").await;
    assert!(doc["paths"]["/get_logs"]["post"]["responses"]["404"].is_object());
    assert!(doc["paths"]["/get_logs"]["get"].is_object());
}

#[cfg(unix)]
#[tokio::test]
async fn ids_that_are_not_plain_names_are_refused_on_the_header_and_the_route() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, true).await;
    // A file beside the logs directory, which `../outside` would name.
    let outside = s.root.join("outside.jsonl");
    std::fs::write(&outside, "{\"message\":\"keep me\",\"details\":{}}\n").unwrap();
    let long = "x".repeat(129);
    let bad = [
        "../outside",
        "..",
        "/",
        "a/b",
        ".hidden",
        "a\\b",
        "%2e%2e",
        long.as_str(),
    ];
    for id in bad {
        let (status, body) = s.post("/tool/add", Some(id), json!({"a": 1, "b": 2})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "header {id:?}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("Invalid log ID"),
            "{body}"
        );
        let (status, body) = s.get_logs(id).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "body {id:?}: {body}");
    }
    for id in ["a\u{0}b", "../outside\u{0}"] {
        let (status, body) = s.get_logs(id).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "body {id:?}: {body}");
    }
    let (status, _) = s.get(true, "/get_logs?log_id=..%2Foutside").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A link planted in the logs directory is not read nor followed.
    std::fs::create_dir_all(&s.dir).unwrap();
    std::os::unix::fs::symlink(&outside, s.dir.join("planted.jsonl")).unwrap();
    let (status, _) = s.get_logs("planted").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .post("/tool/add", Some("planted"), json!({"a": 1, "b": 2}))
        .await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "{\"message\":\"keep me\",\"details\":{}}\n",
        "the file outside the logs directory is untouched"
    );
    let mut expected = vec![outside.clone(), s.dir.join("planted.jsonl")];
    expected.sort();
    assert_eq!(files_below(&s.root), expected);
}

#[cfg(unix)]
#[tokio::test]
async fn fifty_concurrent_logged_requests_write_whole_lines() {
    let fake = FakeOpenAi::start().await;
    let s = serve(&fake, false).await;
    let requests = (0..50).map(|i| {
        let id = if i % 2 == 0 {
            "shared".to_owned()
        } else {
            format!("own-{i}")
        };
        let s = &s;
        async move {
            let (status, body) = s
                .post("/tool/add", Some(&id), json!({"a": i, "b": 1}))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    });
    futures::future::join_all(requests).await;
    // Each request writes "request received" and "request ended".
    s.wait_for_lines("shared", 50).await;
    for i in (1..50).step_by(2) {
        s.wait_for_lines(&format!("own-{i}"), 2).await;
    }
    let (status, entries) = s.get_logs("shared").await;
    assert_eq!(status, StatusCode::OK);
    let said = messages(&entries);
    assert_eq!(said.len(), 50, "{said:?}");
    assert_eq!(
        said.iter().filter(|m| **m == "request received").count(),
        25
    );
    for i in (1..50).step_by(2) {
        let (status, entries) = s.get_logs(&format!("own-{i}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(messages(&entries), ["request received", "request ended"]);
    }
}
