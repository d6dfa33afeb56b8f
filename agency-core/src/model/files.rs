//! The Files API of the model's provider (async-openai's `files`): look up an uploaded file's
//! name, upload a file with purpose `assistants`. Used for a request's `file_ids` and
//! `file_urls`.

use async_openai::types::InputSource;
use async_openai::types::files::{CreateFileRequest, FileInput, FilePurpose};

use super::{ClientConfig, ModelError};

/// Why a Files API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// The client could not be built (no API key, a bad header...).
    #[error(transparent)]
    Client(#[from] ModelError),
    /// The Files API answered with an error or could not be reached.
    #[error("the Files API at {url} failed: {message}")]
    Api {
        /// The API's base URL (without credentials).
        url: String,
        /// What it said.
        message: String,
    },
}

fn api_error(config: &ClientConfig, e: async_openai::error::OpenAIError) -> FilesError {
    FilesError::Api {
        url: crate::redact_url(config.base_url()),
        message: e.to_string(),
    }
}

/// The file name of the uploaded file `file_id` (`GET /files/{id}`).
pub async fn file_name(config: &ClientConfig, file_id: &str) -> Result<String, FilesError> {
    let client = super::openai::client(config)?;
    let file = client
        .files()
        .retrieve(file_id)
        .await
        .map_err(|e| api_error(config, e))?;
    Ok(file.filename)
}

/// Uploads `bytes` as `filename` with purpose `assistants` (`POST /files`) and returns its id.
pub async fn upload(
    config: &ClientConfig,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<String, FilesError> {
    let client = super::openai::client(config)?;
    let request = CreateFileRequest {
        file: FileInput {
            source: InputSource::VecU8 {
                filename: filename.to_owned(),
                vec: bytes,
            },
        },
        purpose: FilePurpose::Assistants,
        expires_after: None,
    };
    let file = client
        .files()
        .create(request)
        .await
        .map_err(|e| api_error(config, e))?;
    Ok(file.id)
}
