//! What `#[tool]` and `#[agent]` expand to. Not a public API: names here change without notice.

use std::fmt::Display;
use std::future::Future;

use futures::future::OptionFuture;
use serde::Serialize;
use serde_json::Value;

pub use crate::registry::ToolRegistration;
pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json;

use crate::{ToolContext, ToolError};

/// Calls a tool struct's `run`, with or without the context, whichever its signature takes.
pub fn invoke<S, M, F: Run<S, M>>(f: F, this: S, ctx: &ToolContext) -> F::Output {
    f.run(this, ctx)
}

/// Marker: `run(self)`.
pub struct NoContext;
/// Marker: `run(self, &ToolContext)`.
pub struct WithContext;

/// A `run` function of one of the accepted arities.
pub trait Run<S, M> {
    /// What `run` returns (a value, a `Result`, or a future of either).
    type Output;
    /// Calls it.
    fn run(self, this: S, ctx: &ToolContext) -> Self::Output;
}

impl<S, R, F: FnOnce(S) -> R> Run<S, NoContext> for F {
    type Output = R;
    fn run(self, this: S, _ctx: &ToolContext) -> R {
        self(this)
    }
}

impl<S, R, F: FnOnce(S, &ToolContext) -> R> Run<S, WithContext> for F {
    type Output = R;
    fn run(self, this: S, ctx: &ToolContext) -> R {
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
    serde_json::to_value(v)
        .map_err(|e| ToolError::Failed(format!("the tool's output could not be turned into JSON: {e}")))
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
