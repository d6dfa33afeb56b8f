use std::future::Future;

use tracing::Instrument;

use crate::run::{RunConfig, RunError, RunFailure, RunInput, RunOutput, RunStream};
use crate::thread::{ChatRef, ChatTurn, StoreError};
use crate::{Agency, Usage, UserContext};

impl Agency {
    /// Sends a message to `recipient` (default: the first entry point) and runs until its final
    /// answer; `send_message` sub-runs and handoffs happen inside.
    ///
    /// `config.history` is the conversation so far (the `new_messages` of earlier runs,
    /// concatenated). With `config.chat` (see [`RunConfig::chat`]) the stored chat's items come
    /// before it and the run's new items are appended to the chat, also when the run fails or
    /// is cancelled; a run of a chat another run holds waits for it first.
    pub async fn run(
        &self,
        input: impl Into<RunInput>,
        recipient: Option<&str>,
        config: RunConfig,
    ) -> Result<RunOutput, RunFailure> {
        let prepared = self.prepare(recipient, config);
        self.clone().execute(prepared, input.into(), None).await
    }

    /// Like [`Agency::run`], streaming the events of every agent of the run in causal order.
    /// Dropping the stream cancels the run.
    pub fn run_streamed(
        &self,
        input: impl Into<RunInput>,
        recipient: Option<&str>,
        config: RunConfig,
    ) -> RunStream {
        let prepared = self.prepare(recipient, config);
        let control = match &prepared {
            Ok((_, config)) => config.control.clone(),
            Err(_) => Default::default(),
        };
        let agency = self.clone();
        let input = input.into();
        RunStream::spawn(control, move |sink| agency.execute(prepared, input, sink))
    }

    /// Checks the recipient and merges the user context.
    fn prepare(
        &self,
        recipient: Option<&str>,
        mut config: RunConfig,
    ) -> Result<(crate::Agent, RunConfig), RunError> {
        let name = recipient.unwrap_or_else(|| self.default_recipient());
        let agent = self
            .agent(name)
            .cloned()
            .ok_or_else(|| RunError::UnknownAgent {
                name: name.to_owned(),
                available: self.agent_names().to_vec(),
            })?;
        // The agency's context fills in what the request's lacks (the request wins). It is merged
        // into the caller's own handle rather than a fresh one, so that, as with `Agent::run`, the
        // caller sees what the tools wrote; the agency's own map is only copied, never changed.
        let request = config.user_context.snapshot();
        let merged = UserContext::from_map(self.user_context().clone());
        merged.merge(request);
        config.user_context.merge(merged.snapshot());
        config.states = config.states.or(self.states());
        Ok((agent, config))
    }

    /// The run, in its span (created here, so that it is a child of the caller's span, also
    /// when the run is then spawned).
    fn execute(
        self,
        prepared: Result<(crate::Agent, RunConfig), RunError>,
        input: RunInput,
        sink: crate::run::Sink,
    ) -> impl Future<Output = Result<RunOutput, RunFailure>> + Send + 'static {
        let span = match &prepared {
            Ok((agent, config)) => crate::run::run_span(&self.0.crew, agent, config),
            Err(_) => tracing::Span::none(),
        };
        self.execute_in_span(prepared, input, sink).instrument(span)
    }

    async fn execute_in_span(
        self,
        prepared: Result<(crate::Agent, RunConfig), RunError>,
        input: RunInput,
        sink: crate::run::Sink,
    ) -> Result<RunOutput, RunFailure> {
        let fail = |error: RunError| RunFailure {
            error,
            new_items: Vec::new(),
            usage: Usage::default(),
        };
        let (agent, mut config) = prepared.map_err(fail)?;
        let turn = match config.chat.take() {
            Some(chat) => Some(begin_turn(chat, &config).await.map_err(|e| {
                tracing::warn!("run failed: {e}");
                fail(e)
            })?),
            None => None,
        };
        if let Some(mut turn) = turn {
            let mut history = turn.take_history();
            history.append(&mut config.history);
            config.history = history;
            let result = crate::run::run(self.0.crew.clone(), agent, input, config, sink).await;
            let new_items = match &result {
                Ok(out) => &out.new_items,
                Err(failure) => &failure.new_items,
            };
            let chat = turn.key().id.clone();
            return match (turn.append(new_items).await, result) {
                (Ok(()), result) => result,
                (Err(e), Ok(out)) => {
                    tracing::error!("could not save chat '{chat}': {e}");
                    Err(RunFailure {
                        error: RunError::Store(format!(
                            "the answer could not be saved to chat '{chat}': {e}"
                        )),
                        new_items: out.new_items,
                        usage: out.usage,
                    })
                }
                (Err(e), Err(failure)) => {
                    tracing::error!("could not save chat '{chat}': {e}");
                    Err(failure)
                }
            };
        }
        crate::run::run(self.0.crew.clone(), agent, input, config, sink).await
    }
}

/// Waits for the chat (another run of it may hold it) and loads it, for at most the run's
/// deadline, until the run is cancelled.
async fn begin_turn(chat: ChatRef, config: &RunConfig) -> Result<ChatTurn, RunError> {
    let ChatRef { threads, key } = chat;
    let id = key.id.clone();
    let cancelled = config.control.token().cancelled();
    tokio::select! {
        turn = threads.turn(key) => turn.map_err(|e| match e {
            StoreError::NotFound(id) => RunError::ChatNotFound(id),
            other => RunError::Store(format!("chat '{id}' could not be loaded: {other}")),
        }),
        () = tokio::time::sleep(config.run_timeout) => Err(RunError::DeadlineExceeded(config.run_timeout)),
        () = cancelled => Err(RunError::Store(format!(
            "the run was cancelled while it waited for the previous run of chat '{id}'"
        ))),
    }
}
