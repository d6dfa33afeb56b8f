//! The Files API of the fake: `POST /v1/files` (multipart: `file`, `purpose`) and
//! `GET /v1/files/{id}`, over files kept in memory.

use std::sync::Mutex;

use axum::http::{HeaderMap, Method, header};
use serde_json::{Value, json};

use crate::errors::error_body;
use crate::reply::ApiError;

/// A file held by the fake: uploaded through `POST /v1/files`, or added by a test with
/// [`crate::FakeOpenAi::add_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its id (`file-...`).
    pub id: String,
    /// Its file name.
    pub filename: String,
    /// Its purpose (`assistants`, ...).
    pub purpose: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl StoredFile {
    fn object(&self) -> Value {
        json!({
            "id": self.id,
            "object": "file",
            "bytes": self.bytes.len(),
            "created_at": 1_700_000_000u64,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        })
    }
}

/// The files the fake holds.
#[derive(Debug, Default)]
pub(crate) struct Files(Mutex<Vec<StoredFile>>);

impl Files {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<StoredFile>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn add(&self, file: StoredFile) {
        self.lock().push(file);
    }

    pub(crate) fn all(&self) -> Vec<StoredFile> {
        self.lock().clone()
    }

    /// The answer to a Files API request (status, body), or `None` for another path.
    pub(crate) fn answer(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
        new_id: impl FnOnce() -> String,
    ) -> Option<(u16, Value)> {
        match (method, path) {
            (&Method::POST, "/v1/files") => Some(self.upload(headers, body, new_id())),
            (&Method::GET, p) => {
                let id = p.strip_prefix("/v1/files/")?;
                let found = self
                    .lock()
                    .iter()
                    .find(|f| f.id == id)
                    .map(StoredFile::object);
                Some(match found {
                    Some(object) => (200, object),
                    None => (404, not_found(id)),
                })
            }
            _ => None,
        }
    }

    fn upload(&self, headers: &HeaderMap, body: &[u8], id: String) -> (u16, Value) {
        let boundary = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("boundary=").nth(1))
            .map(|b| b.trim_matches('"').to_owned());
        let Some(boundary) = boundary else {
            return (400, invalid("expected a multipart/form-data body"));
        };
        let (mut file, mut purpose) = (None, None);
        for part in parts(body, &boundary) {
            match part.name.as_deref() {
                Some("file") => file = Some((part.filename.unwrap_or_default(), part.data)),
                Some("purpose") => purpose = Some(String::from_utf8_lossy(&part.data).into_owned()),
                _ => {}
            }
        }
        let (Some((filename, bytes)), Some(purpose)) = (file, purpose) else {
            return (400, invalid("'file' and 'purpose' are required"));
        };
        let stored = StoredFile {
            id,
            filename,
            purpose,
            bytes,
        };
        let object = stored.object();
        self.add(stored);
        (200, object)
    }
}

fn invalid(message: &str) -> Value {
    error_body(&ApiError {
        status: 400,
        message: message.to_owned(),
        kind: "invalid_request_error".to_owned(),
        code: None,
        param: None,
    })
}

fn not_found(id: &str) -> Value {
    error_body(&ApiError {
        status: 404,
        message: format!("No such File object: {id}"),
        kind: "invalid_request_error".to_owned(),
        code: None,
        param: Some("id".to_owned()),
    })
}

/// One part of a multipart body.
struct Part {
    name: Option<String>,
    filename: Option<String>,
    data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (enough of RFC 7578 for what clients send).
fn parts(body: &[u8], boundary: &str) -> Vec<Part> {
    let delimiter = format!("--{boundary}");
    split(body, delimiter.as_bytes())
        .into_iter()
        .skip(1)
        .filter_map(|chunk| {
            let chunk = chunk.strip_prefix(b"\r\n")?;
            let end = find(chunk, b"\r\n\r\n")?;
            let head = String::from_utf8_lossy(&chunk[..end]).into_owned();
            let data = chunk[end + 4..]
                .strip_suffix(b"\r\n")
                .unwrap_or(&chunk[end + 4..]);
            let disposition = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
            Some(Part {
                name: param(disposition, "name"),
                filename: param(disposition, "filename"),
                data: data.to_vec(),
            })
        })
        .collect()
}

fn param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k == key).then(|| v.trim_matches('"').to_owned())
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut hay: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = find(hay, delimiter) {
        out.push(&hay[..at]);
        hay = &hay[at + delimiter.len()..];
    }
    out.push(hay);
    out
}
