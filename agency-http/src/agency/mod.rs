//! Serving agencies: the routes of API.md §2 with the bodies of §4–§6 and §11.

mod cancel;
mod frames;
mod layout;
mod openapi;
mod request;
mod routes;
mod sse;
mod state;

pub use cancel::{CancelOutcome, CancelRegistry, InProcessRegistry};
pub use frames::event_json;
pub use layout::metadata;
pub use request::{AgencyRequest, CancelRequest};
pub use routes::agency_path;
pub use state::AgencyFactory;

pub(crate) use openapi::add_agency as add_to_openapi;
pub(crate) use routes::router;
pub(crate) use state::AgencyState;
