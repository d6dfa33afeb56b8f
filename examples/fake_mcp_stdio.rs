//! The fake MCP server of the tests (`agency_testing::mcp`: `add`, `lookup`, `wait`, `fail`,
//! `notes.search`, `tally`) over standard input and output, for trying an agent's MCP client
//! by hand:
//!
//! ```text
//! McpServer::stdio("target/debug/examples/fake_mcp_stdio", Vec::<String>::new())
//! ```

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = agency_testing::mcp::serve_stdio().await {
        eprintln!("fake_mcp_stdio: {e}");
        std::process::exit(1);
    }
}
