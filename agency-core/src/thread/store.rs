//! The [`ThreadStore`] trait: where conversations are kept, one row per item.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::{ChatKey, ChatPage, ChatSummary, PageQuery};
use crate::item::Entry;

/// Why a thread store could not do what it was asked.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The chat does not exist (or belongs to another agency or principal, which is the same
    /// to the caller).
    #[error("no chat '{0}' (it never existed, was deleted or expired, or is not yours)")]
    NotFound(String),
    /// A chat with this id exists already.
    #[error("a chat '{0}' exists already")]
    Exists(String),
    /// A stored item cannot be read back.
    #[error("an item of chat '{chat}' in the thread store cannot be read: {reason}")]
    Corrupt {
        /// The chat.
        chat: String,
        /// Why.
        reason: String,
    },
    /// The store did not answer in time.
    #[error("the thread store did not answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The database or service behind the store failed.
    #[error("the thread store failed: {0}")]
    Backend(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A [`StoreError::Backend`] from any error.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Arc::new(error))
    }
}

/// Keeps conversations: chats, each owned by one principal of one agency, holding the flat list
/// of entries its runs added, in order.
///
/// Implementations append rows rather than rewrite a chat, so that two runs that end at the
/// same time never lose an item; each `append` is one block, kept together. Every method gets
/// the whole [`ChatKey`], and a chat is found only under the agency and owner it was created
/// with. Timestamps are microseconds since the Unix epoch, set by the store.
///
/// [`Threads`](super::Threads) wraps a store with deadlines and one-run-at-a-time per chat; the
/// server and [`RunConfig::chat`](crate::RunConfig::chat) use it. The crate `agency-threads`
/// has the SQLite and Postgres stores; [`InMemoryThreadStore`](super::InMemoryThreadStore) is
/// here.
///
/// ```
/// use agency_core::item::{Entry, Message, Meta};
/// use agency_core::thread::{ChatKey, InMemoryThreadStore, PageQuery, ThreadStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = InMemoryThreadStore::default();
/// let key = ChatKey::new("Demo", "alice", "chat-1");
/// store.create(&key).await.unwrap();
/// let hi = Entry::new(Message::user("hi"), Meta::new_run("Assistant", None, None));
/// store.append(&key, &[hi]).await.unwrap();
/// assert_eq!(store.items(&key).await.unwrap().unwrap().len(), 1);
/// // Another principal does not see it.
/// assert!(store.items(&ChatKey::new("Demo", "bob", "chat-1")).await.unwrap().is_none());
/// let page = store.list("Demo", "alice", &PageQuery::default()).await.unwrap();
/// assert_eq!(page.chats[0].id, "chat-1");
/// # });
/// ```
pub trait ThreadStore: Send + Sync + 'static {
    /// Starts the empty chat `key`; [`StoreError::Exists`] when its id is taken (by anyone).
    fn create<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The chat's name and times, or `None` when there is no such chat.
    fn summary<'a>(
        &'a self,
        key: &'a ChatKey,
    ) -> BoxFuture<'a, Result<Option<ChatSummary>, StoreError>>;

    /// The chat's items in the order they were appended, or `None` when there is no such chat.
    fn items<'a>(
        &'a self,
        key: &'a ChatKey,
    ) -> BoxFuture<'a, Result<Option<Vec<Entry>>, StoreError>>;

    /// Appends `items` after the chat's last as one block and marks the chat as used now;
    /// [`StoreError::NotFound`] when there is no such chat.
    fn append<'a>(
        &'a self,
        key: &'a ChatKey,
        items: &'a [Entry],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Names the chat; [`StoreError::NotFound`] when there is no such chat.
    fn rename<'a>(
        &'a self,
        key: &'a ChatKey,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The chats of `owner` in `agency`, most recently used first, one page.
    fn list<'a>(
        &'a self,
        agency: &'a str,
        owner: &'a str,
        page: &'a PageQuery,
    ) -> BoxFuture<'a, Result<ChatPage, StoreError>>;

    /// Deletes the chat and its items; `false` when there was no such chat.
    fn delete<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Deletes every chat (of any agency and owner) last used before `before` (microseconds
    /// since the epoch); the number deleted.
    fn expire(&self, before: i64) -> BoxFuture<'_, Result<u64, StoreError>>;
}
