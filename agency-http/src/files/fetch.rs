//! Getting the bytes of a `file_urls` entry: an `http(s)` URL downloaded under the outbound
//! rule ([`Egress`], as for `client_config.base_url`), or an absolute local path inside an
//! allowed directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agency_core::model::Egress;

/// The longest a download may take.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a file could not be fetched (the file's name is added by the caller).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("{0}")]
    Refused(#[from] agency_core::model::EgressError),
    #[error("downloading {url} failed: {reason}")]
    Download { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{source_name} is larger than the limit of {limit} bytes")]
    TooLarge { source_name: String, limit: u64 },
    #[error(
        "local file paths are not allowed: the server has no allowed_local_file_dirs (--allowed-local-file-dirs)"
    )]
    NoLocalDirs,
    #[error("allowed_local_file_dirs entry {0} is not a directory")]
    NotADirectory(String),
    #[error("{0} is not inside any of allowed_local_file_dirs")]
    Outside(String),
    #[error("{path} cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{0} is not a regular file")]
    NotAFile(String),
    #[error("'{0}' is neither an http(s) URL nor an absolute path")]
    NotASource(String),
}

/// Where files may come from, and how large they may be.
#[derive(Debug, Clone)]
pub(crate) struct Sources {
    pub(crate) egress: Egress,
    pub(crate) local_dirs: Vec<PathBuf>,
    pub(crate) max_bytes: u64,
}

impl Sources {
    /// The allowed local directories that are directories now (`get_metadata`).
    pub(crate) fn local_dirs_now(&self) -> Vec<String> {
        self.local_dirs
            .iter()
            .filter(|d| d.is_dir())
            .map(|d| d.display().to_string())
            .collect()
    }

    /// The bytes at `source`.
    pub(crate) async fn fetch(&self, source: &str) -> Result<Vec<u8>, FetchError> {
        let lower = source.trim_start().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            self.download(source).await
        } else if Path::new(source).is_absolute() {
            let (dirs, limit, path) = (self.local_dirs.clone(), self.max_bytes, source.to_owned());
            tokio::task::spawn_blocking(move || read_local(&dirs, limit, &path))
                .await
                .map_err(|e| FetchError::Unreadable {
                    path: source.to_owned(),
                    reason: e.to_string(),
                })?
        } else {
            Err(FetchError::NotASource(source.to_owned()))
        }
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        // The host's addresses are checked now, again on connect, and every redirect.
        let checked = self.egress.check(url).await?;
        let failed = |reason: String| FetchError::Download {
            url: agency_core::redact_url(url),
            reason,
        };
        let client = self.egress.http_client().map_err(failed)?;
        let mut response = client
            .get(checked)
            .timeout(DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(|e| failed(root_cause(&e)))?;
        if !response.status().is_success() {
            return Err(FetchError::Status {
                url: agency_core::redact_url(url),
                status: response.status().as_u16(),
            });
        }
        let too_large = || FetchError::TooLarge {
            source_name: agency_core::redact_url(url),
            limit: self.max_bytes,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(root_cause(&e)))? {
            if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// The innermost cause of an HTTP client error (the useful part: "connection refused", a
/// refused redirect...).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if std::ptr::addr_eq(cause, e) {
        e.to_string()
    } else {
        format!("{e}: {cause}")
    }
}

/// Reads `path` when, resolved (`..`, links), it is a regular file inside one of `dirs`.
fn read_local(dirs: &[PathBuf], limit: u64, path: &str) -> Result<Vec<u8>, FetchError> {
    if dirs.is_empty() {
        return Err(FetchError::NoLocalDirs);
    }
    let mut allowed = Vec::new();
    for dir in dirs {
        match std::fs::canonicalize(dir) {
            Ok(resolved) if resolved.is_dir() => allowed.push(resolved),
            Ok(_) => return Err(FetchError::NotADirectory(dir.display().to_string())),
            // A directory that does not exist (yet) allows nothing.
            Err(_) => {}
        }
    }
    let unreadable = |e: std::io::Error| FetchError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    // A path that cannot be resolved is named missing only inside an allowed directory: no
    // request learns what exists elsewhere.
    let resolved = std::fs::canonicalize(path).map_err(|e| {
        let inside = allowed
            .iter()
            .chain(dirs)
            .any(|d| Path::new(path).starts_with(d));
        if inside {
            unreadable(e)
        } else {
            FetchError::Outside(path.to_owned())
        }
    })?;
    if !allowed.iter().any(|dir| resolved.starts_with(dir)) {
        return Err(FetchError::Outside(path.to_owned()));
    }
    let meta = std::fs::metadata(&resolved).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(FetchError::NotAFile(path.to_owned()));
    }
    if meta.len() > limit {
        return Err(FetchError::TooLarge {
            source_name: path.to_owned(),
            limit,
        });
    }
    std::fs::read(&resolved).map_err(unreadable)
}
