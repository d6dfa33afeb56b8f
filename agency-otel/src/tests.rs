//! The export through the SDK's in-memory exporter: a real server, a real HTTP request, a run
//! with a tool call against the fake OpenAI server, and the spans that come out of it.

use std::time::Duration;

use agency_core::model::ClientConfig;
use agency_core::{Agency, Agent, Tool, ToolError};
use agency_http::Server;
use agency_testing::{FakeOpenAi, Reply};
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

use super::Otel;

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == Key::from(key.to_owned()))
        .map(|kv| &kv.value)
}

fn int(span: &SpanData, key: &str) -> i64 {
    match attr(span, key) {
        Some(Value::I64(n)) => *n,
        other => panic!("{key} of {} is {other:?}", span.name),
    }
}

fn text(span: &SpanData, key: &str) -> String {
    match attr(span, key) {
        Some(v) => v.as_str().into_owned(),
        None => panic!("{key} missing on {}: {:?}", span.name, span.attributes),
    }
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|s| s.name == name).collect()
}

/// This thread's spans, exported to memory until the guard is dropped.
fn capture() -> (InMemorySpanExporter, tracing::subscriber::DefaultGuard) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let otel = Otel::with_provider(provider);
    let subscriber = tracing_subscriber::registry().with(otel.layer());
    (exporter, tracing::subscriber::set_default(subscriber))
}

fn agency(tool: Tool) -> Agency {
    let agent = Agent::builder("Assistant")
        .model("gpt-4o")
        .tool(tool)
        .build();
    Agency::builder("bench").entry(agent).build().unwrap()
}

// One thread: the subscriber set for this test sees the server's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn a_run_with_a_tool_call_exports_request_run_model_and_tool_spans() {
    let (exporter, _default) = capture();

    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("add", json!([2, 40])).usage(100, 10));
    fake.push(Reply::text("It is 42.").usage(120, 5));
    let add = Tool::builder("add")
        .handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
    let server = Server::builder()
        .agency(agency(add))
        .client(ClientConfig {
            base_url: Some(fake.base_url()),
            api_key: Some("k".into()),
            max_retries: Some(0),
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_on(listener, async move {
        let _ = stopped.await;
    }));
    let r = reqwest::Client::new()
        .post(format!("{base}/bench/get_response"))
        .json(&json!({"message": "add 2 and 40"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["response"], "It is 42.");

    // The request's span ends with its body, just after the client has read it.
    let mut spans = Vec::new();
    for _ in 0..200 {
        spans = exporter.get_finished_spans().unwrap();
        if !named(&spans, "POST /bench/get_response").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    let _ = serving.await;

    let request = named(&spans, "POST /bench/get_response");
    let [request] = request.as_slice() else {
        panic!(
            "one request span: {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    };
    assert_eq!(request.span_kind, SpanKind::Server);
    assert_eq!(text(request, "http.route"), "/bench/get_response");
    assert_eq!(int(request, "http.response.status_code"), 200);
    assert!(!text(request, "request_id").is_empty());

    let run = named(&spans, "invoke_agent Assistant");
    let [run] = run.as_slice() else {
        panic!("one run span")
    };
    assert_eq!(run.parent_span_id, request.span_context.span_id());
    assert_eq!(run.span_context.trace_id(), request.span_context.trace_id());
    assert_eq!(text(run, "gen_ai.operation.name"), "invoke_agent");
    assert_eq!(text(run, "agency"), "bench");
    assert_eq!(text(run, "gen_ai.agent.name"), "Assistant");
    assert!(!text(run, "run_id").is_empty());
    assert_eq!(text(run, "outcome"), "completed");
    assert_eq!(int(run, "gen_ai.usage.input_tokens"), 220);
    assert_eq!(int(run, "gen_ai.usage.output_tokens"), 15);

    let models = named(&spans, "chat gpt-4o");
    assert_eq!(models.len(), 2, "two model calls");
    for (call, (input, output)) in models.iter().zip([(100, 10), (120, 5)]) {
        assert_eq!(call.parent_span_id, run.span_context.span_id());
        assert_eq!(call.span_kind, SpanKind::Client);
        assert_eq!(text(call, "gen_ai.operation.name"), "chat");
        assert_eq!(text(call, "gen_ai.request.model"), "gpt-4o");
        assert!(!text(call, "gen_ai.response.model").is_empty());
        assert_eq!(int(call, "gen_ai.usage.input_tokens"), input);
        assert_eq!(int(call, "gen_ai.usage.output_tokens"), output);
        assert!(attr(call, "time_to_first_token_ms").is_some());
        assert!(attr(call, "error.type").is_none());
    }

    let tools = named(&spans, "execute_tool add");
    let [tool] = tools.as_slice() else {
        panic!("one tool span")
    };
    assert_eq!(tool.parent_span_id, run.span_context.span_id());
    assert_eq!(text(tool, "gen_ai.operation.name"), "execute_tool");
    assert_eq!(text(tool, "gen_ai.tool.name"), "add");
    assert!(text(tool, "gen_ai.tool.call.id").starts_with("call_"));
    assert_eq!(text(tool, "outcome"), "ok");
    assert!(attr(tool, "duration_ms").is_some());
    assert_eq!(tool.status, Status::Unset);
    // The tool ran between the two model calls.
    assert!(tool.start_time >= models[0].end_time && tool.end_time <= models[1].start_time);
}

#[tokio::test(flavor = "current_thread")]
async fn a_failing_model_call_is_an_error_span_with_its_type() {
    let (exporter, _default) = capture();
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::error(500, "overloaded"));
    let add = Tool::builder("add")
        .handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
    let config = agency_core::RunConfig::default().client(ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    });
    let failure = agency(add).run("hi", None, config).await.unwrap_err();
    assert_eq!(failure.error.kind(), "api");
    let spans = exporter.get_finished_spans().unwrap();
    let model = named(&spans, "chat gpt-4o");
    let [model] = model.as_slice() else {
        panic!("one model span")
    };
    assert_eq!(text(model, "error.type"), "api");
    assert!(
        matches!(model.status, Status::Error { .. }),
        "{:?}",
        model.status
    );
    let run = named(&spans, "invoke_agent Assistant");
    assert_eq!(text(run[0], "outcome"), "failed");
    assert_eq!(text(run[0], "error.type"), "api");
    assert!(matches!(run[0].status, Status::Error { .. }));
}

#[test]
fn nothing_is_exported_without_an_endpoint() {
    // The variables are not set in the test environment (CI sets none).
    if super::ENDPOINT_VARS
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return;
    }
    assert!(Otel::from_env("svc").unwrap().is_none());
}

#[tokio::test(flavor = "current_thread")]
async fn a_sub_agents_run_nests_under_the_send_message_call_that_started_it() {
    use agency_testing::ScriptedModel;

    let (exporter, _default) = capture();
    let triage = Agent::builder("Triage").model("gpt-4o").build();
    let helper = Agent::builder("Helper").model("gpt-4o-mini").build();
    let agency = Agency::builder("desk")
        .entry(triage.clone())
        .agent(helper.clone())
        .flow(triage, helper)
        .build()
        .unwrap();
    let model = ScriptedModel::new([
        Reply::function_call(
            "send_message",
            json!({"recipient_agent": "Helper", "message": "help", "additional_instructions": ""}),
        ),
        Reply::text("helped"),
        Reply::text("done"),
    ]);
    let out = agency
        .run("hi", None, agency_core::RunConfig::with_model(model))
        .await
        .unwrap();
    assert_eq!(out.final_output, "done");
    let spans = exporter.get_finished_spans().unwrap();
    let one = |name: &str| -> &SpanData {
        match named(&spans, name).as_slice() {
            [span] => span,
            other => panic!("{} spans named {name}", other.len()),
        }
    };
    let (top, call, sub) = (
        one("invoke_agent Triage"),
        one("execute_tool send_message"),
        one("invoke_agent Helper"),
    );
    assert_eq!(call.parent_span_id, top.span_context.span_id());
    assert_eq!(sub.parent_span_id, call.span_context.span_id());
    assert_eq!(text(sub, "caller_agent"), "Triage");
    assert_eq!(text(call, "outcome"), "ok");
    assert_eq!(
        one("chat gpt-4o-mini").parent_span_id,
        sub.span_context.span_id(),
        "the helper's model call is in its run"
    );
    assert_eq!(named(&spans, "chat gpt-4o").len(), 2);
}
