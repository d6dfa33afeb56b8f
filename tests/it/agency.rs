//! Agencies against the fake OpenAI server, over real HTTP (issue: agencies): `send_message`
//! delegation, handoffs, threads, user context, the thread store, metadata and builder errors.
//!
//! Several agents share one fake server, and sub-agent calls may interleave, so the fake answers
//! with a rule keyed on the request: which agent asks (its `instructions`) and what its
//! conversation ends with.

use crate::support::wire;
use agency::http::agency::event_json;
use agency::model::ClientConfig;
use agency::prelude::*;
use agency::thread::{ChatKey, InMemoryThreadStore, Threads};
use agency::{Agency, AgencyError, Agent, RunConfig, RunError, RunEvent};
use agency_testing::{FakeOpenAi, FunctionCall, RecordedRequest, Reply};
use futures::StreamExt;
use serde_json::{Map, Value, json};

/// Count the lines of a text.
#[tool]
fn count_lines(
    /// The text to measure
    text: String,
) -> usize {
    text.lines().count()
}

/// The arithmetic mean of some numbers.
#[tool]
fn mean(
    /// The numbers
    values: Vec<f64>,
) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Where the refund of an order stands.
#[tool]
fn refund_status(
    /// The order, like A-17
    order_id: String,
) -> String {
    format!("refund for {order_id}: sent")
}

/// Reports the caller's plan and tenant, and counts its own calls in the user context.
#[tool]
fn whoami(ctx: &ToolContext) -> String {
    let uc = ctx.user_context();
    let plan: Option<String> = uc.get("plan");
    let tenant: Option<String> = uc.get("tenant");
    let calls = uc.get::<u32>("whoami_calls").unwrap_or(0) + 1;
    uc.set("whoami_calls", calls);
    format!(
        "plan={} tenant={} calls={calls}",
        plan.as_deref().unwrap_or("-"),
        tenant.as_deref().unwrap_or("-")
    )
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

fn config(fake: &FakeOpenAi) -> RunConfig {
    RunConfig::default().client(ClientConfig {
        base_url: Some(fake.base_url()),
        api_key: Some("k".into()),
        max_retries: Some(0),
        ..ClientConfig::default()
    })
}

fn ceo() -> Agent {
    Agent::builder("CEO")
        .description("Runs the company and delegates the work.")
        .instructions("You are the CEO.")
        .model("gpt-4o")
        .conversation_starter("What are we building?")
        .build()
}

fn developer() -> Agent {
    Agent::builder("Developer")
        .description("Writes and measures code.")
        .instructions("You are the Developer.")
        .model("gpt-4o-mini")
        .tool(count_lines::tool())
        .tool(whoami::tool())
        .build()
}

fn analyst() -> Agent {
    Agent::builder("Analyst")
        .description("Crunches numbers.")
        .instructions("You are the Analyst.")
        .model("gpt-4o")
        .tool(mean::tool())
        .build()
}

fn triage() -> Agent {
    Agent::builder("Triage")
        .description("Routes customers to the right desk.")
        .instructions("You are Triage.")
        .model("gpt-4o")
        .build()
}

fn billing() -> Agent {
    Agent::builder("Billing")
        .description("Answers questions about invoices and refunds.")
        .instructions("You are Billing.")
        .model("gpt-4o-mini")
        .tool(refund_status::tool())
        .build()
}

/// CEO → Developer, CEO → Analyst.
fn company() -> Agency {
    Agency::builder("Company")
        .entry(ceo())
        .flow(ceo(), developer())
        .flow(ceo(), analyst())
        .build()
        .unwrap()
}

/// Triage ⇒ Billing.
fn helpdesk() -> Agency {
    Agency::builder("Helpdesk")
        .entry(triage())
        .handoff(triage(), billing())
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Reading requests and items.

/// Which agent sent the request: the `X` of its `You are [the] X.` instructions.
fn who(req: &RecordedRequest) -> &'static str {
    let instructions = req.body["instructions"].as_str().unwrap_or_default();
    for name in ["CEO", "Developer", "Analyst", "Triage", "Billing"] {
        if instructions.contains(&format!("You are the {name}."))
            || instructions.contains(&format!("You are {name}."))
        {
            return name;
        }
    }
    panic!("a request from an unknown agent: {instructions:?}")
}

/// The outputs of the trailing `function_call_output` items of the request's input.
fn trailing_outputs(req: &RecordedRequest) -> Vec<String> {
    let items = req.input_items();
    let mut out: Vec<String> = items
        .iter()
        .rev()
        .take_while(|i| i["type"] == "function_call_output")
        .map(|i| i["output"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.reverse();
    out
}

fn outputs_in(req: &RecordedRequest) -> usize {
    req.input_items()
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .count()
}

fn send(recipient: &str, message: &str) -> (&'static str, Value) {
    (
        "send_message",
        json!({"recipient_agent": recipient, "message": message, "additional_instructions": ""}),
    )
}

fn requests_of(fake: &FakeOpenAi, agent: &str) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| who(r) == agent)
        .collect()
}

fn kinds(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            let kind = i["type"].as_str().unwrap_or("message");
            match (kind, i["role"].as_str(), i["name"].as_str()) {
                ("message", Some(role), _) => format!("message:{role}"),
                ("function_call", _, Some(name)) => format!("call:{name}"),
                _ => kind.to_owned(),
            }
        })
        .collect()
}

/// `(agent, callerAgent)` of each item.
fn owners(items: &[Value]) -> Vec<(String, Option<String>)> {
    items
        .iter()
        .map(|i| {
            (
                i["agent"].as_str().unwrap().to_owned(),
                i["callerAgent"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn owner(agent: &str, caller: Option<&str>) -> (String, Option<String>) {
    (agent.to_owned(), caller.map(str::to_owned))
}

fn content(item: &Value) -> String {
    match &item["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<String>(),
        _ => String::new(),
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-12,
        "cost {actual} != {expected}"
    );
}

const DEV_TASK: &str = "Count the lines of: a\nb\nc";

/// The CEO delegates to the Developer, which counts lines with its tool and answers.
fn script_delegation(fake: &FakeOpenAi) {
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_calls([FunctionCall::new(
                "send_message",
                send("Developer", DEV_TASK).1,
            )
            .call_id("call_ceo_send")])
            .usage(100, 10),
            [answer] => Reply::text(format!("The Developer says: {answer}")).usage(200, 20),
            other => panic!("unexpected CEO outputs {other:?}"),
        },
        "Developer" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_call("count_lines", json!({"text": "a\nb\nc"})).usage(50, 5),
            [n] => Reply::text(format!("It has {n} lines.")).usage(60, 6),
            other => panic!("unexpected Developer outputs {other:?}"),
        },
        other => panic!("unexpected agent {other}"),
    });
}

// ---------------------------------------------------------------------------------------------
// Delegation through send_message.

#[tokio::test]
async fn delegation_round_trip() {
    let fake = FakeOpenAi::start().await;
    script_delegation(&fake);
    let out = company()
        .run("Please get the line count.", None, config(&fake))
        .await
        .unwrap();
    assert_eq!(out.final_output, "The Developer says: It has 3 lines.");
    assert!(!out.cancelled);
    let items = &wire(&out.new_items);
    assert_eq!(
        kinds(items),
        [
            "message:user",
            "call:send_message",
            "message:user",
            "call:count_lines",
            "function_call_output",
            "message:assistant",
            "function_call_output",
            "message:assistant",
        ]
    );
    let ceo = owner("CEO", None);
    let dev = owner("Developer", Some("CEO"));
    assert_eq!(
        owners(items),
        [
            ceo.clone(),
            ceo.clone(),
            dev.clone(),
            dev.clone(),
            dev.clone(),
            dev,
            ceo.clone(),
            ceo
        ]
    );
    // CEO items: callerAgent null, no parent; the sub-run's: parent = the send_message call.
    for item in [&items[0], &items[1], &items[6], &items[7]] {
        assert_eq!(item["callerAgent"], Value::Null, "{item}");
        assert!(item.get("parent_run_id").is_none(), "{item}");
    }
    assert_eq!(items[1]["call_id"], "call_ceo_send");
    for item in &items[2..6] {
        assert_eq!(item["parent_run_id"], "call_ceo_send", "{item}");
    }
    // One run id per agent run.
    assert_eq!(items[0]["agent_run_id"], items[7]["agent_run_id"]);
    assert_eq!(items[2]["agent_run_id"], items[5]["agent_run_id"]);
    assert_ne!(items[0]["agent_run_id"], items[2]["agent_run_id"]);
    assert_eq!(content(&items[2]), DEV_TASK);
    assert_eq!(items[4]["output"], "3");
    assert_eq!(items[6]["call_id"], "call_ceo_send");
    assert_eq!(items[6]["output"], "It has 3 lines.");

    let reqs = fake.requests();
    assert_eq!(
        reqs.iter().map(who).collect::<Vec<_>>(),
        ["CEO", "Developer", "Developer", "CEO"]
    );
    // The recipient sees the message as a user message, and nothing of the user's conversation.
    let dev_input = reqs[1].input_items();
    assert_eq!(dev_input.len(), 1, "{dev_input:?}");
    assert_eq!(dev_input[0]["role"], "user");
    assert_eq!(content(&dev_input[0]), DEV_TASK);
    assert!(
        !reqs[1]
            .body
            .to_string()
            .contains("Please get the line count")
    );
    assert_eq!(reqs[1].model(), Some("gpt-4o-mini"));
    assert_eq!(reqs[1].tool_names(), ["count_lines", "whoami"]);
    // The CEO sees its own thread only: not the Developer's tool call.
    let ceo_input = reqs[3].input_items();
    assert_eq!(
        kinds(&ceo_input),
        ["message:user", "call:send_message", "function_call_output"]
    );
    assert!(!reqs[3].body.to_string().contains("count_lines\""));

    // send_message as the CEO's model sees it (API.md §13).
    let tool = reqs[0].tool("send_message").unwrap();
    assert_eq!(tool["type"], "function");
    assert_eq!(tool["strict"], true);
    let params = &tool["parameters"];
    assert_eq!(
        params["properties"]["recipient_agent"]["enum"],
        json!(["Developer", "Analyst"])
    );
    assert_eq!(
        params["required"],
        json!(["recipient_agent", "message", "additional_instructions"])
    );
    assert_eq!(params["additionalProperties"], false);
    let description = tool["description"].as_str().unwrap();
    assert!(
        description.contains("- Developer: Writes and measures code.")
            && description.contains("- Analyst: Crunches numbers."),
        "{description}"
    );
    // Recipients get no send_message of their own.
    assert!(reqs[1].tool("send_message").is_none());
}

#[tokio::test]
async fn usage_sums_every_agent_priced_at_its_model() {
    let fake = FakeOpenAi::start().await;
    script_delegation(&fake);
    let out = company()
        .run("Please get the line count.", None, config(&fake))
        .await
        .unwrap();
    let u = &out.usage;
    assert_eq!(
        (
            u.request_count,
            u.input_tokens,
            u.output_tokens,
            u.total_tokens
        ),
        (4, 410, 41, 451)
    );
    // CEO on gpt-4o (2.50 / 10.00 per million), Developer on gpt-4o-mini (0.15 / 0.60).
    let expected = (300.0 * 2.5 + 30.0 * 10.0 + 110.0 * 0.15 + 11.0 * 0.6) / 1e6;
    assert_close(u.total_cost, expected);
}

#[tokio::test]
async fn streamed_events_nest_the_sub_run_inside_the_call() {
    let fake = FakeOpenAi::start().await;
    script_delegation(&fake);
    let mut stream = company().run_streamed("Please get the line count.", None, config(&fake));
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event_json(&event));
    }
    let out = stream.finish().await.unwrap();
    assert_eq!(out.final_output, "The Developer says: It has 3 lines.");

    let named: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] != "raw_response_event")
        .map(|e| {
            let name = match e["type"].as_str().unwrap() {
                "agent_updated_stream_event" => "agent_updated",
                _ => e["name"].as_str().unwrap(),
            };
            (e["agent"].as_str().unwrap().to_owned(), name.to_owned())
        })
        .collect();
    let pairs: Vec<(&str, &str)> = named
        .iter()
        .map(|(a, n)| (a.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("CEO", "agent_updated"),
            ("CEO", "tool_called"),
            ("Developer", "agent_updated"),
            ("Developer", "tool_called"),
            ("Developer", "tool_output"),
            ("Developer", "message_output_created"),
            ("CEO", "tool_output"),
            ("CEO", "message_output_created"),
        ]
    );
    // Every Developer event, raw ones included, lies between the CEO's send_message call and
    // its output, and carries the attribution.
    let called = events
        .iter()
        .position(|e| e["name"] == "tool_called" && e["agent"] == "CEO")
        .unwrap();
    let answered = events
        .iter()
        .position(|e| e["name"] == "tool_output" && e["agent"] == "CEO")
        .unwrap();
    assert_eq!(events[called]["item"]["raw_item"]["name"], "send_message");
    assert_eq!(events[answered]["call_id"], "call_ceo_send");
    assert_eq!(events[answered]["item"]["output"], "It has 3 lines.");
    let mut dev_raw = 0;
    for (i, e) in events.iter().enumerate() {
        if e["agent"] == "Developer" {
            assert!(called < i && i < answered, "Developer event at {i}: {e}");
            assert_eq!(e["callerAgent"], "CEO", "{e}");
            assert_eq!(e["parent_run_id"], "call_ceo_send", "{e}");
            assert!(
                e["agent_run_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("agent_run_")
            );
            if e["type"] == "raw_response_event" {
                dev_raw += 1;
            }
        } else {
            assert_eq!(e["agent"], "CEO", "{e}");
            assert_eq!(e["callerAgent"], Value::Null, "{e}");
            assert!(e.get("parent_run_id").is_none(), "{e}");
        }
    }
    assert!(dev_raw > 0, "the Developer's raw events were not forwarded");
    let dev_updated = events
        .iter()
        .find(|e| e["type"] == "agent_updated_stream_event" && e["agent"] == "Developer")
        .unwrap();
    assert_eq!(dev_updated["new_agent"], json!({"name": "Developer"}));
}

// ---------------------------------------------------------------------------------------------
// Handoffs.

#[tokio::test]
async fn handoff_continues_the_same_run_with_the_full_history() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| match who(req) {
        "Triage" => Reply::function_calls([
            FunctionCall::new("transfer_to_Billing", json!({})).call_id("call_transfer")
        ])
        .usage(100, 10),
        "Billing" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_call("refund_status", json!({"order_id": "A-17"})).usage(200, 20),
            [status] => Reply::text(format!("Good news: {status}.")).usage(300, 30),
            other => panic!("unexpected Billing outputs {other:?}"),
        },
        other => panic!("unexpected agent {other}"),
    });
    let agency = helpdesk();
    // Triage's transfer tool: the target's description, no parameters.
    let triage = agency.agent("Triage").unwrap();
    let transfer = triage
        .tools()
        .iter()
        .find(|t| t.name() == "transfer_to_Billing")
        .unwrap();
    assert_eq!(
        transfer.description(),
        "Answers questions about invoices and refunds."
    );

    let mut stream = agency.run_streamed("Where is my refund for A-17?", None, config(&fake));
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        if !matches!(event, RunEvent::Model { .. }) {
            events.push(event_json(&event));
        }
    }
    let out = stream.finish().await.unwrap();
    assert_eq!(out.final_output, "Good news: refund for A-17: sent.");

    let names: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            let name = e["name"].as_str().unwrap_or("agent_updated").to_owned();
            (e["agent"].as_str().unwrap().to_owned(), name)
        })
        .collect();
    let names: Vec<(&str, &str)> = names.iter().map(|(a, n)| (&**a, &**n)).collect();
    assert_eq!(
        names,
        [
            ("Triage", "agent_updated"),
            ("Triage", "handoff_requested"),
            ("Triage", "handoff_occured"),
            ("Billing", "agent_updated"),
            ("Billing", "tool_called"),
            ("Billing", "tool_output"),
            ("Billing", "message_output_created"),
        ]
    );
    assert_eq!(events[1]["item"]["type"], "handoff_call_item");
    assert_eq!(events[2]["item"]["type"], "handoff_output_item");
    assert_eq!(
        events[2]["item"]["target_agent"],
        json!({"name": "Billing"})
    );
    assert_eq!(events[3]["new_agent"], json!({"name": "Billing"}));
    for e in &events {
        assert_eq!(e["callerAgent"], Value::Null, "{e}");
    }

    let items = &wire(&out.new_items);
    assert_eq!(
        kinds(items),
        [
            "message:user",
            "call:transfer_to_Billing",
            "function_call_output",
            "message:system",
            "call:refund_status",
            "function_call_output",
            "message:assistant",
        ]
    );
    let agents: Vec<&str> = items.iter().map(|i| i["agent"].as_str().unwrap()).collect();
    assert_eq!(
        agents,
        [
            "Triage", "Triage", "Triage", "Billing", "Billing", "Billing", "Billing"
        ]
    );
    assert!(items.iter().all(|i| i["callerAgent"].is_null()));
    assert_eq!(
        content(&items[3]),
        "Transfer completed. You are Billing. Please continue the task."
    );
    assert_ne!(items[0]["agent_run_id"], items[3]["agent_run_id"]);

    // Billing's model sees the whole conversation, the transfer included.
    let billing = requests_of(&fake, "Billing");
    assert_eq!(billing.len(), 2);
    assert_eq!(billing[0].model(), Some("gpt-4o-mini"));
    let input = billing[0].input_items();
    assert_eq!(
        kinds(&input),
        [
            "message:user",
            "call:transfer_to_Billing",
            "function_call_output",
            "message:system"
        ]
    );
    assert_eq!(content(&input[0]), "Where is my refund for A-17?");
    assert_eq!(input[1]["call_id"], "call_transfer");
    assert_eq!(input[2]["call_id"], "call_transfer");
    assert_eq!(billing[0].tool_names(), ["refund_status"]);

    // Each call priced at the model that made it (API.md §14 Better).
    let u = &out.usage;
    assert_eq!(
        (u.request_count, u.input_tokens, u.output_tokens),
        (3, 600, 60)
    );
    let expected = (100.0 * 2.5 + 10.0 * 10.0 + 500.0 * 0.15 + 50.0 * 0.6) / 1e6;
    assert_close(u.total_cost, expected);
}

// ---------------------------------------------------------------------------------------------
// Conversations across runs.

#[tokio::test]
async fn chat_history_round_trip_continues_both_threads() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => {
                let text = req.last_user_text().unwrap_or_default();
                let (name, args) = send("Developer", &format!("Count the lines of: {text}"));
                Reply::function_call(name, args)
            }
            [answer] => Reply::text(format!("CEO: {answer}")),
            other => panic!("unexpected CEO outputs {other:?}"),
        },
        "Developer" => Reply::text(format!(
            "Developer saw {} messages.",
            req.input_items().len()
        )),
        other => panic!("unexpected agent {other}"),
    });
    let agency = company();
    let first = agency.run("one", None, config(&fake)).await.unwrap();
    assert_eq!(first.final_output, "CEO: Developer saw 1 messages.");
    assert_eq!(fake.request_count(), 3);

    let second = agency
        .run("two", None, config(&fake).history(first.new_items.clone()))
        .await
        .unwrap();
    // The Developer's thread with the CEO goes on: first exchange + the new message.
    assert_eq!(second.final_output, "CEO: Developer saw 3 messages.");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 6);

    // The CEO sees the whole user conversation, not the Developer's thread.
    let ceo = &reqs[3];
    assert_eq!(who(ceo), "CEO");
    let input = ceo.input_items();
    assert_eq!(
        kinds(&input),
        [
            "message:user",
            "call:send_message",
            "function_call_output",
            "message:assistant",
            "message:user"
        ]
    );
    assert_eq!(content(&input[0]), "one");
    assert_eq!(content(&input[3]), "CEO: Developer saw 1 messages.");
    assert_eq!(content(&input[4]), "two");
    assert!(
        input
            .iter()
            .all(|i| !content(i).starts_with("Count the lines of")),
        "{input:?}"
    );

    let dev = &reqs[4];
    assert_eq!(who(dev), "Developer");
    let input = dev.input_items();
    assert_eq!(
        kinds(&input),
        ["message:user", "message:assistant", "message:user"]
    );
    assert_eq!(content(&input[0]), "Count the lines of: one");
    assert_eq!(content(&input[1]), "Developer saw 1 messages.");
    assert_eq!(content(&input[2]), "Count the lines of: two");
    for item in &input {
        assert!(item.get("agent").is_none() && item.get("callerAgent").is_none());
    }
    // The second run's new items are only its own.
    assert_eq!(content(&wire(&second.new_items)[0]), "two");
    assert_eq!(second.new_items.len(), first.new_items.len());
}

#[tokio::test]
async fn thread_store_keeps_the_conversation_under_a_chat_id() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| {
        let text = req.last_user_text().unwrap_or_default();
        let users = req
            .input_items()
            .iter()
            .filter(|i| i["role"] == "user")
            .count();
        Reply::text(format!("[{users} user messages] you said {text}"))
    });
    let agency = Agency::builder("Remembering")
        .entry(ceo())
        .flow(ceo(), developer())
        .build()
        .unwrap();
    let threads = Threads::new(InMemoryThreadStore::default());
    let chat1 = threads.start("Remembering", "ada").await.unwrap();
    let chat2 = threads.start("Remembering", "ada").await.unwrap();
    let with_chat = |key: &ChatKey| config(&fake).chat(threads.clone(), key.clone());
    let first = agency
        .run("My name is Ada.", None, with_chat(&chat1))
        .await
        .unwrap();
    assert_eq!(
        first.final_output,
        "[1 user messages] you said My name is Ada."
    );
    let second = agency
        .run("What is my name?", None, with_chat(&chat1))
        .await
        .unwrap();
    assert_eq!(
        second.final_output,
        "[2 user messages] you said What is my name?"
    );
    let input = fake.last_request().unwrap().input_items();
    assert_eq!(
        kinds(&input),
        ["message:user", "message:assistant", "message:user"]
    );
    assert_eq!(content(&input[0]), "My name is Ada.");
    // new_items hold only the run's own items; the store holds all.
    assert_eq!(second.new_items.len(), 2);
    let stored = threads.items(&chat1).await.unwrap().unwrap();
    assert_eq!(stored.len(), 4);
    assert_eq!(stored[2], second.new_items[0]);

    // Another chat, and no chat id at all, start from nothing.
    let other = agency.run("Hello?", None, with_chat(&chat2)).await.unwrap();
    assert_eq!(other.final_output, "[1 user messages] you said Hello?");
    let none = agency.run("Hello?", None, config(&fake)).await.unwrap();
    assert_eq!(none.final_output, "[1 user messages] you said Hello?");

    // A chat that does not exist, or is another principal's, is refused before the model is
    // called.
    let calls = fake.requests().len();
    let theirs = ChatKey::new("Remembering", "eve", chat1.id.clone());
    let failure = agency
        .run("Hello?", None, with_chat(&theirs))
        .await
        .unwrap_err();
    assert!(
        matches!(failure.error, RunError::ChatNotFound(_)),
        "{failure:?}"
    );
    assert_eq!(fake.requests().len(), calls);
}

// ---------------------------------------------------------------------------------------------
// User context.

#[tokio::test]
async fn user_context_reaches_tools_and_never_the_model() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => {
                let (name, args) = send("Developer", "Who am I?");
                Reply::function_call(name, args)
            }
            [answer] => Reply::text(answer),
            other => panic!("unexpected CEO outputs {other:?}"),
        },
        // Two calls of whoami, one per turn, then the last output as the answer.
        "Developer" => match outputs_in(req) {
            0 | 1 => Reply::function_call("whoami", json!({})),
            _ => Reply::text(trailing_outputs(req).pop().unwrap()),
        },
        other => panic!("unexpected agent {other}"),
    });
    let mut agency_context = Map::new();
    agency_context.insert("plan".into(), json!("free"));
    agency_context.insert("tenant".into(), json!("acme"));
    agency_context.insert("agency_secret".into(), json!("s3cr3t-agency"));
    let agency = Agency::builder("Contextual")
        .entry(ceo())
        .flow(ceo(), developer())
        .user_context(agency_context)
        .build()
        .unwrap();

    let mut request_context = Map::new();
    request_context.insert("plan".into(), json!("pro"));
    request_context.insert("request_secret".into(), json!("s3cr3t-request"));
    let context = UserContext::from_map(request_context);
    let out = agency
        .run(
            "Who am I?",
            None,
            config(&fake).user_context(context.clone()),
        )
        .await
        .unwrap();
    // The request's plan wins over the agency's; the agency's tenant fills in; the tool's own
    // write is seen by its next call, in the sub-agent.
    assert_eq!(out.final_output, "plan=pro tenant=acme calls=2");
    // The caller's handle sees what the tools wrote (as with Agent::run).
    assert_eq!(context.get::<u32>("whoami_calls"), Some(2));
    assert_eq!(context.get::<String>("plan").as_deref(), Some("pro"));
    // The agency's own context is not changed by a run.
    assert_eq!(agency.user_context().get("plan"), Some(&json!("free")));
    assert!(agency.user_context().get("whoami_calls").is_none());

    for req in fake.requests() {
        let body = req.body.to_string();
        for secret in [
            "s3cr3t-agency",
            "s3cr3t-request",
            "agency_secret",
            "request_secret",
            "whoami_calls",
            "user_context",
        ] {
            assert!(!body.contains(secret), "{secret} reached the model: {body}");
        }
    }

    // A second run starts again from the agency's context.
    let out = agency.run("Who am I?", None, config(&fake)).await.unwrap();
    assert_eq!(out.final_output, "plan=free tenant=acme calls=2");
}

// ---------------------------------------------------------------------------------------------
// Recipients.

#[tokio::test]
async fn unknown_recipients() {
    let fake = FakeOpenAi::start().await;
    let agency = company();
    let failure = agency
        .run("hi", Some("Nobody"), config(&fake))
        .await
        .unwrap_err();
    match &failure.error {
        RunError::UnknownAgent { name, available } => {
            assert_eq!(name, "Nobody");
            assert_eq!(available, &["CEO", "Developer", "Analyst"]);
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(
        failure.to_string(),
        r#"Invalid agent name. Available agents: ["CEO", "Developer", "Analyst"]"#
    );
    assert_eq!(fake.request_count(), 0);
    // The streamed run fails the same way, with an error event.
    let mut stream = agency.run_streamed("hi", Some("Nobody"), config(&fake));
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event_json(&event));
    }
    let failure = stream.finish().await.unwrap_err();
    assert!(matches!(failure.error, RunError::UnknownAgent { .. }));
    assert_eq!(fake.request_count(), 0);
    // (no events are required, but any that come are errors)
    assert!(events.iter().all(|e| e["type"] == "error"), "{events:?}");

    // The model asking for a recipient outside its enum gets an error as the tool output.
    fake.respond_with(|req| match trailing_outputs(req).as_slice() {
        [] => {
            let (name, args) = send("Ghost", "boo");
            Reply::function_call(name, args)
        }
        [error] => Reply::text(format!("Noted: {error}")),
        other => panic!("unexpected outputs {other:?}"),
    });
    let out = agency.run("hi", None, config(&fake)).await.unwrap();
    let text = out.final_output.as_str().unwrap();
    assert!(
        text.contains("'Ghost' is not an agent CEO can message")
            && text.contains("Developer, Analyst"),
        "{text}"
    );
    assert!(requests_of(&fake, "CEO").len() == 2);
    assert_eq!(fake.request_count(), 2, "no sub-agent ran");
}

#[tokio::test]
async fn two_messages_to_one_recipient_in_one_turn() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_calls([
                FunctionCall::new("send_message", send("Developer", "first").1).call_id("c1"),
                FunctionCall::new("send_message", send("Developer", "second").1).call_id("c2"),
            ]),
            outputs => Reply::text(outputs.join(" | ")),
        },
        "Developer" => Reply::text(format!(
            "done: {}",
            req.last_user_text().unwrap_or_default()
        )),
        other => panic!("unexpected agent {other}"),
    });
    let out = company().run("go", None, config(&fake)).await.unwrap();
    let items = &wire(&out.new_items);
    let output_of = |call: &str| {
        items
            .iter()
            .find(|i| i["type"] == "function_call_output" && i["call_id"] == call)
            .unwrap()["output"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(output_of("c1"), "done: first");
    let second = output_of("c2");
    assert!(
        second.starts_with("Error:") && second.contains("already pending"),
        "{second}"
    );
    assert_eq!(requests_of(&fake, "Developer").len(), 1);
    // The CEO got both outputs in its next request.
    let ceo = requests_of(&fake, "CEO");
    assert_eq!(trailing_outputs(&ceo[1]).len(), 2);
    assert!(out.final_output.as_str().unwrap().contains("done: first"));
}

#[tokio::test]
async fn one_message_to_each_of_two_recipients_both_run() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_calls([
                FunctionCall::new("send_message", send("Developer", "count a\nb").1)
                    .call_id("to_dev"),
                FunctionCall::new("send_message", send("Analyst", "mean of 1, 2, 6").1)
                    .call_id("to_analyst"),
            ]),
            outputs => Reply::text(outputs.join(" | ")),
        },
        "Developer" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_call("count_lines", json!({"text": "a\nb"})),
            [n] => Reply::text(format!("{n} lines")),
            other => panic!("unexpected Developer outputs {other:?}"),
        },
        "Analyst" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_call("mean", json!({"values": [1.0, 2.0, 6.0]})),
            [m] => Reply::text(format!("mean {m}")),
            other => panic!("unexpected Analyst outputs {other:?}"),
        },
        other => panic!("unexpected agent {other}"),
    });
    let out = company().run("go", None, config(&fake)).await.unwrap();
    let items = &wire(&out.new_items);
    let output_of = |call: &str| {
        items
            .iter()
            .find(|i| i["type"] == "function_call_output" && i["call_id"] == call)
            .unwrap()["output"]
            .clone()
    };
    assert_eq!(output_of("to_dev"), "2 lines");
    assert_eq!(output_of("to_analyst"), "mean 3.0");
    let text = out.final_output.as_str().unwrap();
    assert!(
        text.contains("2 lines") && text.contains("mean 3.0"),
        "{text}"
    );
    // Each sub-run's items name their agent and their parent call.
    for (agent, parent) in [("Developer", "to_dev"), ("Analyst", "to_analyst")] {
        let mine: Vec<&Value> = items.iter().filter(|i| i["agent"] == agent).collect();
        assert_eq!(mine.len(), 4, "{agent}: {mine:?}");
        assert!(mine.iter().all(|i| i["parent_run_id"] == parent));
        assert!(mine.iter().all(|i| i["callerAgent"] == "CEO"));
    }
    assert_eq!(requests_of(&fake, "Developer").len(), 2);
    assert_eq!(requests_of(&fake, "Analyst").len(), 2);
    assert_eq!(out.usage.request_count, 6);
}

#[tokio::test]
async fn additional_instructions_and_recipient_agent() {
    let fake = FakeOpenAi::start().await;
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => {
                let (name, args) = send("Developer", "hello");
                Reply::function_call(name, args)
            }
            [answer] => Reply::text(answer),
            other => panic!("unexpected CEO outputs {other:?}"),
        },
        _ => Reply::text("Bonjour."),
    });
    let agency = company();

    // Straight to the Developer: it owns the user's thread this time.
    let out = agency
        .run(
            "hi",
            Some("Developer"),
            config(&fake).additional_instructions("Answer in French."),
        )
        .await
        .unwrap();
    assert_eq!(out.final_output, "Bonjour.");
    assert_eq!(
        owners(&wire(&out.new_items)),
        vec![owner("Developer", None); 2]
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body["instructions"],
        "You are the Developer.\n\nAnswer in French."
    );
    assert_eq!(reqs[0].model(), Some("gpt-4o-mini"));

    // Through the CEO: only the CEO gets them, on each of its turns; the Developer doesn't.
    let out = agency
        .run(
            "hi",
            None,
            config(&fake).additional_instructions("Be terse."),
        )
        .await
        .unwrap();
    assert_eq!(out.final_output, "Bonjour.");
    let reqs = &fake.requests()[1..];
    assert_eq!(
        reqs.iter().map(who).collect::<Vec<_>>(),
        ["CEO", "Developer", "CEO"]
    );
    assert_eq!(
        reqs[0].body["instructions"],
        "You are the CEO.\n\nBe terse."
    );
    assert_eq!(
        reqs[2].body["instructions"],
        "You are the CEO.\n\nBe terse."
    );
    assert_eq!(reqs[1].body["instructions"], "You are the Developer.");

    // A send_message's own additional_instructions reach its recipient, that message only.
    fake.respond_with(|req| match who(req) {
        "CEO" => match trailing_outputs(req).as_slice() {
            [] => Reply::function_call(
                "send_message",
                json!({"recipient_agent": "Developer", "message": "hello", "additional_instructions": "Use emoji."}),
            ),
            [answer] => Reply::text(answer),
            other => panic!("unexpected CEO outputs {other:?}"),
        },
        _ => Reply::text("👋"),
    });
    agency.run("hi", None, config(&fake)).await.unwrap();
    let dev = requests_of(&fake, "Developer").pop().unwrap();
    assert_eq!(
        dev.body["instructions"],
        "You are the Developer.\n\nUse emoji."
    );
}

// ---------------------------------------------------------------------------------------------
// Metadata and building.

#[test]
fn metadata_graph() {
    let agency = Agency::builder("Metadata Demo")
        .entry(ceo())
        .entry(triage())
        .flow(ceo(), developer())
        .flow(ceo(), analyst())
        .handoff(triage(), billing())
        .shared_instructions("Be kind.")
        .build()
        .unwrap();
    let mut metadata = agency::http::agency::metadata(&agency);
    assert_eq!(
        metadata["agency_rs"]["version"],
        env!("CARGO_PKG_VERSION"),
        "the framework names itself"
    );
    metadata["agency_rs"]["version"] = json!("[version]");

    // The shape of API.md §11, checked here; the snapshot keeps the exact values.
    let nodes = metadata["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "CEO",
            "Triage",
            "Developer_tool_0",
            "Developer_tool_1",
            "Developer",
            "Analyst_tool_0",
            "Analyst",
            "Billing_tool_0",
            "Billing"
        ]
    );
    let edges = metadata["edges"].as_array().unwrap();
    let edge_types: Vec<(&str, &str)> = edges
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        edge_types,
        [
            ("Developer->Developer_tool_0", "owns"),
            ("Developer->Developer_tool_1", "owns"),
            ("Analyst->Analyst_tool_0", "owns"),
            ("Billing->Billing_tool_0", "owns"),
            ("CEO->Developer", "communication"),
            ("CEO->Analyst", "communication"),
            ("Triage=>Billing", "handoff"),
        ]
    );
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap();
    // Layer 0: the entry points, layer 1 what they reach; agents 240 apart around x = 400.
    assert_eq!(node("CEO")["position"], json!({"x": 280.0, "y": 80.0}));
    assert_eq!(node("Triage")["position"], json!({"x": 520.0, "y": 80.0}));
    assert_eq!(node("Analyst")["position"]["y"], 260.0);
    // Tools 120 apart, 115 below their agent.
    let dev = node("Developer")["position"].clone();
    let t0 = &node("Developer_tool_0")["position"];
    let t1 = &node("Developer_tool_1")["position"];
    assert_eq!(t0["y"].as_f64(), Some(dev["y"].as_f64().unwrap() + 115.0));
    assert_eq!(t1["x"].as_f64().unwrap() - t0["x"].as_f64().unwrap(), 120.0);
    // send_message and transfer_to_* are not the agents' own tools.
    assert_eq!(node("CEO")["data"]["toolCount"], 0);
    assert_eq!(node("CEO")["data"]["hasSubagents"], true);
    assert_eq!(node("Triage")["data"]["toolCount"], 0);
    assert_eq!(
        node("CEO")["data"]["conversationStarters"],
        json!(["What are we building?"])
    );
    assert!(
        node("Developer")["data"]
            .get("conversationStarters")
            .is_none()
    );
    assert_eq!(metadata["metadata"]["totalTools"], 4);
    assert_eq!(
        metadata["metadata"]["entryPoints"],
        json!(["CEO", "Triage"])
    );
    insta::assert_json_snapshot!("agency_metadata", metadata);
}

#[test]
fn builder_errors() {
    let err = Agency::builder("Empty").build().unwrap_err();
    assert_eq!(err, AgencyError::NoAgents("Empty".into()));
    assert!(err.to_string().contains("has no agents"));

    let other_dev = Agent::builder("Developer")
        .description("Someone else entirely.")
        .build();
    let err = Agency::builder("Clash")
        .entry(ceo())
        .flow(ceo(), developer())
        .agent(other_dev)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        AgencyError::DuplicateAgent {
            agency: "Clash".into(),
            agent: "Developer".into()
        }
    );
    assert!(
        err.to_string()
            .contains("two different agents named 'Developer'")
    );

    // The same agent named several times is one agent.
    let dev = developer();
    let agency = Agency::builder("Same")
        .entry(&dev)
        .flow(ceo(), &dev)
        .flow(&dev, analyst())
        .build()
        .unwrap();
    assert_eq!(agency.agent_names(), ["Developer", "CEO", "Analyst"]);

    let doubled = Agent::builder("Doubled")
        .tool(mean::tool())
        .tool(mean::tool())
        .build();
    let err = Agency::builder("Tools").entry(doubled).build().unwrap_err();
    assert_eq!(
        err,
        AgencyError::DuplicateTool {
            agency: "Tools".into(),
            agent: "Doubled".into(),
            tool: "mean".into()
        }
    );

    // A shared tool clashing with an agent's own.
    let err = Agency::builder("Shared")
        .entry(analyst())
        .shared_tool(mean::tool())
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, AgencyError::DuplicateTool { agent, tool, .. } if agent == "Analyst" && tool == "mean"),
        "{err:?}"
    );

    // An own tool named like the one a flow adds.
    let impostor = Tool::builder("send_message")
        .description("Not the real one.")
        .json_handler(
            json!({"type": "object", "properties": {}}),
            |_args: Value, _ctx| async { Ok::<_, ToolError>(json!("sent")) },
        );
    let boss = Agent::builder("Boss").tool(impostor).build();
    let err = Agency::builder("Impostor")
        .entry(&boss)
        .flow(&boss, developer())
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, AgencyError::DuplicateTool { agent, tool, .. } if agent == "Boss" && tool == "send_message"),
        "{err:?}"
    );

    // A tool whose schema the argument validator cannot use, own or shared.
    let ranged = Tool::builder("ranged").json_handler(
        json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 1}}}),
        |args: Value, _ctx| async { Ok::<_, ToolError>(args) },
    );
    let err = Agency::builder("Ranges")
        .entry(ceo())
        .shared_tool(ranged)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, AgencyError::InvalidToolSchema { agent, error, .. } if agent == "CEO" && error.tool == "ranged"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "agent 'CEO' of agency 'Ranges': tool 'ranged' has an input schema the argument validator cannot use: field `n` has `minimum: 5` above `maximum: 1`, so no value is valid"
    );

    let err = Agency::builder("a/b").entry(ceo()).build().unwrap_err();
    assert_eq!(err, AgencyError::InvalidName("a/b".into()));
    let err = Agency::builder("Fine")
        .entry(Agent::builder("x/y").build())
        .build()
        .unwrap_err();
    assert_eq!(err, AgencyError::InvalidName("x/y".into()));
}

#[test]
fn shared_instructions_and_tools_reach_every_agent() {
    let agency = Agency::builder("Shared")
        .entry(ceo())
        .flow(ceo(), developer())
        .shared_instructions("We are Acme.")
        .shared_tool(refund_status::tool())
        .build()
        .unwrap();
    let ceo = agency.agent("CEO").unwrap();
    assert_eq!(ceo.instructions(), "We are Acme.\n\nYou are the CEO.");
    let names: Vec<&str> = ceo.tools().iter().map(|t| t.name()).collect();
    assert_eq!(names, ["refund_status", "send_message"]);
    let dev = agency.agent("Developer").unwrap();
    let names: Vec<&str> = dev.tools().iter().map(|t| t.name()).collect();
    assert_eq!(names, ["count_lines", "whoami", "refund_status"]);
    assert_eq!(agency.default_recipient(), "CEO");
    assert_eq!(agency.flows(), [("CEO".to_owned(), "Developer".to_owned())]);
}
