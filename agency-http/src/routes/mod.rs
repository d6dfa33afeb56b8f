//! The server's routes, one module per kind.

pub(crate) mod chat;
pub(crate) mod docs;
pub mod health;
pub mod logs;
pub(crate) mod metrics;
pub mod tools;

use crate::ApiError;

/// The answer to a path no route has: 404 `{"detail":"Not Found"}`.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The answer to a method a path does not take: 405 `{"detail":"Method Not Allowed"}` (the
/// router adds the `allow` header).
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
