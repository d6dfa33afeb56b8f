//! What operators see: `GET /metrics` counting requests, streams, runs, model calls, tokens and
//! tool calls; and, on the real binary with `--log-format json`, log lines that tell a run's id,
//! agent, model, tokens, tool and durations.

use std::time::Duration;

use agency::http::{Server, ServerOptions};
use agency::model::ClientConfig;
use agency::{Agency, Agent};
use agency_testing::{FakeOpenAi, Reply};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::add_tool;
use crate::support::http::{Running, TOKEN, start};

fn bench() -> Agency {
    let agent = Agent::builder("Assistant")
        .instructions("Use the tools when asked.")
        .model("gpt-4o")
        .tool(add_tool())
        .build();
    Agency::builder("bench").entry(agent).build().unwrap()
}

async fn metrics_server(fake: &FakeOpenAi) -> Running {
    let client = ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    };
    let server = Server::builder()
        .agency(bench())
        .client(client)
        .options(ServerOptions::default().with_app_token(TOKEN))
        .build()
        .unwrap();
    start(server).await
}

/// The value of the sample `name{labels...}` in an OpenMetrics document (labels in any order),
/// or `None` when there is no such sample.
fn sample(doc: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    doc.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        if metric != name {
            return None;
        }
        let set = rest.strip_suffix('}')?;
        let all = labels
            .iter()
            .all(|(k, v)| set.split(',').any(|pair| pair == format!("{k}=\"{v}\"")));
        all.then(|| value.parse().ok()).flatten()
    })
}

async fn metrics(s: &Running) -> String {
    let auth = format!("Bearer {TOKEN}");
    let r = s
        .request(
            Method::GET,
            "/metrics",
            &[("authorization", &auth)],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        r.header("content-type")
    );
    let doc = r.text();
    assert!(doc.ends_with("# EOF\n"), "a whole document: {doc}");
    doc
}

#[tokio::test]
async fn metrics_count_a_run_with_a_tool_call_and_need_the_token() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})).usage(100, 10));
    fake.push(Reply::text("It is 42.").usage(120, 5));
    let s = metrics_server(&fake).await;
    assert_eq!(s.get("/metrics").await.status, StatusCode::UNAUTHORIZED);
    let op = &s.get("/openapi.json").await.json()["paths"]["/metrics"]["get"].clone();
    assert_eq!(op["security"], json!([{"HTTPBearer": []}]), "{op}");

    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let body = json!({"message": "add 2 and 40"}).to_string();
    let r = s
        .request(Method::POST, "/bench/get_response", &headers, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let doc = metrics(&s).await;
    let get = |name: &str, labels: &[(&str, &str)]| {
        sample(&doc, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{doc}"))
    };
    let route = [("route", "/bench/get_response"), ("method", "POST")];
    assert_eq!(
        get(
            "agency_http_requests_total",
            &[route[0], route[1], ("status", "200")]
        ),
        1.0
    );
    assert_eq!(
        get("agency_http_request_duration_seconds_count", &route),
        1.0
    );
    // The unauthorized scrape counted too, by its route.
    assert_eq!(
        get(
            "agency_http_requests_total",
            &[("route", "/metrics"), ("status", "401")]
        ),
        1.0
    );
    assert_eq!(
        get(
            "agency_runs_total",
            &[("agency", "bench"), ("outcome", "completed")]
        ),
        1.0
    );
    let model = ("model", "gpt-4o");
    assert_eq!(
        get("agency_model_calls_total", &[model, ("outcome", "ok")]),
        2.0
    );
    assert_eq!(
        get("agency_model_tokens_total", &[model, ("kind", "input")]),
        220.0
    );
    assert_eq!(
        get("agency_model_tokens_total", &[model, ("kind", "output")]),
        15.0
    );
    assert!(get("agency_model_cost_usd_total", &[model]) > 0.0);
    assert_eq!(
        get("agency_model_call_duration_seconds_count", &[model]),
        2.0
    );
    assert_eq!(
        get(
            "agency_tool_calls_total",
            &[("tool", "add"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        get(
            "agency_tool_call_duration_seconds_count",
            &[("tool", "add")]
        ),
        1.0
    );
    assert_eq!(get("agency_active_streams", &[]), 0.0);
}

#[tokio::test]
async fn metrics_see_streams_failures_and_unknown_tools_without_growing_on_input() {
    let fake = FakeOpenAi::start().await;
    let s = metrics_server(&fake).await;
    let auth = format!("Bearer {TOKEN}");
    // A stream held open by a slow model: counted while its client is connected.
    fake.push(Reply::text("slow answer").chunk_delay(Duration::from_millis(300)));
    let resp = s
        .request_to(
            Method::POST,
            "/bench/get_response_stream",
            &[("authorization", &auth)],
        )
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .unwrap();
    let mut events = resp.bytes_stream().eventsource();
    let first = events.next().await.unwrap().unwrap();
    assert!(first.data.contains("run_id"), "{}", first.data);
    assert_eq!(
        sample(&metrics(&s).await, "agency_active_streams", &[]),
        Some(1.0)
    );
    while events.next().await.is_some() {}
    drop(events);
    // The model failing, and then calling a tool the agent does not have (with a name no
    // label should carry).
    fake.push(Reply::error(500, "overloaded"));
    fake.push(Reply::function_call("rm_rf_ZZZ", json!({})));
    fake.push(Reply::text("sorry"));
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    for _ in 0..2 {
        let body = json!({"message": "go"}).to_string();
        s.request(Method::POST, "/bench/get_response", &headers, body)
            .await;
    }
    let doc = metrics(&s).await;
    let get = |name: &str, labels: &[(&str, &str)]| {
        sample(&doc, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{doc}"))
    };
    assert_eq!(get("agency_active_streams", &[]), 0.0);
    let stream = [("route", "/bench/get_response_stream"), ("status", "200")];
    assert_eq!(get("agency_http_requests_total", &stream), 1.0);
    assert_eq!(
        get(
            "agency_runs_total",
            &[("agency", "bench"), ("outcome", "completed")]
        ),
        2.0
    );
    assert_eq!(
        get(
            "agency_runs_total",
            &[("agency", "bench"), ("outcome", "failed")]
        ),
        1.0
    );
    assert_eq!(
        get(
            "agency_model_calls_total",
            &[("model", "gpt-4o"), ("outcome", "api")]
        ),
        1.0
    );
    assert_eq!(
        get(
            "agency_tool_calls_total",
            &[("tool", "(unknown)"), ("outcome", "unknown_tool")]
        ),
        1.0
    );
    assert!(!doc.contains("rm_rf_ZZZ"), "{doc}");
    // A path no route has is one label, whatever the path.
    s.get("/no/such/path/1").await;
    s.get("/no/such/path/2").await;
    let doc = metrics(&s).await;
    assert_eq!(
        sample(
            &doc,
            "agency_http_requests_total",
            &[("route", "(unmatched)"), ("status", "404")]
        ),
        Some(2.0)
    );
    assert!(!doc.contains("/no/such"), "{doc}");
}

/// The issue's own check: a `get_response` with a tool call on the real binary, run with
/// `--log-format json`, prints lines from which one reads the run id, agent, model, tokens,
/// tool and durations.
#[cfg(unix)]
#[tokio::test]
async fn json_logs_tell_the_run_its_model_calls_and_its_tool_call() {
    use tokio::io::AsyncBufReadExt;

    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})).usage(100, 10));
    fake.push(Reply::text("It is 42.").usage(120, 5));
    let port = crate::http_threads::free_port();
    let quickstart = crate::safety::quickstart_binary();
    let mut child = crate::support::binary::serve(&quickstart, port, &fake.base_url())
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    crate::http_threads::wait_until_up(&client, &base).await;
    let r = client
        .post(format!("{base}/demo/get_response"))
        .header("x-request-id", "observe-1")
        .json(&json!({"message": "add 2 and 40"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut models, mut tool, mut run) = (Vec::new(), None, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while models.len() < 2 || tool.is_none() || run.is_none() {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("the log lines in time")
            .unwrap()
            .expect("more log lines");
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        let spans = entry["spans"].as_array().cloned().unwrap_or_default();
        if spans.first().map(|s| &s["request_id"]) != Some(&json!("observe-1")) {
            continue;
        }
        match entry["fields"]["message"].as_str() {
            Some("model call ended") => models.push(entry),
            Some("tool call ended") => tool = Some(entry),
            Some("run ended") => run = Some(entry),
            _ => {}
        }
    }
    // The spans nest: request > run > model call / tool call.
    let span = |entry: &Value, name: &str| -> Value {
        entry["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} span in {entry}"))
    };
    let run = run.unwrap();
    let run_span = span(&run, "run");
    let run_id = run_span["run_id"].as_str().unwrap().to_owned();
    assert!(!run_id.is_empty());
    assert_eq!(run_span["agency"], "demo", "{run}");
    assert_eq!(run_span["gen_ai.agent.name"], "Assistant");
    assert_eq!(run_span["outcome"], "completed");
    assert_eq!(run_span["gen_ai.usage.input_tokens"], 220, "{run}");
    assert_eq!(run_span["gen_ai.usage.output_tokens"], 15);
    assert!(
        run["fields"]["duration_ms"].as_f64().unwrap() > 0.0,
        "{run}"
    );
    assert_eq!(span(&run, "request")["http.route"], "/demo/get_response");

    for (entry, (input, output)) in models.iter().zip([(100, 10), (120, 5)]) {
        assert_eq!(span(entry, "run")["run_id"], run_id.as_str());
        let call = span(entry, "model call");
        assert_eq!(call["gen_ai.operation.name"], "chat", "{entry}");
        assert_eq!(call["gen_ai.request.model"], "gpt-4o");
        assert_eq!(call["gen_ai.agent.name"], "Assistant");
        assert_eq!(call["gen_ai.usage.input_tokens"], input, "{entry}");
        assert_eq!(call["gen_ai.usage.output_tokens"], output);
        assert!(call["duration_ms"].as_f64().unwrap() > 0.0, "{entry}");
        assert!(call["time_to_first_token_ms"].is_f64(), "{entry}");
    }
    let tool = tool.unwrap();
    assert_eq!(span(&tool, "run")["run_id"], run_id.as_str());
    let call = span(&tool, "tool call");
    assert_eq!(call["gen_ai.tool.name"], "add", "{tool}");
    assert_eq!(call["gen_ai.operation.name"], "execute_tool");
    assert!(
        call["gen_ai.tool.call.id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(call["outcome"], "ok");
    assert!(call["duration_ms"].is_f64(), "{tool}");
}
