//! The agency routes (API.md §2–§6, §11, §12) through a real server bound on 127.0.0.1:0, a real
//! HTTP client, a real SSE parser (`eventsource-stream`) and the fake OpenAI server. Cases are
//! numbered as in `spec/reference/INDEX.md`; the server is set up like the reference one: agency
//! `bench`, agent `Assistant` (gpt-4o) with the tools `add` and `Address`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agency::http::agency::{
    CancelOutcome, Frame as RunFrame, Frames, InProcessRegistry, RunKey, RunRegistry,
    RunRegistryError,
};
use agency::http::{Server, ServerBuilder, ServerOptions};
use agency::model::ClientConfig;
use agency::{Agency, Agent, CancelMode, RunControl, Tool, ToolContext, ToolError};
use agency_testing::{FakeOpenAi, Reply, closed_port_url, lorem};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use reqwest::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The longest any single read of a stream may take before the test fails.
const READ_WAIT: Duration = Duration::from_secs(30);
/// A model that sends its first event at once and the next one much later: a run that is
/// still streaming whenever the test acts on it.
const STALL: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The reference agency: `bench` / `Assistant` with `add` and `Address`.

use crate::support::http::{Answer, Running, TOKEN, assert_no_dangling_refs, start};
use crate::support::{add_tool, address_tool};

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

/// Reads the caller's tenant from the user context.
fn tenant_tool() -> Tool {
    Tool::builder("tenant_of")
        .description("The caller's tenant.")
        .handler(|_: NoArgs, ctx: ToolContext| async move {
            let tenant: Option<String> = ctx.user_context().get("tenant");
            Ok::<_, ToolError>(format!("tenant={}", tenant.as_deref().unwrap_or("-")))
        })
}

/// Waits (at most 20 s) until a run registered in `runs` is cancelled, then answers: a tool
/// that is still running when a cancel arrives, without any timing guess.
fn hold_tool(runs: Runs) -> Tool {
    Tool::builder("hold")
        .description("Waits until the run is cancelled, then answers.")
        .handler(move |_: NoArgs, _ctx| {
            let runs = runs.clone();
            async move {
                let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
                while !runs.any_cancelled() && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok::<_, ToolError>("held")
            }
        })
}

fn assistant(extra: Vec<Tool>) -> Agent {
    let mut agent = Agent::builder("Assistant")
        .description("General assistant used for benchmarking.")
        .instructions("You are a helpful assistant. Use the tools when asked.")
        .model("gpt-4o")
        .tool(add_tool())
        .tool(address_tool());
    for tool in extra {
        agent = agent.tool(tool);
    }
    agent.build()
}

fn bench() -> Agency {
    bench_with(Vec::new())
}

fn bench_with(extra: Vec<Tool>) -> Agency {
    Agency::builder("bench")
        .entry(assistant(extra))
        .build()
        .unwrap()
}

/// A second agency: `Support Desk` (route `Support_Desk`), entry `Helper`, plus `Critic`.
fn support_desk() -> Agency {
    let helper = Agent::builder("Helper")
        .description("Answers customers.")
        .instructions("You are the Helper.")
        .model("gpt-4o-mini")
        .build();
    let critic = Agent::builder("Critic")
        .description("Reviews answers.")
        .instructions("You are the Critic.")
        .model("gpt-4o")
        .build();
    Agency::builder("Support Desk")
        .entry(helper)
        .agent(critic)
        .build()
        .unwrap()
}

fn client(base_url: String) -> ClientConfig {
    ClientConfig {
        base_url: Some(base_url),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    }
}

fn bench_server(fake: &FakeOpenAi) -> ServerBuilder {
    Server::builder()
        .agency(bench())
        .client(client(fake.base_url()))
}

// ---------------------------------------------------------------------------------------------
// A cancel registry that also lets tests see the runs it holds.

/// The controls of every run registered so far.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<Vec<RunControl>>>);

impl Runs {
    fn any_cancelled(&self) -> bool {
        self.0.lock().unwrap().iter().any(RunControl::is_cancelled)
    }
}

/// [`InProcessRegistry`] plus a record of the registered runs.
#[derive(Clone, Default)]
struct Watched {
    inner: Arc<InProcessRegistry>,
    runs: Runs,
}

impl RunRegistry for Watched {
    fn register<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        control: RunControl,
    ) -> BoxFuture<'a, ()> {
        self.runs.0.lock().unwrap().push(control.clone());
        self.inner.register(run, owner, control)
    }

    fn record(&self, run: &RunKey, frame: RunFrame) {
        self.inner.record(run, frame);
    }

    fn finish<'a>(
        &'a self,
        run: &'a RunKey,
        new_messages: Vec<agency::Entry>,
    ) -> BoxFuture<'a, ()> {
        self.inner.finish(run, new_messages)
    }

    fn cancel<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        mode: CancelMode,
        wait: Duration,
    ) -> BoxFuture<'a, Result<CancelOutcome, RunRegistryError>> {
        self.inner.cancel(run, owner, mode, wait)
    }

    fn follow<'a>(
        &'a self,
        run: &'a RunKey,
        owner: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Frames, RunRegistryError>> {
        self.inner.follow(run, owner, after)
    }
}

// ---------------------------------------------------------------------------------------------
// A running server, a client, and SSE frames.

impl Running {
    /// Opens `get_response_stream` and checks the status and headers of §6.
    async fn stream_with(&self, route: &str, body: &Value, headers: &[(&str, &str)]) -> Sse {
        let path = format!("/{route}/get_response_stream");
        let resp = self
            .post_json_request(&path, body, headers)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let h = resp.headers();
        let content_type = h["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["x-accel-buffering"], "no");
        Sse::new(resp)
    }

    async fn stream(&self, route: &str, body: &Value) -> Sse {
        self.stream_with(route, body, &[]).await
    }

    async fn cancel(&self, route: &str, run_id: &str, mode: &str) -> Answer {
        let body = json!({"run_id": run_id, "cancel_mode": mode});
        self.post_json(&format!("/{route}/cancel_response_stream"), &body)
            .await
    }
}

/// One SSE frame of §6.
#[derive(Debug, Clone)]
enum Frame {
    /// `event: meta`.
    Meta(Value),
    /// An unnamed frame: `{"data": <event>}` (or `{"error": ...}` when the run could not start).
    Data(Value),
    /// `event: messages`.
    Messages(Value),
    /// `event: end`; its data.
    End(String),
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

/// The frames of a `get_response_stream` answer, parsed as they arrive.
struct Sse {
    events: Events,
    seen: Vec<Frame>,
}

impl Sse {
    fn new(resp: reqwest::Response) -> Sse {
        Sse {
            events: Box::pin(resp.bytes_stream().eventsource()),
            seen: Vec::new(),
        }
    }

    /// The next frame (`None` at the end of the body); fails after [`READ_WAIT`].
    async fn next(&mut self) -> Option<Frame> {
        let event = tokio::time::timeout(READ_WAIT, self.events.next())
            .await
            .expect("no SSE frame in time")?
            .expect("a well-formed SSE stream");
        let data = || -> Value {
            serde_json::from_str(&event.data)
                .unwrap_or_else(|e| panic!("frame data is not JSON ({e}): {}", event.data))
        };
        let frame = match event.event.as_str() {
            "meta" => Frame::Meta(data()),
            "message" => Frame::Data(data()),
            "messages" => Frame::Messages(data()),
            "end" => Frame::End(event.data.clone()),
            other => panic!("unknown SSE event {other:?}: {}", event.data),
        };
        self.seen.push(frame.clone());
        Some(frame)
    }

    /// Reads `meta` (the first frame) and returns the run id.
    async fn run_id(&mut self) -> String {
        match self.next().await {
            Some(Frame::Meta(meta)) => meta["run_id"].as_str().unwrap().to_owned(),
            other => panic!("the first frame is not meta: {other:?}"),
        }
    }

    /// Reads data frames until one whose event matches `pred`; returns that event.
    async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            match self.next().await {
                Some(Frame::Data(d)) if pred(&d["data"]) => return d["data"].clone(),
                Some(Frame::Data(_)) | Some(Frame::Meta(_)) => {}
                other => panic!("the stream ended first: {other:?}"),
            }
        }
    }

    /// Reads to the end and checks every frame (§6).
    async fn finish(mut self) -> Streamed {
        while self.next().await.is_some() {}
        check_stream(self.seen)
    }
}

fn is_raw(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["type"] == "raw_response_event" && e["data"]["type"] == kind
}

fn is_item(name: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["type"] == "run_item_stream_event" && e["name"] == name
}

/// A checked stream.
#[derive(Debug)]
struct Streamed {
    run_id: String,
    /// The events (the values under `"data"`), in order.
    events: Vec<Value>,
    /// The `messages` frame.
    messages: Value,
}

impl Streamed {
    fn raw_types(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e["type"] == "raw_response_event")
            .map(|e| e["data"]["type"].as_str().unwrap())
            .collect()
    }

    fn item_names(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e["type"] == "run_item_stream_event")
            .map(|e| e["name"].as_str().unwrap())
            .collect()
    }

    fn text(&self) -> String {
        self.events
            .iter()
            .filter(|e| is_raw("response.output_text.delta")(e))
            .map(|e| e["data"]["delta"].as_str().unwrap())
            .collect()
    }

    fn new_messages(&self) -> &[Value] {
        self.messages["new_messages"].as_array().unwrap()
    }
}

/// `meta` first with a run id; data frames `{"data": <event>}`; `messages`; `end` `[DONE]`.
fn check_stream(frames: Vec<Frame>) -> Streamed {
    let mut frames = frames.into_iter();
    let run_id = match frames.next() {
        Some(Frame::Meta(meta)) => {
            assert_eq!(meta.as_object().unwrap().len(), 1, "{meta}");
            let id = meta["run_id"].as_str().expect("run_id");
            assert!(is_uuid(id), "run_id {id}");
            id.to_owned()
        }
        other => panic!("the first frame is not meta: {other:?}"),
    };
    let mut events = Vec::new();
    let messages = loop {
        match frames.next() {
            Some(Frame::Data(d)) => {
                let obj = d.as_object().unwrap();
                assert_eq!(obj.len(), 1, "a data frame holds `data` only: {d}");
                check_event(&d["data"]);
                events.push(d["data"].clone());
            }
            Some(Frame::Messages(m)) => break m,
            other => panic!("expected a data or messages frame, got {other:?}"),
        }
    };
    match (frames.next(), frames.next()) {
        (Some(Frame::End(done)), None) => assert_eq!(done, "[DONE]"),
        other => panic!("expected `end` last, got {other:?}"),
    }
    assert_eq!(messages["run_id"], run_id.as_str());
    let cancelled = messages.get("cancelled") == Some(&Value::Bool(true));
    assert_eq!(
        messages.get("usage").is_none(),
        cancelled,
        "usage is left out exactly after a cancel: {messages}"
    );
    if !cancelled {
        check_usage(&messages["usage"]);
    }
    for item in messages["new_messages"].as_array().expect("new_messages") {
        check_item(item);
    }
    Streamed {
        run_id,
        events,
        messages,
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_agent_run_id(v: &Value) -> bool {
    v.as_str()
        .and_then(|s| s.strip_prefix("agent_run_"))
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// No value turned into a string the way the original did (`"None"`, `"True"`, `"False"`).
fn assert_real_json_types(v: &Value) {
    match v {
        Value::String(s) => assert!(
            !matches!(s.as_str(), "None" | "True" | "False"),
            "a stringified scalar: {s:?}"
        ),
        Value::Array(items) => items.iter().for_each(assert_real_json_types),
        Value::Object(map) => map.values().for_each(assert_real_json_types),
        _ => {}
    }
}

fn check_event(e: &Value) {
    assert_real_json_types(e);
    let kind = e["type"].as_str().expect("event type");
    if kind == "error" {
        assert!(e["content"].as_str().is_some_and(|c| !c.is_empty()), "{e}");
        return;
    }
    assert!(e["agent"].is_string(), "{e}");
    assert!(
        e["callerAgent"].is_null() || e["callerAgent"].is_string(),
        "{e}"
    );
    assert!(
        e.get("callerAgent").is_some(),
        "callerAgent is always there: {e}"
    );
    assert!(is_agent_run_id(&e["agent_run_id"]), "{e}");
    match kind {
        "raw_response_event" => {
            let t = e["data"]["type"].as_str().expect("raw event type");
            assert!(t.starts_with("response."), "{t}");
            assert!(e["data"]["sequence_number"].is_u64(), "{e}");
        }
        "run_item_stream_event" => {
            let name = e["name"].as_str().unwrap();
            assert!(
                [
                    "tool_called",
                    "tool_output",
                    "message_output_created",
                    "handoff_requested",
                    "handoff_occured"
                ]
                .contains(&name),
                "{name}"
            );
            assert!(e["item"]["type"].is_string(), "{e}");
            assert!(e["item"]["raw_item"].is_object(), "{e}");
        }
        "agent_updated_stream_event" => {
            // An agent is named, never dumped whole.
            assert_eq!(
                e["new_agent"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .collect::<Vec<_>>(),
                ["name"],
                "{e}"
            );
        }
        other => panic!("unknown event type {other}"),
    }
}

fn check_usage(usage: &Value) {
    for key in [
        "request_count",
        "cached_tokens",
        "cache_write_tokens",
        "input_tokens",
        "output_tokens",
        "total_tokens",
    ] {
        assert!(usage[key].is_u64(), "{key} in {usage}");
    }
    assert!(usage["total_cost"].is_number(), "{usage}");
}

/// The metadata of a message (§5).
fn check_item(item: &Value) {
    assert!(item["agent"].is_string(), "{item}");
    assert!(item.get("callerAgent").is_some(), "{item}");
    assert!(is_agent_run_id(&item["agent_run_id"]), "{item}");
    // Microseconds since the epoch: after 2020.
    assert!(
        item["timestamp"]
            .as_u64()
            .is_some_and(|t| t > 1_577_836_800_000_000),
        "{item}"
    );
    let kind = item["type"].as_str().expect("type");
    assert!(
        [
            "message",
            "function_call",
            "function_call_output",
            "reasoning"
        ]
        .contains(&kind),
        "{item}"
    );
}

/// `role` or `type:name` of each item.
fn kinds(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| match (i["type"].as_str(), i["role"].as_str()) {
            (Some("message") | None, Some(role)) => role.to_owned(),
            (Some("function_call"), _) => format!("call:{}", i["name"].as_str().unwrap()),
            (Some(kind), _) => kind.to_owned(),
            _ => panic!("{i}"),
        })
        .collect()
}

/// The JSON type skeleton of `v`; the original's trace bookkeeping (`run_trace_id`,
/// `history_protocol`), which API.md does not carry, is left out.
fn shape(v: &Value) -> Value {
    match v {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("boolean"),
        Value::Number(n) if n.is_f64() => json!("number"),
        Value::Number(_) => json!("integer"),
        Value::String(_) => json!("string"),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "run_trace_id" | "history_protocol"))
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

/// A reference body from `spec/reference/NN_*.body.json`.
fn reference(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Same shape as the reference, the same final text (the fake is the reference's), and the
/// same request count and output tokens (they follow from the fake's answers).
fn assert_like_reference(case: &str, ours: &Value, reference: &Value) {
    assert_eq!(shape(ours), shape(reference), "case {case}: {ours}");
    assert_eq!(ours["response"], reference["response"], "case {case}");
    for key in ["request_count", "output_tokens"] {
        assert_eq!(
            ours["usage"][key], reference["usage"][key],
            "case {case}: usage {key}"
        );
    }
    for item in ours["new_messages"].as_array().unwrap() {
        check_item(item);
        assert_eq!(item["agent"], "Assistant");
        assert_eq!(item["callerAgent"], Value::Null);
    }
}

async fn reference_case(case: &str, request: Value, expected: &str) -> FakeOpenAi {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let r = s.post_json("/bench/get_response", &request).await;
    assert_eq!(r.status, StatusCode::OK, "case {case}: {}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_like_reference(case, &r.body, &reference(expected));
    fake
}

/// A 4xx with exactly the reference's body.
async fn reference_error(case: &str, path: &str, request: Value, status: u16, expected: Value) {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let r = s.post_json(path, &request).await;
    assert_eq!(r.status.as_u16(), status, "case {case}: {}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body, expected, "case {case}");
    assert_eq!(fake.request_count(), 0, "case {case}: no model call");
}

// ---------------------------------------------------------------------------------------------
// Reference cases 20–34.

const REF_20: &str = r#"{"response":"Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua Ut","new_messages":[{"content":"Hello","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_c009af6db2d743e5bacb301f62241a16","run_trace_id":"trace_02fb6716142b41468da45e477d5ef5cf","history_protocol":"responses","timestamp":1795315891023875,"type":"message"},{"id":"msg_000000000000000000000002","content":[{"annotations":[],"text":"Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua Ut","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_c009af6db2d743e5bacb301f62241a16","run_trace_id":"trace_02fb6716142b41468da45e477d5ef5cf","history_protocol":"responses","timestamp":1795315891584297}],"usage":{"request_count":1,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":13,"output_tokens":20,"total_tokens":33,"total_cost":0.0002325}}"#;
const REF_21: &str = r#"{"response":"Tool add returned: 42","new_messages":[{"content":"Please call tool add with {\"a\": 2, \"b\": 40}","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891689267,"type":"message"},{"arguments":"{\"a\":2,\"b\":40}","call_id":"call_000000000000000000000005","name":"add","type":"function_call","id":"fc_000000000000000000000004","status":"completed","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891705197},{"call_id":"call_000000000000000000000005","output":"42","type":"function_call_output","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891705217},{"id":"msg_000000000000000000000007","content":[{"annotations":[],"text":"Tool add returned: 42","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891705245}],"usage":{"request_count":2,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":110,"output_tokens":7,"total_tokens":117,"total_cost":0.00034500000000000004}}"#;
const REF_22: &str = r#"{"response":"Tool Address returned: Main St 1, 12345","new_messages":[{"content":"call tool Address with {\"street\": \"Main St 1\", \"zip_code\": 12345}","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_1c1b12f473874c6c8fed551559e51602","run_trace_id":"trace_8863f118bbe640b793c4e6632163117e","history_protocol":"responses","timestamp":1795315891773703,"type":"message"},{"arguments":"{\"street\":\"Main St 1\",\"zip_code\":12345}","call_id":"call_00000000000000000000000a","name":"Address","type":"function_call","id":"fc_000000000000000000000009","status":"completed","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_1c1b12f473874c6c8fed551559e51602","run_trace_id":"trace_8863f118bbe640b793c4e6632163117e","history_protocol":"responses","timestamp":1795315891787730},{"call_id":"call_00000000000000000000000a","output":"Main St 1, 12345","type":"function_call_output","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_1c1b12f473874c6c8fed551559e51602","run_trace_id":"trace_8863f118bbe640b793c4e6632163117e","history_protocol":"responses","timestamp":1795315891787747},{"id":"msg_00000000000000000000000c","content":[{"annotations":[],"text":"Tool Address returned: Main St 1, 12345","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_1c1b12f473874c6c8fed551559e51602","run_trace_id":"trace_8863f118bbe640b793c4e6632163117e","history_protocol":"responses","timestamp":1795315891787773}],"usage":{"request_count":2,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":134,"output_tokens":13,"total_tokens":147,"total_cost":0.000465}}"#;
const REF_23: &str = r#"{"response":"Lorem ipsum dolor sit amet","new_messages":[{"content":"Hello again words=5","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_a87ce7b97fcb4713804f72fa8fc6d53b","run_trace_id":"trace_02fb6716142b41468da45e477d5ef5cf","history_protocol":"responses","timestamp":1795315891885386,"type":"message"},{"id":"msg_00000000000000000000000e","content":[{"annotations":[],"text":"Lorem ipsum dolor sit amet","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_a87ce7b97fcb4713804f72fa8fc6d53b","run_trace_id":"trace_02fb6716142b41468da45e477d5ef5cf","history_protocol":"responses","timestamp":1795315891895272}],"usage":{"request_count":1,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":102,"output_tokens":5,"total_tokens":107,"total_cost":0.00030500000000000004}}"#;
const REF_24: &str = r#"{"response":"Lorem ipsum dolor sit","new_messages":[{"role":"user","content":[{"type":"input_text","text":"Hi words=4"}],"agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_3ae02f0735f049d5bce3b081a0020486","run_trace_id":"trace_a63b838ff14a4d5cb8b506dbf8222dc5","history_protocol":"responses","timestamp":1795315891967951,"type":"message"},{"id":"msg_000000000000000000000010","content":[{"annotations":[],"text":"Lorem ipsum dolor sit","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_3ae02f0735f049d5bce3b081a0020486","run_trace_id":"trace_a63b838ff14a4d5cb8b506dbf8222dc5","history_protocol":"responses","timestamp":1795315891974761}],"usage":{"request_count":1,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":22,"output_tokens":4,"total_tokens":26,"total_cost":9.5e-05}}"#;
const REF_28: &str = r#"{"response":"Lorem ipsum","new_messages":[{"content":"hi words=2","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_f9062649109e4b3a967fc10e654ba66c","run_trace_id":"trace_1013034966af48c68c83d100cb8cdbcf","history_protocol":"responses","timestamp":1795315892195471,"type":"message"},{"id":"msg_000000000000000000000012","content":[{"annotations":[],"text":"Lorem ipsum","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_f9062649109e4b3a967fc10e654ba66c","run_trace_id":"trace_1013034966af48c68c83d100cb8cdbcf","history_protocol":"responses","timestamp":1795315892202499}],"usage":{"request_count":1,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":14,"output_tokens":2,"total_tokens":16,"total_cost":5.500000000000001e-05}}"#;
const REF_56: &str = r#"{"response":"Lorem ipsum dolor","new_messages":[{"content":"Hello words=3","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_09c9552680044af68cae794f173e1194","run_trace_id":"trace_37d51db1adfc4059a13f4ed4f243bae1","history_protocol":"responses","timestamp":1795315897751033,"type":"message"},{"id":"msg_00000000000000000000001b","content":[{"annotations":[],"text":"Lorem ipsum dolor","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_09c9552680044af68cae794f173e1194","run_trace_id":"trace_37d51db1adfc4059a13f4ed4f243bae1","history_protocol":"responses","timestamp":1795315898340142}],"usage":{"request_count":1,"cached_tokens":0,"cache_write_tokens":0,"input_tokens":15,"output_tokens":3,"total_tokens":18,"total_cost":6.750000000000001e-05}}"#;

#[tokio::test]
async fn case_20_get_response_hello() {
    let fake = reference_case("20", json!({"message": "Hello"}), REF_20).await;
    let sent = fake.last_request().unwrap();
    assert!(sent.is_stream());
    assert_eq!(sent.model(), Some("gpt-4o"));
    assert_eq!(
        sent.body["instructions"],
        "You are a helpful assistant. Use the tools when asked."
    );
    assert_eq!(sent.tool_names(), ["add", "Address"]);
}

#[tokio::test]
async fn case_21_get_response_tool_add() {
    let fake = reference_case(
        "21",
        json!({"message": "Please call tool add with {\"a\": 2, \"b\": 40}"}),
        REF_21,
    )
    .await;
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn case_22_get_response_tool_address() {
    reference_case(
        "22",
        json!({"message": "call tool Address with {\"street\": \"Main St 1\", \"zip_code\": 12345}"}),
        REF_22,
    )
    .await;
}

#[tokio::test]
async fn case_23_get_response_with_chat_history() {
    // The history is the new_messages of case 20, as the original's client kept them.
    let history = reference(REF_20)["new_messages"].clone();
    let fake = reference_case(
        "23",
        json!({"message": "Hello again words=5", "chat_history": history}),
        REF_23,
    )
    .await;
    // The model sees the history then the new turn, without the metadata.
    let input = fake.last_request().unwrap().input_items();
    assert_eq!(kinds(&input), ["user", "assistant", "user"]);
    assert_eq!(input[0]["content"], "Hello");
    assert_eq!(input[2]["content"], "Hello again words=5");
    for item in &input {
        for key in [
            "agent",
            "callerAgent",
            "agent_run_id",
            "timestamp",
            "run_trace_id",
            "history_protocol",
        ] {
            assert!(item.get(key).is_none(), "{key} reached the model: {item}");
        }
    }
}

#[tokio::test]
async fn case_24_get_response_structured_message() {
    let message =
        json!([{"role": "user", "content": [{"type": "input_text", "text": "Hi words=4"}]}]);
    let fake = reference_case("24", json!({ "message": message }), REF_24).await;
    let input = fake.last_request().unwrap().input_items();
    assert_eq!(input[0]["content"], message[0]["content"]);
}

#[tokio::test]
async fn case_25_get_response_missing_message() {
    reference_error(
        "25",
        "/bench/get_response",
        json!({}),
        422,
        json!({"detail":[{"type":"missing","loc":["body","message"],"msg":"Field required","input":{}}]}),
    )
    .await;
}

#[tokio::test]
async fn case_26_get_response_empty_message_list() {
    reference_error(
        "26",
        "/bench/get_response",
        json!({"message": []}),
        422,
        json!({"detail":[{"type":"value_error","loc":["body","message"],
            "msg":"Value error, message must contain at least one structured Responses message",
            "input":[],"ctx":{"error":{}}}]}),
    )
    .await;
}

#[tokio::test]
async fn case_27_get_response_bad_recipient() {
    reference_error(
        "27",
        "/bench/get_response",
        json!({"message": "hi", "recipient_agent": "Nobody"}),
        422,
        json!({"detail":[{"type":"value_error","loc":["body","recipient_agent"],
            "msg":"Value error, Invalid agent name. Available agents: ['Assistant']",
            "input":"Nobody","ctx":{"error":{}}}]}),
    )
    .await;
}

#[tokio::test]
async fn case_28_get_response_recipient_ok() {
    reference_case(
        "28",
        json!({"message": "hi words=2", "recipient_agent": "Assistant"}),
        REF_28,
    )
    .await;
}

#[tokio::test]
async fn case_29_get_response_message_number() {
    reference_error(
        "29",
        "/bench/get_response",
        json!({"message": 42}),
        422,
        json!({"detail":[
            {"type":"string_type","loc":["body","message","str"],"msg":"Input should be a valid string","input":42},
            {"type":"list_type","loc":["body","message","list[dict[str,any]]"],"msg":"Input should be a valid list","input":42}]}),
    )
    .await;
}

#[tokio::test]
async fn case_30_get_response_stream_hello() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let run = s
        .stream("bench", &json!({"message": "Hello"}))
        .await
        .finish()
        .await;

    // The agent starts first, then the model's events, then the message item.
    assert_eq!(run.events[0]["type"], "agent_updated_stream_event");
    assert_eq!(run.events[0]["new_agent"]["name"], "Assistant");
    let raw = run.raw_types();
    for kind in [
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_item.done",
        "response.completed",
    ] {
        assert!(raw.contains(&kind), "{kind} missing from {raw:?}");
    }
    assert_eq!(raw.first(), Some(&"response.created"));
    assert_eq!(raw.last(), Some(&"response.completed"));
    assert_eq!(
        raw.iter()
            .filter(|t| **t == "response.output_text.delta")
            .count(),
        20
    );
    assert_eq!(run.text(), lorem(20));
    for e in &run.events {
        assert_eq!(e["agent"], "Assistant");
        assert_eq!(e["callerAgent"], Value::Null);
        assert_eq!(e["agent_run_id"], run.events[0]["agent_run_id"]);
        if is_raw("response.output_text.delta")(e) {
            assert_eq!(e["item_id"], e["data"]["item_id"], "{e}");
        }
    }
    let completed = run
        .events
        .iter()
        .find(|e| is_raw("response.completed")(e))
        .unwrap();
    assert!(completed["data"]["response"]["usage"]["output_tokens"].is_u64());
    assert_eq!(run.item_names(), ["message_output_created"]);

    // The messages frame carries what get_response answers (case 20).
    let reference = reference(REF_20);
    assert_eq!(
        shape(&run.messages["new_messages"]),
        shape(&reference["new_messages"])
    );
    assert_eq!(run.messages["usage"], reference["usage"]);
    assert_eq!(
        run.messages.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["new_messages", "run_id", "usage"]
    );
}

#[tokio::test]
async fn case_31_get_response_stream_tool_add() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let run = s
        .stream(
            "bench",
            &json!({"message": "call tool add with {\"a\": 2, \"b\": 40}"}),
        )
        .await
        .finish()
        .await;

    assert_eq!(
        run.item_names(),
        ["tool_called", "tool_output", "message_output_created"]
    );
    let called = run
        .events
        .iter()
        .find(|e| is_item("tool_called")(e))
        .unwrap();
    let output = run
        .events
        .iter()
        .find(|e| is_item("tool_output")(e))
        .unwrap();
    assert_eq!(called["item"]["type"], "tool_call_item");
    assert_eq!(called["item"]["raw_item"]["name"], "add");
    assert_eq!(called["item"]["raw_item"]["arguments"], r#"{"a":2,"b":40}"#);
    assert_eq!(output["item"]["type"], "tool_call_output_item");
    assert_eq!(output["item"]["raw_item"]["output"], "42");
    // Better than the original: the output keeps its JSON type.
    assert_eq!(output["item"]["output"], 42);
    assert_eq!(called["call_id"], output["call_id"]);
    assert!(called["call_id"].is_string());

    let raw = run.raw_types();
    assert_eq!(
        raw.iter().filter(|t| **t == "response.completed").count(),
        2,
        "two model turns: {raw:?}"
    );
    assert!(raw.contains(&"response.function_call_arguments.delta"));
    assert!(raw.contains(&"response.function_call_arguments.done"));
    assert_eq!(run.text(), "Tool add returned: 42");
    assert_eq!(
        kinds(run.new_messages()),
        ["user", "call:add", "function_call_output", "assistant"]
    );
    let reference = reference(REF_21);
    assert_eq!(
        shape(&run.messages["new_messages"]),
        shape(&reference["new_messages"])
    );
    assert_eq!(run.messages["usage"]["request_count"], 2);
}

#[tokio::test]
async fn case_32_get_response_stream_missing_message() {
    reference_error(
        "32",
        "/bench/get_response_stream",
        json!({}),
        422,
        json!({"detail":[{"type":"missing","loc":["body","message"],"msg":"Field required","input":{}}]}),
    )
    .await;
}

#[tokio::test]
async fn case_33_cancel_unknown_run() {
    reference_error(
        "33",
        "/bench/cancel_response_stream",
        json!({"run_id": "does-not-exist"}),
        404,
        json!({"detail": "Run 'does-not-exist' not found or already completed"}),
    )
    .await;
}

#[tokio::test]
async fn case_34_cancel_missing_run_id() {
    reference_error(
        "34",
        "/bench/cancel_response_stream",
        json!({}),
        422,
        json!({"detail":[{"type":"missing","loc":["body","run_id"],"msg":"Field required","input":{}}]}),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Reference cases 55–61: auth, and the model API down.

async fn bench_with_token(fake: &FakeOpenAi) -> Running {
    start(
        bench_server(fake)
            .options(ServerOptions::default().with_app_token(TOKEN))
            .build()
            .unwrap(),
    )
    .await
}

fn assert_not_authenticated(case: &str, r: &Answer) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "case {case}");
    assert_eq!(
        r.body,
        json!({"detail": "Not authenticated"}),
        "case {case}"
    );
    assert_eq!(r.header("www-authenticate"), Some("Bearer"), "case {case}");
}

#[tokio::test]
async fn case_55_auth_get_response_no_header() {
    let fake = FakeOpenAi::start().await;
    let s = bench_with_token(&fake).await;
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hello"}))
        .await;
    assert_not_authenticated("55", &r);
    // Auth comes before the body is read: an invalid body gets 401 too.
    let r = s.post_json("/bench/get_response", &json!([1])).await;
    assert_not_authenticated("55", &r);
    let wrong = s
        .post_json_with(
            "/bench/get_response",
            &json!({"message": "Hello"}),
            &[("authorization", "Bearer nope")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, json!({"detail": "Unauthorized"}));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn case_56_auth_get_response_ok() {
    let fake = FakeOpenAi::start().await;
    let s = bench_with_token(&fake).await;
    let auth = format!("Bearer {TOKEN}");
    let r = s
        .post_json_with(
            "/bench/get_response",
            &json!({"message": "Hello words=3"}),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_like_reference("56", &r.body, &reference(REF_56));
    // The scheme is case-insensitive.
    let r = s
        .post_json_with(
            "/bench/get_response",
            &json!({"message": "Hello words=3"}),
            &[("authorization", &format!("bearer {TOKEN}"))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn case_57_auth_stream_no_header() {
    let fake = FakeOpenAi::start().await;
    let s = bench_with_token(&fake).await;
    let r = s
        .post_json("/bench/get_response_stream", &json!({"message": "Hello"}))
        .await;
    assert_not_authenticated("57", &r);
    let r = s
        .post_json("/bench/cancel_response_stream", &json!({"run_id": "x"}))
        .await;
    assert_not_authenticated("57", &r);
    // With the token the stream works.
    let auth = format!("Bearer {TOKEN}");
    let run = s
        .stream_with(
            "bench",
            &json!({"message": "Hello words=2"}),
            &[("authorization", &auth)],
        )
        .await
        .finish()
        .await;
    assert_eq!(run.text(), "Lorem ipsum");
}

#[tokio::test]
async fn case_58_auth_metadata_no_header() {
    let fake = FakeOpenAi::start().await;
    let s = bench_with_token(&fake).await;
    assert_not_authenticated("58", &s.get_json("/bench/get_metadata").await);
    let auth = format!("Bearer {TOKEN}");
    let r = s
        .get_json_with("/bench/get_metadata", &[("authorization", &auth)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["metadata"]["agencyName"], "bench");
}

#[tokio::test]
async fn case_59_auth_openapi_no_header() {
    let fake = FakeOpenAi::start().await;
    let s = bench_with_token(&fake).await;
    let r = s.get_json("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body["openapi"], "3.1.0");
    assert_eq!(
        r.body["paths"]["/bench/get_response"]["post"]["security"],
        json!([{"HTTPBearer": []}])
    );
    assert_eq!(
        r.body["components"]["securitySchemes"]["HTTPBearer"],
        json!({"type": "http", "scheme": "bearer"})
    );
}

/// A server whose model API is a closed port.
async fn upstream_down() -> Running {
    start(
        Server::builder()
            .agency(bench())
            .client(client(closed_port_url()))
            .build()
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn case_60_upstream_down_get_response() {
    let s = upstream_down().await;
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hello"}))
        .await;
    // Better than the original's 500: 502, with a message that names the cause.
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.body.as_object().unwrap();
    assert_eq!(body.keys().collect::<Vec<_>>(), ["error"]);
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("could not be reached") && message.contains("127.0.0.1"),
        "{message}"
    );
}

#[tokio::test]
async fn case_61_upstream_down_stream() {
    let s = upstream_down().await;
    let run = s
        .stream("bench", &json!({"message": "Hello"}))
        .await
        .finish()
        .await;
    let types: Vec<&str> = run
        .events
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["agent_updated_stream_event", "error"]);
    let error = run.events[1]["content"].as_str().unwrap();
    assert!(error.contains("could not be reached"), "{error}");
    // The error names the agent whose run failed, like every other event.
    assert_eq!(run.events[1]["agent"], "Assistant");
    assert_eq!(run.events[1]["agent_run_id"], run.events[0]["agent_run_id"]);
    // messages still come, with the user's turn and the (empty) usage, then end.
    assert_eq!(kinds(run.new_messages()), ["user"]);
    assert_eq!(run.messages["usage"]["request_count"], 0);
    assert_eq!(run.messages.get("cancelled"), None);
}

// ---------------------------------------------------------------------------------------------
// Cancellation, disconnects, shutdown.

#[tokio::test]
async fn cancel_immediate_while_the_model_streams() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(40)).chunk_delay(STALL));
    let s = start(bench_server(&fake).build().unwrap()).await;
    let mut sse = s.stream("bench", &json!({"message": "Hello"})).await;
    let run_id = sse.run_id().await;
    // The model request is under way.
    sse.until(is_raw("response.created")).await;

    let (cancelled, run) = tokio::join!(s.cancel("bench", &run_id, "immediate"), sse.finish());
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let body = cancelled.body.as_object().unwrap();
    assert_eq!(
        body.keys().collect::<Vec<_>>(),
        [
            "ok",
            "run_id",
            "cancelled",
            "cancel_mode",
            "new_messages",
            "timed_out"
        ]
    );
    assert_eq!(body["ok"], true);
    assert_eq!(body["run_id"], run_id.as_str());
    assert_eq!(body["cancelled"], true);
    assert_eq!(body["cancel_mode"], "immediate");
    assert_eq!(body["timed_out"], false);
    // Only what was completed: the message in progress is dropped.
    let new_messages = body["new_messages"].as_array().unwrap();
    assert_eq!(kinds(new_messages), ["user"]);

    assert_eq!(run.run_id, run_id);
    assert_eq!(run.messages["cancelled"], true);
    assert_eq!(run.new_messages(), new_messages.as_slice());
    assert!(!run.item_names().contains(&"message_output_created"));
    assert!(
        fake.wait_for_dropped_stream(READ_WAIT).await,
        "the model request was not dropped"
    );
    assert_eq!(fake.request_count(), 1);

    // The run is gone.
    let again = s.cancel("bench", &run_id, "immediate").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cancel_after_turn_lets_the_running_tool_finish() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_call("hold", json!({})));
    let registry = Watched::default();
    let s = start(
        Server::builder()
            .agency(bench_with(vec![hold_tool(registry.runs.clone())]))
            .client(client(fake.base_url()))
            .run_registry(registry.clone())
            .build()
            .unwrap(),
    )
    .await;
    let mut sse = s.stream("bench", &json!({"message": "hold on"})).await;
    let run_id = sse.run_id().await;
    // The tool runs now, and waits for the cancel.
    sse.until(is_item("tool_called")).await;

    let (cancelled, run) = tokio::join!(s.cancel("bench", &run_id, "after_turn"), sse.finish());
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["cancelled"], true);
    assert_eq!(cancelled.body["cancel_mode"], "after_turn");
    assert_eq!(cancelled.body["timed_out"], false);
    let new_messages = cancelled.body["new_messages"].as_array().unwrap();
    assert_eq!(
        kinds(new_messages),
        ["user", "call:hold", "function_call_output"]
    );
    // The tool call finished: its output is kept.
    assert_eq!(new_messages[2]["output"], "held");
    assert_eq!(new_messages[1]["call_id"], new_messages[2]["call_id"]);

    assert_eq!(run.messages["cancelled"], true);
    assert_eq!(run.new_messages(), new_messages.as_slice());
    assert_eq!(run.item_names(), ["tool_called", "tool_output"]);
    assert_eq!(
        fake.request_count(),
        1,
        "no model call after the cancelled turn"
    );
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_its_run() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(40)).chunk_delay(Duration::from_millis(100)));
    let s = start(bench_server(&fake).build().unwrap()).await;
    let mut sse = s.stream("bench", &json!({"message": "Hello"})).await;
    let run_id = sse.run_id().await;
    sse.until(is_raw("response.output_text.delta")).await;
    drop(sse);

    assert!(
        fake.wait_for_dropped_stream(READ_WAIT).await,
        "the model request was not dropped"
    );
    assert_eq!(fake.completed_streams(), 0);
    let r = s.cancel("bench", &run_id, "immediate").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"detail": format!("Run '{run_id}' not found or already completed")})
    );
    // The server keeps serving.
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hi words=2"}))
        .await;
    assert_eq!(r.body["response"], "Lorem ipsum");
}

#[tokio::test]
async fn graceful_shutdown_ends_open_streams() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(40)).chunk_delay(STALL));
    let s = start(bench_server(&fake).build().unwrap()).await;
    let mut sse = s.stream("bench", &json!({"message": "Hello"})).await;
    let run_id = sse.run_id().await;
    sse.until(is_raw("response.created")).await;

    let (stopped, run) = tokio::join!(s.shut_down(), sse.finish());
    assert!(stopped.is_ok(), "{stopped:?}");
    assert_eq!(run.run_id, run_id);
    assert_eq!(run.messages["cancelled"], true);
    assert_eq!(kinds(run.new_messages()), ["user"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_streams_all_complete() {
    const STREAMS: usize = 200;
    let fake = FakeOpenAi::start().await;
    let s = Arc::new(start(bench_server(&fake).build().unwrap()).await);
    let tasks: Vec<_> = (0..STREAMS)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let body = json!({"message": format!("Hello {i} words=5")});
                s.stream("bench", &body).await.finish().await
            })
        })
        .collect();
    let mut run_ids = std::collections::HashSet::new();
    for task in tasks {
        let run = task.await.unwrap();
        assert_eq!(run.text(), lorem(5));
        assert_eq!(kinds(run.new_messages()), ["user", "assistant"]);
        run_ids.insert(run.run_id);
    }
    assert_eq!(run_ids.len(), STREAMS, "run ids are unique");
    assert_eq!(fake.request_count(), STREAMS);
}

// ---------------------------------------------------------------------------------------------
// Two agencies, recipients, validation.

async fn two_agencies(fake: &FakeOpenAi, options: ServerOptions) -> Running {
    start(
        Server::builder()
            .agency(bench())
            .agency(support_desk())
            .client(client(fake.base_url()))
            .options(options)
            .build()
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn two_agencies_side_by_side() {
    let fake = FakeOpenAi::start().await;
    let s = two_agencies(&fake, ServerOptions::default()).await;

    let r = s
        .post_json("/bench/get_response", &json!({"message": "hi words=2"}))
        .await;
    assert_eq!(r.body["new_messages"][1]["agent"], "Assistant");
    let r = s
        .post_json(
            "/Support_Desk/get_response",
            &json!({"message": "hi words=3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["response"], "Lorem ipsum dolor");
    assert_eq!(r.body["new_messages"][1]["agent"], "Helper");
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.model(), Some("gpt-4o-mini"));
    assert!(
        sent.body["instructions"]
            .as_str()
            .unwrap()
            .contains("You are the Helper.")
    );

    let bench_meta = s.get_json("/bench/get_metadata").await.body;
    let desk_meta = s.get_json("/Support_Desk/get_metadata").await.body;
    assert_eq!(bench_meta["metadata"]["agencyName"], "bench");
    assert_eq!(bench_meta["metadata"]["agents"], json!(["Assistant"]));
    assert_eq!(desk_meta["metadata"]["agencyName"], "Support Desk");
    assert_eq!(desk_meta["metadata"]["agents"], json!(["Helper", "Critic"]));
    assert_eq!(desk_meta["metadata"]["entryPoints"], json!(["Helper"]));

    // A run of one agency is unknown to the other.
    fake.push(Reply::text(lorem(40)).chunk_delay(STALL));
    let mut sse = s.stream("bench", &json!({"message": "Hello"})).await;
    let run_id = sse.run_id().await;
    sse.until(is_raw("response.created")).await;
    let r = s.cancel("Support_Desk", &run_id, "immediate").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (r, run) = tokio::join!(s.cancel("bench", &run_id, "immediate"), sse.finish());
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(run.messages["cancelled"], true);
}

#[tokio::test]
async fn recipient_agent_picks_any_agent_and_unknown_ones_are_listed() {
    let fake = FakeOpenAi::start().await;
    let s = two_agencies(&fake, ServerOptions::default()).await;
    let r = s
        .post_json(
            "/Support_Desk/get_response",
            &json!({"message": "review words=2", "recipient_agent": "Critic"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for item in r.body["new_messages"].as_array().unwrap() {
        assert_eq!(item["agent"], "Critic");
    }
    let sent = fake.last_request().unwrap();
    assert!(
        sent.body["instructions"]
            .as_str()
            .unwrap()
            .contains("You are the Critic.")
    );
    assert_eq!(sent.model(), Some("gpt-4o"));

    let r = s
        .post_json(
            "/Support_Desk/get_response",
            &json!({"message": "hi", "recipient_agent": "Assistant"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["detail"][0]["msg"],
        "Value error, Invalid agent name. Available agents: ['Helper', 'Critic']"
    );
    // The stream validates the same way, before it starts.
    let r = s
        .post_json(
            "/Support_Desk/get_response_stream",
            &json!({"message": "hi", "recipient_agent": "Nobody"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["detail"][0]["loc"],
        json!(["body", "recipient_agent"])
    );
}

#[tokio::test]
async fn invalid_cancel_mode_is_422() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let r = s.cancel("bench", "some-run", "later").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let detail = &r.body["detail"][0];
    assert_eq!(detail["loc"], json!(["body", "cancel_mode"]));
    assert_eq!(detail["input"], "later");
    // A valid mode for an unknown run is a 404, not a validation error.
    let r = s.cancel("bench", "some-run", "after_turn").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn chat_history_in_chat_completions_form_is_refused() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let history = json!([
        {"role": "user", "content": "add 1 and 2"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "add", "arguments": "{\"a\":1,\"b\":2}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
    ]);
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "and now?", "chat_history": history}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let detail = r.body["detail"].as_array().unwrap();
    assert!(!detail.is_empty());
    for d in detail {
        assert_eq!(d["loc"][1], "chat_history");
        assert!(d["msg"].as_str().unwrap().contains("new chat"), "{d}");
    }
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn attachments_that_cannot_be_had_are_refused_with_400() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    for extra in [
        json!({"file_urls": {"report.exe": "https://example.invalid/report.exe"}}),
        json!({"file_urls": {"report.pdf": "/etc/passwd"}}),
        json!({"file_ids": ["file-unknown"]}),
    ] {
        let mut body = json!({"message": "read this"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = s.post_json("/bench/get_response", &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let error = r.body["error"].as_str().expect("an error message");
        assert!(
            error.starts_with("Error downloading file from provided urls: "),
            "{error}"
        );
        assert_eq!(r.body.as_object().unwrap().len(), 1);

        // The stream says so in a frame, then ends.
        let mut sse = s.stream("bench", &body).await;
        let mut frames = Vec::new();
        while let Some(frame) = sse.next().await {
            frames.push(frame);
        }
        match frames.as_slice() {
            [Frame::Data(d), Frame::End(done)] => {
                let error = d["error"].as_str().unwrap();
                assert!(error.starts_with("Error downloading file from provided urls: "));
                assert_eq!(done, "[DONE]");
            }
            other => panic!("{other:?}"),
        }
    }
    // Only the Files API was asked (for the unknown id), never the model.
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.path.starts_with("/v1/files"))
    );
}

#[tokio::test]
async fn client_config_with_wrong_types_is_422() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "hi", "client_config": {"model": 5, "api_key": "k", "default_headers": {"x-a": 1}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let locs: Vec<&Value> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["loc"])
        .collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "client_config", "model"]),
            &json!(["body", "client_config", "default_headers", "x-a"])
        ]
    );
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "hi", "client_config": "gpt-4o"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "client_config"]));
    // "maybe" (not "yes", which pydantic's lax booleans take as true).
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "hi", "generate_chat_name": "maybe", "user_context": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"].as_array().unwrap().len(), 2);
    assert_eq!(fake.request_count(), 0);
}

fn assert_chat_name(name: &Value) {
    let name = name.as_str().expect("chat_name");
    let words = name.split_whitespace().count();
    assert!((2..=6).contains(&words), "{name:?}");
}

#[tokio::test]
async fn generate_chat_name_adds_a_short_name() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "Hi words=4", "generate_chat_name": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_chat_name(&r.body["chat_name"]);
    assert_eq!(r.body["response"], "Lorem ipsum dolor sit");
    // The naming call is one more model request, counted in the usage.
    assert_eq!(fake.request_count(), 2);
    assert_eq!(r.body["usage"]["request_count"], 2);

    // Without the flag: no name, one request.
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hi words=4"}))
        .await;
    assert!(r.body.get("chat_name").is_none());
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn generate_chat_name_in_the_messages_frame() {
    let fake = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;
    let run = s
        .stream(
            "bench",
            &json!({"message": "Hi words=4", "generate_chat_name": true}),
        )
        .await
        .finish()
        .await;
    assert_chat_name(&run.messages["chat_name"]);
    assert_eq!(run.messages["usage"]["request_count"], 2);
}

// ---------------------------------------------------------------------------------------------
// client_config and user_context.

#[tokio::test]
async fn client_config_reaches_the_model_api() {
    let fake = FakeOpenAi::start().await;
    let other = FakeOpenAi::start().await;
    let s = start(bench_server(&fake).build().unwrap()).await;

    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "Hi words=2", "client_config": {
                "api_key": "sk-request", "model": "gpt-4o-mini",
                "default_headers": {"x-tenant": "t1"}, "litellm_keys": {"anthropic": "a"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.authorization(), Some("Bearer sk-request"));
    assert_eq!(sent.model(), Some("gpt-4o-mini"));
    assert_eq!(sent.header("x-tenant"), Some("t1"));

    // Without it: the server's own client.
    s.post_json("/bench/get_response", &json!({"message": "Hi words=2"}))
        .await;
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.authorization(), Some("Bearer k"));
    assert_eq!(sent.model(), Some("gpt-4o"));
    assert_eq!(sent.header("x-tenant"), None);

    // base_url sends this request elsewhere (an allowed one, with its own key); the stream
    // route too.
    let s = start(
        bench_server(&fake)
            .options(ServerOptions::default().with_allowed_base_urls([other.base_url()]))
            .build()
            .unwrap(),
    )
    .await;
    let config = json!({"base_url": other.base_url(), "api_key": "sk-other"});
    s.post_json(
        "/bench/get_response",
        &json!({"message": "Hi words=2", "client_config": config}),
    )
    .await;
    s.stream(
        "bench",
        &json!({"message": "Hi words=2", "client_config": config}),
    )
    .await
    .finish()
    .await;
    assert_eq!(other.request_count(), 2);
    assert_eq!(
        other.last_request().unwrap().authorization(),
        Some("Bearer sk-other")
    );
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn user_context_reaches_tools_and_not_the_model() {
    let fake = FakeOpenAi::start().await;
    let s = start(
        Server::builder()
            .agency(bench_with(vec![tenant_tool()]))
            .client(client(fake.base_url()))
            .build()
            .unwrap(),
    )
    .await;
    let body = json!({"message": "call tool tenant_of with {}",
        "user_context": {"tenant": "acme", "secret": "s3cr3t-value"}});
    let r = s.post_json("/bench/get_response", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["response"], "Tool tenant_of returned: tenant=acme");
    let run = s.stream("bench", &body).await.finish().await;
    assert_eq!(run.text(), "Tool tenant_of returned: tenant=acme");
    for req in fake.requests() {
        assert!(
            !req.body.to_string().contains("s3cr3t-value"),
            "the user context reached the model"
        );
    }
    // Requests do not share it.
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "call tool tenant_of with {}"}),
        )
        .await;
    assert_eq!(r.body["response"], "Tool tenant_of returned: tenant=-");
}

// ---------------------------------------------------------------------------------------------
// OpenAPI (§12).

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => doc.pointer(r.strip_prefix('#').unwrap()).unwrap(),
        None => schema,
    }
}

/// The `enum` of a (possibly nullable) property.
fn enum_of(schema: &Value) -> Value {
    if let Some(e) = schema.get("enum") {
        return e.clone();
    }
    schema["anyOf"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|s| s.get("enum").cloned())
        .unwrap_or(Value::Null)
}

fn statuses(op: &Value) -> Vec<&str> {
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn openapi_documents_the_agency_routes() {
    let fake = FakeOpenAi::start().await;
    let s = two_agencies(&fake, ServerOptions::default()).await;
    let doc = s.get_json("/openapi.json").await.body;
    assert_no_dangling_refs(&doc);
    assert!(doc["components"].get("securitySchemes").is_none());

    let mut request_schemas = Vec::new();
    for (route, agents) in [
        ("bench", json!(["Assistant"])),
        ("Support_Desk", json!(["Helper", "Critic"])),
    ] {
        let paths = &doc["paths"];
        let op = |endpoint: &str, method: &str| {
            let op = &paths[format!("/{route}/{endpoint}")][method];
            assert!(op.is_object(), "{method} /{route}/{endpoint} missing");
            assert!(op.get("security").is_none());
            op.clone()
        };
        let get_response = op("get_response", "post");
        let stream = op("get_response_stream", "post");
        let cancel = op("cancel_response_stream", "post");
        let metadata = op("get_metadata", "get");

        let request = &get_response["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            request,
            &stream["requestBody"]["content"]["application/json"]["schema"]
        );
        request_schemas.push(request.clone());
        let schema = resolve(&doc, request);
        assert_eq!(schema["required"], json!(["message"]));
        assert_eq!(enum_of(&schema["properties"]["recipient_agent"]), agents);

        let cancel_schema = resolve(
            &doc,
            &cancel["requestBody"]["content"]["application/json"]["schema"],
        );
        assert_eq!(
            enum_of(&cancel_schema["properties"]["cancel_mode"]),
            json!(["immediate", "after_turn"])
        );

        let codes = statuses(&get_response);
        for code in ["200", "413", "422", "500", "502", "504"] {
            assert!(
                codes.contains(&code),
                "get_response lacks {code}: {codes:?}"
            );
        }
        assert!(!codes.contains(&"401"));
        assert!(statuses(&cancel).contains(&"404"));
        assert!(statuses(&cancel).contains(&"422"));
        assert!(statuses(&stream).contains(&"200"));
        assert!(
            stream["responses"]["200"]["content"]
                .get("text/event-stream")
                .is_some()
        );
        assert_eq!(statuses(&metadata), ["200"]);
        // Every response with a body has a schema that resolves.
        for op in [&get_response, &stream, &cancel, &metadata] {
            for (code, response) in op["responses"].as_object().unwrap() {
                for (_, media) in response["content"].as_object().into_iter().flatten() {
                    assert!(media["schema"].is_object(), "{code}: {response}");
                }
            }
        }
    }
    assert_ne!(
        request_schemas[0], request_schemas[1],
        "each agency has its own request schema"
    );
}

#[tokio::test]
async fn openapi_with_a_token_documents_401_on_every_agency_route() {
    let fake = FakeOpenAi::start().await;
    let s = two_agencies(&fake, ServerOptions::default().with_app_token(TOKEN)).await;
    let doc = s.get_json("/openapi.json").await.body;
    assert_no_dangling_refs(&doc);
    for route in ["bench", "Support_Desk"] {
        for (endpoint, method) in [
            ("get_response", "post"),
            ("get_response_stream", "post"),
            ("cancel_response_stream", "post"),
            ("get_metadata", "get"),
        ] {
            let op = &doc["paths"][format!("/{route}/{endpoint}")][method];
            assert!(statuses(op).contains(&"401"), "{route}/{endpoint}");
            assert_eq!(op["security"], json!([{"HTTPBearer": []}]));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Upstream errors, limits, methods, per-turn options.

#[tokio::test]
async fn a_model_api_error_is_502_naming_the_upstream_status_and_message() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::error(400, "Invalid value for 'model'"));
    let s = start(bench_server(&fake).build().unwrap()).await;
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hello"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    let error = r.body["error"].as_str().unwrap();
    assert!(
        error.contains("400") && error.contains("Invalid value for 'model'"),
        "{error}"
    );

    // The stream reports it as an error event, then messages (with usage) and end.
    fake.push(Reply::error(500, "The server had an error"));
    let run = s
        .stream("bench", &json!({"message": "Hello"}))
        .await
        .finish()
        .await;
    let error = run.events.last().unwrap();
    assert_eq!(error["type"], "error");
    let content = error["content"].as_str().unwrap();
    assert!(
        content.contains("500") && content.contains("The server had an error"),
        "{content}"
    );
    assert_eq!(kinds(run.new_messages()), ["user"]);
}

#[tokio::test]
async fn a_model_api_timeout_is_504() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("too late").delay(STALL));
    let s = start(
        Server::builder()
            .agency(bench())
            .client(ClientConfig {
                timeout: Some(Duration::from_millis(300)),
                ..client(fake.base_url())
            })
            .build()
            .unwrap(),
    )
    .await;
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hello"}))
        .await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT, "{}", r.body);
    assert!(
        r.body["error"].as_str().unwrap().contains("did not answer"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_and_wrong_methods_405() {
    let fake = FakeOpenAi::start().await;
    let s = start(
        bench_server(&fake)
            .options(ServerOptions::default().with_body_limit(1024))
            .build()
            .unwrap(),
    )
    .await;
    let big = json!({"message": "x".repeat(4096)});
    for endpoint in [
        "get_response",
        "get_response_stream",
        "cancel_response_stream",
    ] {
        let r = s.post_json(&format!("/bench/{endpoint}"), &big).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{endpoint}");
        assert!(r.body["detail"].is_string(), "{endpoint}: {}", r.body);
    }
    let r = s.get_json("/bench/get_response").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body, json!({"detail": "Method Not Allowed"}));
    assert_eq!(r.header("allow"), Some("POST"));
    let r = s.post_json("/bench/get_metadata", &json!({})).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = s
        .post_json("/nope/get_response", &json!({"message": "hi"}))
        .await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn additional_instructions_and_the_agency_context_apply_to_one_turn() {
    let fake = FakeOpenAi::start().await;
    let agency = Agency::builder("bench")
        .entry(assistant(vec![tenant_tool()]))
        .user_context(
            json!({"tenant": "default-tenant"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .build()
        .unwrap();
    let s = start(
        Server::builder()
            .agency(agency)
            .client(client(fake.base_url()))
            .build()
            .unwrap(),
    )
    .await;
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "call tool tenant_of with {}",
                "additional_instructions": "Answer in French."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The agency's own context, when the request has none.
    assert_eq!(
        r.body["response"],
        "Tool tenant_of returned: tenant=default-tenant"
    );
    for req in fake.requests() {
        let instructions = req.body["instructions"].as_str().unwrap();
        assert!(instructions.contains("Answer in French."), "{instructions}");
    }
    // The request's context wins; the extra instructions were for that turn only.
    let r = s
        .post_json(
            "/bench/get_response",
            &json!({"message": "call tool tenant_of with {}",
                "user_context": {"tenant": "acme"}}),
        )
        .await;
    assert_eq!(r.body["response"], "Tool tenant_of returned: tenant=acme");
    let last = fake.last_request().unwrap();
    assert!(
        !last.body["instructions"]
            .as_str()
            .unwrap()
            .contains("French")
    );
}

/// What became of the `stoppable` tool's calls.
#[derive(Clone, Default)]
struct Stops {
    /// Work the tool handed its cancellation token to (a spawned task) saw it fire.
    told: Arc<Mutex<u32>>,
    /// The call was dropped before it finished.
    dropped: Arc<Mutex<u32>>,
}

impl Stops {
    fn seen(&self) -> (u32, u32) {
        (*self.told.lock().unwrap(), *self.dropped.lock().unwrap())
    }
}

/// Counts one drop unless disarmed.
struct DropCount(Option<Arc<Mutex<u32>>>);

impl Drop for DropCount {
    fn drop(&mut self) {
        if let Some(count) = self.0.take() {
            *count.lock().unwrap() += 1;
        }
    }
}

/// Hands its cancellation token to a background task, then works for up to 20 s.
fn stoppable_tool(stops: Stops) -> Tool {
    Tool::builder("stoppable")
        .description("Works until told to stop.")
        .handler(move |_: NoArgs, ctx: ToolContext| {
            let stops = stops.clone();
            async move {
                let token = ctx.cancellation().clone();
                let told = stops.told.clone();
                tokio::spawn(async move {
                    if tokio::time::timeout(Duration::from_secs(20), token.cancelled())
                        .await
                        .is_ok()
                    {
                        *told.lock().unwrap() += 1;
                    }
                });
                let mut guard = DropCount(Some(stops.dropped.clone()));
                tokio::time::sleep(Duration::from_secs(20)).await;
                guard.0 = None;
                Ok::<_, ToolError>("done")
            }
        })
}

async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + READ_WAIT;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A server whose `bench` agency calls `stoppable` on the model's first turn, and the stream of
/// that run read up to the call: the server, the stream, the run's id and the tool's `Stops`.
async fn stoppable_run(fake: &FakeOpenAi) -> (Running, Sse, String, Stops) {
    fake.push(Reply::function_call("stoppable", json!({})));
    let stops = Stops::default();
    let s = start(
        Server::builder()
            .agency(bench_with(vec![stoppable_tool(stops.clone())]))
            .client(client(fake.base_url()))
            .build()
            .unwrap(),
    )
    .await;
    let mut sse = s.stream("bench", &json!({"message": "work"})).await;
    let run_id = sse.run_id().await;
    sse.until(is_item("tool_called")).await;
    (s, sse, run_id, stops)
}

#[tokio::test]
async fn cancel_immediate_tells_the_running_tool_to_stop() {
    let fake = FakeOpenAi::start().await;
    let (s, sse, run_id, stops) = stoppable_run(&fake).await;
    let (r, run) = tokio::join!(s.cancel("bench", &run_id, "immediate"), sse.finish());
    assert_eq!(r.status, StatusCode::OK);
    // The call without its output is dropped, so the history stays valid.
    assert_eq!(kinds(r.body["new_messages"].as_array().unwrap()), ["user"]);
    assert_eq!(run.messages["cancelled"], true);
    wait_for("the tool was not stopped", || stops.seen() == (1, 1)).await;
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn a_client_that_disconnects_during_a_tool_call_stops_the_tool() {
    let fake = FakeOpenAi::start().await;
    let (s, sse, run_id, stops) = stoppable_run(&fake).await;
    drop(sse);
    wait_for("the tool was not stopped", || stops.seen() == (1, 1)).await;
    let r = s.cancel("bench", &run_id, "immediate").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(fake.request_count(), 1, "nothing kept running");
}

#[tokio::test]
async fn cancel_right_after_meta_and_after_the_end() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(lorem(40)).chunk_delay(STALL));
    let s = start(bench_server(&fake).build().unwrap()).await;
    let mut sse = s.stream("bench", &json!({"message": "Hello"})).await;
    let run_id = sse.run_id().await;
    let (r, run) = tokio::join!(s.cancel("bench", &run_id, "immediate"), sse.finish());
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(run.messages["cancelled"], true);
    assert_eq!(r.body["new_messages"], run.messages["new_messages"]);

    // A run that ended on its own cannot be cancelled.
    let run = s
        .stream("bench", &json!({"message": "Hello words=2"}))
        .await
        .finish()
        .await;
    let r = s.cancel("bench", &run.run_id, "after_turn").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// The run deadline.

fn deadline_server(fake: &FakeOpenAi) -> Server {
    bench_server(fake)
        .options(ServerOptions::default().with_run_timeout(Duration::from_millis(300)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_run_past_its_deadline_is_stopped_with_504() {
    let fake = FakeOpenAi::start().await;
    let s = start(deadline_server(&fake)).await;
    fake.push(Reply::text("too late").delay(STALL));
    let r = s
        .post_json("/bench/get_response", &json!({"message": "Hello"}))
        .await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT, "{}", r.body);
    let error = r.body["error"].as_str().unwrap();
    assert!(error.contains("deadline of 0.3 s"), "{error}");
    // The model request was dropped, as on a cancel.
    assert!(fake.wait_for_dropped_stream(READ_WAIT).await);
}

#[tokio::test]
async fn a_streamed_run_past_its_deadline_ends_with_error_messages_and_end() {
    let fake = FakeOpenAi::start().await;
    let s = start(deadline_server(&fake)).await;
    // The first event at once, the rest never in time.
    fake.push(Reply::text_chunks(["Hel", "lo"]).chunk_delay(STALL));
    let run = s
        .stream("bench", &json!({"message": "Hello"}))
        .await
        .finish()
        .await;
    let last = run.events.last().unwrap();
    assert_eq!(last["type"], "error", "{:?}", run.events);
    assert!(
        last["content"].as_str().unwrap().contains("deadline"),
        "{last}"
    );
    assert_eq!(kinds(run.new_messages()), ["user"]);
    assert!(fake.wait_for_dropped_stream(READ_WAIT).await);
}
