//! Request logs (API.md §8): with `enable_logging`, the log events of a request that sends
//! `x-agency-log-id: <id>`, and of its run, are appended as JSON lines to
//! `{logs_dir}/{id}.jsonl`; `/get_logs` returns them and deletes the file.
//!
//! The events are written by [`LogFileLayer`], a `tracing-subscriber` layer: the `request`
//! span of a logged request carries the file's path, and every event under that span goes to
//! it. `agency::main()` installs the layer; a program with its own subscriber adds it.
//!
//! An id is a plain name ([`LogId`]): no file outside `logs_dir` is ever written, read or
//! deleted.

mod layer;

use std::path::{Path, PathBuf};

use axum::http::{HeaderName, HeaderValue, StatusCode};

pub use layer::LogFileLayer;

use crate::ApiError;

/// The header that names a request's log.
pub const LOG_ID_HEADER: HeaderName = HeaderName::from_static("x-agency-log-id");

/// The longest log id, in characters.
pub const MAX_LOG_ID_LEN: usize = 128;

/// The name of the span field that carries a logged request's file (read by
/// [`LogFileLayer`]).
pub(crate) const LOG_FILE_FIELD: &str = "agency.log_file";

/// Why a log id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogIdError {
    /// The id is empty.
    #[error("Log ID is required")]
    Empty,
    /// The id is longer than [`MAX_LOG_ID_LEN`].
    #[error("Invalid log ID: at most {MAX_LOG_ID_LEN} characters")]
    TooLong,
    /// The id is not a plain file name.
    #[error(
        "Invalid log ID: use letters, digits, '-', '_' and '.', not starting with '.' (a plain file name)"
    )]
    NotPlain,
}

impl From<LogIdError> for ApiError {
    fn from(e: LogIdError) -> Self {
        ApiError::Failed {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
        }
    }
}

/// A log id that is a plain file name: 1 to 128 ASCII letters, digits, `-`, `_` and `.`, not
/// starting with `.` (so not `.`, `..` or a hidden file).
///
/// ```
/// use agency_http::LogId;
///
/// assert!(LogId::parse("req-42_a.b").is_ok());
/// for bad in ["", "../x", "/", "a/b", ".hidden", "a\0b", &"x".repeat(129)] {
///     assert!(LogId::parse(bad).is_err(), "{bad:?}");
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogId(String);

impl LogId {
    /// Checks `id`.
    pub fn parse(id: &str) -> Result<LogId, LogIdError> {
        if id.is_empty() {
            return Err(LogIdError::Empty);
        }
        if id.chars().count() > MAX_LOG_ID_LEN {
            return Err(LogIdError::TooLong);
        }
        let plain = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !plain || id.starts_with('.') {
            return Err(LogIdError::NotPlain);
        }
        Ok(LogId(id.to_owned()))
    }

    /// Checks the value of an `x-agency-log-id` header (not text: refused as not plain).
    pub fn from_header(value: &HeaderValue) -> Result<LogId, LogIdError> {
        LogId::parse(value.to_str().map_err(|_| LogIdError::NotPlain)?)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's file in `dir`: `{dir}/{id}.jsonl`.
    pub fn file_in(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.jsonl", self.0))
    }
}

/// What the request-log layer of the server needs: the directory, if logging is on.
#[derive(Debug, Clone)]
pub(crate) struct RequestLogs {
    pub(crate) dir: PathBuf,
}

impl RequestLogs {
    pub(crate) fn new(dir: PathBuf) -> Self {
        RequestLogs { dir }
    }

    /// The log file of a request whose `x-agency-log-id` is `value`: `None` when it sends
    /// none (or an empty one), an error when the id is not a plain name.
    pub(crate) fn file_for(
        &self,
        value: Option<&HeaderValue>,
    ) -> Result<Option<PathBuf>, LogIdError> {
        value
            .filter(|v| !v.is_empty())
            .map(|v| LogId::from_header(v).map(|id| id.file_in(&self.dir)))
            .transpose()
    }
}
