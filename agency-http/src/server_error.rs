//! Why a server could not be built or could not run.

use agency_core::{AgencyError, RegistryError};

/// Why [`crate::ServerBuilder::build`] or [`crate::Server::serve`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Two tools share a name, or a name is invalid.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An agency could not be built.
    #[error("the agency {location} is invalid: {source}")]
    Agency {
        /// Where it came from (`defined at file:line`, or `registered explicitly`).
        location: String,
        /// Why.
        #[source]
        source: AgencyError,
    },
    /// Two agencies would be served at one route.
    #[error(
        "agencies '{first}' and '{second}' would both be served at /{route}/...: give one another name"
    )]
    DuplicateAgency {
        /// The route name (the agency name with spaces as `_`).
        route: String,
        /// The first agency's name.
        first: String,
        /// The second's.
        second: String,
    },
    /// An `allowed_base_urls` entry is not an absolute http(s) URL.
    #[error("invalid server option allowed_base_urls: {0}")]
    Egress(#[from] agency_core::model::EgressError),
    /// There is nothing to serve.
    #[error(
        "no agency and no tool to serve: define one with #[tool] (and make sure the crate that \
         defines it is linked: `use my_tools as _;`) or add one with Server::builder().tool(...)"
    )]
    NothingToServe,
    /// A CORS origin that is not a valid header value.
    #[error("invalid CORS origin '{0}': give `*` or origins such as `https://app.example.com`")]
    InvalidCorsOrigin(String),
    /// A served tool needs a shared value (`State<T>`) that the server (and its agency) lacks.
    #[error("{place}: {source}")]
    MissingState {
        /// `agency 'X'` or `the tool routes`.
        place: String,
        /// The tool and the type.
        #[source]
        source: agency_core::MissingState,
    },
    /// Routes given to `ServerBuilder::routes` cannot be merged with the server's own.
    #[error(
        "your routes clash with the server's: {0} (each path and method can be served once; the server serves /tool/..., /{{agency}}/..., /docs, /redoc, /openapi.json, /health, /ready and /metrics)"
    )]
    Routes(String),
    /// The address could not be bound.
    #[error(
        "could not listen on {addr}: {source} (is another server using the port? choose another one with --port or AGENCY_PORT)"
    )]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the server stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
}
