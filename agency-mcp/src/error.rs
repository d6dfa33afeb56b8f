//! Why an MCP server could not be used.

use std::time::Duration;

/// Why an MCP server's tools could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The program of a stdio server could not be started.
    #[error("MCP server '{server}': cannot start `{command}`: {source}")]
    Spawn {
        /// The server's name.
        server: String,
        /// The program.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// The connection or the MCP handshake failed.
    #[error("MCP server '{server}' ({place}): cannot connect: {reason}")]
    Connect {
        /// The server's name.
        server: String,
        /// Its URL or program.
        place: String,
        /// Why.
        reason: String,
    },
    /// Listing its tools failed.
    #[error("MCP server '{server}': cannot list its tools: {reason}")]
    ListTools {
        /// The server's name.
        server: String,
        /// Why.
        reason: String,
    },
    /// The server did not answer in time.
    #[error("MCP server '{server}' ({place}) did not answer within {} s", .after.as_secs_f64())]
    Timeout {
        /// The server's name.
        server: String,
        /// Its URL or program.
        place: String,
        /// The deadline.
        after: Duration,
    },
    /// A header given with [`McpServer::header`](crate::McpServer::header) is not valid HTTP.
    #[error("MCP server '{server}': invalid header '{name}'")]
    Header {
        /// The server's name.
        server: String,
        /// The header's name.
        name: String,
    },
}
