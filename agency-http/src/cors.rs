//! CORS (API.md §3): `*` allows any origin without credentials; an explicit list echoes an
//! allowed origin with credentials and refuses the preflight of any other with 400.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

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

/// Adds CORS handling for `origins` to `router`.
///
/// An origin of `*` anywhere in the list allows every origin, without credentials (browsers
/// refuse `*` with credentials, and tower-http panics on it). Otherwise each entry must be an
/// exact origin (`https://app.example.com`); credentials are allowed; the preflight of any other
/// origin is answered 400.
pub(crate) fn apply(router: Router, origins: &[String]) -> Result<Router, ServerError> {
    // Requested headers are mirrored in both modes: `Access-Control-Allow-Headers: *` does not
    // cover `Authorization`, which the protected routes need.
    let base = CorsLayer::new()
        .allow_methods(METHODS)
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(MAX_AGE);
    if origins.iter().any(|o| o.trim() == "*") {
        return Ok(router.layer(base.allow_origin(AllowOrigin::any())));
    }
    let allowed = origins
        .iter()
        .map(|o| {
            let o = o.trim().trim_end_matches('/');
            HeaderValue::from_str(o).map_err(|_| ServerError::InvalidCorsOrigin(o.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let allowed: Arc<[HeaderValue]> = allowed.into();
    let layer = base
        .allow_origin(AllowOrigin::list(allowed.iter().cloned()))
        .allow_credentials(true);
    Ok(router
        .layer(layer)
        .layer(middleware::from_fn_with_state(allowed, refuse_preflight)))
}

/// Answers 400 to the preflight of an origin that is not in the list (tower-http would answer
/// 200 without CORS headers).
async fn refuse_preflight(
    State(allowed): State<Arc<[HeaderValue]>>,
    req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let is_preflight = req.method() == Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if let Some(origin) = headers.get(header::ORIGIN).filter(|_| is_preflight)
        && !allowed.contains(origin)
    {
        return ApiError::detail(StatusCode::BAD_REQUEST, "Disallowed CORS origin").into_response();
    }
    next.run(req).await
}
