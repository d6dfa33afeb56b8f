//! [`InMemoryThreadStore`]: chats in this process's memory, a bounded number of them.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::future::{BoxFuture, ready};

use super::{ChatKey, ChatPage, ChatSummary, PageQuery, StoreError, ThreadStore, now_micros};
use crate::item::Entry;

/// How many chats an [`InMemoryThreadStore`] keeps by default.
pub const DEFAULT_MAX_CHATS: usize = 10_000;

/// A [`ThreadStore`] in memory: conversations live as long as the process, and at most
/// `max_chats` of them (default [`DEFAULT_MAX_CHATS`]): creating one more evicts the chat
/// used least recently.
///
/// ```
/// use agency_core::thread::{ChatKey, InMemoryThreadStore, ThreadStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = InMemoryThreadStore::with_max_chats(1);
/// let (a, b) = (ChatKey::new("Demo", "me", "a"), ChatKey::new("Demo", "me", "b"));
/// store.create(&a).await.unwrap();
/// store.create(&b).await.unwrap();
/// assert!(store.summary(&a).await.unwrap().is_none(), "evicted");
/// assert!(store.summary(&b).await.unwrap().is_some());
/// # });
/// ```
#[derive(Debug)]
pub struct InMemoryThreadStore {
    max_chats: usize,
    chats: Mutex<HashMap<String, Chat>>,
}

#[derive(Debug)]
struct Chat {
    agency: String,
    owner: String,
    summary: ChatSummary,
    items: Vec<Entry>,
}

impl Default for InMemoryThreadStore {
    fn default() -> Self {
        InMemoryThreadStore::with_max_chats(DEFAULT_MAX_CHATS)
    }
}

impl InMemoryThreadStore {
    /// A store that keeps at most `max_chats` chats (at least one).
    pub fn with_max_chats(max_chats: usize) -> Self {
        InMemoryThreadStore {
            max_chats: max_chats.max(1),
            chats: Mutex::default(),
        }
    }

    /// The most chats it keeps.
    pub fn max_chats(&self) -> usize {
        self.max_chats
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Chat>) -> T) -> T {
        f(&mut self.chats.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` on the chat `key` names, if it is there and is `key`'s.
    fn with_chat<T>(&self, key: &ChatKey, f: impl FnOnce(&mut Chat) -> T) -> Option<T> {
        self.with(|chats| {
            chats
                .get_mut(&key.id)
                .filter(|c| c.agency == key.agency && c.owner == key.owner)
                .map(f)
        })
    }
}

impl ThreadStore for InMemoryThreadStore {
    fn create<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<(), StoreError>> {
        let result = self.with(|chats| {
            if chats.contains_key(&key.id) {
                return Err(StoreError::Exists(key.id.clone()));
            }
            if chats.len() >= self.max_chats {
                let oldest = chats
                    .values()
                    .min_by_key(|c| (c.summary.updated_at, c.summary.id.clone()))
                    .map(|c| c.summary.id.clone());
                if let Some(id) = oldest {
                    chats.remove(&id);
                }
            }
            let now = now_micros();
            let summary = ChatSummary {
                id: key.id.clone(),
                name: None,
                created_at: now,
                updated_at: now,
            };
            let chat = Chat {
                agency: key.agency.clone(),
                owner: key.owner.clone(),
                summary,
                items: Vec::new(),
            };
            chats.insert(key.id.clone(), chat);
            Ok(())
        });
        Box::pin(ready(result))
    }

    fn summary<'a>(
        &'a self,
        key: &'a ChatKey,
    ) -> BoxFuture<'a, Result<Option<ChatSummary>, StoreError>> {
        Box::pin(ready(Ok(self.with_chat(key, |c| c.summary.clone()))))
    }

    fn items<'a>(
        &'a self,
        key: &'a ChatKey,
    ) -> BoxFuture<'a, Result<Option<Vec<Entry>>, StoreError>> {
        Box::pin(ready(Ok(self.with_chat(key, |c| c.items.clone()))))
    }

    fn append<'a>(
        &'a self,
        key: &'a ChatKey,
        items: &'a [Entry],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let done = self.with_chat(key, |c| {
            c.items.extend_from_slice(items);
            c.summary.updated_at = now_micros().max(c.summary.updated_at);
        });
        Box::pin(ready(
            done.ok_or_else(|| StoreError::NotFound(key.id.clone())),
        ))
    }

    fn rename<'a>(
        &'a self,
        key: &'a ChatKey,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let done = self.with_chat(key, |c| c.summary.name = Some(name.to_owned()));
        Box::pin(ready(
            done.ok_or_else(|| StoreError::NotFound(key.id.clone())),
        ))
    }

    fn list<'a>(
        &'a self,
        agency: &'a str,
        owner: &'a str,
        page: &'a PageQuery,
    ) -> BoxFuture<'a, Result<ChatPage, StoreError>> {
        let mut rows: Vec<ChatSummary> = self.with(|chats| {
            chats
                .values()
                .filter(|c| c.agency == agency && c.owner == owner)
                .filter(|c| page.after.as_ref().is_none_or(|a| a.precedes(&c.summary)))
                .map(|c| c.summary.clone())
                .collect()
        });
        rows.sort_by(|a, b| (b.updated_at, &b.id).cmp(&(a.updated_at, &a.id)));
        rows.truncate(page.limit as usize + 1);
        Box::pin(ready(Ok(ChatPage::from_rows(rows, page.limit))))
    }

    fn delete<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<bool, StoreError>> {
        let deleted = self.with(|chats| {
            let theirs = chats
                .get(&key.id)
                .is_some_and(|c| c.agency == key.agency && c.owner == key.owner);
            theirs && chats.remove(&key.id).is_some()
        });
        Box::pin(ready(Ok(deleted)))
    }

    fn expire(&self, before: i64) -> BoxFuture<'_, Result<u64, StoreError>> {
        let removed = self.with(|chats| {
            let len = chats.len();
            chats.retain(|_, c| c.summary.updated_at >= before);
            (len - chats.len()) as u64
        });
        Box::pin(ready(Ok(removed)))
    }
}
