//! `#[agent]` and `#[agency]`, checked through the agents and agencies they build, and a run of a
//! macro-defined agent against the fake OpenAI server.
//!
//! Tool, agent and agency names here start with `agent_macros_` / `AgentMacros`: the whole test
//! binary shares one inventory.

use agency::model::ClientConfig;
use agency::prelude::*;
use agency::schemars::JsonSchema;
use agency::{AgencyRegistration, AgentRegistration, IntoAgency, IntoAgent, RunConfig};
use agency_testing::{FakeOpenAi, Reply};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Tools.

/// Add two integers and return the sum.
#[tool]
fn agent_macros_add(
    /// First addend
    a: i64,
    /// Second addend
    b: i64,
) -> i64 {
    a + b
}

/// Format a postal address from a street and a zip code.
#[tool]
struct AgentMacrosAddress {
    /// Street name and number
    street: String,
    /// Numeric postal code
    zip_code: u32,
}

impl AgentMacrosAddress {
    fn run(self, ctx: &ToolContext) -> String {
        format!(
            "{}, {} (for {})",
            self.street,
            self.zip_code,
            ctx.agent().unwrap_or("nobody")
        )
    }
}

mod nested {
    use agency::prelude::*;

    /// Repeat a text.
    #[tool(name = "agent_macros_echo")]
    pub fn echo(text: String) -> String {
        text
    }
}

// ---------------------------------------------------------------------------------------------
// Agents.

/// The weather in a city, as a structured answer.
#[derive(JsonSchema)]
#[schemars(crate = "agency::schemars")]
#[allow(dead_code)] // only its schema is used
struct AgentMacrosWeather {
    /// The city
    city: String,
    /// Degrees Celsius
    celsius: f64,
    /// Any warning
    warning: Option<String>,
}

/// General assistant used for benchmarking.
///
/// Second paragraph of the description.
#[agent(
    instructions = "You are a helpful assistant. Use the tools when asked.",
    tools = [agent_macros_add, AgentMacrosAddress, nested::echo],
    model = "gpt-4o",
    temperature = 0.2,
    top_p = 0.9,
    max_output_tokens = 512,
    reasoning_effort = "low",
    parallel_tool_calls = true,
    tool_choice = "auto",
    include_usage = true,
    conversation_starters = ["What is 2 + 40?", "Format my address"],
    quick_replies = ["Thanks"],
    max_turns = 10,
)]
struct AgentMacrosAssistant;

/// This doc comment is not the description.
#[agent(
    name = "Agent Macros Researcher",
    description = "Researches topics.",
    instructions_file = "tests/it/fixtures/agent_macros_instructions.md",
    temperature = 1
)]
pub struct AgentMacrosResearcher;

/// Reports the weather as JSON.
#[agent(output = AgentMacrosWeather, model = "gpt-4o-mini", parallel_tool_calls = false)]
struct AgentMacrosReporter;

#[agent]
struct AgentMacrosBare;

/// Compiled out: nothing of it may remain (the `cfg` is repeated on what `#[agent]` generates).
#[agent(tools = [not_even_a_path_that_resolves], output = NotEvenAType)]
#[cfg(any())]
struct AgentMacrosCompiledOut;

// ---------------------------------------------------------------------------------------------
// Agencies.

#[agency]
fn agent_macros_demo() -> AgencyBuilder {
    Agency::builder("agent_macros_demo")
        .entry(AgentMacrosAssistant)
        .flow(AgentMacrosAssistant, AgentMacrosResearcher)
}

#[agency]
pub(crate) fn agent_macros_built() -> Agency {
    match Agency::builder("agent_macros_built")
        .entry(AgentMacrosReporter)
        .build()
    {
        Ok(agency) => agency,
        Err(e) => panic!("{e}"),
    }
}

/// A factory that fails: the server reports it per request.
#[agency]
fn agent_macros_broken() -> Result<Agency, AgencyError> {
    Agency::builder("agent_macros/broken")
        .entry(AgentMacrosBare)
        .build()
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn config(fake: &FakeOpenAi) -> RunConfig {
    RunConfig::default().client(ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("test-key".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    })
}

fn registered_agency(name: &str) -> &'static AgencyRegistration {
    AgencyRegistration::all()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no #[agency] named {name}"))
}

// ---------------------------------------------------------------------------------------------
// Agents.

#[test]
fn every_option_lands_in_the_agent() {
    let agent = AgentMacrosAssistant::agent();
    assert_eq!(agent.name(), "AgentMacrosAssistant");
    assert_eq!(
        agent.description(),
        "General assistant used for benchmarking.\n\nSecond paragraph of the description."
    );
    assert_eq!(
        agent.instructions(),
        "You are a helpful assistant. Use the tools when asked."
    );
    assert_eq!(agent.model(), "gpt-4o");
    let s = agent.settings();
    assert_eq!(s.temperature, Some(0.2));
    assert_eq!(s.top_p, Some(0.9));
    assert_eq!(s.max_output_tokens, Some(512));
    assert_eq!(s.reasoning_effort.as_deref(), Some("low"));
    assert_eq!(s.parallel_tool_calls, Some(true));
    assert_eq!(s.tool_choice.as_deref(), Some("auto"));
    assert_eq!(s.include_usage, Some(true));
    assert_eq!(
        agent.conversation_starters(),
        ["What is 2 + 40?", "Format my address"]
    );
    assert_eq!(agent.quick_replies(), ["Thanks"]);
    assert!(agent.output_schema().is_none());
    assert_eq!(agent.max_turns(), 10);
}

#[test]
fn tools_are_the_tool_items_with_their_definitions() {
    let agent = AgentMacrosAssistant::agent();
    let names: Vec<&str> = agent.tools().iter().map(Tool::name).collect();
    assert_eq!(
        names,
        [
            "agent_macros_add",
            "AgentMacrosAddress",
            "agent_macros_echo"
        ]
    );
    let expected = [
        agent_macros_add::tool(),
        AgentMacrosAddress::tool(),
        nested::echo::tool(),
    ];
    for (tool, expected) in agent.tools().iter().zip(&expected) {
        assert_eq!(tool.definition(), expected.definition());
    }
    let add = agent.tools()[0].definition();
    assert_eq!(add["description"], "Add two integers and return the sum.");
    assert_eq!(
        add["parameters"]["properties"]["a"]["description"],
        "First addend"
    );
}

#[test]
fn name_description_and_instructions_file_options() {
    let agent = AgentMacrosResearcher::agent();
    assert_eq!(agent.name(), "Agent Macros Researcher");
    assert_eq!(agent.description(), "Researches topics.");
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/agent_macros_instructions.md"
    ))
    .unwrap();
    assert_eq!(agent.instructions(), fixture);
    assert!(agent.instructions().contains("Never invent a source."));
    assert_eq!(agent.settings().temperature, Some(1.0));
    assert!(agent.tools().is_empty());
}

#[test]
fn output_type_is_a_strict_schema() {
    let agent = AgentMacrosReporter::agent();
    assert_eq!(agent.model(), "gpt-4o-mini");
    assert_eq!(agent.description(), "Reports the weather as JSON.");
    assert_eq!(agent.settings().parallel_tool_calls, Some(false));
    let output = agent.output_schema().unwrap();
    assert!(output.strict);
    assert_eq!(output.name, "AgentMacrosWeather");
    assert_eq!(output.schema["additionalProperties"], false);
    assert_eq!(
        output.schema["required"],
        json!(["city", "celsius", "warning"])
    );
    assert_eq!(
        output.schema["properties"]["city"]["description"],
        "The city"
    );
}

#[test]
fn a_bare_agent_takes_the_runtime_defaults() {
    let agent = AgentMacrosBare::agent();
    assert_eq!(agent.name(), "AgentMacrosBare");
    assert_eq!(agent.description(), "");
    assert_eq!(agent.instructions(), "");
    assert!(agent.tools().is_empty());
    assert_eq!(agent.model(), agency::default_model());
    assert_eq!(*agent.settings(), Default::default());
    assert!(agent.conversation_starters().is_empty() && agent.quick_replies().is_empty());
    assert_eq!(agent.max_turns(), agency::DEFAULT_MAX_TURNS);
}

#[test]
fn the_agent_is_built_once_and_cloned() {
    let a = AgentMacrosAssistant::agent();
    assert!(a.ptr_eq(&AgentMacrosAssistant::agent()));
    assert!(a.ptr_eq(&AgentMacrosAssistant.into_agent()));
    // Its tools too: the tool items hand out clones of one tool.
    assert_eq!(a.tools().len(), 3);
}

#[test]
fn agents_are_registered() {
    let all = AgentRegistration::all();
    let names: Vec<&str> = all.iter().map(|r| r.name).collect();
    for name in [
        "AgentMacrosAssistant",
        "Agent Macros Researcher",
        "AgentMacrosReporter",
        "AgentMacrosBare",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(!names.contains(&"AgentMacrosCompiledOut"));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let researcher = all
        .iter()
        .find(|r| r.name == "Agent Macros Researcher")
        .unwrap();
    assert!(
        researcher.location.starts_with("tests/it/agent_macros.rs:"),
        "{}",
        researcher.location
    );
    assert!((researcher.build)().ptr_eq(&AgentMacrosResearcher::agent()));
}

// ---------------------------------------------------------------------------------------------
// Agencies.

#[test]
fn agent_structs_go_where_agents_do() {
    let agency = Agency::builder("agent_macros_inline")
        .entry(AgentMacrosAssistant)
        .flow(AgentMacrosAssistant, AgentMacrosResearcher)
        .handoff(AgentMacrosAssistant, AgentMacrosReporter)
        .build()
        .unwrap();
    assert_eq!(
        agency.agent_names(),
        [
            "AgentMacrosAssistant",
            "Agent Macros Researcher",
            "AgentMacrosReporter"
        ]
    );
    let assistant = agency.agent("AgentMacrosAssistant").unwrap();
    let tools: Vec<&str> = assistant.tools().iter().map(Tool::name).collect();
    assert!(tools.contains(&"agent_macros_add"), "{tools:?}");
    assert!(tools.contains(&"send_message"), "{tools:?}");
    assert!(
        tools.iter().any(|t| t.starts_with("transfer_to_")),
        "{tools:?}"
    );
    assert_eq!(
        agency.flows(),
        [(
            "AgentMacrosAssistant".to_owned(),
            "Agent Macros Researcher".to_owned()
        )]
    );
}

#[test]
fn agency_factories_are_registered() {
    let names: Vec<&str> = AgencyRegistration::all().iter().map(|r| r.name).collect();
    for name in [
        "agent_macros_demo",
        "agent_macros_built",
        "agent_macros_broken",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    let demo = registered_agency("agent_macros_demo");
    assert!(
        demo.location.starts_with("tests/it/agent_macros.rs:"),
        "{}",
        demo.location
    );
    let agency = (demo.build)().unwrap();
    assert_eq!(agency.name(), "agent_macros_demo");
    assert_eq!(agency.entry_points(), ["AgentMacrosAssistant"]);
    assert_eq!(
        agency.agent_names(),
        ["AgentMacrosAssistant", "Agent Macros Researcher"]
    );
    // Each call builds a new agency; the function itself is still callable.
    let again = (demo.build)().unwrap();
    assert_eq!(again.flows(), agency.flows());
    assert_eq!(
        agent_macros_demo().into_agency().unwrap().flows(),
        agency.flows()
    );

    let built = (registered_agency("agent_macros_built").build)().unwrap();
    assert_eq!(built.agent_names(), ["AgentMacrosReporter"]);

    let broken = (registered_agency("agent_macros_broken").build)().unwrap_err();
    assert_eq!(
        broken,
        AgencyError::InvalidName("agent_macros/broken".to_owned())
    );
}

// ---------------------------------------------------------------------------------------------
// Runs against the fake OpenAI server.

#[tokio::test]
async fn a_macro_agent_runs_and_calls_its_tools() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::function_calls([
        ("agent_macros_add", json!({"a": 2, "b": 40})),
        (
            "AgentMacrosAddress",
            json!({"street": "1 Main St", "zip_code": 12345}),
        ),
    ]))
    .push(Reply::text("2 + 40 = 42."));
    let out = AgentMacrosAssistant::agent()
        .run("What is 2 + 40?", config(&fake))
        .await
        .unwrap();
    assert_eq!(out.final_output, "2 + 40 = 42.");
    let mut outputs: Vec<&str> = out
        .new_items
        .iter()
        .filter_map(|e| match &e.item {
            agency::Item::FunctionCallOutput(o) => Some(o.output.as_str()),
            _ => None,
        })
        .collect();
    // Recorded as the calls finish: the order of two sync tools on the blocking pool varies.
    outputs.sort_unstable();
    assert_eq!(
        outputs,
        ["1 Main St, 12345 (for AgentMacrosAssistant)", "42"]
    );

    // What the model was sent: the options, on the wire.
    let first = &fake.requests()[0];
    let body = &first.body;
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(
        body["instructions"],
        "You are a helpful assistant. Use the tools when asked."
    );
    assert_eq!(
        first.tool_names(),
        [
            "agent_macros_add",
            "AgentMacrosAddress",
            "agent_macros_echo"
        ]
    );
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["max_output_tokens"], 512);
    assert_eq!(body["reasoning"], json!({"effort": "low"}));
    assert_eq!(body["parallel_tool_calls"], true);
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(first.tool("agent_macros_add").unwrap()["strict"], true);
}

#[tokio::test]
async fn a_registered_agency_runs_with_a_structured_answer() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text(
        json!({"city": "Paris", "celsius": 21.5, "warning": null}).to_string(),
    ));
    let agency = (registered_agency("agent_macros_built").build)().unwrap();
    let out = agency
        .run("Weather in Paris?", None, config(&fake))
        .await
        .unwrap();
    assert_eq!(out.final_output["city"], "Paris");
    assert_eq!(out.final_output["celsius"], 21.5);
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.body["model"], "gpt-4o-mini");
    let format = &sent.body["text"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["name"], "AgentMacrosWeather");
    assert_eq!(format["strict"], true);
    assert_eq!(
        format["schema"]["required"],
        json!(["city", "celsius", "warning"])
    );
    assert!(matches!(out.final_output, Value::Object(_)));
}
