//! The thread stores of agency-rs: where server-side conversations
//! ([`agency_core::thread`]) are kept, opened from a URL.
//!
//! | URL | store | cargo feature |
//! | --- | --- | --- |
//! | `memory`, `memory?max_chats=N` | [`InMemoryThreadStore`]: this process's memory, the `N` (default [`DEFAULT_MAX_CHATS`]) most recently used chats | — |
//! | `sqlite://PATH` ([`DEFAULT_URL`]) | `SqliteThreadStore`: a SQLite file, created on first use | `sqlite` (default) |
//! | `postgres://USER:PASSWORD@HOST:PORT/DB`, `postgresql://...` | `PostgresThreadStore` | `postgres` |
//!
//! Both SQL stores are one implementation, `SqlThreadStore`: the same statements on both
//! databases, each entry one row (its JSON as text), each `append` one transaction. Opening a
//! SQL store creates its tables `chats` and `chat_items`, or brings them up to date (sqlx
//! migrations, embedded in the binary). Errors never show the URL's password ([`redact`]).
//!
//! ```
//! use agency_core::item::{Entry, Message, Meta};
//! use agency_core::thread::{ChatKey, PageQuery};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let file = std::env::temp_dir().join(format!("agency-threads-doc-{}.db", std::process::id()));
//! for url in ["memory".to_owned(), format!("sqlite://{}", file.display())] {
//!     let store = agency_threads::open(&url).await.unwrap();
//!     let key = ChatKey::new("Demo", "alice", ChatKey::new_id());
//!     store.create(&key).await.unwrap();
//!     let hi = Entry::new(Message::user("hi"), Meta::new_run("Assistant", None, None));
//!     store.append(&key, &[hi]).await.unwrap();
//!     assert_eq!(store.items(&key).await.unwrap().unwrap().len(), 1);
//!     let page = store.list("Demo", "alice", &PageQuery::default()).await.unwrap();
//!     assert_eq!(page.chats[0].id, key.id);
//! }
//! # for suffix in ["", "-wal", "-shm"] {
//! #     let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
//! # }
//! # });
//! ```

#![warn(missing_docs)]

mod error;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod migrations;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::sync::Arc;

pub use agency_core::thread::{DEFAULT_MAX_CHATS, InMemoryThreadStore, ThreadStore};
pub use error::{OpenError, redact};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use migrations::{EmbeddedMigration, embedded_migrator};
#[cfg(feature = "postgres")]
pub use postgres::PostgresThreadStore;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::{Backend, SqlThreadStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SQLITE_BUSY_TIMEOUT, SqliteThreadStore};

/// The store a server uses when it is given none: a SQLite file in the working directory.
pub const DEFAULT_URL: &str = "sqlite://agency-threads.db";

/// Opens the thread store `url` names (see the [crate] docs for the URLs), creating the SQL
/// stores' file or tables when they are missing.
pub async fn open(url: &str) -> Result<Arc<dyn ThreadStore>, OpenError> {
    let url = url.trim();
    if url == "memory" {
        return Ok(Arc::new(memory(url, "")?));
    }
    if let Some(query) = url.strip_prefix("memory?") {
        return Ok(Arc::new(memory(url, query)?));
    }
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    match scheme {
        "sqlite" => sqlite(url).await,
        "postgres" | "postgresql" => postgres(url).await,
        _ => Err(OpenError::unknown_scheme(url)),
    }
}

/// The memory store of `memory?QUERY`.
fn memory(url: &str, query: &str) -> Result<InMemoryThreadStore, OpenError> {
    let mut max_chats = DEFAULT_MAX_CHATS;
    for param in query.split('&').filter(|p| !p.is_empty()) {
        match param.split_once('=') {
            Some(("max_chats", n)) => {
                max_chats = n.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    OpenError::invalid(
                        url,
                        format!("max_chats must be a whole number of at least 1, not '{n}'"),
                    )
                })?;
            }
            _ => {
                return Err(OpenError::invalid(
                    url,
                    format!("unknown option '{param}': `memory` takes `max_chats=N`"),
                ));
            }
        }
    }
    Ok(InMemoryThreadStore::with_max_chats(max_chats))
}

#[cfg(feature = "sqlite")]
async fn sqlite(url: &str) -> Result<Arc<dyn ThreadStore>, OpenError> {
    Ok(Arc::new(SqliteThreadStore::connect(url).await?))
}

#[cfg(not(feature = "sqlite"))]
async fn sqlite(url: &str) -> Result<Arc<dyn ThreadStore>, OpenError> {
    Err(OpenError::FeatureDisabled {
        url: redact(url),
        feature: "sqlite",
    })
}

#[cfg(feature = "postgres")]
async fn postgres(url: &str) -> Result<Arc<dyn ThreadStore>, OpenError> {
    Ok(Arc::new(PostgresThreadStore::connect(url).await?))
}

#[cfg(not(feature = "postgres"))]
async fn postgres(url: &str) -> Result<Arc<dyn ThreadStore>, OpenError> {
    Err(OpenError::FeatureDisabled {
        url: redact(url),
        feature: "postgres",
    })
}
