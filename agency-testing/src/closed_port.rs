//! A base URL nobody listens on, for "upstream down" tests.

use std::net::TcpListener;

/// `http://127.0.0.1:PORT/v1` for a port that was free a moment ago and is closed now:
/// connecting to it is refused, like an OpenAI-compatible upstream that is down.
///
/// The port is found by binding a listener on `127.0.0.1:0` and dropping it.
///
/// # Panics
///
/// Panics if no local port can be bound at all.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}
