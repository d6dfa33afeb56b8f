//! The terminal conversation of `agency::main()` (`chat` and `run`), through [`agency::Chat`]
//! against the fake OpenAI server: what it prints for delegations, tool calls and handoffs, and
//! that it keeps the conversation across turns.

use agency::model::ClientConfig;
use agency::{Agency, Agent, Chat, RunConfig, Tool, ToolError};
use agency_testing::{FakeOpenAi, Reply};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::add_tool;

fn config(fake: &FakeOpenAi) -> RunConfig {
    RunConfig::default().client(ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("test".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    })
}

fn agent(name: &'static str) -> agency::AgentBuilder {
    Agent::builder(name)
        .description(format!("The {name}."))
        .instructions(format!("You are the {name}."))
        .model("gpt-4o-mini")
}

/// CEO → Developer (with `add`).
fn company() -> Agency {
    let ceo = agent("CEO").build();
    let developer = agent("Developer").tool(add_tool()).build();
    Agency::builder("Company")
        .entry(ceo.clone())
        .flow(ceo, developer)
        .build()
        .unwrap()
}

/// The arguments of `refund_status`.
#[derive(JsonSchema, Deserialize)]
struct Order {
    /// The order, like A-17
    order_id: String,
}

/// Triage ⇒ Billing (with `refund_status`).
fn helpdesk() -> Agency {
    let refund_status = Tool::builder("refund_status")
        .description("Where the refund of an order stands.")
        .handler(|order: Order, _ctx| async move {
            Ok::<_, ToolError>(format!("refund for {}: sent", order.order_id))
        });
    let triage = agent("Triage").build();
    let billing = agent("Billing").tool(refund_status).build();
    Agency::builder("Helpdesk")
        .entry(triage.clone())
        .handoff(triage, billing)
        .build()
        .unwrap()
}

/// The printed text without its last line (the usage, whose cost depends on the price table),
/// after checking that line's shape.
fn without_usage(out: &[u8]) -> String {
    let text = String::from_utf8(out.to_vec()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let usage = lines.pop().unwrap_or_default();
    assert!(
        usage.starts_with('(') && usage.contains("model call") && usage.ends_with(')'),
        "no usage line at the end of {text:?}"
    );
    lines.join("\n")
}

fn texts(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter(|i| i["type"].as_str().unwrap_or("message") == "message")
        .map(|i| match &i["content"] {
            Value::String(s) => format!("{}: {s}", i["role"].as_str().unwrap_or("?")),
            Value::Array(parts) => format!(
                "{}: {}",
                i["role"].as_str().unwrap_or("?"),
                parts
                    .iter()
                    .filter_map(|p| p["text"].as_str())
                    .collect::<String>()
            ),
            _ => String::new(),
        })
        .collect()
}

#[tokio::test]
async fn run_prints_the_delegation_the_sub_agents_answer_and_the_final_answer() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([
        Reply::function_call(
            "send_message",
            json!({"recipient_agent": "Developer", "message": "What is 2 + 40?", "additional_instructions": ""}),
        ),
        Reply::function_call("add", json!({"a": 2, "b": 40})),
        Reply::text("It is 42."),
        Reply::text("The Developer says 42."),
    ]);
    let mut chat = Chat::new(company()).config(config(&fake));
    let mut out = Vec::new();
    let output = chat.send("What is 2 + 40?", &mut out).await.unwrap();
    assert_eq!(output.final_output, "The Developer says 42.");
    assert_eq!(
        without_usage(&out),
        [
            "→ CEO asks Developer: What is 2 + 40?",
            r#"  · add({"a":2,"b":40}) = 42"#,
            "  Developer: It is 42.",
            "CEO: The Developer says 42.",
        ]
        .join("\n")
    );
    assert_eq!(fake.request_count(), 4);
    assert_eq!(chat.history().len(), output.new_items.len());
}

#[tokio::test]
async fn chat_keeps_the_conversation_across_turns() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([Reply::text("Hello there."), Reply::text("Still here.")]);
    let mut chat = Chat::new(company()).config(config(&fake));
    let mut out = Vec::new();
    let input: &[u8] = b"Hi\n\n   \nAnd again?\n/exit\nnever sent\n";
    chat.run(input, &mut out).await.unwrap();

    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('(')).collect();
    assert_eq!(lines, ["CEO: Hello there.", "CEO: Still here."], "{text}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "the empty lines and /exit are not sent");
    assert_eq!(
        texts(&requests[1].input_items()),
        ["user: Hi", "assistant: Hello there.", "user: And again?"]
    );
    assert_eq!(chat.history().len(), 4);
}

#[tokio::test]
async fn a_handoff_and_the_new_agents_tool_call_are_shown() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([
        Reply::function_call(agency::run::transfer_tool_name("Billing"), json!({})),
        Reply::function_call("refund_status", json!({"order_id": "A-17"})),
        Reply::text("Your refund for A-17\nwas sent."),
    ]);
    let mut chat = Chat::new(helpdesk()).config(config(&fake));
    let mut out = Vec::new();
    chat.send("Where is my refund?", &mut out).await.unwrap();
    assert_eq!(
        without_usage(&out),
        [
            "⇒ Triage hands off to Billing",
            r#"· refund_status({"order_id":"A-17"}) = "refund for A-17: sent""#,
            "Billing: Your refund for A-17",
            "         was sent.",
        ]
        .join("\n")
    );
}

#[tokio::test]
async fn a_failed_turn_is_reported_and_the_chat_goes_on() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::error(400, "This model is not available"));
    let mut chat = Chat::new(company()).config(config(&fake));

    // One turn (`run`): the failure is the error.
    let mut out = Vec::new();
    let err = chat.send("Hi", &mut out).await.unwrap_err();
    assert!(matches!(err, agency::Error::Run(_)), "{err:?}");
    assert!(
        err.to_string().contains("This model is not available"),
        "{err}"
    );
    assert!(chat.history().is_empty(), "a failed turn adds nothing");

    // `chat`: reported on a line of its own, then the next message is answered.
    fake.push_all([
        Reply::error(400, "This model is not available"),
        Reply::text("Back again."),
    ]);
    let mut out = Vec::new();
    let input: &[u8] = b"Hi\nHi again\n";
    chat.run(input, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('(')).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("! ") && lines[0].contains("This model is not available"),
        "{text}"
    );
    assert_eq!(lines[1], "CEO: Back again.");
}

#[tokio::test]
async fn an_unknown_recipient_is_an_error_that_lists_the_agents() {
    let fake = FakeOpenAi::start().await;
    let mut chat = Chat::new(company())
        .config(config(&fake))
        .recipient("Nobody");
    let err = chat.send("Hi", &mut Vec::new()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the agency Company has no agent 'Nobody'; its agents: CEO, Developer"
    );
    let err = chat.run(&b"Hi\n"[..], &mut Vec::new()).await.unwrap_err();
    assert!(matches!(err, agency::Error::UnknownRecipient { .. }));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn a_recipient_other_than_the_entry_point_gets_the_messages() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::text("Developer here."));
    let mut chat = Chat::new(company())
        .config(config(&fake))
        .recipient("Developer");
    let mut out = Vec::new();
    chat.send("Who are you?", &mut out).await.unwrap();
    assert_eq!(without_usage(&out), "Developer: Developer here.");
    let request = fake.last_request().unwrap();
    assert!(
        request.body["instructions"]
            .as_str()
            .unwrap_or_default()
            .contains("You are the Developer."),
        "{}",
        request.body
    );
}
