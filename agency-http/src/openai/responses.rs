//! `POST /v1/responses`: the agency as a Responses API model, streaming (`stream: true`: the
//! `response.*` events OpenAI sends for one text message) or not.

use agency_core::Item;
use agency_core::item::Message;
use async_openai::types::responses::{
    AssistantRole, CreateResponse, InputParam, InputTokenDetails, OutputContent, OutputItem,
    OutputMessage, OutputMessageContent, OutputStatus, OutputTextContent, OutputTokenDetails,
    Response as ApiResponse, ResponseCompletedEvent, ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent, ResponseCreatedEvent, ResponseError, ResponseErrorCode,
    ResponseFailedEvent, ResponseInProgressEvent, ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent, ResponseStreamEvent, ResponseTextDeltaEvent,
    ResponseTextDoneEvent, ResponseUsage, Status,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::sse::Event;
use futures::StreamExt;
use serde::Deserialize;

use super::answer::{Piece, count, pieces, text_of, tokens};
use super::turn::Turn;
use super::{Body, OpenAiError, SharedV1, models, now};
use crate::Principal;
use crate::agency::{RequestClientConfig, run_to_end};
use crate::error::json_response;

/// `POST /v1/responses`.
#[tracing::instrument(name = "responses", skip_all, fields(model))]
pub(super) async fn create(
    State(v1): State<SharedV1>,
    principal: Principal,
    Body(mut body): Body,
) -> Result<Response, OpenAiError> {
    let client_config = super::client_config(&mut body)?;
    let request: CreateResponse = super::parse(body)?;
    answer(&v1, &principal, request, client_config).await
}

async fn answer(
    v1: &SharedV1,
    principal: &Principal,
    request: CreateResponse,
    client_config: Option<RequestClientConfig>,
) -> Result<Response, OpenAiError> {
    let Some(model) = request.model.as_deref() else {
        return Err(OpenAiError::invalid(
            "model is required: the agency to talk to (GET /v1/models lists them)",
            Some("model"),
        ));
    };
    tracing::Span::current().record("model", model);
    if request.previous_response_id.is_some() || request.conversation.is_some() {
        return Err(OpenAiError::invalid(
            "this server keeps no responses: send the whole conversation as input",
            Some("previous_response_id"),
        ));
    }
    if request.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(OpenAiError::invalid(
            "tools are not taken: the agency calls its own tools, and its final answer is the reply",
            Some("tools"),
        ));
    }
    let target = models::resolve(&v1.agencies, model)?;
    let items = match request.input {
        InputParam::Text(text) => vec![Message::user(text).into()],
        InputParam::Items(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::to_value(item)
                    .and_then(Item::deserialize)
                    .map_err(|e| OpenAiError::invalid(e.to_string(), Some(&format!("input.{i}"))))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let streaming = request.stream.unwrap_or(false);
    let turn = Turn::split(items, "input")?;
    let p = turn
        .prepare(
            &target,
            principal,
            request.instructions,
            client_config,
            streaming,
        )
        .await?;
    let head = Head {
        id: format!("resp_{}", uuid::Uuid::new_v4().simple()),
        message_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
        created_at: u64::from(now()),
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
        let text = text_of(&out.final_output);
        let response = head.response(
            Status::Completed,
            vec![head.message(text, OutputStatus::Completed)],
            Some(usage(&out.usage)),
            None,
        );
        return Ok(json_response(StatusCode::OK, &response));
    }
    let run = p
        .agency
        .run_streamed(p.input, p.recipient.as_deref(), p.config);
    let connected = target.agency.common.metrics.stream_started();
    let mut stream = Stream {
        head,
        sequence: 0,
        text: String::new(),
    };
    let opening = stream.opening();
    let rest = pieces(target.agency.clone(), run).flat_map(move |piece| {
        let _connected = &connected;
        futures::stream::iter(stream.on(piece))
    });
    let events = futures::stream::iter(opening)
        .chain(rest)
        .map(|e| event(&e));
    Ok(crate::agency::sse::sse(events))
}

/// An event as OpenAI frames it: `event: <type>` and its JSON.
fn event(e: &ResponseStreamEvent) -> Event {
    let json = serde_json::to_value(e).unwrap_or_default();
    let kind = json["type"].as_str().unwrap_or("error").to_owned();
    Event::default().event(kind).data(json.to_string())
}

/// What the response and its events share.
struct Head {
    id: String,
    message_id: String,
    created_at: u64,
    model: String,
}

impl Head {
    #[allow(deprecated)] // `prompt_cache_retention`: OpenAI's own still carry it.
    fn response(
        &self,
        status: Status,
        output: Vec<OutputItem>,
        usage: Option<ResponseUsage>,
        error: Option<ResponseError>,
    ) -> ApiResponse {
        let completed_at = (status == Status::Completed).then(|| u64::from(now()));
        ApiResponse {
            background: None,
            billing: None,
            conversation: None,
            created_at: self.created_at,
            completed_at,
            error,
            id: self.id.clone(),
            incomplete_details: None,
            instructions: None,
            max_output_tokens: None,
            metadata: None,
            model: self.model.clone(),
            object: "response".to_owned(),
            output,
            parallel_tool_calls: None,
            previous_response_id: None,
            prompt: None,
            prompt_cache_key: None,
            prompt_cache_retention: None,
            reasoning: None,
            safety_identifier: None,
            service_tier: None,
            status,
            temperature: None,
            text: None,
            tool_choice: None,
            tools: None,
            top_logprobs: None,
            top_p: None,
            truncation: None,
            usage,
            prompt_cache_options: None,
            prompt_cache_diagnostics: None,
            moderation: None,
            access_programs: None,
            tool_usage: None,
        }
    }

    /// The answer's message.
    fn message(&self, text: String, status: OutputStatus) -> OutputItem {
        let content = match status {
            OutputStatus::InProgress => Vec::new(),
            _ => vec![OutputMessageContent::OutputText(text_part(text))],
        };
        OutputItem::Message(OutputMessage {
            content,
            id: self.message_id.clone(),
            role: AssistantRole::Assistant,
            phase: None,
            status,
        })
    }
}

fn text_part(text: String) -> OutputTextContent {
    OutputTextContent {
        annotations: Vec::new(),
        logprobs: None,
        text,
    }
}

/// The events of one streamed response, numbered.
struct Stream {
    head: Head,
    sequence: u64,
    /// The text so far.
    text: String,
}

impl Stream {
    fn next(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence - 1
    }

    /// `response.created`, `response.in_progress`, the message and its text part opened.
    fn opening(&mut self) -> Vec<ResponseStreamEvent> {
        let started = self
            .head
            .response(Status::InProgress, Vec::new(), None, None);
        vec![
            ResponseStreamEvent::ResponseCreated(ResponseCreatedEvent {
                sequence_number: self.next(),
                response: started.clone(),
            }),
            ResponseStreamEvent::ResponseInProgress(ResponseInProgressEvent {
                sequence_number: self.next(),
                response: started,
            }),
            ResponseStreamEvent::ResponseOutputItemAdded(ResponseOutputItemAddedEvent {
                sequence_number: self.next(),
                output_index: 0,
                item: self.head.message(String::new(), OutputStatus::InProgress),
            }),
            ResponseStreamEvent::ResponseContentPartAdded(ResponseContentPartAddedEvent {
                sequence_number: self.next(),
                item_id: self.head.message_id.clone(),
                output_index: 0,
                content_index: 0,
                part: OutputContent::OutputText(text_part(String::new())),
            }),
        ]
    }

    fn on(&mut self, piece: Piece) -> Vec<ResponseStreamEvent> {
        match piece {
            Piece::Text(delta) => {
                self.text.push_str(&delta);
                vec![ResponseStreamEvent::ResponseOutputTextDelta(
                    ResponseTextDeltaEvent {
                        sequence_number: self.next(),
                        item_id: self.head.message_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        delta,
                        logprobs: Some(Vec::new()),
                    },
                )]
            }
            Piece::End(Ok(out)) => {
                let text = std::mem::take(&mut self.text);
                let message = self.head.message(text.clone(), OutputStatus::Completed);
                vec![
                    ResponseStreamEvent::ResponseOutputTextDone(ResponseTextDoneEvent {
                        sequence_number: self.next(),
                        item_id: self.head.message_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        text: text.clone(),
                        logprobs: Some(Vec::new()),
                    }),
                    ResponseStreamEvent::ResponseContentPartDone(ResponseContentPartDoneEvent {
                        sequence_number: self.next(),
                        item_id: self.head.message_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        part: OutputContent::OutputText(text_part(text)),
                    }),
                    ResponseStreamEvent::ResponseOutputItemDone(ResponseOutputItemDoneEvent {
                        sequence_number: self.next(),
                        output_index: 0,
                        item: message.clone(),
                    }),
                    ResponseStreamEvent::ResponseCompleted(ResponseCompletedEvent {
                        sequence_number: self.next(),
                        response: self.head.response(
                            Status::Completed,
                            vec![message],
                            Some(usage(&out.usage)),
                            None,
                        ),
                    }),
                ]
            }
            Piece::End(Err(e)) => {
                let error = ResponseError {
                    code: ResponseErrorCode::ServerError,
                    message: e.body().error.message.clone(),
                    misalignment: None,
                    param: None,
                    r#type: Some(e.body().error.kind.clone()),
                };
                vec![ResponseStreamEvent::ResponseFailed(ResponseFailedEvent {
                    sequence_number: self.next(),
                    response: self
                        .head
                        .response(Status::Failed, Vec::new(), None, Some(error)),
                })]
            }
        }
    }
}

/// The run's usage in the Responses API's fields.
fn usage(usage: &agency_core::Usage) -> ResponseUsage {
    let (input, output, total) = tokens(usage);
    ResponseUsage {
        input_tokens: input,
        input_tokens_details: InputTokenDetails {
            cached_tokens: count(usage.cached_tokens),
            ..Default::default()
        },
        output_tokens: output,
        output_tokens_details: OutputTokenDetails {
            reasoning_tokens: count(usage.reasoning_tokens.unwrap_or(0)),
        },
        total_tokens: total,
    }
}
