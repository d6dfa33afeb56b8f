//! A client's conversation as a run: the trailing user messages are the turn, what comes before
//! is the history; the run starts as `get_response` starts one (client policy, agency, limits).

use agency_core::item::Role;
use agency_core::{Entry, Item, Meta};

use super::OpenAiError;
use super::models::Target;
use crate::Principal;
use crate::agency::{AgencyRequest, Prepared, RequestClientConfig, UserMessage, prepare};

/// One request's run, before it starts.
#[derive(Debug)]
pub(super) struct Turn {
    /// The items before the turn.
    pub history: Vec<Item>,
    /// The trailing user messages (at least one).
    pub input: Vec<Item>,
}

impl Turn {
    /// Splits a conversation (`param` names its field, for the error): it must end with a user
    /// message, since the agency's own tool calls never reach the client.
    pub fn split(mut items: Vec<Item>, param: &str) -> Result<Turn, OpenAiError> {
        let is_user = |item: &Item| matches!(item, Item::Message(m) if m.role == Role::User);
        let start = items.iter().rposition(|i| !is_user(i)).map_or(0, |i| i + 1);
        if start == items.len() {
            return Err(OpenAiError::invalid(
                format!(
                    "{param} must end with a user message: the agency answers the user's turn (its own tool calls stay inside it)"
                ),
                Some(param),
            ));
        }
        let input = items.split_off(start);
        Ok(Turn {
            history: items,
            input,
        })
    }

    /// Starts the run as the agency routes do: `client_config` through the server's policy, a
    /// fresh agency, the server's limits and shutdown.
    pub async fn prepare(
        self,
        target: &Target,
        principal: &Principal,
        instructions: Option<String>,
        client_config: Option<RequestClientConfig>,
        streaming: bool,
    ) -> Result<Prepared, OpenAiError> {
        let request = AgencyRequest {
            message: UserMessage::Items(self.input),
            chat_history: Some(
                self.history
                    .into_iter()
                    .map(|item| Entry::new(item, Meta::default()))
                    .collect(),
            ),
            recipient_agent: target.agent.clone(),
            file_ids: None,
            file_urls: None,
            additional_instructions: instructions,
            user_context: None,
            client_config,
            generate_chat_name: None,
            chat_id: None,
        };
        let mut p = prepare(&target.agency, principal, request, streaming).await?;
        p.config.run_id = Some(uuid::Uuid::new_v4().to_string());
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agency_core::item::Message;

    #[test]
    fn the_trailing_user_messages_are_the_turn() {
        let items: Vec<Item> = vec![
            Message::system("Be brief.").into(),
            Message::user("Hi").into(),
            Message::assistant("Hello").into(),
            Message::user("What is 2+2?").into(),
            Message::user("And 3+3?").into(),
        ];
        let turn = Turn::split(items, "messages").unwrap();
        assert_eq!(turn.history.len(), 3);
        assert_eq!(turn.input.len(), 2);
        let err = Turn::split(vec![Message::assistant("Hello").into()], "messages").unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.body().error.param.as_deref(), Some("messages"));
        assert!(Turn::split(Vec::new(), "input").is_err());
    }
}
