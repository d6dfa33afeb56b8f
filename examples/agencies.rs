//! Agencies: agents that delegate to each other through `send_message`, and agents that hand the
//! conversation over with `transfer_to_<agent>`.
//!
//! - "Company": the CEO (entry point) delegates to the Developer and the Analyst; it sends each a
//!   message, gets its answer back as the tool's output, and answers the user.
//! - "Helpdesk": Triage (entry point) hands off to Billing or Support, which then continue the
//!   same conversation themselves.
//!
//! The program is its items and `agency::main()`, which serves both agencies (and the tools)
//! over HTTP, and talks to them in the terminal:
//!
//! ```sh
//! cargo run --example agencies -- list                       # no API key needed
//! cargo run --example agencies                               # serve on :8000 (/docs, /Company/get_response, ...)
//! OPENAI_API_KEY=sk-... cargo run --example agencies -- chat Company
//! OPENAI_API_KEY=sk-... cargo run --example agencies -- run Company "How many lines are in 'a\nb\nc', and what is the mean of 2, 4 and 9?"
//! OPENAI_API_KEY=sk-... cargo run --example agencies -- run Helpdesk "Where is the refund for order A-17?"
//! ```
//!
//! `OPENAI_BASE_URL`, `AGENCY_MODEL_API` (`chat_completions` for OpenAI-compatible servers) and
//! the other client variables are honoured too (see `ClientConfig::from_env`).

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
// Agencies: `#[agency]` registers each factory, so `agency::main()` serves both.

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

#[tokio::main]
async fn main() -> agency::Result<()> {
    agency::main!().await
}
