//! Serving agencies: per agency, `get_response`, `get_response_stream` (server-sent events),
//! `cancel_response_stream` and `get_metadata`, with Agency Swarm's bodies; `runs/{run_id}/stream`
//! to resume a stream; and, on a server that keeps conversations, `chats` and `chats/{chat_id}`.

pub mod agui;
mod chats;
mod client_policy;
mod frames;
mod layout;
mod openapi;
pub(crate) mod query;
mod request;
mod response;
mod resume;
mod routes;
mod runs;
pub(crate) mod sse;
mod state;

pub use chats::{ChatInfo, ChatList, ChatListQuery, ChatThread, MAX_PAGE, NEW_CHAT};
pub use client_policy::{ClientPolicy, Refusal};
pub use frames::event_json;
pub use layout::metadata;
pub use request::{
    AgencyRequest, AgencyRequestSchema, CancelRequest, RequestClientConfig, UserMessage,
};
pub use response::{AgencyResponse, CancelResponse};
pub use resume::{LAST_EVENT_ID, ResumeQuery};
pub use routes::agency_path;
pub use runs::{
    CancelOutcome, DEFAULT_KEEP, DEFAULT_LOG_BYTES, DEFAULT_MAX_KEPT, Frame, FrameKind, FrameLog,
    Frames, InProcessRegistry, RunKey, RunRegistry, RunRegistryError,
};
pub use state::AgencyFactory;

pub(crate) use openapi::add_agency as add_to_openapi;
pub(crate) use routes::{Prepared, prepare, router, run_to_end, settle};
pub(crate) use state::{AgencyState, Common, SharedAgency};
