//! Bearer-token auth for the routes that need it.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use futures::future::Either;
use subtle::ConstantTimeEq;
use tower::{Layer, Service};

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
        route.route_layer(self.clone())
    }
}

/// As a layer, [`BearerAuth`] answers 401 without calling the inner service unless the token is
/// right. (A hand-written service rather than `middleware::from_fn`: no allocation per request.)
impl<S> Layer<S> for BearerAuth {
    type Service = RequireBearer<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireBearer {
            auth: self.clone(),
            inner,
        }
    }
}

/// The service of the [`BearerAuth`] layer.
#[derive(Clone, Debug)]
pub struct RequireBearer<S> {
    auth: BearerAuth,
    inner: S,
}

impl<S> Service<Request> for RequireBearer<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<S::Future, Ready<Result<Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.auth.check(req.headers()) {
            Ok(()) => Either::Left(self.inner.call(req)),
            Err(e) => Either::Right(ready(Ok(e.into_response()))),
        }
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
