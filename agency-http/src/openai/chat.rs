//! `POST /v1/chat/completions`: the agency as a Chat Completions model, streaming (`stream:
//! true`, `chat.completion.chunk` events then `[DONE]`) or not.

use agency_core::Item;
use agency_core::item::{Content, Message, Part, Role};
use async_openai::types::chat::{
    ChatChoice, ChatChoiceStream, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestAssistantMessageContentPart, ChatCompletionRequestDeveloperMessageContent,
    ChatCompletionRequestDeveloperMessageContentPart, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestSystemMessageContentPart,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
    ChatCompletionResponseMessage, ChatCompletionStreamResponseDelta, CompletionUsage,
    CreateChatCompletionRequest, CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
    FinishReason, Role as ChatRole,
};
use async_openai::types::chat::{CompletionTokensDetails, PromptTokensDetails};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::sse::Event;
use futures::StreamExt;

use super::answer::{Piece, count, pieces, text_of, tokens};
use super::turn::Turn;
use super::{Body, OpenAiError, SharedV1, models, now};
use crate::Principal;
use crate::agency::run_to_end;
use crate::error::json_response;

/// `POST /v1/chat/completions`.
#[tracing::instrument(name = "chat_completions", skip_all, fields(model))]
pub(super) async fn completions(
    State(v1): State<SharedV1>,
    principal: Principal,
    Body(mut body): Body,
) -> Result<Response, OpenAiError> {
    let client_config = super::client_config(&mut body)?;
    let request: CreateChatCompletionRequest = super::parse(body)?;
    tracing::Span::current().record("model", request.model.as_str());
    answer(&v1, &principal, request, client_config).await
}

async fn answer(
    v1: &SharedV1,
    principal: &Principal,
    request: CreateChatCompletionRequest,
    client_config: Option<crate::agency::RequestClientConfig>,
) -> Result<Response, OpenAiError> {
    if request.n.is_some_and(|n| n != 1) {
        return Err(OpenAiError::invalid(
            "n must be 1: an agency gives one answer",
            Some("n"),
        ));
    }
    if request.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(OpenAiError::invalid(
            "tools are not taken: the agency calls its own tools, and its final answer is the reply",
            Some("tools"),
        ));
    }
    let target = models::resolve(&v1.agencies, &request.model)?;
    let items = request
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| item(i, m))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let streaming = request.stream.unwrap_or(false);
    let turn = Turn::split(items, "messages")?;
    let p = turn
        .prepare(&target, principal, None, client_config, streaming)
        .await?;
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let head = Head {
        id,
        created: now(),
        model: target.model.clone(),
    };
    if !streaming {
        let out = run_to_end(
            &target.agency,
            &p.agency,
            p.input,
            p.recipient.as_deref(),
            p.config,
        )
        .await?;
        let completion = head.completion(text_of(&out.final_output), usage(&out.usage));
        return Ok(json_response(StatusCode::OK, &completion));
    }
    let include_usage = request
        .stream_options
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let run = p
        .agency
        .run_streamed(p.input, p.recipient.as_deref(), p.config);
    let connected = target.agency.common.metrics.stream_started();
    let first = head.chunk(
        ChatCompletionStreamResponseDelta {
            role: Some(ChatRole::Assistant),
            content: Some(String::new()),
            ..Default::default()
        },
        None,
    );
    let rest = pieces(target.agency.clone(), run).flat_map(move |piece| {
        let _connected = &connected;
        let events = match piece {
            Piece::Text(text) => vec![data(&head.chunk(
                ChatCompletionStreamResponseDelta {
                    content: Some(text),
                    ..Default::default()
                },
                None,
            ))],
            Piece::End(Ok(out)) => {
                let mut events = vec![data(&head.chunk(
                    ChatCompletionStreamResponseDelta::default(),
                    Some(FinishReason::Stop),
                ))];
                if include_usage {
                    let mut last = head.chunk(ChatCompletionStreamResponseDelta::default(), None);
                    last.choices.clear();
                    last.usage = Some(usage(&out.usage));
                    events.push(data(&last));
                }
                events.push(Event::default().data("[DONE]"));
                events
            }
            // OpenAI's clients raise an event with an `error` as the API's error.
            Piece::End(Err(e)) => vec![data(e.body()), Event::default().data("[DONE]")],
        };
        futures::stream::iter(events)
    });
    let events = futures::stream::once(async move { data(&first) }).chain(rest);
    Ok(crate::agency::sse::sse(events))
}

/// A `data:` event of `value`.
fn data(value: &impl serde::Serialize) -> Event {
    match serde_json::to_string(value) {
        Ok(json) => Event::default().data(json),
        Err(e) => Event::default().data(format!(
            r#"{{"error":{{"message":"an event could not be serialized: {e}","type":"server_error","param":null,"code":null}}}}"#
        )),
    }
}

/// What every chunk (and the completion) of one answer shares.
struct Head {
    id: String,
    created: u32,
    model: String,
}

impl Head {
    #[allow(deprecated)] // `function_call` and `system_fingerprint`: OpenAI's still send them.
    fn completion(&self, text: String, usage: CompletionUsage) -> CreateChatCompletionResponse {
        CreateChatCompletionResponse {
            id: self.id.clone(),
            object: "chat.completion".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChatChoice {
                index: 0,
                message: ChatCompletionResponseMessage {
                    content: Some(text),
                    role: ChatRole::Assistant,
                    ..Default::default()
                },
                finish_reason: Some(FinishReason::Stop),
                logprobs: None,
            }],
            usage: Some(usage),
            ..Default::default()
        }
    }

    fn chunk(
        &self,
        delta: ChatCompletionStreamResponseDelta,
        finish_reason: Option<FinishReason>,
    ) -> CreateChatCompletionStreamResponse {
        CreateChatCompletionStreamResponse {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChatChoiceStream {
                index: 0,
                delta,
                finish_reason,
                logprobs: None,
            }],
            ..Default::default()
        }
    }
}

/// The run's usage in Chat Completions' fields.
fn usage(usage: &agency_core::Usage) -> CompletionUsage {
    let (prompt, completion, total) = tokens(usage);
    CompletionUsage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: total,
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: Some(count(usage.cached_tokens)),
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: Some(count(usage.reasoning_tokens.unwrap_or(0))),
            ..Default::default()
        }),
    }
}

/// The item of message `i` (`None` for an assistant message without text). Tool messages and
/// tool calls are refused: the agency runs its own tools, the client has none to answer.
fn item(i: usize, message: ChatCompletionRequestMessage) -> Result<Option<Item>, OpenAiError> {
    let param = |field: &str| format!("messages.{i}{field}");
    let item: Item = match message {
        ChatCompletionRequestMessage::System(m) => Message::system(system_text(m.content)).into(),
        ChatCompletionRequestMessage::Developer(m) => {
            Message::new(Role::Developer, developer_text(m.content)).into()
        }
        ChatCompletionRequestMessage::User(m) => match m.content {
            ChatCompletionRequestUserMessageContent::Text(text) => Message::user(text).into(),
            ChatCompletionRequestUserMessageContent::Array(parts) => {
                let parts = parts
                    .into_iter()
                    .enumerate()
                    .map(|(j, part)| user_part(part, &param(&format!(".content.{j}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut message = Message::user("");
                message.content = Content::Parts(parts);
                message.into()
            }
        },
        ChatCompletionRequestMessage::Assistant(m) => {
            if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) {
                return Err(OpenAiError::invalid(
                    "assistant tool_calls are not taken: the agency's own tool calls stay inside it, and it offers the client none",
                    Some(&param(".tool_calls")),
                ));
            }
            match m.content.map(assistant_text) {
                Some(text) if !text.is_empty() => Message::assistant(text).into(),
                _ => return Ok(None),
            }
        }
        ChatCompletionRequestMessage::Tool(_) | ChatCompletionRequestMessage::Function(_) => {
            return Err(OpenAiError::invalid(
                "tool messages are not taken: the agency runs its own tools, and it offers the client none",
                Some(&param(".role")),
            ));
        }
    };
    Ok(Some(item))
}

fn user_part(
    part: ChatCompletionRequestUserMessageContentPart,
    param: &str,
) -> Result<Part, OpenAiError> {
    match part {
        ChatCompletionRequestUserMessageContentPart::Text(t) => {
            Ok(Part::InputText { text: t.text })
        }
        ChatCompletionRequestUserMessageContentPart::ImageUrl(image) => Ok(Part::InputImage {
            image_url: Some(image.image_url.url),
            file_id: None,
            detail: image
                .image_url
                .detail
                .and_then(|d| serde_json::to_value(d).ok())
                .and_then(|d| d.as_str().map(str::to_owned)),
        }),
        ChatCompletionRequestUserMessageContentPart::InputAudio(_)
        | ChatCompletionRequestUserMessageContentPart::File(_) => Err(OpenAiError::invalid(
            "only text and image_url parts are taken (send files as the agency routes' file_ids or file_urls)",
            Some(param),
        )),
    }
}

fn system_text(content: ChatCompletionRequestSystemMessageContent) -> String {
    match content {
        ChatCompletionRequestSystemMessageContent::Text(text) => text,
        ChatCompletionRequestSystemMessageContent::Array(parts) => parts
            .into_iter()
            .map(|ChatCompletionRequestSystemMessageContentPart::Text(t)| t.text)
            .collect(),
    }
}

fn developer_text(content: ChatCompletionRequestDeveloperMessageContent) -> String {
    match content {
        ChatCompletionRequestDeveloperMessageContent::Text(text) => text,
        ChatCompletionRequestDeveloperMessageContent::Array(parts) => parts
            .into_iter()
            .map(|ChatCompletionRequestDeveloperMessageContentPart::Text(t)| t.text)
            .collect(),
    }
}

fn assistant_text(content: ChatCompletionRequestAssistantMessageContent) -> String {
    match content {
        ChatCompletionRequestAssistantMessageContent::Text(text) => text,
        ChatCompletionRequestAssistantMessageContent::Array(parts) => parts
            .into_iter()
            .map(|part| match part {
                ChatCompletionRequestAssistantMessageContentPart::Text(t) => t.text,
                ChatCompletionRequestAssistantMessageContentPart::Refusal(r) => r.refusal,
            })
            .collect(),
    }
}
