//! Bearer-token auth for the routes that need it (API.md §3).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use subtle::ConstantTimeEq;

use crate::ApiError;

/// The token every protected route requires, as `Authorization: Bearer <token>`.
#[derive(Clone)]
pub struct BearerAuth {
    token: Arc<[u8]>,
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerAuth { token: <redacted> }")
    }
}

impl BearerAuth {
    /// Auth with `token`.
    pub fn new(token: &str) -> Self {
        BearerAuth {
            token: Arc::from(token.as_bytes()),
        }
    }

    /// Checks the `Authorization` header: `Ok` for the right bearer token; otherwise the 401
    /// answer (`Not authenticated` without a bearer token, `Unauthorized` with a wrong one).
    /// The token is compared in constant time.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::NotAuthenticated);
        };
        let value = value.as_bytes();
        // FastAPI's HTTPBearer: "<scheme> <credentials>", the scheme case-insensitive.
        let Some(space) = value.iter().position(|b| *b == b' ') else {
            return Err(ApiError::NotAuthenticated);
        };
        let (scheme, credentials) = (&value[..space], &value[space + 1..]);
        if !scheme.eq_ignore_ascii_case(b"bearer") || credentials.is_empty() {
            return Err(ApiError::NotAuthenticated);
        }
        if bool::from(credentials.ct_eq(&self.token)) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized)
        }
    }

    /// Puts the check in front of `route`'s handlers (not in front of its 405 answer), so it
    /// runs before the body is read.
    pub fn protect<S>(&self, route: MethodRouter<S>) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        route.route_layer(middleware::from_fn_with_state(self.clone(), require_bearer))
    }
}

async fn require_bearer(State(auth): State<BearerAuth>, req: Request, next: Next) -> Response {
    match auth.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(auth: Option<&str>) -> Result<(), ApiError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = auth {
            headers.insert(header::AUTHORIZATION, v.parse().unwrap());
        }
        BearerAuth::new("s3cret").check(&headers)
    }

    #[test]
    fn bearer_rules() {
        assert_eq!(check(Some("Bearer s3cret")), Ok(()));
        assert_eq!(check(Some("bEaReR s3cret")), Ok(()));
        assert_eq!(check(None), Err(ApiError::NotAuthenticated));
        assert_eq!(
            check(Some("Basic Zm9vOmJhcg==")),
            Err(ApiError::NotAuthenticated)
        );
        assert_eq!(check(Some("Bearer")), Err(ApiError::NotAuthenticated));
        assert_eq!(check(Some("Bearer ")), Err(ApiError::NotAuthenticated));
        assert_eq!(check(Some("Bearer wrong")), Err(ApiError::Unauthorized));
        assert_eq!(check(Some("Bearer s3cre")), Err(ApiError::Unauthorized));
        assert_eq!(check(Some("Bearer s3cret ")), Err(ApiError::Unauthorized));
    }
}
