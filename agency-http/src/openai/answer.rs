//! What a client of the `/v1` routes sees of a run: the text its top-level agents write (a
//! sub-agent's messages, tool calls and handoffs stay inside), then how it ended.

use agency_core::model::ModelEvent;
use agency_core::{RunEvent, RunOutput, RunStream, Usage};
use futures::Stream;
use futures::StreamExt;
use serde_json::Value;

use super::OpenAiError;
use crate::agency::{SharedAgency, settle};

/// One piece of a streamed answer.
pub(super) enum Piece {
    /// More of the answer's text.
    Text(String),
    /// The run ended: its output, or why it failed.
    End(Result<RunOutput, OpenAiError>),
}

/// The answer's text: the final output's text, or the structured output as JSON.
pub(super) fn text_of(output: &Value) -> String {
    match output {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Where the stream is.
struct Pump {
    run: Option<RunStream>,
    state: SharedAgency,
    /// The top-level message whose text came last (agent run, model item).
    current: Option<(String, String)>,
}

/// The run's top-level text as it is written, then its end. A second top-level message (after a
/// tool call, or a handoff) is set off from the first by a blank line. Dropping the stream drops
/// the run, which cancels it.
pub(super) fn pieces(state: SharedAgency, run: RunStream) -> impl Stream<Item = Piece> + Send {
    let pump = Pump {
        run: Some(run),
        state,
        current: None,
    };
    futures::stream::unfold(pump, |mut pump| async move {
        let run = pump.run.as_mut()?;
        while let Some(event) = run.next().await {
            let RunEvent::Model {
                meta,
                event: ModelEvent::TextDelta(delta),
            } = &event
            else {
                continue;
            };
            if meta.parent_run_id.is_some() || delta.delta.is_empty() {
                continue;
            }
            let key = (meta.agent_run_id.clone(), delta.item_id.clone());
            let text = match pump.current.replace(key.clone()) {
                Some(previous) if previous != key => format!("\n\n{}", delta.delta),
                _ => delta.delta.clone(),
            };
            return Some((Piece::Text(text), pump));
        }
        let run = pump.run.take()?;
        let end = settle(&pump.state, run.finish().await).map_err(OpenAiError::from);
        Some((Piece::End(end), pump))
    })
}

/// `n` as a `u32`, saturating (OpenAI's usage fields are 32-bit).
pub(super) fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The usage a client reads: the run's, every model call of every agent summed.
pub(super) fn tokens(usage: &Usage) -> (u32, u32, u32) {
    (
        count(usage.input_tokens),
        count(usage.output_tokens),
        count(usage.total_tokens),
    )
}
