//! CORS: `*` allows any origin without credentials; an explicit list echoes an
//! allowed origin with credentials and refuses the preflight of any other with 400.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::future::Either;
use tower::{Layer, Service};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer, ResponseFuture as CorsFuture};

use crate::{ApiError, ServerError};

/// How long browsers may cache a preflight answer (Starlette's default).
const MAX_AGE: Duration = Duration::from_secs(600);

/// The methods a preflight may ask for (Starlette's list).
const METHODS: [Method; 7] = [
    Method::DELETE,
    Method::GET,
    Method::HEAD,
    Method::OPTIONS,
    Method::PATCH,
    Method::POST,
    Method::PUT,
];

/// The CORS layer for `origins`.
///
/// An origin of `*` anywhere in the list allows every origin, without credentials (browsers
/// refuse `*` with credentials, and tower-http panics on it). Otherwise each entry must be an
/// exact origin (`https://app.example.com`); credentials are allowed; the preflight of any other
/// origin is answered 400.
pub(crate) fn layer(origins: &[String]) -> Result<CorsWhenOriginLayer, ServerError> {
    // Requested headers are mirrored in both modes: `Access-Control-Allow-Headers: *` does not
    // cover `Authorization`, which the protected routes need.
    let base = CorsLayer::new()
        .allow_methods(METHODS)
        .allow_headers(AllowHeaders::mirror_request())
        // A page may read the id of its request (to quote it in a support ticket).
        .expose_headers([crate::REQUEST_ID])
        .max_age(MAX_AGE);
    if origins.iter().any(|o| o.trim() == "*") {
        return Ok(CorsWhenOriginLayer {
            cors: Arc::new(base.allow_origin(AllowOrigin::any())),
            allowed: None,
        });
    }
    let allowed = origins
        .iter()
        .map(|o| {
            let o = o.trim().trim_end_matches('/');
            HeaderValue::from_str(o).map_err(|_| ServerError::InvalidCorsOrigin(o.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cors = base
        .allow_origin(AllowOrigin::list(allowed.iter().cloned()))
        .allow_credentials(true);
    Ok(CorsWhenOriginLayer {
        cors: Arc::new(cors),
        allowed: Some(allowed.into()),
    })
}

/// Runs requests that carry an `Origin` header (the only ones CORS is about) through tower-http's
/// CORS layer, and the others straight to the app: axum clones a route's service for every
/// request, and a `Cors` service is costly to clone (it owns its configuration), so it is only
/// built for requests that need it. With an explicit list, a preflight from another origin is
/// answered 400 (tower-http would answer 200 without CORS headers).
#[derive(Clone)]
pub(crate) struct CorsWhenOriginLayer {
    cors: Arc<CorsLayer>,
    /// `None`: any origin.
    allowed: Option<Arc<[HeaderValue]>>,
}

impl<S> Layer<S> for CorsWhenOriginLayer {
    type Service = CorsWhenOrigin<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CorsWhenOrigin {
            inner,
            cors: self.cors.clone(),
            allowed: self.allowed.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct CorsWhenOrigin<S> {
    inner: S,
    cors: Arc<CorsLayer>,
    allowed: Option<Arc<[HeaderValue]>>,
}

type Refused<E> = Ready<Result<Response, E>>;

impl<S> Service<Request> for CorsWhenOrigin<S>
where
    S: Service<Request, Response = Response> + Clone,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<S::Future, Either<CorsFuture<S::Future>, Refused<S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let Some(origin) = req.headers().get(header::ORIGIN) else {
            return Either::Left(self.inner.call(req));
        };
        let is_preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if is_preflight
            && let Some(allowed) = &self.allowed
            && !allowed.contains(origin)
        {
            let refused =
                ApiError::detail(StatusCode::BAD_REQUEST, "Disallowed CORS origin").into_response();
            return Either::Right(Either::Right(ready(Ok(refused))));
        }
        // `inner` was polled ready above; the clone takes its place (the usual tower pattern).
        let ready_inner = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready_inner);
        Either::Right(Either::Left(self.cors.layer(inner).call(req)))
    }
}
