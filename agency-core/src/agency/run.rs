use crate::run::{RunConfig, RunError, RunFailure, RunInput, RunOutput, RunStream};
use crate::{Agency, Usage, UserContext};

impl Agency {
    /// Sends a message to `recipient` (default: the first entry point) and runs until its final
    /// answer; `send_message` sub-runs and handoffs happen inside.
    ///
    /// `config.history` is the conversation so far (the `new_messages` of earlier runs,
    /// concatenated); with a thread store and `config.chat_id` it is also loaded from and saved to
    /// the store.
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
        config: RunConfig,
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
        Ok((agent, config))
    }

    async fn execute(
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
        let chat = match (&self.0.store, config.chat_id.clone()) {
            (Some(store), Some(id)) => Some((store.clone(), id)),
            _ => None,
        };
        let mut stored = Vec::new();
        if let Some((store, id)) = &chat {
            stored = store
                .load(id)
                .await
                .map_err(|e| fail(RunError::Store(e.to_string())))?;
            let mut history = stored.clone();
            history.append(&mut config.history);
            config.history = history;
        }
        let result = crate::run::run(self.0.crew.clone(), agent, input, config, sink).await;
        if let Some((store, id)) = chat {
            let new_items = match &result {
                Ok(out) => &out.new_items,
                Err(failure) => &failure.new_items,
            };
            stored.extend(new_items.iter().cloned());
            if let Err(e) = store.save(&id, stored).await {
                tracing::error!("could not save chat '{id}': {e}");
            }
        }
        result
    }
}
