//! Request ids and logging: every request gets an id (its `x-request-id` when it sends a
//! usable one, a new one otherwise), returned in the response's `x-request-id`, in the request's
//! extensions ([`RequestId`]) and on a `request` span (OpenTelemetry's HTTP field names); once
//! its response body has ended (a stream's too), the request is counted in the metrics and
//! logged at debug level with its status and duration.
//!
//! With request logs on ([`crate::request_log`]), a request's `x-agency-log-id` is checked here
//! (one that is not a plain name is answered 400 before any route), and the span of a logged
//! request carries its log file.
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
use futures::future::{Either, Ready};
use tower::{Layer, Service};
use tracing::field::Empty;

use crate::metrics::Metrics;
use crate::request_log::{LOG_ID_HEADER, RequestLogs};

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
    logs: Option<Arc<RequestLogs>>,
}

impl RequestLogLayer {
    pub(crate) fn new(metrics: Arc<Metrics>, logs: Option<RequestLogs>) -> Self {
        RequestLogLayer {
            metrics,
            logs: logs.map(Arc::new),
        }
    }
}

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog {
            inner,
            metrics: self.metrics.clone(),
            logs: self.logs.clone(),
        }
    }
}

/// The service of [`RequestLogLayer`].
#[derive(Clone, Debug)]
pub(crate) struct RequestLog<S> {
    inner: S,
    metrics: Arc<Metrics>,
    logs: Option<Arc<RequestLogs>>,
}

impl<S> Service<Request> for RequestLog<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LogFuture<Either<S::Future, Ready<Result<Response, S::Error>>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let id = RequestId::of(req.headers().get(&REQUEST_ID));
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let log_file = match self
            .logs
            .as_deref()
            .map(|l| l.file_for(req.headers().get(&LOG_ID_HEADER)))
        {
            Some(Err(refused)) => {
                use axum::response::IntoResponse;
                let answer = crate::ApiError::from(refused).into_response();
                return LogFuture {
                    inner: Either::Right(futures::future::ready(Ok(answer))),
                    seen: None,
                    span: tracing::Span::none(),
                    id: Some(id.0),
                };
            }
            Some(Ok(file)) => file,
            None => None,
        };
        let span = tracing::info_span!(
            "request",
            otel.name = format!("{} {}", req.method(), route.as_deref().unwrap_or("(unmatched)")),
            otel.kind = "server",
            http.request.method = %req.method(),
            http.route = route.as_deref(),
            url.path = %req.uri().path(),
            http.response.status_code = Empty,
            request_id = %id.as_str(),
            { crate::request_log::LOG_FILE_FIELD } = log_file.as_ref().map(|p| tracing::field::display(p.display())),
        );
        let seen = Seen {
            method: req.method().clone(),
            route,
            start: Instant::now(),
            metrics: self.metrics.clone(),
            span: span.clone(),
            status: 0,
            logged: log_file.is_some(),
        };
        let header = id.0.clone();
        req.extensions_mut().insert(id);
        let inner = {
            let _entered = span.enter();
            if seen.logged {
                tracing::info!(method = %seen.method, path = %req.uri().path(), "request received");
            }
            Either::Left(self.inner.call(req))
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
    /// Whether the request's log is written (its end is then logged at info level).
    logged: bool,
}

impl Drop for Seen {
    fn drop(&mut self) {
        let elapsed = self.start.elapsed();
        self.metrics
            .request(&self.method, self.route.as_deref(), self.status, elapsed);
        if self.logged {
            let _entered = self.span.enter();
            tracing::info!(
                status = self.status,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "request ended"
            );
        } else if tracing::enabled!(tracing::Level::DEBUG) {
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
