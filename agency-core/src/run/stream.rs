use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::DropGuard;

use std::sync::Arc;

use super::{Crew, RunConfig, RunControl, RunFailure, RunInput, RunOutput, Sink};
use crate::Agent;
use crate::event::RunEvent;

/// A streamed run: a [`Stream`] of [`RunEvent`]s, then its result through [`RunStream::finish`].
///
/// Dropping it cancels the run at once (the model request is dropped, tools are told to stop).
#[derive(Debug)]
pub struct RunStream {
    events: mpsc::Receiver<RunEvent>,
    result: oneshot::Receiver<Result<RunOutput, RunFailure>>,
    control: RunControl,
    _guard: DropGuard,
}

impl RunStream {
    pub(crate) fn start(
        crew: Arc<Crew>,
        agent: Agent,
        input: RunInput,
        config: RunConfig,
    ) -> RunStream {
        let control = config.control.clone();
        RunStream::spawn(control, move |sink| {
            super::run_in_span(crew, agent, input, config, sink)
        })
    }

    /// Spawns `run` with a channel for its events.
    pub(crate) fn spawn<F, Fut>(control: RunControl, run: F) -> RunStream
    where
        F: FnOnce(Sink) -> Fut,
        Fut: std::future::Future<Output = Result<RunOutput, RunFailure>> + Send + 'static,
    {
        let (tx, events) = mpsc::channel(64);
        let (result_tx, result) = oneshot::channel();
        let guard = control.token().clone().drop_guard();
        let fut = run(Some(tx));
        tokio::spawn(async move {
            let _ = result_tx.send(fut.await);
        });
        RunStream {
            events,
            result,
            control,
            _guard: guard,
        }
    }

    /// A handle to cancel the run.
    pub fn control(&self) -> RunControl {
        self.control.clone()
    }

    /// Waits for the end of the run (skipping events not yet read) and returns its result.
    pub async fn finish(mut self) -> Result<RunOutput, RunFailure> {
        while self.events.recv().await.is_some() {}
        match (&mut self.result).await {
            Ok(out) => out,
            Err(_) => Err(RunFailure {
                error: super::RunError::Other(
                    "the run task ended without a result (it panicked)".into(),
                ),
                new_items: Vec::new(),
                usage: crate::Usage::default(),
            }),
        }
    }
}

impl Stream for RunStream {
    type Item = RunEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<RunEvent>> {
        self.events.poll_recv(cx)
    }
}
