//! Bearer-token auth for the routes that need it, and the principals tokens name.

mod principal;
mod tokens;

pub use principal::{ANONYMOUS_PRINCIPAL, DEFAULT_PRINCIPAL, Principal};
pub use tokens::{ApiToken, TokensFileError};

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

/// The tokens every protected route accepts, as `Authorization: Bearer <token>`, each naming
/// the [`Principal`] the request then acts as.
#[derive(Clone)]
pub struct BearerAuth {
    tokens: Arc<[(Box<[u8]>, Principal)]>,
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let principals: Vec<&str> = self.tokens.iter().map(|(_, p)| p.name()).collect();
        f.debug_struct("BearerAuth")
            .field("principals", &principals)
            .field("tokens", &"<redacted>")
            .finish()
    }
}

impl BearerAuth {
    /// Auth with one `token`, of the principal [`DEFAULT_PRINCIPAL`].
    pub fn new(token: &str) -> Self {
        BearerAuth::with_tokens(&[ApiToken::new(DEFAULT_PRINCIPAL, token)])
    }

    /// Auth with several tokens, each of its principal.
    ///
    /// ```
    /// use agency_http::{ApiToken, BearerAuth};
    /// use axum::http::{HeaderMap, header};
    ///
    /// let auth = BearerAuth::with_tokens(&[ApiToken::new("alice", "a"), ApiToken::new("bob", "b")]);
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::AUTHORIZATION, "Bearer b".parse().unwrap());
    /// assert_eq!(auth.check(&headers).unwrap().name(), "bob");
    /// ```
    pub fn with_tokens(tokens: &[ApiToken]) -> Self {
        let tokens: Vec<(Box<[u8]>, Principal)> = tokens
            .iter()
            .map(|t| (t.token.as_bytes().into(), t.to_principal()))
            .collect();
        BearerAuth {
            tokens: tokens.into(),
        }
    }

    /// Checks the `Authorization` header: the principal of the bearer token; otherwise the 401
    /// answer (`Not authenticated` without a bearer token, `Unauthorized` with a wrong one).
    /// The token is compared with every known token in constant time.
    pub fn check(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
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
        // Every token is compared, so the time does not tell which one (if any) matched.
        let mut found = None;
        for (token, principal) in self.tokens.iter() {
            if bool::from(credentials.ct_eq(token)) {
                found = Some(principal);
            }
        }
        found.cloned().ok_or(ApiError::Unauthorized)
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

    fn call(&mut self, mut req: Request) -> Self::Future {
        match self.auth.check(req.headers()) {
            Ok(principal) => {
                req.extensions_mut().insert(principal);
                Either::Left(self.inner.call(req))
            }
            Err(e) => Either::Right(ready(Ok(e.into_response()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(auth: Option<&str>) -> Result<Principal, ApiError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = auth {
            headers.insert(header::AUTHORIZATION, v.parse().unwrap());
        }
        BearerAuth::new("s3cret").check(&headers)
    }

    #[test]
    fn bearer_rules() {
        let default = Ok(Principal::new(DEFAULT_PRINCIPAL));
        assert_eq!(check(Some("Bearer s3cret")), default);
        assert_eq!(check(Some("bEaReR s3cret")), default);
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
