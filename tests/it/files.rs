//! File attachments (API.md §7) through real HTTP: `file_ids` attached by type (the fake's
//! Files API), `file_urls` downloaded from a local file server (allow-listed) or read from an
//! allowed directory, uploaded, and seen by the model; every way to refuse one.

use std::path::{Path, PathBuf};

use agency::http::axum::Router;
use agency::http::axum::http::{StatusCode as AxumStatus, header};
use agency::http::axum::response::IntoResponse;
use agency::http::axum::routing::get;
use agency::http::{Server, ServerOptions};
use agency::{Agency, Agent};
use agency_testing::{FakeOpenAi, Reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::http::{Running, start};

const PREFIX: &str = "Error downloading file from provided urls: ";

/// A PDF's first bytes (the content is never parsed).
const PDF: &[u8] = b"%PDF-1.4 tiny test file\n%%EOF\n";
/// A PNG's signature and a little more.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image";

fn agency() -> Agency {
    let agent = Agent::builder("Assistant").model("gpt-4o").build();
    Agency::builder("files").entry(agent).build().unwrap()
}

async fn serve(fake: &FakeOpenAi, options: ServerOptions) -> Running {
    let server = Server::builder()
        .agency(agency())
        .client(crate::support::fake_client(fake.base_url()))
        .options(options)
        .build()
        .unwrap();
    start(server).await
}

/// A file server on 127.0.0.1: `/files/photo.png`, `/files/big.pdf` (2 KiB),
/// `/files/away.png` (a redirect to `to`), `/files/missing.png` (404).
async fn file_server(redirect_to: String) -> String {
    let app = Router::new()
        .route(
            "/files/photo.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
        )
        .route("/files/big.pdf", get(|| async { vec![b'x'; 2048] }))
        .route(
            "/files/away.png",
            get(move || {
                let to = redirect_to.clone();
                async move { (AxumStatus::FOUND, [(header::LOCATION, to)]).into_response() }
            }),
        )
        .route(
            "/files/missing.png",
            get(|| async { AxumStatus::NOT_FOUND }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = agency::http::axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A fresh directory, removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("agency-files-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(std::fs::canonicalize(&dir).unwrap())
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(p: &Path) -> String {
    p.display().to_string()
}

async fn ask(s: &Running, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"message": "look at these"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = s.post_json("/files/get_response", &body).await;
    (r.status, r.body)
}

/// Asks with `extra` and expects a 400 whose error says `why`.
async fn refused(s: &Running, extra: Value, why: &str) {
    let (status, body) = ask(s, extra.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.starts_with(PREFIX), "{error}");
    assert!(error.contains(why), "{extra}: '{why}' not in: {error}");
}

#[tokio::test]
async fn file_ids_are_attached_by_type() {
    let fake = FakeOpenAi::start().await;
    let pdf = fake.add_file("report.pdf", PDF);
    let image = fake.add_file("photo.PNG", PNG);
    let csv = fake.add_file("data.csv", "a,b\n1,2\n");
    let exe = fake.add_file("tool.exe", "MZ");
    let s = serve(&fake, ServerOptions::default()).await;
    fake.push(Reply::text("Seen."));
    let (status, body) = ask(&s, json!({"file_ids": [pdf, image, csv]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.get("file_ids_map").is_none(),
        "only with file_urls: {body}"
    );
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/responses")
        .unwrap();
    assert_eq!(
        sent.attached_files(),
        [
            ("input_file".to_owned(), pdf.clone()),
            ("input_image".to_owned(), image.clone())
        ]
    );
    assert_eq!(sent.code_interpreter_files(), [csv]);
    assert_eq!(sent.last_user_text().as_deref(), Some("look at these"));

    // Any other type is refused, naming the supported ones; an unknown id too.
    refused(
        &s,
        json!({"file_ids": [exe]}),
        "tool.exe has an unsupported file type; supported: .pdf .jpg .jpeg .png .gif",
    )
    .await;
    refused(&s, json!({"file_ids": ["file-nope"]}), "file-nope").await;
    let many: Vec<String> = (0..21).map(|_| pdf.clone()).collect();
    refused(
        &s,
        json!({"file_ids": many}),
        "21 files attached; at most 20 per request",
    )
    .await;
}

/// The issue's own check: a local PDF from an allowed folder and a remote image, both seen by
/// the model, both uploaded, with the answer's `file_ids_map` and a system message that says
/// where they came from.
#[tokio::test]
async fn a_local_pdf_and_a_remote_image_reach_the_model() {
    let fake = FakeOpenAi::start().await;
    let dir = TempDir::new();
    std::fs::write(dir.path("report.pdf"), PDF).unwrap();
    let files = file_server("http://127.0.0.1:9/".to_owned()).await;
    let options = ServerOptions::default()
        .with_allowed_local_file_dirs([&dir.0])
        .with_allowed_file_urls([format!("{files}/files")]);
    let s = serve(&fake, options).await;
    let urls = json!({"file_urls": {
        "report.pdf": text(&dir.path("report.pdf")),
        "photo.png": format!("{files}/files/photo.png"),
    }});
    fake.push(Reply::text("A report and a photo."));
    let (status, body) = ask(&s, urls.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let map = body["file_ids_map"].as_object().unwrap().clone();
    let (pdf, png) = (
        map["report.pdf"].as_str().unwrap(),
        map["photo.png"].as_str().unwrap(),
    );

    let uploaded = fake.files();
    assert_eq!(uploaded.len(), 2);
    for (id, name, bytes) in [(pdf, "report.pdf", PDF), (png, "photo.png", PNG)] {
        let file = uploaded.iter().find(|f| f.id == id).unwrap();
        assert_eq!(file.filename, name);
        assert_eq!(file.purpose, "assistants");
        assert_eq!(file.bytes, bytes);
    }
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/responses")
        .unwrap();
    let mut attached = sent.attached_files();
    attached.sort();
    assert_eq!(
        attached,
        [
            ("input_file".to_owned(), pdf.to_owned()),
            ("input_image".to_owned(), png.to_owned())
        ]
    );
    // The system note comes before the user's turn, to the model and in new_messages.
    let input = sent.input_items();
    assert_eq!(input[0]["role"], "system", "{input:?}");
    let note = input[0]["content"].as_str().unwrap();
    assert!(
        note.contains(&text(&dir.path("report.pdf"))) && note.contains("/files/photo.png"),
        "{note}"
    );
    let new = body["new_messages"].as_array().unwrap();
    assert_eq!(new[0]["role"], "system", "{body}");
    assert_eq!(new[1]["role"], "user");

    // The stream's messages frame carries the map too.
    fake.push(Reply::text("Again."));
    let mut request = json!({"message": "again"});
    request
        .as_object_mut()
        .unwrap()
        .extend(urls.as_object().unwrap().clone());
    let r = s
        .post_json_request("/files/get_response_stream", &request, &[])
        .send()
        .await
        .unwrap();
    let stream = r.text().await.unwrap();
    let messages = stream
        .split("\n\n")
        .find(|frame| frame.lines().any(|l| l == "event: messages"))
        .and_then(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")))
        .expect("a messages frame");
    let messages: Value =
        serde_json::from_str(messages).unwrap_or_else(|e| panic!("{e}: {stream}"));
    assert_eq!(
        messages["file_ids_map"].as_object().unwrap().len(),
        2,
        "{messages}"
    );

    // get_metadata lists the allowed directory.
    let meta = s.get_json("/files/get_metadata").await;
    assert_eq!(meta.body["allowed_local_file_dirs"], json!([text(&dir.0)]));
}

#[tokio::test]
async fn urls_obey_the_outbound_rule_on_every_hop_and_the_size_limit() {
    let fake = FakeOpenAi::start().await;
    let other = file_server("http://127.0.0.1:9/".to_owned()).await;
    let files = file_server(format!("{other}/files/photo.png")).await;

    // By default only public https: loopback is refused, by name or by address.
    let s = serve(&fake, ServerOptions::default()).await;
    refused(
        &s,
        json!({"file_urls": {"a.png": format!("{files}/files/photo.png")}}),
        "not https",
    )
    .await;
    let port = files.rsplit(':').next().unwrap();
    refused(
        &s,
        json!({"file_urls": {"a.png": format!("https://127.0.0.1:{port}/files/photo.png")}}),
        "internal address",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"a.png": format!("https://localhost:{port}/files/photo.png")}}),
        "internal address",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"a.png": "ftp://example.com/a.png"}}),
        "neither an http(s) URL nor an absolute path",
    )
    .await;

    // Allow-listed: a redirect to a server the list does not name is refused.
    let options = ServerOptions::default()
        .with_allowed_file_urls([format!("{files}/files")])
        .with_file_size_limit(1024);
    let s = serve(&fake, options).await;
    refused(
        &s,
        json!({"file_urls": {"a.png": format!("{files}/files/away.png")}}),
        "refused a redirect",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"a.png": format!("{other}/files/photo.png")}}),
        "not under any allowed base URL",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"big.pdf": format!("{files}/files/big.pdf")}}),
        "larger than the limit of 1024 bytes",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"a.png": format!("{files}/files/missing.png")}}),
        "answered 404",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"a.exe": format!("{files}/files/photo.png")}}),
        "unsupported file type",
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"../a.png": format!("{files}/files/photo.png")}}),
        "is not a file name",
    )
    .await;
    assert!(fake.files().is_empty(), "nothing refused was uploaded");
    assert!(fake.requests().iter().all(|r| r.path != "/v1/responses"));
}

#[cfg(unix)]
#[tokio::test]
async fn local_paths_must_resolve_to_a_file_inside_an_allowed_directory() {
    let fake = FakeOpenAi::start().await;
    let (allowed, outside) = (TempDir::new(), TempDir::new());
    std::fs::write(allowed.path("ok.pdf"), PDF).unwrap();
    std::fs::write(allowed.path("big.pdf"), vec![b'x'; 2048]).unwrap();
    std::fs::write(outside.path("secret.pdf"), PDF).unwrap();
    std::fs::create_dir(allowed.path("folder.pdf")).unwrap();
    std::os::unix::fs::symlink(outside.path("secret.pdf"), allowed.path("link.pdf")).unwrap();
    let not_a_dir = outside.path("plain-file");
    std::fs::write(&not_a_dir, "x").unwrap();

    // Without an allow-list, no local path.
    let s = serve(&fake, ServerOptions::default()).await;
    refused(
        &s,
        json!({"file_urls": {"ok.pdf": text(&allowed.path("ok.pdf"))}}),
        "no allowed_local_file_dirs",
    )
    .await;
    let meta = s.get_json("/files/get_metadata").await;
    assert_eq!(meta.body["allowed_local_file_dirs"], Value::Null);

    let options = ServerOptions::default()
        .with_allowed_local_file_dirs([allowed.0.clone(), outside.path("gone")])
        .with_file_size_limit(1024);
    let s = serve(&fake, options).await;
    let dotdot = format!(
        "{}/../{}/secret.pdf",
        text(&allowed.0),
        outside.0.file_name().unwrap().to_string_lossy()
    );
    for (path, why) in [
        (
            text(&outside.path("secret.pdf")),
            "is not inside any of allowed_local_file_dirs",
        ),
        (dotdot, "is not inside any of allowed_local_file_dirs"),
        (
            text(&allowed.path("link.pdf")),
            "is not inside any of allowed_local_file_dirs",
        ),
        (text(&allowed.path("folder.pdf")), "is not a regular file"),
        (text(&allowed.path("missing.pdf")), "cannot be read"),
        (
            text(&outside.path("missing.pdf")),
            "is not inside any of allowed_local_file_dirs",
        ),
        (
            text(&allowed.path("big.pdf")),
            "larger than the limit of 1024 bytes",
        ),
        (
            "relative/ok.pdf".to_owned(),
            "neither an http(s) URL nor an absolute path",
        ),
    ] {
        refused(&s, json!({"file_urls": {"x.pdf": path}}), why).await;
    }
    fake.push(Reply::text("Read."));
    let (status, body) = ask(
        &s,
        json!({"file_urls": {"ok.pdf": text(&allowed.path("ok.pdf"))}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(fake.files().len(), 1);
    // Only the entries that are directories are listed.
    let meta = s.get_json("/files/get_metadata").await;
    assert_eq!(
        meta.body["allowed_local_file_dirs"],
        json!([text(&allowed.0)])
    );

    // An entry that exists but is not a directory is a clear error.
    let s = serve(
        &fake,
        ServerOptions::default().with_allowed_local_file_dirs([not_a_dir.clone()]),
    )
    .await;
    refused(
        &s,
        json!({"file_urls": {"ok.pdf": text(&allowed.path("ok.pdf"))}}),
        &format!(
            "allowed_local_file_dirs entry {} is not a directory",
            text(&not_a_dir)
        ),
    )
    .await;
}

/// The same on the real binary, with the options on its command line and request logs: the
/// run's log tells the uploads.
#[cfg(unix)]
#[tokio::test]
async fn the_quickstart_attaches_files_with_its_command_line_options() {
    let fake = FakeOpenAi::start().await;
    let dir = TempDir::new();
    std::fs::write(dir.path("report.pdf"), PDF).unwrap();
    let files = file_server("http://127.0.0.1:9/".to_owned()).await;
    let port = crate::http_threads::free_port();
    let _child = crate::support::quickstart_serving(port, &fake.base_url())
        .arg("--allowed-local-file-dirs")
        .arg(&dir.0)
        .args(["--allowed-file-urls", &format!("{files}/files")])
        .arg("--enable-logging")
        .arg("--logs-dir")
        .arg(dir.path("logs"))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    crate::http_threads::wait_until_up(&client, &base).await;
    fake.push(Reply::text("Both seen."));
    let body = json!({"message": "look", "file_urls": {
        "report.pdf": text(&dir.path("report.pdf")),
        "photo.png": format!("{files}/files/photo.png"),
    }});
    let r = client
        .post(format!("{base}/demo/get_response"))
        .header("x-agency-log-id", "files-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        answer["file_ids_map"].as_object().unwrap().len(),
        2,
        "{answer}"
    );
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/responses")
        .unwrap();
    let kinds: Vec<String> = sent.attached_files().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        ["input_image", "input_file"],
        "sorted by name: photo.png, report.pdf"
    );

    let logs: Value = client
        .post(format!("{base}/get_logs"))
        .json(&json!({"log_id": "files-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uploads = logs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["message"] == "file uploaded")
        .count();
    assert_eq!(uploads, 2, "{logs}");
}
