//! Naming a conversation: a short title from one small model call.

use crate::run::RunInput;
use crate::{Agency, Agent, RunConfig, Usage};

/// What the naming agent is told.
const NAMER_INSTRUCTIONS: &str = "Write a title of two to six words for a conversation that \
starts with the user's message below. Answer with the title only, without quotes or \
punctuation at the end.";

/// The most words a name keeps.
const MAX_WORDS: usize = 6;

impl Agency {
    /// A title of two to six words for a conversation that starts with `input`, and what
    /// asking for it cost; `None` when the model call fails or answers nothing usable (the
    /// failure is logged as a warning).
    ///
    /// One model call, without tools, by a `ChatNamer` agent on the model of the agency's
    /// default recipient. `config` supplies the client, the model back end, the user context
    /// and the cancellation control; its history, extra instructions, chat id and turn limit
    /// are not used, so the name depends on the message alone. Quotes and a final period
    /// around the answer are removed, and only its first six words are kept.
    ///
    /// The cost is not part of any run's usage: add it where it should be counted.
    pub async fn chat_name(&self, input: RunInput, config: RunConfig) -> Option<(String, Usage)> {
        let model = self.agent(self.default_recipient())?.model();
        let namer = Agent::builder("ChatNamer")
            .instructions(NAMER_INSTRUCTIONS)
            .model(model)
            .max_turns(1)
            .build();
        let mut config = config;
        config.history = Vec::new();
        config.chat = None;
        config.additional_instructions = None;
        config.max_turns = None;
        match namer.run(input, config).await {
            Ok(out) => {
                let name = tidy(out.final_output.as_str()?)?;
                Some((name, out.usage))
            }
            Err(failure) => {
                tracing::warn!("could not generate a chat name: {}", failure.error);
                None
            }
        }
    }
}

/// The model's answer as a name: trimmed of quotes and periods, at most six words.
fn tidy(answer: &str) -> Option<String> {
    let text = answer.trim().trim_matches(['"', '\'', '.']);
    let words: Vec<&str> = text.split_whitespace().take(MAX_WORDS).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn answers_become_short_names() {
        assert_eq!(
            tidy(" \"Adding Two Numbers.\" ").as_deref(),
            Some("Adding Two Numbers")
        );
        assert_eq!(
            tidy("one two three four five six seven").as_deref(),
            Some("one two three four five six")
        );
        assert_eq!(tidy(" '' "), None);
    }
}
