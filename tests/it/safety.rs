//! Safe to expose: what a request may override of the model client (its key never leaves for a
//! URL a request chose; internal addresses are refused, by name, by literal and by redirect),
//! deadlines on runs, tools and shutdown, and secrets kept out of `Debug`. Through a real server
//! on 127.0.0.1, the fake OpenAI server as the model API and as the would-be victim, and, for
//! SIGTERM, the quickstart's own process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agency::http::agency::RequestClientConfig;
use agency::http::axum;
use agency::http::{Server, ServerBuilder, ServerOptions};
use agency::model::ClientConfig;
use agency::{Agency, Agent, Tool, ToolError};
use agency_testing::{FakeOpenAi, Reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::http::{Answer, Running, start};

/// The server's own key: it must never reach an address a request chose.
const SERVER_KEY: &str = "sk-server-secret";

fn agency_with(tools: Vec<Tool>) -> Agency {
    let mut agent = Agent::builder("Assistant").model("gpt-4o");
    for tool in tools {
        agent = agent.tool(tool);
    }
    Agency::builder("bench")
        .entry(agent.build())
        .build()
        .unwrap()
}

fn server(fake: &FakeOpenAi, options: ServerOptions) -> ServerBuilder {
    Server::builder()
        .agency(agency_with(Vec::new()))
        .client(ClientConfig {
            base_url: Some(fake.base_url()),
            api_key: Some(SERVER_KEY.into()),
            default_headers: [("x-server-secret".to_owned(), "hush".to_owned())].into(),
            max_retries: Some(0),
            ..ClientConfig::default()
        })
        .options(options)
}

async fn ask(s: &Running, client_config: Value) -> Answer {
    s.post_json(
        "/bench/get_response",
        &json!({"message": "Hi words=2", "client_config": client_config}),
    )
    .await
}

/// The one field error of a 422, as (loc, msg).
fn field_error(a: &Answer) -> (Value, String) {
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let detail = a.body["detail"].as_array().expect("detail list");
    assert_eq!(detail.len(), 1, "{}", a.body);
    (
        detail[0]["loc"].clone(),
        detail[0]["msg"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_servers_key_never_leaves_for_a_url_the_request_chose() {
    let fake = FakeOpenAi::start().await;
    let listener = FakeOpenAi::start().await;
    let allowed = ServerOptions::default().with_allowed_base_urls([listener.base_url()]);
    let s = start(server(&fake, allowed).build().unwrap()).await;

    // No key of its own: refused before anything is sent anywhere.
    let (loc, msg) = field_error(&ask(&s, json!({"base_url": listener.base_url()})).await);
    assert_eq!(loc, json!(["body", "client_config", "api_key"]));
    assert!(msg.contains("its own client_config.api_key"), "{msg}");
    // The stream route refuses it the same way.
    let r = s
        .post_json(
            "/bench/get_response_stream",
            &json!({"message": "Hi", "client_config": {"base_url": listener.base_url()}}),
        )
        .await;
    assert_eq!(
        field_error(&r).0,
        json!(["body", "client_config", "api_key"])
    );
    assert_eq!(listener.request_count(), 0);

    // With its own key: the caller's key goes there, and none of the server's headers.
    let r = ask(
        &s,
        json!({"base_url": listener.base_url(), "api_key": "sk-caller"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let seen = listener.last_request().unwrap();
    assert_eq!(seen.authorization(), Some("Bearer sk-caller"));
    assert_eq!(seen.header("x-server-secret"), None);
    // The server's own URL still gets the server's key and headers.
    let r = ask(&s, json!({"model": "gpt-4o-mini"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let own = fake.last_request().unwrap();
    assert_eq!(own.authorization(), Some(&*format!("Bearer {SERVER_KEY}")));
    assert_eq!(own.header("x-server-secret"), Some("hush"));
    assert_eq!(listener.request_count(), 1);
    assert!(
        listener
            .requests()
            .iter()
            .all(|r| r.authorization() != Some(&*format!("Bearer {SERVER_KEY}")))
    );
}

#[tokio::test]
async fn internal_addresses_are_refused_by_default() {
    let fake = FakeOpenAi::start().await;
    let victim = FakeOpenAi::start().await;
    let s = start(server(&fake, ServerOptions::default()).build().unwrap()).await;
    let port = victim.addr().port();
    let forbidden = StatusCode::FORBIDDEN;
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    let cases = [
        // Loopback, as a literal and as a name that resolves to it: 403.
        (format!("https://127.0.0.1:{port}/v1"), forbidden),
        (format!("https://localhost:{port}/v1"), forbidden),
        (format!("https://[::1]:{port}/v1"), forbidden),
        (format!("https://[::ffff:127.0.0.1]:{port}/v1"), forbidden),
        // The cloud metadata address, and private ranges.
        (
            "https://169.254.169.254/latest/meta-data".to_owned(),
            forbidden,
        ),
        ("https://10.0.0.1/v1".to_owned(), forbidden),
        ("https://0.0.0.0/v1".to_owned(), forbidden),
        // Not https (only an allow-list may name http), or not a URL at all: what the document
        // already refuses, a 422 (never a 502 from the client library).
        (format!("http://127.0.0.1:{port}/v1"), invalid),
        ("not a url".to_owned(), invalid),
        ("file:///etc/passwd".to_owned(), invalid),
    ];
    for (url, status) in cases {
        let r = ask(&s, json!({"base_url": url, "api_key": "sk-caller"})).await;
        assert_eq!(r.status, status, "{url}: {}", r.body);
        if status == forbidden {
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains("internal address"), "{url}: {detail}");
        } else {
            let errors = r.body["detail"].as_array().unwrap();
            assert!(
                errors
                    .iter()
                    .all(|e| e["loc"] == json!(["body", "client_config", "base_url"])),
                "{url}: {}",
                r.body
            );
        }
    }
    // A name that does not resolve cannot be reached: 502, as for any unreachable model API.
    let r = ask(
        &s,
        json!({"base_url": "https://no-such-host.invalid/v1", "api_key": "sk-caller"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert_eq!(victim.request_count(), 0);
    assert_eq!(fake.request_count(), 0);

    // The document says what it can: an https URL, and an api_key beside it.
    let doc = s.get_json("/openapi.json").await.body;
    let client_config = &doc["components"]["schemas"]["ClientConfig"];
    let pattern = client_config["properties"]["base_url"]["anyOf"][0]["pattern"]
        .as_str()
        .unwrap();
    assert!(pattern.starts_with("^https://"), "{pattern}");
    assert_eq!(client_config["anyOf"][1]["required"], json!(["api_key"]));
}

/// Answers every request with a `307` to `target` + the same path: a model API that redirects.
async fn redirector(target: String) -> String {
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let to = format!("{target}{}", uri.path());
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, to)],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_redirect_out_of_the_allow_list_is_refused() {
    let fake = FakeOpenAi::start().await;
    let victim = FakeOpenAi::start().await;
    let victim_root = victim.base_url().trim_end_matches("/v1").to_owned();
    let hop = redirector(victim_root).await;
    let options = ServerOptions::default().with_allowed_base_urls([format!("{hop}/v1")]);
    let s = start(server(&fake, options).build().unwrap()).await;

    let r = ask(
        &s,
        json!({"base_url": format!("{hop}/v1"), "api_key": "sk-caller"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    let error = r.body["error"].as_str().unwrap();
    assert!(error.contains("refused a redirect"), "{error}");
    assert_eq!(victim.request_count(), 0);

    // The same redirect from the operator's own URL is followed: the operator is trusted.
    let trusted = start(
        Server::builder()
            .agency(agency_with(Vec::new()))
            .client(ClientConfig {
                base_url: Some(format!("{hop}/v1")),
                api_key: Some(SERVER_KEY.into()),
                max_retries: Some(0),
                ..ClientConfig::default()
            })
            .build()
            .unwrap(),
    )
    .await;
    let r = trusted
        .post_json("/bench/get_response", &json!({"message": "Hi words=2"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(victim.request_count(), 1);
}

#[tokio::test]
async fn allow_lists_for_urls_and_models() {
    let fake = FakeOpenAi::start().await;
    let other = FakeOpenAi::start().await;
    let options = ServerOptions::default()
        .with_allowed_base_urls([other.base_url()])
        .with_allowed_models(["gpt-4o-mini"]);
    let s = start(server(&fake, options).build().unwrap()).await;

    // A listed prefix may name any host, http and loopback included; a path beside it may not.
    let listed = json!({"base_url": format!("{}/", other.base_url()), "api_key": "k2"});
    assert_eq!(ask(&s, listed).await.status, StatusCode::OK);
    assert_eq!(other.request_count(), 1);
    let beside = format!("{}0", other.base_url());
    let (loc, msg) = field_error(&ask(&s, json!({"base_url": beside, "api_key": "k2"})).await);
    assert_eq!(loc, json!(["body", "client_config", "base_url"]));
    assert!(msg.contains("not under any allowed base URL"), "{msg}");
    // Public https URLs are no longer allowed either: the list replaces the default.
    let public = json!({"base_url": "https://api.example.com/v1", "api_key": "k2"});
    assert!(field_error(&ask(&s, public).await).1.contains("not under"));

    // Models.
    assert_eq!(
        ask(&s, json!({"model": "gpt-4o-mini"})).await.status,
        StatusCode::OK
    );
    let (loc, msg) = field_error(&ask(&s, json!({"model": "o1-pro"})).await);
    assert_eq!(loc, json!(["body", "client_config", "model"]));
    assert!(msg.contains("'o1-pro' is not allowed") && msg.contains("gpt-4o-mini"));
    assert_eq!(fake.request_count(), 1);

    // The document lists the models and the prefixes.
    let doc = s.get_json("/openapi.json").await.body;
    let client_config = &doc["components"]["schemas"]["ClientConfig"]["properties"];
    assert_eq!(
        client_config["model"]["anyOf"][0]["enum"],
        json!(["gpt-4o-mini"])
    );
    let pattern = client_config["base_url"]["anyOf"][0]["pattern"]
        .as_str()
        .unwrap();
    assert!(pattern.contains(r"127\.0\.0\.1"), "{pattern}");

    // A bad allow-list entry is a startup error.
    let bad = ServerOptions::default().with_allowed_base_urls(["ftp://x"]);
    let err = server(&fake, bad).build().unwrap_err().to_string();
    assert!(
        err.contains("allowed_base_urls") && err.contains("ftp://x"),
        "{err}"
    );
}

#[tokio::test]
async fn keys_and_headers_http_cannot_carry_are_refused_not_panicked_on() {
    let fake = FakeOpenAi::start().await;
    let s = start(server(&fake, ServerOptions::default()).build().unwrap()).await;
    // From a request: 422 naming the field (async-openai would panic on them).
    let r = ask(&s, json!({"api_key": "sk-\nInjected: yes"})).await;
    assert_eq!(
        field_error(&r).0,
        json!(["body", "client_config", "api_key"])
    );
    let r = ask(&s, json!({"default_headers": {"x-ok": "line\r\nbreak"}})).await;
    assert_eq!(
        field_error(&r).0,
        json!(["body", "client_config", "default_headers", "x-ok"])
    );
    let r = ask(&s, json!({"default_headers": {"bad name": "v"}})).await;
    assert_eq!(
        field_error(&r).0,
        json!(["body", "client_config", "default_headers", "bad name"])
    );
    assert_eq!(fake.request_count(), 0);

    // From the operator: the run fails with a message that says why (502), the server goes on.
    let bad_env = start(
        Server::builder()
            .agency(agency_with(Vec::new()))
            .client(ClientConfig {
                base_url: Some(fake.base_url()),
                api_key: Some("sk-\u{7f}".into()),
                ..ClientConfig::default()
            })
            .build()
            .unwrap(),
    )
    .await;
    let r = bad_env
        .post_json("/bench/get_response", &json!({"message": "Hi"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert!(
        r.body["error"].as_str().unwrap().contains("API key"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_panic_while_handling_a_request_is_a_json_500_and_the_server_goes_on() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    // The factory runs once at startup (fine), then panics on every request.
    let s = start(
        Server::builder()
            .agency_factory(move || {
                if seen.fetch_add(1, Ordering::SeqCst) > 0 {
                    panic!("a bug in the factory");
                }
                agency_with(Vec::new())
            })
            .build()
            .unwrap(),
    )
    .await;
    for _ in 0..2 {
        let r = s
            .post_json("/bench/get_response", &json!({"message": "Hi"}))
            .await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
        assert!(r.body["error"].as_str().unwrap().contains("internal error"));
    }
    assert_eq!(s.get("/openapi.json").await.status, StatusCode::OK);
}

#[test]
fn secrets_are_redacted_in_debug() {
    let request: RequestClientConfig = serde_json::from_value(json!({
        "base_url": "https://api.example.com/v1", "api_key": "sk-request-secret",
        "default_headers": {"authorization": "Bearer header-secret"},
        "litellm_keys": {"anthropic": "litellm-secret"},
    }))
    .unwrap();
    let config = ClientConfig::from(request.clone());
    let options = ServerOptions::default().with_app_token("token-secret");
    for printed in [
        format!("{request:?}"),
        format!("{config:?}"),
        format!("{options:?}"),
    ] {
        for secret in [
            "sk-request-secret",
            "header-secret",
            "litellm-secret",
            "token-secret",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(printed.contains("<redacted>"), "{printed}");
    }
    // What is not secret is still shown.
    assert!(format!("{config:?}").contains("api.example.com"));
}

// ---------------------------------------------------------------------------------------------
// Tool deadlines and the blocking pool.

fn sleeper(timeout: Option<Duration>) -> Tool {
    let builder = Tool::builder("sleeper").description("Sleeps for a minute.");
    let builder = match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    };
    builder.json_handler(json!({"type": "object"}), |_args, _ctx| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<_, ToolError>(json!("woke up"))
    })
}

#[tokio::test]
async fn a_tool_past_its_timeout_is_stopped() {
    let fake = FakeOpenAi::start().await;
    // Its own timeout, over HTTP: 504 with the reason.
    let own = start(
        Server::builder()
            .tool(sleeper(Some(Duration::from_millis(50))))
            .build()
            .unwrap(),
    )
    .await;
    let r = own.post_json("/tool/sleeper", &json!({})).await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT, "{}", r.body);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("did not finish within 0.05 s")
    );

    // The server's default, in a run: the model is told, and the run goes on.
    let options = ServerOptions::default().with_tool_timeout(Duration::from_millis(50));
    let s = start(
        Server::builder()
            .agency(agency_with(vec![sleeper(None)]))
            .client(ClientConfig {
                base_url: Some(fake.base_url()),
                api_key: Some("k".into()),
                ..ClientConfig::default()
            })
            .options(options)
            .build()
            .unwrap(),
    )
    .await;
    fake.push(Reply::function_call("sleeper", json!({})))
        .push(Reply::text("It timed out."));
    let r = s
        .post_json("/bench/get_response", &json!({"message": "sleep"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["response"], "It timed out.");
    let outputs: Vec<Value> = fake.requests()[1]
        .input_items()
        .into_iter()
        .filter(|i| i["type"] == "function_call_output")
        .collect();
    let output = outputs[0]["output"].as_str().unwrap();
    assert!(
        output.contains("'sleeper' did not finish within 0.05 s"),
        "{output}"
    );
}

/// A synchronous `#[tool]` that blocks its thread for a while, then says so.
#[agency::tool]
fn block_a_while(millis: u64) -> String {
    std::thread::sleep(Duration::from_millis(millis));
    "unblocked".to_owned()
}

/// On a single-threaded runtime, a synchronous tool that blocks would stop everything else;
/// on the blocking pool, other requests are answered while it sleeps.
#[tokio::test(flavor = "current_thread")]
async fn a_blocking_sync_tool_does_not_stall_the_server() {
    let s = start(
        Server::builder()
            .tool(block_a_while::tool())
            .build()
            .unwrap(),
    )
    .await;
    let finished = Arc::new(AtomicBool::new(false));
    let blocking = {
        let (client, url, finished) = (
            s.client.clone(),
            format!("{}/tool/block_a_while", s.base),
            finished.clone(),
        );
        tokio::spawn(async move {
            let r = client.post(url).json(&json!({"millis": 1500})).send().await;
            finished.store(true, Ordering::SeqCst);
            r.unwrap().json::<Value>().await.unwrap()
        })
    };
    // Wait until the tool is surely running (its request was accepted), then ask for the docs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let docs = s.get("/openapi.json").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        !finished.load(Ordering::SeqCst),
        "the docs were answered only after the blocking tool finished"
    );
    assert_eq!(blocking.await.unwrap()["response"], "unblocked");
}

/// A tool that ignores cancellation: a synchronous sleep of four seconds (`started` is set as
/// it begins, `done` as it ends).
fn stubborn(started: Arc<AtomicBool>, done: Arc<AtomicBool>) -> Tool {
    Tool::builder("stubborn")
        .description("Sleeps, whatever happens.")
        .timeout(Duration::from_secs(120))
        .json_handler(json!({"type": "object"}), move |_args, _ctx| {
            let done = done.clone();
            started.store(true, Ordering::SeqCst);
            async move {
                let slept = tokio::task::spawn_blocking(move || {
                    std::thread::sleep(Duration::from_secs(4));
                    done.store(true, Ordering::SeqCst);
                })
                .await;
                Ok::<_, ToolError>(json!(slept.is_ok()))
            }
        })
}

#[tokio::test]
async fn shutdown_ends_within_its_deadline_even_if_a_tool_ignores_it() {
    let (started, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let options = ServerOptions::default().with_shutdown_timeout(Duration::from_millis(300));
    let s = start(
        Server::builder()
            .tool(stubborn(started.clone(), done.clone()))
            .options(options)
            .build()
            .unwrap(),
    )
    .await;
    let call = {
        let (client, url) = (s.client.clone(), format!("{}/tool/stubborn", s.base));
        tokio::spawn(async move {
            let r = client.post(url).json(&json!({})).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        })
    };
    // Shut down once the tool is surely running (at most 10 s: a safety net, not a measure).
    for _ in 0..1000 {
        if started.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(started.load(Ordering::SeqCst), "the tool never started");
    s.shut_down().await.unwrap();
    assert!(
        !done.load(Ordering::SeqCst),
        "serve_on waited for the tool instead of its deadline"
    );
    // The caller got an answer that says why.
    let (status, body) = call.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("shutdown deadline"),
        "{body}"
    );
}

// ---------------------------------------------------------------------------------------------
// SIGTERM, on the quickstart's own process.

/// The quickstart example's binary, which `cargo test` builds beside the test binary.
pub(crate) fn quickstart_binary() -> std::path::PathBuf {
    crate::support::binary::example("quickstart")
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_during_a_slow_get_response_answers_it_and_exits_in_time() {
    use std::process::Stdio;

    let fake = FakeOpenAi::start().await;
    // The model takes a minute: far longer than the shutdown deadline.
    fake.push(Reply::text("too late").delay(Duration::from_secs(60)));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(quickstart_binary())
        .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
        .env("OPENAI_BASE_URL", fake.base_url())
        .env("OPENAI_API_KEY", "k")
        .env("AGENCY_SHUTDOWN_TIMEOUT", "2s")
        .env("AGENCY_THREADS", "memory")
        .env_remove("APP_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/openapi.json"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the quickstart did not start");
    let answer = tokio::spawn({
        let (client, url) = (client.clone(), format!("{base}/demo/get_response"));
        async move {
            let r = client
                .post(url)
                .json(&json!({"message": "Hi"}))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    });
    for _ in 0..200 {
        if fake.request_count() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fake.request_count(), 1, "the run did not reach the model");
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    let (status, body) = tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("no answer after SIGTERM")
        .unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("shutting down"),
        "{body}"
    );
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the process did not exit after SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(fake.wait_for_dropped_stream(Duration::from_secs(5)).await);
}
