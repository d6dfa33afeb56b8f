//! Agencies: agents that delegate to each other through `send_message`, and agents that hand the
//! conversation over with `transfer_to_<agent>`.
//!
//! - "Company": the CEO (entry point) delegates to the Developer and the Analyst; it sends each a
//!   message, gets its answer back as the tool's output, and answers the user.
//! - "Helpdesk": Triage (entry point) hands off to Billing or Support, which then continue the
//!   same conversation themselves.
//!
//! ```sh
//! cargo run --example agencies -- list                                # no API key needed
//! OPENAI_API_KEY=sk-... cargo run --example agencies -- run "How many lines are in 'a\nb\nc', and what is the mean of 2, 4 and 9?"
//! OPENAI_API_KEY=sk-... cargo run --example agencies -- run --helpdesk "Where is the refund for order A-17?"
//! ```
//!
//! `OPENAI_BASE_URL` and `OPENAI_MODEL` are honoured too (see `ClientConfig::from_env`).

use std::process::ExitCode;

use agency::RunConfig;
use agency::prelude::*;

// ---------------------------------------------------------------------------------------------
// Tools.

/// Count the lines of a text.
#[tool]
fn count_lines(
    /// The text to measure
    text: String,
) -> usize {
    text.lines().count()
}

/// Count the words of a text (runs of non-whitespace).
#[tool]
fn count_words(
    /// The text to measure
    text: String,
) -> usize {
    text.split_whitespace().count()
}

/// The arithmetic mean of a list of numbers.
#[tool]
fn mean(
    /// The numbers to average; at least one
    values: Vec<f64>,
) -> Result<f64, ToolError> {
    if values.is_empty() {
        return Err(ToolError::new("the mean of no numbers is undefined"));
    }
    Ok(values.iter().sum::<f64>() / values.len() as f64)
}

/// Where the refund of an order stands.
#[tool]
fn refund_status(
    /// The order number, like A-17
    order_id: String,
) -> Result<String, ToolError> {
    let order_id = order_id.trim().to_uppercase();
    if !order_id.starts_with('A') {
        return Err(ToolError::new(format!(
            "no order '{order_id}': order numbers look like A-17"
        )));
    }
    Ok(format!(
        "The refund for order {order_id} was sent on Monday; allow 3 to 5 business days."
    ))
}

/// Create a one-time password reset link for an account.
#[tool]
fn reset_password_link(
    /// The account's email address
    email: String,
) -> Result<String, ToolError> {
    let Some((user, domain)) = email.trim().split_once('@') else {
        return Err(ToolError::new(format!("'{email}' is not an email address")));
    };
    if user.is_empty() || !domain.contains('.') {
        return Err(ToolError::new(format!("'{email}' is not an email address")));
    }
    Ok(format!(
        "https://example.invalid/reset?account={user}%40{domain}&token=one-time"
    ))
}

// ---------------------------------------------------------------------------------------------
// Agents: one `#[agent]` struct each; the doc comment is the description other agents read.

/// Talks to the user, splits the work and delegates it.
#[agent(
    name = "CEO",
    instructions = "You are the CEO of a small company. Delegate code questions to the Developer \
                    and number crunching to the Analyst with send_message, then answer the user \
                    briefly.",
    model = "gpt-4o",
    conversation_starters = ["How many lines and words are in this text?"],
)]
struct Ceo;

/// Measures texts and code: lines and words.
#[agent(
    instructions = "You are the Developer. Use your tools to measure texts; answer with numbers.",
    model = "gpt-4o-mini",
    tools = [count_lines, count_words],
)]
struct Developer;

/// Computes statistics over numbers.
#[agent(
    instructions = "You are the Analyst. Use your tools for every computation.",
    model = "gpt-4o-mini",
    tools = [mean],
)]
struct Analyst;

/// Greets customers and routes them to the right desk.
#[agent(
    instructions = "You are Triage. Transfer refund and invoice questions to Billing, and account \
                    or password problems to Support. Do not answer them yourself.",
    model = "gpt-4o-mini"
)]
struct Triage;

/// Answers questions about invoices and refunds.
#[agent(
    instructions = "You are Billing. Look refunds up with your tool before answering.",
    model = "gpt-4o-mini",
    tools = [refund_status],
)]
struct Billing;

/// Helps with accounts, logins and passwords.
#[agent(
    instructions = "You are Support. Send password reset links made with your tool.",
    model = "gpt-4o-mini",
    tools = [reset_password_link],
)]
struct Support;

// ---------------------------------------------------------------------------------------------
// Agencies: `#[agency]` registers each factory, so `agency::main()` would serve both.

/// CEO → Developer, CEO → Analyst (`send_message`).
#[agency]
fn company() -> Result<Agency, AgencyError> {
    Agency::builder("Company")
        .entry(Ceo)
        .flow(Ceo, Developer)
        .flow(Ceo, Analyst)
        .shared_instructions("Be concise and never invent numbers.")
        .build()
}

/// Triage ⇒ Billing, Triage ⇒ Support (handoffs).
#[agency]
fn helpdesk() -> AgencyBuilder {
    Agency::builder("Helpdesk")
        .entry(Triage)
        .handoff(Triage, Billing)
        .handoff(Triage, Support)
}

// ---------------------------------------------------------------------------------------------
// Command line.

const USAGE: &str = "usage:
  agencies list                          the agencies, their agents, flows and handoffs
  agencies run [--helpdesk] <message>    one run against the OpenAI API (needs OPENAI_API_KEY)";

fn list(agencies: &[Agency]) {
    for (i, agency) in agencies.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{} (routes under /{})", agency.name(), agency.route_name());
        println!("  agents:");
        for agent in agency.agents() {
            let entry = if agency.entry_points().iter().any(|e| e == agent.name()) {
                " [entry point]"
            } else {
                ""
            };
            println!(
                "    {}{entry} ({}): {}",
                agent.name(),
                agent.model(),
                agent.description()
            );
            let tools: Vec<&str> = agent.tools().iter().map(|t| t.name()).collect();
            if !tools.is_empty() {
                println!("      tools: {}", tools.join(", "));
            }
        }
        if !agency.flows().is_empty() {
            println!("  flows (send_message):");
            for (sender, recipient) in agency.flows() {
                println!("    {sender} -> {recipient}");
            }
        }
        if !agency.handoffs().is_empty() {
            println!("  handoffs (transfer_to_*):");
            for (from, to) in agency.handoffs() {
                println!("    {from} => {to}");
            }
        }
    }
}

async fn run(agency: &Agency, message: &str) -> Result<(), String> {
    let out = agency
        .run(message, None, RunConfig::from_env())
        .await
        .map_err(|failure| format!("the run failed: {failure}"))?;
    for item in &out.new_items {
        let who = match item["callerAgent"].as_str() {
            Some(caller) => format!("{caller} -> {}", item["agent"].as_str().unwrap_or("?")),
            None => item["agent"].as_str().unwrap_or("?").to_owned(),
        };
        let what = match item["type"].as_str().unwrap_or("message") {
            "function_call" => format!(
                "calls {}({})",
                item["name"].as_str().unwrap_or("?"),
                item["arguments"].as_str().unwrap_or("")
            ),
            "function_call_output" => {
                format!("tool output: {}", item["output"].as_str().unwrap_or(""))
            }
            "message" => format!(
                "{}: {}",
                item["role"].as_str().unwrap_or("?"),
                text_of(&item["content"])
            ),
            other => other.to_owned(),
        };
        println!("[{who}] {what}");
    }
    let answer = match &out.final_output {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    println!("\n{answer}\n");
    let u = &out.usage;
    println!(
        "{} model calls, {} input + {} output tokens, ${:.6}",
        u.request_count, u.input_tokens, u.output_tokens, u.total_cost
    );
    Ok(())
}

fn text_of(content: &serde_json::Value) -> String {
    match content {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (company, helpdesk) = match (company(), helpdesk().build()) {
        (Ok(c), Ok(h)) => (c, h),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["list"] => {
            list(&[company, helpdesk]);
            Ok(())
        }
        ["run", "--helpdesk", message] => run(&helpdesk, message).await,
        ["run", message] => run(&company, message).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
