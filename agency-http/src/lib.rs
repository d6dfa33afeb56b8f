//! The HTTP server of agency-rs: the wire format of Agency Swarm's FastAPI server, on axum.
//!
//! - `POST /tool/{name}` for each tool (validated against the schema the model sees),
//! - `GET /openapi.json`, `/docs` (Swagger UI) and `/redoc` (ReDoc), with every asset served by
//!   the server itself,
//! - `/{agency}/get_response`, `get_response_stream`, `cancel_response_stream` and
//!   `get_metadata` for each agency,
//! - bearer-token auth on the tool and agency routes, CORS, a body limit, request logs at debug
//!   level.
//!
//! Wire choices worth knowing: a body whose `content-type` is not JSON (a form, plain text) is
//! not parsed, and a route that takes an object answers 422 `model_attributes_type` with the raw
//! text as `input`, as FastAPI does (reference case 19); a request without `content-type` is
//! parsed as JSON. A wrong method is answered 405 before auth is checked; auth is checked before
//! the body is read.
//!
//! Request and response bodies are Rust types (`serde` + `schemars`): the OpenAPI document is
//! generated from them, and a request body is checked by the same pydantic-compatible validator
//! as tool arguments ([`agency_core::validate::Validator`]) before it is deserialized, so every
//! route answers the same error kinds.
//!
//! Adding routes: take the body with the [`body::JsonObject`] extractor (it applies the
//! configured limit and refuses with an [`ApiError`]), answer errors with [`ApiError`], protect
//! routes with [`BearerAuth`] as a `route_layer`, and describe them with
//! [`openapi::OpenApiBuilder`].
//!
//! ```no_run
//! use agency_core::{Tool, ToolError};
//! use agency_http::{Server, ServerOptions};
//!
//! # async fn run() -> Result<(), agency_http::ServerError> {
//! let add = Tool::builder("add")
//!     .description("Add two integers and return the sum.")
//!     .handler(|(a, b): (i64, i64), _ctx| async move { Ok::<_, ToolError>(a + b) });
//! Server::builder()
//!     .tool(add)
//!     .options(ServerOptions::default().with_app_token_from_env("APP_TOKEN"))
//!     .build()?
//!     .serve()
//!     .await
//! # }
//! ```

#![warn(missing_docs)]

pub mod agency;
mod auth;
pub mod body;
mod cors;
mod error;
pub mod extract;
pub mod files;
pub mod mcp;
pub mod metrics;
pub mod openai;
pub mod openapi;
mod options;
mod request_log;
pub mod routes;
mod serve;
mod server;
mod server_error;
mod trace;

/// The axum version the router is built with, for nesting it and adding layers.
pub use axum;

pub use auth::{
    ANONYMOUS_PRINCIPAL, ApiToken, BearerAuth, DEFAULT_PRINCIPAL, Principal, TokensFileError,
};
pub use error::ApiError;
pub use options::{
    DEFAULT_APP_TOKEN_ENV, DEFAULT_BODY_LIMIT, DEFAULT_HOST, DEFAULT_LOGS_DIR, DEFAULT_PORT,
    ServerOptions,
};
pub use request_log::{LOG_ID_HEADER, LogFileLayer, LogId, LogIdError, MAX_LOG_ID_LEN};
pub use server::{Server, ServerBuilder};
pub use server_error::ServerError;
pub use trace::{REQUEST_ID, RequestId};
