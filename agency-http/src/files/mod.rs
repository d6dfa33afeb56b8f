//! File attachments of an agency request (API.md §7): `file_ids` looked up on the Files API and
//! attached by type, `file_urls` fetched (downloaded under the outbound rule, or read from an allowed directory), uploaded and attached the same way.
//!
//! - `.pdf` becomes an `input_file` part of the user's message, `.jpg .jpeg .png .gif` an
//!   `input_image` part;
//! - the types a code interpreter reads ([`CODE_INTERPRETER_EXTENSIONS`]) go to a
//!   code-interpreter container of the agent that gets the turn;
//! - any other type is refused.
//!
//! A system message before the user's turn records each fetched file's source.

mod fetch;

use std::collections::BTreeMap;

use agency_core::item::{Content, Item, Message, Part, Role};
use agency_core::model::ClientConfig;
use agency_core::model::files::{self, FilesError};
use agency_core::run::RunInput;

pub use fetch::DOWNLOAD_TIMEOUT;
pub(crate) use fetch::Sources;

/// Default largest file a `file_urls` entry may name (50 MiB).
pub const DEFAULT_FILE_SIZE_LIMIT: u64 = 50 * 1024 * 1024;

/// Extensions attached as an `input_file` part.
pub const FILE_EXTENSIONS: &[&str] = &["pdf"];
/// Extensions attached as an `input_image` part.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "gif"];
/// Extensions that go to a code-interpreter container.
pub const CODE_INTERPRETER_EXTENSIONS: &[&str] = &[
    "c", "cs", "cpp", "csv", "html", "java", "json", "php", "py", "rb", "css", "js", "sh", "ts",
    "pkl", "tar", "xlsx", "xml", "zip", "doc", "docx", "md", "pptx", "tex", "txt",
];

/// The most files one request may attach (`file_ids` and `file_urls` together): each costs a
/// Files API call, and a download or upload.
pub const MAX_ATTACHMENTS: usize = 20;

/// The prefix of every attachment error (the original's).
const PREFIX: &str = "Error downloading file from provided urls";

/// Why a request's attachments were refused (answered 400, `{"error": "Error downloading file
/// from provided urls: ..."}`).
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The file's type is none of the supported ones.
    #[error(
        "{PREFIX}: {name} has an unsupported file type; supported: .{} (attached), .{} (code interpreter)",
        FILE_EXTENSIONS.iter().chain(IMAGE_EXTENSIONS).copied().collect::<Vec<_>>().join(" ."),
        CODE_INTERPRETER_EXTENSIONS.join(" .")
    )]
    Unsupported {
        /// The file's name.
        name: String,
    },
    /// More than [`MAX_ATTACHMENTS`] files.
    #[error("{PREFIX}: {0} files attached; at most {MAX_ATTACHMENTS} per request")]
    TooMany(usize),
    /// A `file_urls` name is not a plain file name.
    #[error(
        "{PREFIX}: '{0}' is not a file name (1 to 255 characters, no '/', '\\\\' or control characters)"
    )]
    BadName(String),
    /// A file could not be fetched.
    #[error("{PREFIX}: {name}: {reason}")]
    Fetch {
        /// The file's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The Files API failed (looking an id up, or uploading).
    #[error("{PREFIX}: {name}: {source}")]
    Files {
        /// The file id or name.
        name: String,
        /// Why.
        #[source]
        source: FilesError,
    },
}

/// How a file is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Image,
    CodeInterpreter,
}

fn kind_of(name: &str) -> Result<Kind, AttachError> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let is = |list: &[&str]| list.contains(&ext.as_str());
    if is(FILE_EXTENSIONS) {
        Ok(Kind::File)
    } else if is(IMAGE_EXTENSIONS) {
        Ok(Kind::Image)
    } else if is(CODE_INTERPRETER_EXTENSIONS) {
        Ok(Kind::CodeInterpreter)
    } else {
        Err(AttachError::Unsupported {
            name: name.to_owned(),
        })
    }
}

fn check_name(name: &str) -> Result<(), AttachError> {
    let plain = !name.is_empty()
        && name.chars().count() <= 255
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    plain
        .then_some(())
        .ok_or_else(|| AttachError::BadName(name.to_owned()))
}

/// What a request attaches.
#[derive(Debug, Default)]
pub(crate) struct Attachments {
    /// Parts for the user's message.
    parts: Vec<Part>,
    /// File ids for the code interpreter.
    pub(crate) code_interpreter: Vec<String>,
    /// `file_urls` name → uploaded id (`file_ids_map`), when `file_urls` was given.
    pub(crate) file_ids_map: Option<BTreeMap<String, String>>,
    /// The system message recording where fetched files came from.
    note: Option<String>,
}

/// [`attach`] for an agency request: nothing to do when it attaches nothing; a failure is the
/// 400 `{"error": "Error downloading file from provided urls: ..."}` the routes answer.
pub(crate) async fn attach_for_request(
    sources: &Sources,
    client: &ClientConfig,
    file_ids: Option<Vec<String>>,
    file_urls: Option<BTreeMap<String, String>>,
) -> Result<Attachments, crate::ApiError> {
    let file_ids = file_ids.unwrap_or_default();
    if file_ids.is_empty() && file_urls.is_none() {
        return Ok(Attachments::default());
    }
    attach(sources, client, file_ids, file_urls)
        .await
        .map_err(|e| crate::ApiError::Failed {
            status: axum::http::StatusCode::BAD_REQUEST,
            message: e.to_string(),
        })
}

/// Fetches and uploads `file_urls`, looks every id up, and sorts them by kind.
#[tracing::instrument(name = "attach files", skip_all, fields(file_ids = file_ids.len(), file_urls = file_urls.as_ref().map_or(0, BTreeMap::len)))]
pub(crate) async fn attach(
    sources: &Sources,
    client: &ClientConfig,
    file_ids: Vec<String>,
    file_urls: Option<BTreeMap<String, String>>,
) -> Result<Attachments, AttachError> {
    let count = file_ids.len() + file_urls.as_ref().map_or(0, BTreeMap::len);
    if count > MAX_ATTACHMENTS {
        return Err(AttachError::TooMany(count));
    }
    let mut out = Attachments::default();
    let mut named = Vec::new();
    if let Some(urls) = file_urls {
        let mut map = BTreeMap::new();
        let mut lines = Vec::new();
        for (name, source) in urls {
            check_name(&name)?;
            kind_of(&name)?;
            let bytes = sources
                .fetch(&source)
                .await
                .map_err(|e| AttachError::Fetch {
                    name: name.clone(),
                    reason: e.to_string(),
                })?;
            let id = files::upload(client, &name, bytes)
                .await
                .map_err(|source| AttachError::Files {
                    name: name.clone(),
                    source,
                })?;
            tracing::info!(file = %name, file_id = %id, "file uploaded");
            lines.push(format!(
                "- {name} (file id {id}), from {}",
                agency_core::redact_url(&source)
            ));
            named.push((name.clone(), id.clone()));
            map.insert(name, id);
        }
        if !lines.is_empty() {
            out.note = Some(format!(
                "The user attached these files:\n{}",
                lines.join("\n")
            ));
        }
        out.file_ids_map = Some(map);
    }
    for id in file_ids {
        let name = files::file_name(client, &id)
            .await
            .map_err(|source| AttachError::Files {
                name: id.clone(),
                source,
            })?;
        named.push((name, id));
    }
    for (name, id) in named {
        match kind_of(&name)? {
            Kind::File => out.parts.push(Part::InputFile {
                file_id: Some(id),
                filename: None,
                file_data: None,
                file_url: None,
            }),
            Kind::Image => out.parts.push(Part::InputImage {
                image_url: None,
                file_id: Some(id),
                detail: Some("auto".to_owned()),
            }),
            Kind::CodeInterpreter => out.code_interpreter.push(id),
        }
    }
    Ok(out)
}

impl Attachments {
    /// `input` with the parts appended to its (last) user message and the note before it.
    pub(crate) fn apply(&mut self, input: RunInput) -> RunInput {
        let parts = std::mem::take(&mut self.parts);
        let note = self.note.take();
        if parts.is_empty() && note.is_none() {
            return input;
        }
        let mut items = input.into_items();
        if !parts.is_empty() {
            let last_user = items.iter_mut().rev().find_map(|item| match item {
                Item::Message(m) if m.role == Role::User => Some(m),
                _ => None,
            });
            match last_user {
                Some(message) => {
                    let mut content =
                        match std::mem::replace(&mut message.content, Content::Parts(Vec::new())) {
                            Content::Text(text) => vec![Part::InputText { text }],
                            Content::Parts(parts) => parts,
                        };
                    content.extend(parts);
                    message.content = Content::Parts(content);
                }
                None => {
                    let mut message = Message::user("");
                    message.content = Content::Parts(parts);
                    items.push(message.into());
                }
            }
        }
        if let Some(note) = note {
            items.insert(0, Message::system(note).into());
        }
        RunInput::Items(items)
    }
}
