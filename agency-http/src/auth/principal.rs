//! [`Principal`]: who is calling, as the bearer token says.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The name of the principal of `APP_TOKEN` (auth with one token).
pub const DEFAULT_PRINCIPAL: &str = "default";

/// The name of the one principal every caller is when auth is off.
pub const ANONYMOUS_PRINCIPAL: &str = "anonymous";

/// Who is calling: the principal whose bearer token the request carried, or
/// [`ANONYMOUS_PRINCIPAL`] when auth is off. Chats belong to principals.
///
/// The auth layer puts it in the request's extensions; as an extractor it reads it from there
/// (anonymous when there is none).
///
/// ```
/// use agency_http::Principal;
///
/// let p = Principal::new("alice");
/// assert_eq!(p.name(), "alice");
/// assert!(Principal::anonymous().is_anonymous());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal(Arc<str>);

impl Principal {
    /// The principal `name`.
    pub fn new(name: &str) -> Self {
        Principal(Arc::from(name))
    }

    /// The one principal of a server without auth.
    pub fn anonymous() -> Self {
        Principal::new(ANONYMOUS_PRINCIPAL)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Whether it is the principal of a server without auth.
    pub fn is_anonymous(&self) -> bool {
        &*self.0 == ANONYMOUS_PRINCIPAL
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or_else(Principal::anonymous))
    }
}
