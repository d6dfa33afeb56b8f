//! Why a server could not be built or could not run.

use agency_core::RegistryError;

/// Why [`crate::ServerBuilder::build`] or [`crate::Server::serve`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Two tools share a name, or a name is invalid.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// There is nothing to serve.
    #[error(
        "no agency and no tool to serve: define one with #[tool] (and make sure the crate that \
         defines it is linked: `use my_tools as _;`) or add one with Server::builder().tool(...)"
    )]
    NothingToServe,
    /// A CORS origin that is not a valid header value.
    #[error("invalid CORS origin '{0}': give `*` or origins such as `https://app.example.com`")]
    InvalidCorsOrigin(String),
    /// The address could not be bound.
    #[error(
        "could not listen on {addr}: {source} (is another server using the port? choose another one with --port)"
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
