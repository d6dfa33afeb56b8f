//! Request logging: method, path, status and duration of every request, at debug level.
//!
//! A hand-written layer rather than `middleware::from_fn`: when debug logging is off it costs one
//! level check, no allocation.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use tower::{Layer, Service};

/// Logs each request once its response is ready.
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

    fn call(&mut self, req: Request) -> Self::Future {
        let seen = tracing::enabled!(tracing::Level::DEBUG).then(|| Seen {
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            start: Instant::now(),
        });
        LogFuture {
            inner: self.inner.call(req),
            seen,
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
    }
}

impl<F, E> Future for LogFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
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
