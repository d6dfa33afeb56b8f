//! Request ids and logging: every request gets an id (its `x-request-id` when it sends a
//! usable one, a new one otherwise), returned in the response's `x-request-id`, in the request's
//! extensions ([`RequestId`]) and on a `request` span; method, path, status and duration of every
//! request are logged at debug level.
//!
//! A hand-written layer rather than `middleware::from_fn`: when debug logging is off it costs one
//! level check and the id, no other allocation.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use tower::{Layer, Service};

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request (see the module docs), in its extensions: `Extension<RequestId>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    /// The request's own id when it is usable (1 to 128 visible ASCII characters), else a new
    /// one (32 hex digits).
    ///
    /// ```
    /// use agency_http::RequestId;
    /// use axum::http::HeaderValue;
    ///
    /// let kept = RequestId::of(Some(&HeaderValue::from_static("req-42")));
    /// assert_eq!(kept.0, "req-42");
    /// let made = RequestId::of(Some(&HeaderValue::from_static("")));
    /// assert_eq!(made.0.len(), 32);
    /// ```
    pub fn of(sent: Option<&HeaderValue>) -> Self {
        let usable = |v: &&HeaderValue| {
            (1..=128).contains(&v.len()) && v.as_bytes().iter().all(|b| b.is_ascii_graphic())
        };
        match sent.filter(usable) {
            Some(value) => RequestId(value.clone()),
            None => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                RequestId(HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("0")))
            }
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// Gives each request its id and logs it once its response is ready.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RequestLogLayer;

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog { inner }
    }
}

/// The service of [`RequestLogLayer`].
#[derive(Clone, Debug)]
pub(crate) struct RequestLog<S> {
    inner: S,
}

impl<S> Service<Request> for RequestLog<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let id = RequestId::of(req.headers().get(&REQUEST_ID));
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            path = %req.uri().path(),
            request_id = %id.as_str(),
        );
        let seen = tracing::enabled!(tracing::Level::DEBUG).then(|| Seen {
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            start: Instant::now(),
        });
        let header = id.0.clone();
        req.extensions_mut().insert(id);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        LogFuture {
            inner,
            seen,
            span,
            id: Some(header),
        }
    }
}

struct Seen {
    method: Method,
    path: String,
    start: Instant,
}

pin_project_lite::pin_project! {
    /// The response future of [`RequestLog`].
    pub(crate) struct LogFuture<F> {
        #[pin]
        inner: F,
        seen: Option<Seen>,
        span: tracing::Span,
        id: Option<HeaderValue>,
    }
}

impl<F, E> Future for LogFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let mut result = std::task::ready!(this.inner.poll(cx));
        if let (Some(id), Ok(response)) = (this.id.take(), &mut result) {
            response.headers_mut().insert(REQUEST_ID, id);
        }
        if let (Some(seen), Ok(response)) = (this.seen.take(), &result) {
            tracing::debug!(
                method = %seen.method,
                path = %seen.path,
                status = response.status().as_u16(),
                micros = u64::try_from(seen.start.elapsed().as_micros()).unwrap_or(u64::MAX),
                "request"
            );
        }
        Poll::Ready(result)
    }
}
