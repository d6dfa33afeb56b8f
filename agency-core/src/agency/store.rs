//! Server-side conversations: a store of threads by chat id.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::item::Entry;
use futures::future::BoxFuture;

/// Why a thread could not be loaded or saved.
#[derive(Debug, Clone, thiserror::Error)]
#[error("thread store: {0}")]
pub struct StoreError(pub String);

/// Keeps conversations (the flat list of entries runs return) under a chat id.
///
/// ```
/// use agency_core::agency::{InMemoryThreadStore, ThreadStore};
/// use agency_core::item::{Entry, Message, Meta};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = InMemoryThreadStore::default();
/// let hi = Entry::new(Message::user("hi"), Meta::new_run("Assistant", None, None));
/// store.save("chat-1", vec![hi]).await.unwrap();
/// assert_eq!(store.load("chat-1").await.unwrap().len(), 1);
/// assert!(store.load("other").await.unwrap().is_empty());
/// # });
/// ```
pub trait ThreadStore: Send + Sync + 'static {
    /// The items of `chat_id` (empty for a new chat).
    fn load<'a>(&'a self, chat_id: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>>;
    /// Replaces the items of `chat_id`.
    fn save<'a>(
        &'a self,
        chat_id: &'a str,
        items: Vec<Entry>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// A [`ThreadStore`] in memory: conversations live as long as the process.
#[derive(Debug, Default)]
pub struct InMemoryThreadStore(Mutex<HashMap<String, Vec<Entry>>>);

impl ThreadStore for InMemoryThreadStore {
    fn load<'a>(&'a self, chat_id: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>> {
        let items = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(chat_id)
            .cloned();
        Box::pin(std::future::ready(Ok(items.unwrap_or_default())))
    }

    fn save<'a>(
        &'a self,
        chat_id: &'a str,
        items: Vec<Entry>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(chat_id.to_owned(), items);
        Box::pin(std::future::ready(Ok(())))
    }
}
