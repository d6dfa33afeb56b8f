//! The names OpenAI accepts for functions, `^[a-zA-Z0-9_-]{1,64}$`, in one place for the two
//! crates that check them: agency-core, when a `Toolbox` is built, and agency-macros, when
//! `#[tool]` expands (a proc-macro crate cannot call agency-core at expansion time).
//!
//! ```
//! assert!(agency_names::is_valid("get-weather_2"));
//! assert!(!agency_names::is_valid("add two"));
//! assert_eq!(agency_names::sanitize("transfer_to_Dev Shop"), "transfer_to_Dev_Shop");
//! ```

#![warn(missing_docs)]

/// The pattern a name must match, for messages.
pub const PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";

/// The longest name, in characters (all of them ASCII).
pub const MAX_LEN: usize = 64;

/// Whether `c` may appear in a name.
pub fn is_valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `name` matches [`PATTERN`].
pub fn is_valid(name: &str) -> bool {
    (1..=MAX_LEN).contains(&name.len()) && name.chars().all(is_valid_char)
}

/// `name` made valid but for emptiness: every other character becomes `_`, and it is cut to
/// [`MAX_LEN`].
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if is_valid_char(c) { c } else { '_' })
        .take(MAX_LEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{is_valid, sanitize};

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

    #[test]
    fn sanitize_replaces_each_other_character_and_cuts_to_64() {
        assert_eq!(sanitize("Dev Shop/café"), "Dev_Shop_caf_");
        assert_eq!(sanitize(&"é".repeat(70)), "_".repeat(64));
        assert!(is_valid(&sanitize(&"a b".repeat(30))));
    }
}
