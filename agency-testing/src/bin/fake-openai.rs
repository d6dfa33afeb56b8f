//! The fake OpenAI server as a program: serves the Responses API and Chat Completions on
//! 127.0.0.1 with the reference transcripts' fake model, so a server can be tried (and fuzzed)
//! with no API key and no network.
//!
//! ```sh
//! cargo run -p agency-testing --bin fake-openai -- 8399     # prints http://127.0.0.1:8399/v1
//! OPENAI_BASE_URL=http://127.0.0.1:8399/v1 OPENAI_API_KEY=fake cargo run --example quickstart
//! ```
//!
//! `call tool X with {json}` in a message makes the model call `X`; anything else gets a few
//! Lorem-ipsum words (`words=K` for `K`); `pause_ms=N` waits `N` ms between two stream events. It serves until stopped (Ctrl-C, SIGTERM).

use agency_testing::FakeOpenAi;

#[tokio::main]
async fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".to_owned());
    let fake = match FakeOpenAi::start_on(&format!("127.0.0.1:{port}")).await {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("fake-openai: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(2);
        }
    };
    println!("{}", fake.base_url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("fake-openai: cannot wait for Ctrl-C ({e}); serving until killed");
        std::future::pending::<()>().await;
    }
}
