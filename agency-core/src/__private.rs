//! What `#[tool]` and `#[agent]` expand to. Not a public API: names here change without notice.

use std::fmt::Display;
use std::future::Future;

use futures::future::OptionFuture;
use serde::Serialize;
use serde_json::Value;

pub use crate::registration::{AgencyRegistration, AgentRegistration, ToolRegistration};
pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json;

use crate::{Tool, ToolContext, ToolError};

/// An item marked `#[tool]`: what `#[agent(tools = [...])]` accepts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tool: mark it with #[tool]",
    label = "not a #[tool] function or struct",
    note = "`#[agent(tools = [...])]` takes the names of functions and structs marked #[tool]"
)]
pub trait ToolItem {
    /// The tool (`#[tool]` builds it once and hands out clones).
    fn tool() -> Tool;
}

/// Calls a tool struct's `run`, with or without the context, whichever its signature takes.
///
/// The returned future yields what `run` returned: a value, a `Result`, or (for an `async fn
/// run(self)`) another future; [`tool_output!`](crate::__tool_output) sorts those out.
pub fn invoke<S, M, F: Run<S, M>>(
    f: F,
    this: S,
    ctx: &ToolContext,
) -> impl Future<Output = F::Output> {
    f.__agency_run(this, ctx)
}

/// Marker: `fn run(self)` or `async fn run(self)`.
pub struct NoContext;
/// Marker: `fn run(self, &ToolContext)`.
pub struct WithContext;
/// Marker: `async fn run(self, &ToolContext)` (its future borrows the context, so it only fits an
/// `AsyncFnOnce` bound).
pub struct WithContextAsync;

/// A `run` function of one of the accepted signatures.
#[diagnostic::on_unimplemented(
    message = "`{S}::run` does not have a signature a #[tool] struct's `run` can have",
    label = "this #[tool] struct's `run` method",
    note = "a #[tool] struct needs `fn run(self)` or `fn run(self, ctx: &ToolContext)` (sync or `async`), \
            returning a serializable value or a `Result<T, E>` with `E: Display`"
)]
pub trait Run<S, M> {
    /// What calling `run` gives once awaited here.
    type Output;
    /// Calls it.
    fn __agency_run(self, this: S, ctx: &ToolContext) -> impl Future<Output = Self::Output>;
}

// A plain `fn run` may block: it runs on the blocking pool. (An `async fn run(self)` matches
// here too; only the creation of its future moves there, which costs one hand-off.)
impl<S, R, F> Run<S, NoContext> for F
where
    S: Send + 'static,
    R: Send + 'static,
    F: FnOnce(S) -> R + Send + 'static,
{
    type Output = R;
    fn __agency_run(self, this: S, _ctx: &ToolContext) -> impl Future<Output = R> {
        blocking(move || self(this))
    }
}

impl<S, R, F> Run<S, WithContext> for F
where
    S: Send + 'static,
    R: Send + 'static,
    F: FnOnce(S, &ToolContext) -> R + Send + 'static,
{
    type Output = R;
    fn __agency_run(self, this: S, ctx: &ToolContext) -> impl Future<Output = R> {
        let ctx = ctx.clone();
        blocking(move || self(this, &ctx))
    }
}

/// Runs a synchronous tool on tokio's blocking pool, so a slow one never stalls the async
/// workers; a panic in it is resumed here (and caught by [`Tool::call`]).
pub async fn blocking<R, F>(f: F) -> R
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            // Only when the runtime is shutting down; `Tool::call` reports it as a panic.
            Err(e) => std::panic::panic_any(format!("the tool could not run: {e}")),
        },
    }
}

impl<S, R, F: AsyncFnOnce(S, &ToolContext) -> R> Run<S, WithContextAsync> for F {
    type Output = R;
    fn __agency_run(self, this: S, ctx: &ToolContext) -> impl Future<Output = R> {
        self(this, ctx)
    }
}

/// Holds a tool's return value for the autoref dispatch below.
pub struct Ret<T>(pub Option<T>);

/// `run` returned a future: await it (chosen first by method resolution).
pub trait ViaFuture {
    /// The future to await.
    type Fut: Future;
    /// Takes the future out.
    fn __agency_resolve(self) -> Self::Fut;
}

impl<F: Future> ViaFuture for &mut Ret<F> {
    type Fut = OptionFuture<F>;
    fn __agency_resolve(self) -> OptionFuture<F> {
        OptionFuture::from(self.0.take())
    }
}

/// `run` returned a plain value: it is ready.
pub trait ViaReady {
    /// A ready future.
    type Fut: Future;
    /// Wraps the value.
    fn __agency_resolve(self) -> Self::Fut;
}

impl<T> ViaReady for &mut &mut Ret<T> {
    type Fut = std::future::Ready<Option<T>>;
    fn __agency_resolve(self) -> Self::Fut {
        std::future::ready(self.0.take())
    }
}

/// A `Result<T, E>` output: `Err` is the tool's failure (chosen first).
pub trait ViaResult {
    /// Converts to the tool's JSON output.
    fn __agency_output(self) -> Result<Value, ToolError>;
}

impl<T: Serialize, E: Display> ViaResult for &mut Ret<Result<T, E>> {
    fn __agency_output(self) -> Result<Value, ToolError> {
        match self.0.take() {
            Some(Ok(v)) => to_json(&v),
            Some(Err(e)) => Err(ToolError::Failed(e.to_string())),
            None => Err(consumed()),
        }
    }
}

/// Any other serializable output.
pub trait ViaValue {
    /// Converts to the tool's JSON output.
    fn __agency_output(self) -> Result<Value, ToolError>;
}

impl<T: Serialize> ViaValue for &mut &mut Ret<T> {
    fn __agency_output(self) -> Result<Value, ToolError> {
        match self.0.take() {
            Some(v) => to_json(&v),
            None => Err(consumed()),
        }
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<Value, ToolError> {
    serde_json::to_value(v).map_err(|e| {
        ToolError::Failed(format!(
            "the tool's output could not be turned into JSON: {e}"
        ))
    })
}

fn consumed() -> ToolError {
    ToolError::Failed("internal error: tool output already taken".to_owned())
}

/// Returns the output of a tool's `run` or function, whichever of sync/async and plain/`Result` it
/// is, as JSON.
#[macro_export]
#[doc(hidden)]
macro_rules! __tool_output {
    ($ret:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::{ViaFuture as _, ViaReady as _, ViaResult as _, ViaValue as _};
        let mut __ret = $crate::__private::Ret(::core::option::Option::Some($ret));
        match (&mut __ret).__agency_resolve().await {
            ::core::option::Option::Some(__value) => {
                let mut __out = $crate::__private::Ret(::core::option::Option::Some(__value));
                (&mut __out).__agency_output()
            }
            ::core::option::Option::None => ::core::result::Result::Err($crate::ToolError::Failed(
                "internal error: tool output already taken".to_owned(),
            )),
        }
    }};
}
pub use crate::__tool_output as tool_output;

#[cfg(test)]
mod tests {
    //! Every `run` signature a tool struct may have: sync/async × with/without context ×
    //! plain/`Result`, with futures that must be `Send` like the ones the handler builds.

    use super::*;
    use serde_json::json;

    struct S(i64);

    impl S {
        fn sync_plain(self) -> i64 {
            self.0
        }
        fn sync_result(self) -> Result<i64, ToolError> {
            Err(ToolError::new(format!("no {}", self.0)))
        }
        fn sync_ctx_plain(self, ctx: &ToolContext) -> String {
            format!("{}:{}", ctx.agent().unwrap_or("-"), self.0)
        }
        fn sync_ctx_result(self, ctx: &ToolContext) -> Result<String, String> {
            Ok(format!("{}:{}", ctx.agent().unwrap_or("-"), self.0))
        }
        async fn async_plain(self) -> i64 {
            self.0 + 1
        }
        async fn async_result(self) -> Result<i64, std::fmt::Error> {
            Err(std::fmt::Error)
        }
        async fn async_ctx_plain(self, ctx: &ToolContext) -> String {
            std::future::ready(()).await;
            format!("{}:{}", ctx.agent().unwrap_or("-"), self.0)
        }
        async fn async_ctx_result(self, ctx: &ToolContext) -> Result<Vec<i64>, ToolError> {
            std::future::ready(()).await;
            Ok(vec![self.0, ctx.agent().map_or(0, |a| a.len() as i64)])
        }
    }

    fn assert_send<F: Future + Send>(f: F) -> F {
        f
    }

    macro_rules! run {
        ($f:path) => {{
            let ctx = ToolContext::new().with_agent("ag");
            let fut =
                assert_send(async move { crate::__tool_output!(invoke($f, S(7), &ctx).await) });
            fut.await
        }};
    }

    #[tokio::test]
    async fn every_run_signature_is_dispatched() {
        assert_eq!(run!(S::sync_plain).unwrap(), json!(7));
        assert_eq!(run!(S::sync_result).unwrap_err().to_string(), "no 7");
        assert_eq!(run!(S::sync_ctx_plain).unwrap(), json!("ag:7"));
        assert_eq!(run!(S::sync_ctx_result).unwrap(), json!("ag:7"));
        assert_eq!(run!(S::async_plain).unwrap(), json!(8));
        assert!(matches!(run!(S::async_result), Err(ToolError::Failed(_))));
        assert_eq!(run!(S::async_ctx_plain).unwrap(), json!("ag:7"));
        assert_eq!(run!(S::async_ctx_result).unwrap(), json!([7, 2]));
    }
}
