//! Test support for agency-rs: a scriptable fake OpenAI server on `127.0.0.1`, and the same
//! script played in the process by [`ScriptedModel`].
//!
//! [`FakeOpenAi`] serves the Responses API (`POST /v1/responses`) and Chat
//! Completions (`POST /v1/chat/completions`), streaming (SSE, the exact event
//! sequence OpenAI sends) or not, from [`Reply`]s a test scripts, and records
//! every request it gets. Point async-openai at it with
//! `OpenAIConfig::new().with_api_base(fake.base_url())`.
//!
//! ```no_run
//! # async fn demo() {
//! use std::time::Duration;
//! use agency_testing::{FakeOpenAi, Reply};
//! use serde_json::json;
//!
//! let fake = FakeOpenAi::start().await;
//! fake.push(Reply::function_call("add", json!({"a": 2, "b": 40})))
//!     .push(Reply::text("The sum is 42.").usage(120, 6));
//! let base_url = fake.base_url(); // http://127.0.0.1:PORT/v1
//! // ... run the code under test against base_url ...
//! assert_eq!(fake.request_count(), 2);
//! assert_eq!(fake.requests()[0].model(), Some("gpt-4o"));
//! assert!(fake.wait_for_dropped_stream(Duration::from_secs(5)).await);
//! # }
//! ```
//!
//! Unscripted requests get the answers of the reference transcripts
//! ([`reference_reply`]): `call tool X with {json}` in the last user message
//! makes a call of `X`, a trailing tool output makes `Tool X returned: ...`,
//! anything else 20 Lorem-ipsum words (`words=K` for `K`); `pause_ms=N` paces the stream.

#![warn(missing_docs)]

mod chat_api;
mod closed_port;
mod errors;
mod files_api;
mod function_call;
mod guard;
mod handler;
mod ids;
mod lorem;
pub mod mcp;
mod quirks;
mod recorded;
mod reference;
mod reply;
mod responses_api;
mod scripted;
mod server;
mod sse;
mod state;
mod usage;

pub use closed_port::closed_port_url;
pub use files_api::StoredFile;
pub use function_call::{Arguments, FunctionCall};
pub use lorem::{lorem, lorem_words};
pub use quirks::ChatQuirks;
pub use recorded::RecordedRequest;
pub use reference::reference_reply;
pub use reply::{Garbage, Reply};
pub use scripted::ScriptedModel;
pub use server::FakeOpenAi;
pub use usage::{Usage, estimate_tokens};
