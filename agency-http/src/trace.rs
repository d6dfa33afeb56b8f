//! Request ids and logging: every request gets an id (its `x-request-id` when it sends a
//! usable one, a new one otherwise), returned in the response's `x-request-id`, in the request's
//! extensions ([`RequestId`]) and on a `request` span (OpenTelemetry's HTTP field names); once
//! its response body has ended (a stream's too), the request is counted in the metrics and
//! logged at debug level with its status and duration.
//!
//! A hand-written layer rather than `middleware::from_fn`: no boxing of the handler's future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::field::Empty;

use crate::metrics::Metrics;

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

/// Gives each request its id and span, and counts and logs it once its response body has ended
/// (so a stream is counted with its whole duration).
#[derive(Clone, Debug)]
pub(crate) struct RequestLogLayer {
    metrics: Arc<Metrics>,
}

impl RequestLogLayer {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        RequestLogLayer { metrics }
    }
}

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service of [`RequestLogLayer`].
#[derive(Clone, Debug)]
pub(crate) struct RequestLog<S> {
    inner: S,
    metrics: Arc<Metrics>,
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
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let span = tracing::info_span!(
            "request",
            otel.name = format!("{} {}", req.method(), route.as_deref().unwrap_or("(unmatched)")),
            otel.kind = "server",
            http.request.method = %req.method(),
            http.route = route.as_deref(),
            url.path = %req.uri().path(),
            http.response.status_code = Empty,
            request_id = %id.as_str(),
        );
        let seen = Seen {
            method: req.method().clone(),
            route,
            start: Instant::now(),
            metrics: self.metrics.clone(),
            span: span.clone(),
            status: 0,
        };
        let header = id.0.clone();
        req.extensions_mut().insert(id);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        LogFuture {
            inner,
            seen: Some(seen),
            span,
            id: Some(header),
        }
    }
}

/// A request being answered: counted and logged when dropped, with its response body.
struct Seen {
    method: Method,
    route: Option<String>,
    start: Instant,
    metrics: Arc<Metrics>,
    span: tracing::Span,
    status: u16,
}

impl Drop for Seen {
    fn drop(&mut self) {
        let elapsed = self.start.elapsed();
        self.metrics
            .request(&self.method, self.route.as_deref(), self.status, elapsed);
        if tracing::enabled!(tracing::Level::DEBUG) {
            let _entered = self.span.enter();
            tracing::debug!(
                status = self.status,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "request ended"
            );
        }
    }
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
        let result = std::task::ready!(this.inner.poll(cx));
        let Ok(mut response) = result else {
            return Poll::Ready(result);
        };
        if let Some(id) = this.id.take() {
            response.headers_mut().insert(REQUEST_ID, id);
        }
        let status = response.status().as_u16();
        this.span
            .record("http.response.status_code", i64::from(status));
        let response = match this.seen.take() {
            Some(mut seen) => {
                seen.status = status;
                response.map(|body| {
                    Body::new(LoggedBody {
                        inner: body,
                        _seen: seen,
                    })
                })
            }
            None => response,
        };
        Poll::Ready(Ok(response))
    }
}

pin_project_lite::pin_project! {
    /// A response body that ends its request's [`Seen`] when it is dropped (sent, or its client
    /// gone).
    struct LoggedBody {
        #[pin]
        inner: Body,
        _seen: Seen,
    }
}

impl http_body::Body for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
