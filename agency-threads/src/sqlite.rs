//! [`SqliteThreadStore`]: the thread store in a SQLite file.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::error::redact;
use crate::{OpenError, SqlThreadStore};

/// How long a connection waits for another process's write to end (5 s).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`SqlThreadStore`] in a SQLite file, created on first use. The file is in WAL mode
/// (readers do not wait for the writer) with `synchronous=NORMAL` (a crash of the process
/// loses nothing; a power loss may lose the last appends), foreign keys are on, and a connection waits
/// [`SQLITE_BUSY_TIMEOUT`] for another process's write; within the process, writers take
/// turns before they touch the file.
pub type SqliteThreadStore = SqlThreadStore<sqlx::Sqlite>;

const HINT: &str = "does the file's folder exist, and may this user write to it?";

impl SqlThreadStore<sqlx::Sqlite> {
    /// Opens (or creates) the store at `url`: `sqlite://PATH`, a path relative to the working
    /// directory or absolute (`sqlite:///var/lib/agency/threads.db`).
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| OpenError::invalid(url, "a SQLite store is `sqlite://PATH`"))?;
        if path.is_empty() || path.starts_with('?') {
            return Err(OpenError::invalid(
                url,
                "give the database file's path, as in `sqlite://agency-threads.db`",
            ));
        }
        let options = SqliteConnectOptions::from_str(url).map_err(|e| OpenError::Connect {
            url: redact(url),
            hint: "see sqlx's SQLite URL options: mode, cache, immutable, vfs",
            source: Box::new(e),
        })?;
        Self::with_options(options, redact(url)).await
    }

    /// Opens (or creates) the store in the file at `path`.
    pub async fn open_path(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref();
        let options = SqliteConnectOptions::new().filename(path);
        Self::with_options(options, format!("sqlite://{}", path.display())).await
    }

    async fn with_options(options: SqliteConnectOptions, url: String) -> Result<Self, OpenError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL's recommended level: a commit survives the process crashing; only a power
            // loss may drop the last commits. FULL would fsync every append (about 1 ms each).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        SqlThreadStore::start(options, url, HINT, crate::migrations::SQLITE, true).await
    }
}
