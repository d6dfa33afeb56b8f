//! Deterministic object ids, numbered per fake server like the reference recorder's.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out `prefix_000000000000000000000001`-style ids, one counter shared by all kinds.
#[derive(Debug)]
pub(crate) struct IdGen(AtomicU64);

impl IdGen {
    /// A generator whose first id ends in `1`.
    pub(crate) fn new() -> Self {
        Self(AtomicU64::new(1))
    }

    /// The next id with `prefix` and an underscore (`resp`, `msg`, `fc`, `call`, `req`).
    pub(crate) fn next(&self, prefix: &str) -> String {
        format!("{prefix}_{:024x}", self.bump())
    }

    /// The next Chat Completions id (`chatcmpl-...`).
    pub(crate) fn next_chat(&self) -> String {
        format!("chatcmpl-{:024x}", self.bump())
    }

    fn bump(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_share_one_hex_counter() {
        let ids = IdGen::new();
        assert_eq!(ids.next("resp"), "resp_000000000000000000000001");
        assert_eq!(ids.next("msg"), "msg_000000000000000000000002");
        assert_eq!(ids.next_chat(), "chatcmpl-000000000000000000000003");
    }
}
