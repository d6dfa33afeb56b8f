//! The stored chats of one agency: `GET /{a}/chats`, `GET /{a}/chats/{chat_id}`,
//! `DELETE /{a}/chats/{chat_id}`, and the `chat_id` of a `get_response` request. Every chat
//! belongs to the [`Principal`] that started it; another principal's chat is a 404.

use std::sync::LazyLock;

use agency_core::thread::{ChatKey, ChatRef, ChatSummary, Cursor, PageQuery, StoreError, Threads};
use agency_core::validate::Validator;
use agency_core::{Entry, FieldError, Loc};
use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::routes::agency_path;
use super::state::SharedAgency;
use crate::error::json_response;
use crate::{ApiError, Principal};

/// The `chat_id` that asks the server to start a chat.
pub const NEW_CHAT: &str = "new";

/// The most chats one page lists.
pub const MAX_PAGE: u32 = 100;

/// A chat as `GET /{a}/chats` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChatInfo {
    /// The chat id: send it as `chat_id` to continue the chat.
    pub chat_id: String,
    /// Its name, once `generate_chat_name` produced one.
    pub chat_name: Option<String>,
    /// When it was started (microseconds since the Unix epoch).
    pub created_at: i64,
    /// When a run last added to it (microseconds since the Unix epoch).
    pub updated_at: i64,
}

impl From<ChatSummary> for ChatInfo {
    fn from(c: ChatSummary) -> Self {
        ChatInfo {
            chat_id: c.id,
            chat_name: c.name,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The 200 body of `GET /{a}/chats`: the caller's chats, most recently used first.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChatList {
    /// One page of chats.
    pub chats: Vec<ChatInfo>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next: Option<String>,
}

/// The 200 body of `GET /{a}/chats/{chat_id}`: the chat and every item its runs added.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChatThread {
    /// The chat.
    #[serde(flatten)]
    pub chat: ChatInfo,
    /// Its items in order, as `new_messages` carried them.
    pub messages: Vec<Entry>,
}

/// The query of `GET /{a}/chats`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ChatListQuery {
    /// The most chats on the page (1 to 100, default 20).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Where the previous page ended: its `next`.
    #[schemars(regex(pattern = r"^-?[0-9]{1,18}\.[A-Za-z0-9_-]{1,128}$"))]
    pub after: Option<String>,
}

static LIST_QUERY: LazyLock<Validator> =
    LazyLock::new(|| Validator::compile(agency_core::schema::generate::<ChatListQuery>()).0);

impl ChatListQuery {
    /// The JSON schema of the query (its properties are the query parameters).
    pub fn schema() -> &'static Value {
        LIST_QUERY.schema()
    }

    /// Validates a query string (its values as strings, with pydantic's lax rules) and reads
    /// it; errors have `loc` `["query", name]`. Unknown parameters are ignored.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        super::query::parse(&LIST_QUERY, query)
    }

    fn page(&self) -> Result<PageQuery, ApiError> {
        let after = match &self.after {
            Some(text) => Some(text.parse::<Cursor>().map_err(|msg| {
                ApiError::Validation(vec![FieldError {
                    kind: "value_error".into(),
                    loc: vec![Loc::Key("query".into()), Loc::Key("after".into())],
                    msg,
                    input: Value::String(text.clone()),
                    ctx: None,
                }])
            })?),
            None => None,
        };
        Ok(PageQuery {
            limit: self
                .limit
                .unwrap_or(PageQuery::default().limit)
                .min(MAX_PAGE),
            after,
        })
    }
}

/// The routes of the agency's chats (only on a server that keeps them).
pub(crate) fn router(state: SharedAgency) -> Router {
    Router::new()
        .route(&agency_path(&state.route, "chats"), get(list))
        .route(
            &agency_path(&state.route, "chats/{chat_id}"),
            get(show).delete(delete),
        )
        .with_state(state)
}

/// A store failure as an answer: 404 for a missing chat, 503 otherwise (the store is down or
/// slow; the request may be sent again).
pub(crate) fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound(id) => not_found(&id),
        other => {
            tracing::error!("thread store: {other}");
            ApiError::Failed {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!("the conversation store is unavailable: {other}"),
            }
        }
    }
}

/// 404 `{"detail": "Chat '<id>' not found"}`.
pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, format!("Chat '{id}' not found"))
}

fn threads(state: &SharedAgency) -> Result<&Threads, ApiError> {
    state.common.threads.as_ref().ok_or(ApiError::NotFound)
}

fn key(state: &SharedAgency, principal: &Principal, id: String) -> ChatKey {
    ChatKey::new(state.route.clone(), principal.name(), id)
}

/// The chat a request continues, or starts (`"new"`): 422 when the server keeps no chats; with
/// `check`, 404 at once when it is not the caller's (a stream must know before its first
/// frame; a run finds out anyway when it loads the chat, before any model call).
pub(crate) async fn resolve(
    state: &SharedAgency,
    principal: &Principal,
    chat_id: String,
    check: bool,
) -> Result<ChatRef, ApiError> {
    let Some(threads) = state.common.threads.clone() else {
        return Err(ApiError::Validation(vec![FieldError {
            kind: "value_error".into(),
            loc: vec![Loc::Key("body".into()), Loc::Key("chat_id".into())],
            msg: "this server keeps no conversations (start it with a thread store, `--threads`); send the history as chat_history instead".to_owned(),
            input: Value::String(chat_id),
            ctx: None,
        }]));
    };
    if chat_id == NEW_CHAT {
        let key = threads
            .start(state.route.clone(), principal.name())
            .await
            .map_err(store_error)?;
        return Ok(ChatRef { threads, key });
    }
    let key = key(state, principal, chat_id);
    if !check {
        return Ok(ChatRef { threads, key });
    }
    match threads.summary(&key).await.map_err(store_error)? {
        Some(_) => Ok(ChatRef { threads, key }),
        None => Err(not_found(&key.id)),
    }
}

async fn list(
    State(state): State<SharedAgency>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let threads = threads(&state)?;
    let page = ChatListQuery::parse(query.as_deref().unwrap_or_default())?.page()?;
    let page = threads
        .list(&state.route, principal.name(), &page)
        .await
        .map_err(store_error)?;
    let body = ChatList {
        chats: page.chats.into_iter().map(ChatInfo::from).collect(),
        next: page.next.map(|c| c.to_string()),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// The chat a `chats/{chat_id}` route names, of the caller; an unreadable path is a 404.
struct ChatOf(Threads, ChatKey);

impl FromRequestParts<SharedAgency> for ChatOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedAgency) -> Result<Self, ApiError> {
        let threads = threads(state)?.clone();
        let Ok(principal) = Principal::from_request_parts(parts, state).await;
        let Path(chat_id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok(ChatOf(threads, key(state, &principal, chat_id)))
    }
}

async fn show(ChatOf(threads, key): ChatOf) -> Result<Response, ApiError> {
    let summary = threads.summary(&key).await.map_err(store_error)?;
    let items = threads.items(&key).await.map_err(store_error)?;
    let (Some(summary), Some(messages)) = (summary, items) else {
        return Err(not_found(&key.id));
    };
    let body = ChatThread {
        chat: summary.into(),
        messages,
    };
    Ok(json_response(StatusCode::OK, &body))
}

async fn delete(ChatOf(threads, key): ChatOf) -> Result<Response, ApiError> {
    if threads.delete(&key).await.map_err(store_error)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found(&key.id))
    }
}

/// Keeps a generated name with the chat (a failure is logged: the answer still has the name).
pub(crate) async fn keep_name(chat: &ChatRef, name: &str) {
    if let Err(e) = chat.threads.rename(&chat.key, name).await {
        tracing::warn!("could not keep the name of chat '{}': {e}", chat.key.id);
    }
}
