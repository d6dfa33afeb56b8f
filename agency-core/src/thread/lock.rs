//! [`ChatLock`]: one run at a time per chat across processes.

use std::any::Any;

use futures::future::BoxFuture;

use super::{ChatKey, StoreError};

/// Held while a run has the turn of a chat; dropping it lets the next run in.
pub type ChatLockGuard = Box<dyn Any + Send>;

/// A lock on chats that every process of a service shares (Redis, for example), so that a
/// chat has one run at a time across all of them, as [`Threads`](super::Threads) gives it in
/// one process. [`Threads::with_lock`](super::Threads::with_lock) adds it.
///
/// `acquire` waits for the chat; it has no deadline of its own (the run's bounds it). A lock
/// that cannot reach its store should give the turn anyway (logging it) rather than fail the
/// run: losing the lock risks two runs seeing the same history, never losing an item.
pub trait ChatLock: Send + Sync + 'static {
    /// Waits until this caller holds `key`.
    fn acquire<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<ChatLockGuard, StoreError>>;
}

impl<L: ChatLock + ?Sized> ChatLock for std::sync::Arc<L> {
    fn acquire<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<ChatLockGuard, StoreError>> {
        (**self).acquire(key)
    }
}
