use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::run::Builtin;
use crate::validate::ToolInput;
use crate::{FieldError, StateKey, ToolContext, ToolError, ToolSchemaError, schema};

/// How long a tool call may take when neither the tool ([`ToolBuilder::timeout`],
/// `#[tool(timeout = "30s")]`) nor the caller ([`ToolContext::with_default_timeout`]) says.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// The future a tool call returns.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<Value, ToolError>> + Send + 'static>>;

type Handler = dyn Fn(Value, ToolContext) -> ToolFuture + Send + Sync;

/// A callable tool: a name, a description, the JSON schema of its input, and the code to run.
///
/// `#[tool]` builds these for you (`add::tool()`, `Address::tool()`); [`Tool::builder`] builds one
/// by hand. Cloning is cheap.
///
/// ```
/// use agency_core::{Tool, ToolContext, ToolError};
/// use serde::Deserialize;
/// use schemars::JsonSchema;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Args {
///     /// Text to shout
///     text: String,
/// }
///
/// let tool = Tool::builder("shout")
///     .description("Upper-case a text.")
///     .handler(|args: Args, _ctx| async move { Ok::<_, ToolError>(args.text.to_uppercase()) });
///
/// assert_eq!(tool.definition()["parameters"]["required"][0], "text");
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let out = tool.call(serde_json::json!({"text": "hi"}), ToolContext::new()).await.unwrap();
/// assert_eq!(out, "HI");
/// # });
/// ```
#[derive(Clone)]
pub struct Tool(Arc<Inner>);

struct Inner {
    name: Cow<'static, str>,
    description: Cow<'static, str>,
    strict: bool,
    parameters: Value,
    /// What arguments are validated against.
    input: ToolInput,
    warnings: Vec<String>,
    timeout: Option<Duration>,
    requires: Vec<StateKey>,
    handler: Box<Handler>,
    /// Set for the tools the run loop itself carries out (`send_message`, `transfer_to_*`).
    builtin: Option<Builtin>,
}

impl Tool {
    /// Starts building a tool named `name`.
    pub fn builder(name: impl Into<Cow<'static, str>>) -> ToolBuilder {
        ToolBuilder {
            name: name.into(),
            description: Cow::Borrowed(""),
            strict: true,
            timeout: None,
            requires: Vec::new(),
        }
    }

    /// The tool's name: its function name for the model and its route `/tool/{name}`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// What the tool does, for the model and the docs.
    pub fn description(&self) -> &str {
        &self.0.description
    }

    /// Whether the tool is sent to the model in strict mode.
    pub fn is_strict(&self) -> bool {
        self.0.strict
    }

    /// The JSON schema of the tool's input, exactly as the model sees it (strict-mode rules
    /// applied when [`Tool::is_strict`]).
    pub fn parameters(&self) -> &Value {
        &self.0.parameters
    }

    /// The JSON schema arguments are validated against, which the OpenAPI document shows:
    /// [`Tool::parameters`] with the string `format`s strict mode cannot send (`uri`) kept and
    /// the range of 64-bit integers on integers that have no bounds.
    pub fn input_schema(&self) -> &Value {
        self.0.input.validator().schema()
    }

    /// `Err` if the tool's input schema is one the argument validator cannot use (a
    /// `multipleOf` of 0, an invalid `pattern`...): such a tool is refused by a
    /// [`Toolbox`](crate::Toolbox), an agency and the HTTP server, and its calls fail.
    pub fn check(&self) -> Result<(), ToolSchemaError> {
        self.0.input.refused().map_or(Ok(()), |e| Err(e.clone()))
    }

    /// What the run loop does instead of calling the handler, for its own tools.
    pub(crate) fn builtin(&self) -> Option<&Builtin> {
        self.0.builtin.as_ref()
    }

    /// The tool's own timeout, if it has one (otherwise the caller's default applies).
    pub fn timeout(&self) -> Option<Duration> {
        self.0.timeout
    }

    /// The types of the shared values the tool needs ([`ToolBuilder::requires`]; a `#[tool]`
    /// function's `State<T>` parameters): servers, agencies and runs check that they have them
    /// before serving or running the tool.
    pub fn requires(&self) -> &[StateKey] {
        &self.0.requires
    }

    /// Warnings found while building the tool (for example why it could not be strict, or which
    /// keywords of its schema the argument validator does not check).
    pub fn warnings(&self) -> &[String] {
        &self.0.warnings
    }

    /// The tool as an OpenAI Responses API function tool:
    /// `{"type":"function","name","description","parameters","strict"}`.
    pub fn definition(&self) -> Value {
        json!({
            "type": "function",
            "name": self.name(),
            "description": self.description(),
            "parameters": self.parameters(),
            "strict": self.is_strict(),
        })
    }

    /// The tool as a Chat Completions function tool:
    /// `{"type":"function","function":{"name","description","parameters","strict"}}`.
    pub fn chat_completions_definition(&self) -> Value {
        json!({
            "type": "function",
            "function": {
                "name": self.name(),
                "description": self.description(),
                "parameters": self.parameters(),
                "strict": self.is_strict(),
            }
        })
    }

    /// Checks `args` against [`Tool::input_schema`], with the lax coercions a client expects
    /// (`"2"` for an integer, for example), and returns the coerced arguments or every problem.
    pub fn validate(&self, args: Value) -> Result<Value, Vec<FieldError>> {
        self.0.input.validator().validate(args)
    }

    /// Validates `args`, runs the tool, and returns its output as JSON.
    ///
    /// Invalid arguments give [`ToolError::InvalidArguments`] with every problem; a panic in the
    /// tool is caught and given as [`ToolError::Panicked`]. A call that outlives the tool's
    /// timeout (or else the context's default, or else [`DEFAULT_TOOL_TIMEOUT`]) is stopped: the
    /// context's cancellation fires, the tool's future is dropped, and the result is
    /// [`ToolError::TimedOut`]. It runs on tokio, with timers enabled (as `#[tokio::main]` and
    /// `#[tokio::test]` set it up).
    pub fn call(
        &self,
        args: Value,
        ctx: ToolContext,
    ) -> impl Future<Output = Result<Value, ToolError>> + Send + 'static {
        let tool = self.clone();
        async move {
            tool.check().map_err(ToolError::InvalidSchema)?;
            ctx.states()
                .check([&tool])
                .map_err(ToolError::MissingState)?;
            let args = tool
                .validate(args)
                .map_err(|errors| ToolError::InvalidArguments {
                    tool: tool.name().to_owned(),
                    errors,
                })?;
            let limit = tool
                .timeout()
                .or(ctx.default_timeout())
                .unwrap_or(DEFAULT_TOOL_TIMEOUT);
            let stop = ctx.cancellation().clone();
            // Building the future can panic as well as polling it.
            let fut = std::panic::catch_unwind(AssertUnwindSafe(|| (tool.0.handler)(args, ctx)))
                .map_err(|_| ToolError::Panicked(tool.name().to_owned()))?;
            match tokio::time::timeout(limit, AssertUnwindSafe(fut).catch_unwind()).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(ToolError::Panicked(tool.name().to_owned())),
                Err(_) => {
                    stop.cancel();
                    Err(ToolError::TimedOut {
                        tool: tool.name().to_owned(),
                        after: limit,
                    })
                }
            }
        }
    }
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name())
            .field("strict", &self.is_strict())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Tool`]; see [`Tool::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ToolBuilder {
    name: Cow<'static, str>,
    description: Cow<'static, str>,
    strict: bool,
    timeout: Option<Duration>,
    requires: Vec<StateKey>,
}

impl ToolBuilder {
    /// Declares that the tool needs a shared value of `key`'s type (`State::<T>::key()`), which
    /// its handler takes with [`ToolContext::state`]: a server or agency that serves the tool
    /// without one refuses to start, and a call without one fails before the handler runs.
    pub fn requires(mut self, key: StateKey) -> Self {
        if !self.requires.contains(&key) {
            self.requires.push(key);
        }
        self
    }

    /// What the tool does (the model reads it to decide when to call the tool).
    pub fn description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = description.into();
        self
    }

    /// Whether to send the tool in OpenAI strict mode (default `true`). A tool whose input cannot
    /// be strict (a map, for example) is sent non-strict whatever this says, with a warning.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The longest a call may take (default: the caller's, 60 s on the server); past it the
    /// call is stopped and fails with [`ToolError::TimedOut`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use agency_core::{Tool, ToolContext, ToolError};
    ///
    /// let slow = Tool::builder("slow")
    ///     .timeout(Duration::from_millis(20))
    ///     .json_handler(serde_json::json!({"type": "object"}), |_args, _ctx| async move {
    ///         tokio::time::sleep(Duration::from_secs(5)).await;
    ///         Ok::<_, ToolError>("done".into())
    ///     });
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let err = slow.call(serde_json::json!({}), ToolContext::new()).await.unwrap_err();
    /// assert!(matches!(err, ToolError::TimedOut { .. }));
    /// # });
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Finishes the tool with the code that runs it. `I` is the input: its JSON schema is what the
    /// model sees and what requests are validated against.
    pub fn handler<I, F, Fut, O>(self, handler: F) -> Tool
    where
        I: DeserializeOwned + JsonSchema + 'static,
        F: Fn(I, ToolContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ToolError>> + Send + 'static,
        O: Serialize + 'static,
    {
        let raw = schema::generate::<I>();
        let name = self.name.clone();
        let handler: Box<Handler> = Box::new(move |args: Value, ctx: ToolContext| {
            let input = match deserialize::<I>(&name, args) {
                Ok(input) => input,
                Err(e) => return Box::pin(std::future::ready(Err(e))) as ToolFuture,
            };
            let fut = handler(input, ctx);
            Box::pin(async move {
                let output = fut.await?;
                serde_json::to_value(output).map_err(|e| {
                    ToolError::Failed(format!(
                        "the tool's output could not be turned into JSON: {e}"
                    ))
                })
            })
        });
        self.finish_for_model(&raw, handler)
    }

    /// Finishes the tool with a JSON schema given as a value and a handler that takes the
    /// (validated) arguments as JSON: for tools whose input is only known at run time.
    ///
    /// `parameters` is sent to the model as it is (write it in strict form when `strict`). A
    /// schema the argument validator cannot use (a `multipleOf` of 0, an invalid `pattern`...)
    /// makes a tool that [`Tool::check`] refuses, and so does every registry it is given to.
    ///
    /// ```
    /// use agency_core::{Tool, ToolError};
    /// use serde_json::json;
    ///
    /// let echo = Tool::builder("echo").json_handler(
    ///     json!({"type": "object", "properties": {"text": {"type": "string"}},
    ///            "required": ["text"], "additionalProperties": false}),
    ///     |args, _ctx| async move { Ok::<_, ToolError>(args["text"].clone()) },
    /// );
    /// assert!(echo.is_strict());
    /// ```
    pub fn json_handler<F, Fut>(self, parameters: Value, handler: F) -> Tool
    where
        F: Fn(Value, ToolContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ToolError>> + Send + 'static,
    {
        let strict = self.strict;
        let handler: Box<Handler> = Box::new(move |args: Value, ctx: ToolContext| {
            Box::pin(handler(args, ctx)) as ToolFuture
        });
        self.finish(parameters.clone(), parameters, strict, Vec::new(), handler)
    }

    /// A tool whose argument schema was written elsewhere (an MCP server's, a front end's):
    /// the model sees `parameters` rewritten for strict mode like a derived tool's when it can
    /// be, else sent with `strict: false` and a warning ([`Tool::warnings`]); calls are checked
    /// against it, and `handler` gets the checked arguments as JSON (with strict mode, an
    /// optional field the model left out comes as `null`).
    ///
    /// ```
    /// use agency_core::{Tool, ToolError};
    /// use serde_json::json;
    ///
    /// let echo = Tool::builder("echo").schema_handler(
    ///     json!({"type": "object", "properties": {"text": {"type": "string"}, "times": {"type": "integer"}},
    ///            "required": ["text"]}),
    ///     |args, _ctx| async move { Ok::<_, ToolError>(args["text"].clone()) },
    /// );
    /// assert!(echo.is_strict());
    /// assert_eq!(echo.parameters()["required"], json!(["text", "times"]));
    /// assert_eq!(echo.parameters()["properties"]["times"]["type"], json!(["integer", "null"]));
    /// ```
    pub fn schema_handler<F, Fut>(self, parameters: Value, handler: F) -> Tool
    where
        F: Fn(Value, ToolContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ToolError>> + Send + 'static,
    {
        let handler: Box<Handler> = Box::new(move |args: Value, ctx: ToolContext| {
            Box::pin(handler(args, ctx)) as ToolFuture
        });
        self.finish_for_model(&parameters, handler)
    }

    /// A tool the client runs (a front end's tool, offered in an AG-UI request): the model sees
    /// `parameters` as [`schema_handler`](ToolBuilder::schema_handler) makes them, and a call of
    /// it ends the run with the call unanswered, for the client to run and answer in its next
    /// request ([`RunConfig::client_tools`](crate::RunConfig)). Called any other way it fails.
    ///
    /// ```
    /// use agency_core::Tool;
    /// use serde_json::json;
    ///
    /// let confirm = Tool::builder("confirm").description("Ask the user to confirm.").client(json!({
    ///     "type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]
    /// }));
    /// assert!(confirm.is_strict());
    /// assert_eq!(confirm.parameters()["additionalProperties"], false);
    /// ```
    pub fn client(self, parameters: Value) -> Tool {
        let mut tool = self.schema_handler(parameters, |_args, _ctx| {
            std::future::ready(Err(ToolError::new(Builtin::Client.describe())))
        });
        if let Some(inner) = Arc::get_mut(&mut tool.0) {
            inner.builtin = Some(Builtin::Client);
        }
        tool
    }

    /// A tool the run loop carries out itself: `parameters` is its (strict) schema, and a call
    /// from outside a run (over HTTP, say) is an error.
    pub(crate) fn builtin(self, parameters: Value, builtin: Builtin) -> Tool {
        let what = builtin.describe();
        let handler: Box<Handler> = Box::new(move |_args: Value, _ctx: ToolContext| {
            Box::pin(std::future::ready(Err(ToolError::new(what)))) as ToolFuture
        });
        let mut tool = self.finish(parameters.clone(), parameters, true, Vec::new(), handler);
        if let Some(inner) = Arc::get_mut(&mut tool.0) {
            inner.builtin = Some(builtin);
        }
        tool
    }

    /// Finishes the tool with the schema `raw` made fit for the model: strict when it can be,
    /// else non-strict with a warning.
    fn finish_for_model(self, raw: &Value, handler: Box<Handler>) -> Tool {
        let what = format!("tool '{}'", self.name);
        let for_model = schema::for_model(raw, self.strict, &what);
        let warnings = for_model.warning.into_iter().collect();
        self.finish(
            for_model.schema,
            for_model.input,
            for_model.strict,
            warnings,
            handler,
        )
    }

    fn finish(
        self,
        parameters: Value,
        input: Value,
        strict: bool,
        mut warnings: Vec<String>,
        handler: Box<Handler>,
    ) -> Tool {
        let input = ToolInput::new(&self.name, input, &mut warnings);
        Tool(Arc::new(Inner {
            name: self.name,
            description: self.description,
            strict,
            parameters,
            input,
            warnings,
            timeout: self.timeout,
            requires: self.requires,
            handler,
            builtin: None,
        }))
    }
}

/// Deserializes validated arguments (see [`crate::validate::deserialize`]).
fn deserialize<I: DeserializeOwned>(tool: &str, args: Value) -> Result<I, ToolError> {
    crate::validate::deserialize(&args).map_err(|errors| ToolError::InvalidArguments {
        tool: tool.to_owned(),
        errors,
    })
}
