//! The run loop's own cost, with an in-process model (no network):
//! - per turn with one tool call (two turns per run: call, then answer);
//! - events per second through the typed event stream.
//!
//! `cargo bench --bench run_loop`

use std::time::{Duration, Instant};

use agency::model::{EventSynth, Model, ModelError, ModelRequest, ModelStream};
use agency::{Agent, RunConfig, Tool, ToolError};
use agency_testing::{Reply, ScriptedModel};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::json;

/// Streams one answer of `deltas` text deltas.
struct Chatty {
    deltas: usize,
}

impl Model for Chatty {
    fn stream(&self, request: ModelRequest) -> BoxFuture<'static, Result<ModelStream, ModelError>> {
        let mut synth = EventSynth::new(&request.model);
        let mut events = synth.start();
        for _ in 0..self.deltas {
            events.extend(synth.text_delta("word "));
        }
        events.extend(synth.finish(Some(agency::model::TokenUsage {
            input_tokens: 1,
            output_tokens: 1,
            total_tokens: 2,
            ..Default::default()
        })));
        Box::pin(async move { Ok(futures::stream::iter(events.into_iter().map(Ok)).boxed()) })
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let add = Tool::builder("add")
            .description("Add two integers.")
            .handler(|(a, b): (i64, i64), _| async move { Ok::<_, ToolError>(a + b) });
        let agent = Agent::builder("Bench").instructions("Add.").tool(add).build();

        // Per turn: a run of two turns (tool call, then text).
        let runs = 20_000;
        let mut total = Duration::ZERO;
        for i in 0..runs + 1_000 {
            let model = ScriptedModel::new([
                Reply::function_call("add", json!([2, 40])).usage(10, 5),
                Reply::text("42").usage(10, 5),
            ]);
            let start = Instant::now();
            let out = agent.run("2+40?", RunConfig::with_model(model)).await.expect("run");
            if i >= 1_000 {
                total += start.elapsed();
            }
            assert_eq!(out.final_output, "42");
        }
        let per_turn = total / (runs * 2);

        // The scripted model's own cost for the same turns, to subtract.
        let mut model_total = Duration::ZERO;
        for _ in 0..runs {
            let model = ScriptedModel::new([
                Reply::function_call("add", json!([2, 40])).usage(10, 5),
                Reply::text("42").usage(10, 5),
            ]);
            let start = Instant::now();
            for _ in 0..2 {
                let request = ModelRequest { model: "gpt-4o".into(), ..ModelRequest::default() };
                let mut stream = model.stream(request).await.expect("model");
                while stream.next().await.is_some() {}
            }
            model_total += start.elapsed();
        }
        let model_per_turn = model_total / (runs * 2);
        println!(
            "run loop, one tool call per run: {:.1} µs per turn in all, of which the scripted model {:.1} µs: the loop's own cost is {:.1} µs per turn ({runs} runs of 2 turns)",
            per_turn.as_secs_f64() * 1e6,
            model_per_turn.as_secs_f64() * 1e6,
            (per_turn.saturating_sub(model_per_turn)).as_secs_f64() * 1e6
        );

        // Events per second through the stream.
        let deltas = 200_000;
        let start = Instant::now();
        let mut stream = agent.run_streamed("talk", RunConfig::with_model(Chatty { deltas }));
        let mut events = 0u64;
        while stream.next().await.is_some() {
            events += 1;
        }
        let elapsed = start.elapsed();
        stream.finish().await.expect("stream");
        println!(
            "typed event stream: {events} events in {:.3} s = {:.0} events/s",
            elapsed.as_secs_f64(),
            events as f64 / elapsed.as_secs_f64()
        );
    });
}
