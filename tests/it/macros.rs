//! `#[tool]` on functions and structs, checked through the tools it builds.
//!
//! Tool names here start with `macros_`: the whole test binary shares one inventory, and
//! `Toolbox::discover()` refuses duplicate names.

use agency::prelude::*;
use agency::{RegistryError, Toolbox, UserContext};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Tools under test.

/// Add two integers and return the sum.
#[tool]
fn macros_add(
    /// First addend
    a: i64,
    /// Second addend
    b: i64,
) -> i64 {
    a + b
}

/// Divide a by b.
///
/// Fails on a zero divisor.
#[tool]
pub async fn macros_divide(
    /// Dividend
    a: f64,
    /// Divisor, not zero
    b: f64,
) -> Result<f64, ToolError> {
    if b == 0.0 {
        return Err(ToolError::new("cannot divide by zero"));
    }
    Ok(a / b)
}

/// Parse an integer; the error is a plain `Display` type.
#[tool]
fn macros_parse(text: String) -> Result<i64, std::num::ParseIntError> {
    text.trim().parse()
}

/// Greet on behalf of the calling agent.
#[tool]
async fn macros_greet(name: String, ctx: &ToolContext) -> String {
    let plan: Option<String> = ctx.user_context().get("plan");
    ctx.user_context().set("greeted", &name);
    format!(
        "{} greets {name} ({})",
        ctx.agent().unwrap_or("nobody"),
        plan.as_deref().unwrap_or("no plan")
    )
}

/// Take the context by value, first.
#[tool]
fn macros_owned_ctx(ctx: ToolContext, n: u32) -> Option<String> {
    ctx.call_id().map(|id| format!("{id}/{n}"))
}

/// A point on a plane.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Point {
    x: i32,
    y: i32,
}

/// A temperature unit.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Celsius,
    Fahrenheit,
}

/// Describe every kind of input.
#[tool]
fn macros_kinds(
    /// Points to sum
    points: Vec<self::Point>,
    /// The unit, if any
    unit: Option<Unit>,
    r#type: String,
    #[serde(rename = "query")] q: bool,
    mut count: u8,
) -> Value {
    count += 1;
    let (x, y) = points.iter().fold((0, 0), |(x, y), p| (x + p.x, y + p.y));
    json!({ "x": x, "y": y, "unit": format!("{unit:?}"), "type": r#type, "q": q, "count": count })
}

/// This doc is not the description.
#[tool(
    name = "macros-renamed",
    description = "Overridden description.",
    strict = false
)]
fn macros_options() -> &'static str {
    "ok"
}

/// Panics.
#[tool]
fn macros_panics(n: i64) -> i64 {
    if n > 0 {
        panic!("boom {n}");
    }
    n
}

/// Format a postal address from a street and a zip code.
#[tool]
#[derive(Debug)]
struct MacrosAddress {
    /// Street name and number
    street: String,
    /// Numeric postal code
    zip_code: u32,
}

impl MacrosAddress {
    fn run(self) -> String {
        format!("{}, {}", self.street, self.zip_code)
    }
}

/// Sync `run` with the context, returning a `Result`.
#[tool]
struct MacrosSyncCtx {
    key: String,
}

impl MacrosSyncCtx {
    fn run(self, ctx: &ToolContext) -> Result<Value, String> {
        ctx.user_context()
            .get::<Value>(&self.key)
            .ok_or_else(|| format!("no '{}' in the user context", self.key))
    }
}

/// Async `run` without the context.
#[tool(name = "macros_async_struct")]
struct MacrosAsync {
    n: u64,
}

impl MacrosAsync {
    async fn run(self) -> u64 {
        self.n * 2
    }
}

/// Async `run` with the context, returning a `Result`.
#[tool]
struct MacrosAsyncCtx {
    /// Fail instead?
    fail: bool,
}

impl MacrosAsyncCtx {
    async fn run(self, ctx: &ToolContext) -> Result<String, ToolError> {
        std::future::ready(()).await;
        if self.fail {
            return Err(ToolError::new("asked to fail"));
        }
        Ok(ctx.agent().unwrap_or("nobody").to_owned())
    }
}

/// A tool without inputs.
#[tool]
struct MacrosNoInput {}

impl MacrosNoInput {
    fn run(self) -> bool {
        true
    }
}

/// Compiled out: nothing of it may remain (the `cfg` is repeated on what `#[tool]` generates).
#[tool]
#[cfg(any())]
fn macros_compiled_out(a: NotEvenAType) -> i64 {
    a.0
}

/// Compiled out too.
#[tool]
#[cfg(any())]
struct MacrosCompiledOut {
    a: NotEvenAType,
}

// ---------------------------------------------------------------------------------------------
// Helpers.

async fn call(tool: &Tool, args: Value) -> Result<Value, ToolError> {
    tool.call(args, ToolContext::new()).await
}

fn description_of(tool: &Tool, property: &str) -> Value {
    tool.definition()["parameters"]["properties"][property]["description"].clone()
}

fn property_names(tool: &Tool) -> Vec<String> {
    tool.definition()["parameters"]["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Definitions.

#[test]
fn fn_tool_definition_comes_from_the_signature_and_docs() {
    let def = macros_add::tool().definition();
    assert_eq!(def["type"], "function");
    assert_eq!(def["name"], "macros_add");
    assert_eq!(def["description"], "Add two integers and return the sum.");
    assert_eq!(def["strict"], true);
    assert_eq!(def["parameters"]["type"], "object");
    assert_eq!(def["parameters"]["required"], json!(["a", "b"]));
    assert_eq!(def["parameters"]["properties"]["a"]["type"], "integer");
    assert_eq!(description_of(&macros_add::tool(), "a"), "First addend");
    assert_eq!(description_of(&macros_add::tool(), "b"), "Second addend");
}

#[test]
fn multi_paragraph_docs_are_kept_whole() {
    let tool = macros_divide::tool();
    assert_eq!(
        tool.description(),
        "Divide a by b.\n\nFails on a zero divisor."
    );
    assert_eq!(description_of(&tool, "b"), "Divisor, not zero");
}

#[test]
fn the_function_is_still_an_ordinary_function() {
    assert_eq!(macros_add(40, 2), 42);
    assert_eq!(macros_parse(" 7 ".into()).unwrap(), 7);
}

#[test]
fn the_context_parameter_is_not_an_input() {
    assert_eq!(property_names(&macros_greet::tool()), ["name"]);
    assert_eq!(property_names(&macros_owned_ctx::tool()), ["n"]);
}

#[test]
fn inputs_of_every_kind_keep_their_serde_names() {
    let tool = macros_kinds::tool();
    assert_eq!(
        property_names(&tool),
        ["points", "unit", "type", "query", "count"]
    );
    assert_eq!(description_of(&tool, "points"), "Points to sum");
    assert_eq!(description_of(&tool, "unit"), "The unit, if any");
}

#[test]
fn options_override_name_description_and_strictness() {
    let tool = macros_options::tool();
    assert_eq!(tool.name(), "macros-renamed");
    assert_eq!(tool.description(), "Overridden description.");
    assert!(!tool.is_strict());
    assert_eq!(tool.definition()["strict"], false);
    assert_eq!(macros_options(), "ok");
}

#[test]
fn struct_tool_definition_comes_from_the_fields_and_docs() {
    let tool = MacrosAddress::tool();
    let def = tool.definition();
    assert_eq!(def["name"], "MacrosAddress");
    assert_eq!(
        def["description"],
        "Format a postal address from a street and a zip code."
    );
    assert_eq!(def["strict"], true);
    assert_eq!(def["parameters"]["required"], json!(["street", "zip_code"]));
    assert_eq!(description_of(&tool, "street"), "Street name and number");
    assert_eq!(description_of(&tool, "zip_code"), "Numeric postal code");
    assert_eq!(MacrosAsync::tool().name(), "macros_async_struct");
    assert_eq!(property_names(&MacrosNoInput::tool()), Vec::<String>::new());
}

#[test]
fn tool_returns_the_same_tool_each_time() {
    let (a, b) = (macros_add::tool(), macros_add::tool());
    assert_eq!(a.definition(), b.definition());
}

// ---------------------------------------------------------------------------------------------
// Calls.

#[tokio::test]
async fn sync_fn_returns_its_value() {
    let out = call(&macros_add::tool(), json!({"a": 2, "b": 40}))
        .await
        .unwrap();
    assert_eq!(out, json!(42));
}

#[tokio::test]
async fn async_fn_result_ok_and_err() {
    let tool = macros_divide::tool();
    assert_eq!(
        call(&tool, json!({"a": 1.0, "b": 4.0})).await.unwrap(),
        json!(0.25)
    );
    match call(&tool, json!({"a": 1.0, "b": 0.0})).await {
        Err(ToolError::Failed(msg)) => assert_eq!(msg, "cannot divide by zero"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn any_display_error_is_a_failure_with_its_message() {
    let tool = macros_parse::tool();
    assert_eq!(call(&tool, json!({"text": "12"})).await.unwrap(), json!(12));
    match call(&tool, json!({"text": "twelve"})).await {
        Err(ToolError::Failed(msg)) => assert_eq!(msg, "invalid digit found in string"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_context_reaches_the_function() {
    let user = UserContext::default();
    user.set("plan", "pro");
    let ctx = ToolContext::new()
        .with_agent("Planner")
        .with_user_context(user.clone());
    let out = macros_greet::tool()
        .call(json!({"name": "Ada"}), ctx)
        .await
        .unwrap();
    assert_eq!(out, "Planner greets Ada (pro)");
    assert_eq!(user.get::<String>("greeted").as_deref(), Some("Ada"));

    let ctx = ToolContext::new().with_call_id("call_1");
    let out = macros_owned_ctx::tool()
        .call(json!({"n": 3}), ctx)
        .await
        .unwrap();
    assert_eq!(out, "call_1/3");
    assert_eq!(
        call(&macros_owned_ctx::tool(), json!({"n": 3}))
            .await
            .unwrap(),
        Value::Null
    );
}

#[tokio::test]
async fn inputs_of_every_kind_are_deserialized() {
    let args = json!({
        "points": [{"x": 1, "y": 2}, {"x": 10, "y": 20}],
        "unit": "celsius",
        "type": "t",
        "query": true,
        "count": 1,
    });
    let out = call(&macros_kinds::tool(), args).await.unwrap();
    assert_eq!(
        out,
        json!({"x": 11, "y": 22, "unit": "Some(Celsius)", "type": "t", "q": true, "count": 2})
    );
    let args = json!({"points": [], "unit": null, "type": "", "query": false, "count": 0});
    let out = call(&macros_kinds::tool(), args).await.unwrap();
    assert_eq!(out["unit"], "None");
}

#[tokio::test]
async fn struct_tools_run_in_every_form() {
    let user = UserContext::default();
    user.set("answer", 42);
    let ctx = || {
        ToolContext::new()
            .with_agent("Helper")
            .with_user_context(user.clone())
    };

    let out = MacrosAddress::tool()
        .call(json!({"street": "1 Main St", "zip_code": 12345}), ctx())
        .await;
    assert_eq!(out.unwrap(), "1 Main St, 12345");

    let sync_ctx = MacrosSyncCtx::tool();
    assert_eq!(
        sync_ctx
            .call(json!({"key": "answer"}), ctx())
            .await
            .unwrap(),
        42
    );
    match sync_ctx.call(json!({"key": "nope"}), ctx()).await {
        Err(ToolError::Failed(msg)) => assert_eq!(msg, "no 'nope' in the user context"),
        other => panic!("expected a failure, got {other:?}"),
    }

    let out = MacrosAsync::tool().call(json!({"n": 21}), ctx()).await;
    assert_eq!(out.unwrap(), 42);

    let async_ctx = MacrosAsyncCtx::tool();
    assert_eq!(
        async_ctx.call(json!({"fail": false}), ctx()).await.unwrap(),
        "Helper"
    );
    match async_ctx.call(json!({"fail": true}), ctx()).await {
        Err(ToolError::Failed(msg)) => assert_eq!(msg, "asked to fail"),
        other => panic!("expected a failure, got {other:?}"),
    }

    assert_eq!(call(&MacrosNoInput::tool(), json!({})).await.unwrap(), true);
}

#[tokio::test]
async fn a_panicking_tool_is_contained() {
    let tool = macros_panics::tool();
    match call(&tool, json!({"n": 1})).await {
        Err(ToolError::Panicked(name)) => assert_eq!(name, "macros_panics"),
        other => panic!("expected a panic, got {other:?}"),
    }
    // The tool still works afterwards.
    assert_eq!(call(&tool, json!({"n": 0})).await.unwrap(), 0);
}

#[tokio::test]
async fn invalid_arguments_are_refused_before_the_tool_runs() {
    match call(&macros_add::tool(), json!({"a": 1})).await {
        Err(ToolError::InvalidArguments { tool, errors }) => {
            assert_eq!(tool, "macros_add");
            assert!(!errors.is_empty());
        }
        other => panic!("expected invalid arguments, got {other:?}"),
    }
    match call(
        &MacrosAddress::tool(),
        json!({"street": "x", "zip_code": "not a zip"}),
    )
    .await
    {
        Err(ToolError::InvalidArguments { tool, .. }) => assert_eq!(tool, "MacrosAddress"),
        other => panic!("expected invalid arguments, got {other:?}"),
    }
}

#[tokio::test]
async fn tools_can_be_defined_inside_a_function() {
    /// A local input type.
    #[derive(Deserialize, JsonSchema)]
    struct Local {
        v: i64,
    }

    /// Negate a local value.
    #[tool]
    fn macros_local(
        /// The value
        local: Local,
    ) -> i64 {
        -local.v
    }

    /// A local struct tool.
    #[tool]
    struct MacrosLocalStruct {
        s: String,
    }

    impl MacrosLocalStruct {
        fn run(self) -> usize {
            self.s.len()
        }
    }

    let out = call(&macros_local::tool(), json!({"local": {"v": 5}})).await;
    assert_eq!(out.unwrap(), -5);
    let out = call(&MacrosLocalStruct::tool(), json!({"s": "four"})).await;
    assert_eq!(out.unwrap(), 4);
    let tools = Toolbox::discover().unwrap();
    assert!(tools.get("macros_local").is_some() && tools.get("MacrosLocalStruct").is_some());
}

// ---------------------------------------------------------------------------------------------
// Registration.

#[test]
fn discover_finds_the_tools_defined_here() {
    let tools = Toolbox::discover().unwrap();
    assert!(tools.get("macros_compiled_out").is_none());
    for name in [
        "macros_add",
        "macros_divide",
        "macros_greet",
        "macros_kinds",
        "macros-renamed",
        "MacrosAddress",
        "MacrosSyncCtx",
        "macros_async_struct",
        "MacrosAsyncCtx",
    ] {
        let tool = tools
            .get(name)
            .unwrap_or_else(|| panic!("{name} not discovered"));
        assert_eq!(tool.name(), name);
    }
    assert_eq!(
        tools.get("macros_add").unwrap().definition(),
        macros_add::tool().definition()
    );
}

#[test]
fn a_duplicate_name_is_refused_naming_both_places() {
    let discovered = Toolbox::discover().unwrap();
    let err = discovered.with(macros_add::tool()).unwrap_err();
    let RegistryError::DuplicateTool {
        name,
        first,
        second,
    } = &err
    else {
        panic!("expected a duplicate, got {err:?}");
    };
    assert_eq!(name, "macros_add");
    let (file, line) = first.rsplit_once(':').unwrap();
    assert_eq!(file, "defined at tests/it/macros.rs");
    assert!(line.parse::<u32>().unwrap() > 0);
    assert_eq!(second, "registered explicitly");
    let message = err.to_string();
    assert!(message.contains(first.as_str()) && message.contains("registered explicitly"));

    let err = Toolbox::new()
        .with(MacrosAddress::tool())
        .unwrap()
        .with(MacrosAddress::tool())
        .unwrap_err();
    assert!(matches!(err, RegistryError::DuplicateTool { name, .. } if name == "MacrosAddress"));
}
