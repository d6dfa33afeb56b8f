//! Server-side conversations: chats kept in a [`ThreadStore`], each owned by one principal of
//! one agency, and [`Threads`], the handle runs and servers use (deadlines on every store call,
//! one run at a time per chat).
//!
//! ```
//! use agency_core::thread::{InMemoryThreadStore, Threads};
//! use agency_core::{Agency, Agent, RunConfig};
//! use agency_testing::{Reply, ScriptedModel};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let threads = Threads::new(InMemoryThreadStore::default());
//! let agency = Agency::builder("Demo").entry(Agent::builder("Assistant").build()).build().unwrap();
//! let chat = threads.start("Demo", "alice").await.unwrap();
//! let model = ScriptedModel::new([Reply::text("Hello!"), Reply::text("Still here.")]);
//! for message in ["hi", "still there?"] {
//!     let config = RunConfig::with_model(model.clone()).chat(threads.clone(), chat.clone());
//!     agency.run(message, None, config).await.unwrap();
//! }
//! // Two user messages and two answers, in order.
//! assert_eq!(threads.items(&chat).await.unwrap().unwrap().len(), 4);
//! # });
//! ```

mod key;
mod lock;
mod memory;
mod store;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use key::{ChatKey, ChatPage, ChatSummary, Cursor, MAX_ID_LEN, PageQuery, now_micros};
pub use lock::{ChatLock, ChatLockGuard};
pub use memory::{DEFAULT_MAX_CHATS, InMemoryThreadStore};
pub use store::{StoreError, ThreadStore};

use crate::item::Entry;

/// How long one store call may take by default (10 s).
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`ThreadStore`] as runs and servers use it: each call has a deadline, and a chat has one
/// run at a time in this process (a [`ChatTurn`]: the next run of the chat waits for it, and
/// so sees its answer). Cloning is cheap.
#[derive(Clone)]
pub struct Threads {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ThreadStore>,
    timeout: Duration,
    /// The chats with a turn running or waiting.
    turns: Mutex<HashMap<ChatKey, Arc<tokio::sync::Mutex<()>>>>,
    /// The lock other processes share, if any.
    shared: Option<Arc<dyn ChatLock>>,
}

impl std::fmt::Debug for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Threads")
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl Threads {
    /// Wraps `store`, with [`DEFAULT_STORE_TIMEOUT`] on each call.
    pub fn new(store: impl ThreadStore) -> Self {
        Threads::from_arc(Arc::new(store), DEFAULT_STORE_TIMEOUT)
    }

    /// Wraps a shared `store`, with `timeout` on each call.
    pub fn from_arc(store: Arc<dyn ThreadStore>, timeout: Duration) -> Self {
        Threads {
            inner: Arc::new(Inner {
                store,
                timeout,
                turns: Mutex::default(),
                shared: None,
            }),
        }
    }

    /// The same store, with `lock` taken for every turn too (after this process's own), so that
    /// a chat has one run at a time across every process sharing it.
    pub fn with_lock(self, lock: impl ChatLock) -> Self {
        Threads {
            inner: Arc::new(Inner {
                store: self.inner.store.clone(),
                timeout: self.inner.timeout,
                turns: Mutex::default(),
                shared: Some(Arc::new(lock)),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn ThreadStore> {
        &self.inner.store
    }

    async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.inner.timeout, call)
            .await
            .unwrap_or(Err(StoreError::Timeout(self.inner.timeout)))
    }

    /// Starts a new chat of `owner` in `agency`, under a new id ([`ChatKey::new_id`]).
    pub async fn start(
        &self,
        agency: impl Into<String>,
        owner: impl Into<String>,
    ) -> Result<ChatKey, StoreError> {
        let key = ChatKey::new(agency, owner, ChatKey::new_id());
        self.call(self.inner.store.create(&key)).await?;
        Ok(key)
    }

    /// [`ThreadStore::summary`], with the deadline.
    pub async fn summary(&self, key: &ChatKey) -> Result<Option<ChatSummary>, StoreError> {
        self.call(self.inner.store.summary(key)).await
    }

    /// [`ThreadStore::items`], with the deadline.
    pub async fn items(&self, key: &ChatKey) -> Result<Option<Vec<Entry>>, StoreError> {
        self.call(self.inner.store.items(key)).await
    }

    /// [`ThreadStore::rename`], with the deadline.
    pub async fn rename(&self, key: &ChatKey, name: &str) -> Result<(), StoreError> {
        self.call(self.inner.store.rename(key, name)).await
    }

    /// [`ThreadStore::list`], with the deadline.
    pub async fn list(
        &self,
        agency: &str,
        owner: &str,
        page: &PageQuery,
    ) -> Result<ChatPage, StoreError> {
        self.call(self.inner.store.list(agency, owner, page)).await
    }

    /// [`ThreadStore::delete`], with the deadline.
    pub async fn delete(&self, key: &ChatKey) -> Result<bool, StoreError> {
        self.call(self.inner.store.delete(key)).await
    }

    /// Whether the store answers (a read of a chat that cannot exist), within the deadline.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.summary(&ChatKey::new("", "", "ping"))
            .await
            .map(|_| ())
    }

    /// Deletes the chats idle for longer than `ttl`; the number deleted.
    pub async fn expire_idle(&self, ttl: Duration) -> Result<u64, StoreError> {
        let ttl = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
        self.call(self.inner.store.expire(now_micros().saturating_sub(ttl)))
            .await
    }

    /// Waits until no other run of this process holds the chat (nor of any process, with a
    /// [`ChatLock`]), then loads it: the turn of one run. [`StoreError::NotFound`] when there is
    /// no such chat. The wait has no deadline of its own: bound it where it is awaited (runs
    /// bound it by their run timeout).
    pub async fn turn(&self, key: ChatKey) -> Result<ChatTurn, StoreError> {
        let lock = {
            let mut turns = self.inner.turns.lock().unwrap_or_else(|p| p.into_inner());
            turns.entry(key.clone()).or_default().clone()
        };
        let mut turn = ChatTurn {
            threads: self.clone(),
            guard: Some(lock.lock_owned().await),
            shared: None,
            key,
            history: Vec::new(),
        };
        if let Some(shared) = &self.inner.shared {
            turn.shared = Some(shared.acquire(&turn.key).await?);
        }
        turn.history = self
            .items(&turn.key)
            .await?
            .ok_or_else(|| StoreError::NotFound(turn.key.id.clone()))?;
        Ok(turn)
    }
}

impl<T: ThreadStore> From<T> for Threads {
    fn from(store: T) -> Self {
        Threads::new(store)
    }
}

impl From<Arc<dyn ThreadStore>> for Threads {
    fn from(store: Arc<dyn ThreadStore>) -> Self {
        Threads::from_arc(store, DEFAULT_STORE_TIMEOUT)
    }
}

/// One run's hold on a chat (see [`Threads::turn`]): the chat's items when it began; the next
/// run of the chat begins when this is dropped.
pub struct ChatTurn {
    threads: Threads,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// The hold on the shared lock (released after the append).
    shared: Option<ChatLockGuard>,
    key: ChatKey,
    history: Vec<Entry>,
}

impl std::fmt::Debug for ChatTurn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTurn")
            .field("key", &self.key)
            .field("history_len", &self.history.len())
            .finish_non_exhaustive()
    }
}

impl ChatTurn {
    /// The chat.
    pub fn key(&self) -> &ChatKey {
        &self.key
    }

    /// The chat's items when the turn began (taken: the second call returns nothing).
    pub fn take_history(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.history)
    }

    /// Appends the run's items to the chat and ends the turn.
    pub async fn append(self, items: &[Entry]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        self.threads
            .call(self.threads.inner.store.append(&self.key, items))
            .await
    }
}

impl Drop for ChatTurn {
    fn drop(&mut self) {
        drop(self.shared.take());
        drop(self.guard.take());
        let mut turns = self
            .threads
            .inner
            .turns
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Only the map holds the lock now: no run holds or waits for this chat.
        if turns
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            turns.remove(&self.key);
        }
    }
}

/// The chat a run continues (see [`RunConfig::chat`](crate::RunConfig::chat)).
#[derive(Debug, Clone)]
pub struct ChatRef {
    /// Where it is kept.
    pub threads: Threads,
    /// Which chat.
    pub key: ChatKey,
}
