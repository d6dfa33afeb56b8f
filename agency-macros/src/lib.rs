//! Procedural macros of agency-rs. Use them through the `agency` crate, which re-exports them;
//! this crate only parses and generates code, the runtime is `agency-core`.

#![warn(missing_docs)]

use proc_macro::TokenStream;

mod agency;
mod agent;
mod agent_options;
mod crate_path;
mod docs;
mod errors;
mod names;
mod options;
mod params;
mod registration;
mod tool_fn;
mod tool_meta;
mod tool_struct;

/// Turns a function or a struct into a tool: a name, a description, a JSON schema of its input
/// generated from the Rust types, and the code to run. The model calls it; the HTTP server
/// serves it as `POST /tool/{name}`.
///
/// # On a function
///
/// The parameters are the tool's inputs; the doc comment is the tool's description and each
/// parameter's doc comment its property's description. The function stays an ordinary function;
/// `name::tool()` gives the [`Tool`](../agency/struct.Tool.html).
///
/// ```
/// use agency::prelude::*;
///
/// /// Add two integers and return the sum.
/// #[tool]
/// fn add(
///     /// First addend
///     a: i64,
///     /// Second addend
///     b: i64,
/// ) -> i64 {
///     a + b
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(add(40, 2), 42);
///
/// let tool = add::tool();
/// assert_eq!(tool.name(), "add");
/// assert_eq!(tool.description(), "Add two integers and return the sum.");
/// let def = tool.definition();
/// assert_eq!(def["parameters"]["properties"]["a"]["description"], "First addend");
/// assert_eq!(def["parameters"]["required"], serde_json::json!(["a", "b"]));
///
/// let sum = tool.call(serde_json::json!({"a": 40, "b": 2}), ToolContext::new()).await;
/// assert_eq!(sum.unwrap(), 42);
/// # }
/// ```
///
/// - **Parameters** may be of any type that is `Deserialize + JsonSchema` and owns its data:
///   numbers, `String`, `bool`, `Vec<T>`, `Option<T>` (optional input), your own structs and
///   enums (derive `serde::Deserialize` and `schemars::JsonSchema` on them). `#[serde(...)]` and
///   `#[schemars(...)]` attributes on a parameter apply to its property
///   (`#[serde(rename = "query")] q: String`).
/// - **The context**: a parameter of type `&ToolContext` (or `ToolContext`) receives the call's
///   [`ToolContext`](../agency/struct.ToolContext.html) (the agent, the user context, the
///   cancellation); it is not part of the schema.
/// - **The function** may be `async` or not, and return any `T: Serialize` (the tool's output)
///   or a `Result<T, E>` where `E: Display` (`ToolError` or any error type): an `Err` fails the
///   call with `ToolError::Failed(e.to_string())`, which the model sees and the HTTP server
///   answers with `500 {"error": "..."}`. A panic is caught and reported as
///   `ToolError::Panicked`.
///
/// ```
/// use agency::prelude::*;
///
/// /// Greet someone on behalf of the calling agent.
/// #[tool]
/// async fn greet(name: String, ctx: &ToolContext) -> Result<String, ToolError> {
///     if name.is_empty() {
///         return Err(ToolError::new("the name is empty"));
///     }
///     Ok(format!("{} greets {name}", ctx.agent().unwrap_or("nobody")))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ctx = ToolContext::new().with_agent("Planner");
/// let out = greet::tool().call(serde_json::json!({"name": "Ada"}), ctx).await;
/// assert_eq!(out.unwrap(), "Planner greets Ada");
///
/// let err = greet::tool().call(serde_json::json!({"name": ""}), ToolContext::new()).await;
/// assert_eq!(err.unwrap_err().to_string(), "the name is empty");
/// # }
/// ```
///
/// # On a struct
///
/// The fields are the inputs, the struct's doc comment is the description, and its `run`
/// method is the code: `fn run(self)` or `fn run(self, ctx: &ToolContext)`, `async` or not,
/// returning a value or a `Result` as above. `#[tool]` derives `Deserialize` and `JsonSchema` on
/// the struct itself (naming serde and schemars through `agency`, so your crate needs neither):
/// do not derive them yourself. `#[serde(...)]` and `#[schemars(...)]` attributes work as
/// usual. `Address::tool()` gives the tool.
///
/// ```
/// use agency::prelude::*;
///
/// /// Format a postal address from a street and a zip code.
/// #[tool]
/// struct Address {
///     /// Street name and number
///     street: String,
///     /// Numeric postal code
///     zip_code: u32,
/// }
///
/// impl Address {
///     async fn run(self, ctx: &ToolContext) -> Result<String, ToolError> {
///         let country: Option<String> = ctx.user_context().get("country");
///         Ok(format!("{}, {} {}", self.street, self.zip_code, country.unwrap_or_default()))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let tool = Address::tool();
/// assert_eq!(tool.name(), "Address");
/// let ctx = ToolContext::new();
/// ctx.user_context().set("country", "FR");
/// let args = serde_json::json!({"street": "1 rue de la Paix", "zip_code": 75002});
/// assert_eq!(tool.call(args, ctx).await.unwrap(), "1 rue de la Paix, 75002 FR");
/// # }
/// ```
///
/// # Options
///
/// `#[tool(name = "...", description = "...", strict = false, timeout = "30s")]`, each optional:
///
/// - `name`: the tool's name instead of the item's (it must match `^[a-zA-Z0-9_-]{1,64}$`,
///   checked at compile time);
/// - `description`: instead of the doc comment;
/// - `strict`: `false` sends the tool to the model without OpenAI strict mode (default `true`;
///   an input that cannot be strict, a map for example, makes the tool non-strict with a
///   warning either way);
/// - `timeout`: the longest a call may take (`"30s"`, `"2m"`, `"500ms"`; default the server's,
///   60 s): past it the call is stopped, the model gets an output that says so, and
///   `POST /tool/{name}` answers 504.
///
/// A synchronous function (or `fn run`) runs on tokio's blocking pool, so a slow one never
/// stalls the server's async workers.
///
/// ```
/// use agency::prelude::*;
///
/// /// Internal notes, not for the model.
/// #[tool(name = "lookup-user", description = "Find a user by email.", strict = false, timeout = "5s")]
/// fn lookup(email: String) -> Option<u64> {
///     email.contains('@').then_some(7)
/// }
///
/// let tool = lookup::tool();
/// assert_eq!((tool.name(), tool.description()), ("lookup-user", "Find a user by email."));
/// assert!(!tool.is_strict());
/// assert_eq!(tool.timeout(), Some(std::time::Duration::from_secs(5)));
/// ```
///
/// # Registration
///
/// Every `#[tool]` registers itself: `Toolbox::discover()` returns the tools of every crate
/// linked into the program, with no list kept by hand. A crate that is only listed in
/// `Cargo.toml` and never named in code is not linked: name it (`use my_tools as _;`). Two tools
/// with one name are refused when they are collected, naming both places.
///
/// # What it refuses at compile time
///
/// An invalid tool name; a generic function or struct (`impl Trait` parameters included); a
/// method (a `self` parameter); a parameter that is not a plain name, or two with one name; a
/// borrowed parameter (`&str`: take `String`); a parameter type without `JsonSchema` or
/// `Deserialize`; a struct without named fields, without a fitting `run`, or deriving
/// `Deserialize`/`JsonSchema` itself; an unknown option; any other item.
///
/// # What it generates
///
/// For a function `add`: the function (minus its parameters' doc comments, which rustc would
/// refuse), a hidden braced struct `add` (types and functions live in different namespaces, so
/// `add(1, 2)` still calls the function) whose `add::tool()` builds the tool once and hands out
/// clones, and an `inventory` registration. For a struct: the derives, an inherent
/// `pub fn tool() -> Tool`, and the registration. A tool struct or function must not define
/// another `tool` associated function.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr.into(), item.into()).into()
}

/// Turns a unit struct into an agent: a name, a description, instructions, tools and a model,
/// set by the attribute's options. `Assistant::agent()` gives the
/// [`Agent`](../agency/struct.Agent.html), and the struct itself goes wherever an agent does
/// (`Agency::builder("demo").entry(Assistant).flow(Assistant, Researcher)`).
///
/// ```
/// use agency::prelude::*;
///
/// /// Add two integers and return the sum.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// /// General assistant used for benchmarking.
/// #[agent(
///     instructions = "You are a helpful assistant. Use the tools when asked.",
///     tools = [add],
///     model = "gpt-4o",
///     temperature = 0.2,
///     conversation_starters = ["What is 2 + 40?"],
/// )]
/// struct Assistant;
///
/// let agent = Assistant::agent();
/// assert_eq!(agent.name(), "Assistant");
/// assert_eq!(agent.description(), "General assistant used for benchmarking.");
/// assert_eq!(agent.tools()[0].name(), "add");
/// assert_eq!(agent.settings().temperature, Some(0.2));
///
/// let agency = Agency::builder("demo").entry(Assistant).build().unwrap();
/// assert_eq!(agency.agent_names(), ["Assistant"]);
/// ```
///
/// # Options
///
/// Each is optional; values are literals, checked at compile time.
///
/// | option | value | default |
/// |---|---|---|
/// | `name` | `"Assistant"`: any non-empty string without `/` | the struct's name |
/// | `description` | `"What the agent does."` (other agents read it) | the doc comment |
/// | `instructions` | `"You are a helpful assistant."` | none |
/// | `instructions_file` | `"prompts/assistant.md"`, relative to the crate's directory (where its `Cargo.toml` is), read at compile time: editing it rebuilds the program | none |
/// | `tools` | `[add, tools::Address]`: paths to `#[tool]` functions and structs | none |
/// | `model` | `"gpt-4o"` | `AGENCY_MODEL` at run time, else `gpt-4o` |
/// | `temperature` | a number from 0 to 2 | the provider's |
/// | `top_p` | a number from 0 to 1 | the provider's |
/// | `max_output_tokens` | a positive integer | the provider's |
/// | `reasoning_effort` | `"none"`, `"minimal"`, `"low"`, `"medium"`, `"high"` or `"xhigh"` | the provider's |
/// | `parallel_tool_calls` | `true` or `false` | the provider's |
/// | `tool_choice` | `"auto"`, `"required"`, `"none"` or a tool's name (a forced one holds until the tools were called once in a run) | the provider's |
/// | `include_usage` | `true` or `false` (Chat Completions servers) | on |
/// | `conversation_starters` | `["What is 2 + 40?", ...]` | none |
/// | `quick_replies` | `["Thanks", ...]` | none |
/// | `output` | a type that implements `JsonSchema`: the final answer is a JSON value of it (strict structured output) | text |
/// | `max_turns` | a positive integer: the most model turns of one run | 25 |
///
/// `instructions` and `instructions_file` exclude each other.
///
/// ```
/// use agency::prelude::*;
/// use agency::schemars::JsonSchema;
///
/// /// The weather somewhere.
/// #[derive(JsonSchema)]
/// #[schemars(crate = "agency::schemars")]
/// struct Weather {
///     city: String,
///     celsius: f64,
/// }
///
/// /// Reports the weather as JSON.
/// #[agent(name = "Weather Reporter", output = Weather, max_turns = 3, reasoning_effort = "low")]
/// struct Reporter;
///
/// let agent = Reporter::agent();
/// assert_eq!(agent.name(), "Weather Reporter");
/// let output = agent.output_schema().unwrap();
/// assert!(output.strict);
/// assert_eq!(output.schema["required"], serde_json::json!(["city", "celsius"]));
/// assert_eq!(agent.max_turns(), 3);
/// ```
///
/// # Registration
///
/// Every `#[agent]` registers itself: `AgentRegistration::all()` lists the agents of every crate
/// linked into the program.
///
/// # What it refuses at compile time
///
/// An unknown option (with the list of valid ones), a value of the wrong kind or out of range, an
/// option given twice, `instructions` with `instructions_file`, a file that does not exist, an
/// item in `tools` that is not a `#[tool]` (rustc says "expected type, found function" for a
/// plain function, "... is not a tool: mark it with #[tool]" for other types), an `output` type
/// without `JsonSchema`, and anything but a unit struct without generics.
///
/// # What it generates
///
/// The struct unchanged; an inherent `pub fn agent() -> Agent` that builds the agent once (in a
/// `LazyLock`) with [`Agent::builder`](../agency/struct.Agent.html#method.builder) and hands
/// out clones; `impl IntoAgent for Assistant`; an `inventory` registration. An agent struct must
/// not define another `agent` associated function.
#[proc_macro_attribute]
pub fn agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    agent::expand_attribute(attr.into(), item.into()).into()
}

/// Registers a function that builds an agency, so the server (`agency::main()`) finds and serves
/// it with no list kept by hand. The function stays an ordinary function.
///
/// It takes no parameters and returns anything that
/// [`IntoAgency`](../agency/trait.IntoAgency.html): an `AgencyBuilder`, an `Agency`, or a
/// `Result<Agency, E>` with `E: Into<AgencyError>`. The server calls it once per request, so
/// requests share no state; keep it cheap (`#[agent]` structs build their agent once and clone
/// it).
///
/// ```
/// use agency::prelude::*;
/// use agency::AgencyRegistration;
///
/// /// Answers questions.
/// #[agent(instructions = "You are a helpful assistant.")]
/// struct Assistant;
///
/// /// Researches what the assistant asks.
/// #[agent(instructions = "You research topics.")]
/// struct Researcher;
///
/// #[agency]
/// fn demo() -> AgencyBuilder {
///     Agency::builder("demo").entry(Assistant).flow(Assistant, Researcher)
/// }
///
/// let registration = AgencyRegistration::all().into_iter().find(|r| r.name == "demo").unwrap();
/// let agency = (registration.build)().unwrap();
/// assert_eq!(agency.agent_names(), ["Assistant", "Researcher"]);
/// assert_eq!(demo().build().unwrap().flows(), agency.flows());
/// ```
///
/// The registration's name is the function's. `#[agency]` refuses options, and a generic,
/// `async` or `unsafe` function, one with parameters, and any other item.
#[proc_macro_attribute]
pub fn agency(attr: TokenStream, item: TokenStream) -> TokenStream {
    agency::expand_attribute(attr.into(), item.into()).into()
}

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    // A bad option is reported with the rest; the item is still expanded with the defaults.
    let mut errors = errors::Errors::default();
    let options = options::Options::parse(attr).unwrap_or_else(|error| {
        errors.push(error);
        options::Options::default()
    });
    let rt = crate_path::runtime_path();
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(f)) => tool_fn::expand(options, f, &rt, errors),
        Ok(syn::Item::Struct(s)) => tool_struct::expand(options, s, &rt, errors),
        Ok(other) => {
            errors.at_span(
                item_keyword_span(&other),
                "#[tool] goes on a function (its parameters are the tool's inputs) or on a struct \
                 with named fields (its fields are the inputs, its `run` method the code)",
            );
            errors.followed_by(other)
        }
        Err(error) => {
            errors.push(error);
            errors.followed_by(item)
        }
    }
}

/// The span of the keyword that says what `item` is (`enum`, `impl`, ...), for errors.
fn item_keyword_span(item: &syn::Item) -> proc_macro2::Span {
    use syn::spanned::Spanned;
    match item {
        syn::Item::Enum(i) => i.enum_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Trait(i) => i.trait_token.span,
        syn::Item::Union(i) => i.union_token.span,
        syn::Item::Mod(i) => i.mod_token.span,
        syn::Item::Const(i) => i.const_token.span,
        syn::Item::Static(i) => i.static_token.span,
        syn::Item::Type(i) => i.type_token.span,
        syn::Item::Use(i) => i.use_token.span,
        other => other.span(),
    }
}
