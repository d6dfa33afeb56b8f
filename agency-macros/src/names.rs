//! Tool names: what OpenAI accepts as a function name.

/// Whether `name` matches `^[a-zA-Z0-9_-]{1,64}$`.
pub(crate) fn is_valid(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The compile error for an invalid `name`.
pub(crate) fn invalid_message(name: &str) -> String {
    format!(
        "invalid tool name `{name}`: a tool name must be 1 to 64 characters among a-z, A-Z, 0-9, `_` and `-` \
         (OpenAI refuses others); pick another with #[tool(name = \"...\")]"
    )
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_openai_function_names_only() {
        assert!(is_valid("add"));
        assert!(is_valid("get-weather_2"));
        assert!(is_valid(&"a".repeat(64)));
        assert!(!is_valid(""));
        assert!(!is_valid(&"a".repeat(65)));
        assert!(!is_valid("add two"));
        assert!(!is_valid("café"));
        assert!(!is_valid("a.b"));
    }
}
