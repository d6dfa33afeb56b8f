//! [`RedisChatLock`]: one run at a time per chat across the processes that share a Redis.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use agency_core::thread::{ChatKey, ChatLock, ChatLockGuard, StoreError};
use futures::future::BoxFuture;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::remote::Shared;

/// Releases the lock only if this holder still has it.
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0",
    )
});
/// Renews the lock only if this holder still has it.
static RENEW: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0",
    )
});

/// A [`ChatLock`] in Redis (`SET NX PX`, renewed while held, released by its holder only), made
/// by [`RedisRegistry::chat_lock`](crate::RedisRegistry::chat_lock). A holder that crashes
/// keeps the chat for at most the registry's live TTL (30 s by default). A Redis that fails
/// gives the turn without the lock, with a warning: the runs lose no item, they may only
/// overlap.
///
/// ```no_run
/// use agency_core::thread::{InMemoryThreadStore, Threads};
/// use agency_redis::RedisRegistry;
///
/// # async fn run() -> Result<(), agency_redis::RedisError> {
/// let registry = RedisRegistry::connect("redis://127.0.0.1:6379").await?;
/// let threads = Threads::new(InMemoryThreadStore::default()).with_lock(registry.chat_lock());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisChatLock {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisChatLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisChatLock")
            .field("url", &self.shared.url)
            .finish()
    }
}

/// The lock's key: the chat's agency, owner and id, unambiguous whatever they hold.
fn lock_key(prefix: &str, key: &ChatKey) -> String {
    let parts = serde_json::to_string(&[&key.agency, &key.owner, &key.id]).unwrap_or_default();
    format!("{prefix}:chat:{parts}")
}

/// The hold on a chat: renewed until dropped, then released.
struct Held {
    _renewing: DropGuard,
    release: Option<(Arc<Shared>, String, String)>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let (Some((shared, name, token)), Ok(runtime)) =
            (self.release.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(async move {
            let released = shared
                .script(&RELEASE, &name, &[token.as_str()], "releasing a chat")
                .await;
            if released.is_err() {
                tracing::debug!("chat lock {name} expires on its own");
            }
        });
    }
}

impl ChatLock for RedisChatLock {
    fn acquire<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<ChatLockGuard, StoreError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let name = lock_key(&shared.options.prefix, key);
            let token = uuid::Uuid::new_v4().to_string();
            let ttl = shared.options.live_ttl;
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
            let mut wait = Duration::from_millis(5);
            loop {
                match shared.set_nx(&name, &token, ttl_ms).await {
                    Ok(true) => break,
                    Ok(false) => {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_millis(100));
                    }
                    // Degraded: the turn without the shared lock (already logged).
                    Err(_) => return Ok(Box::new(()) as ChatLockGuard),
                }
            }
            let stop = CancellationToken::new();
            let renewing = {
                let (shared, name, token, stop) =
                    (shared.clone(), name.clone(), token.clone(), stop.clone());
                let every = (ttl / 3).max(Duration::from_millis(100));
                let ttl_ms = ttl_ms.to_string();
                async move {
                    loop {
                        tokio::select! {
                            () = stop.cancelled() => return,
                            () = tokio::time::sleep(every) => {}
                        }
                        let _ = shared
                            .script(
                                &RENEW,
                                &name,
                                &[token.as_str(), ttl_ms.as_str()],
                                "renewing a chat lock",
                            )
                            .await;
                    }
                }
            };
            tokio::spawn(renewing);
            Ok(Box::new(Held {
                _renewing: stop.drop_guard(),
                release: Some((shared.clone(), name, token)),
            }) as ChatLockGuard)
        })
    }
}
