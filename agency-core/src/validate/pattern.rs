//! `pattern`: regular expressions compiled once per schema, with the `regex` crate (the engine
//! pydantic uses by default), and matched anywhere in the string as JSON schema says.

use std::collections::HashMap;

use regex::Regex;

/// The compiled `pattern`s of one schema, by their text.
#[derive(Debug, Clone, Default)]
pub(super) struct Patterns(HashMap<Box<str>, Regex>);

impl Patterns {
    /// Compiles `pattern` unless it already is; the error says why it is not a valid regex.
    pub(super) fn add(&mut self, pattern: &str) -> Result<(), regex::Error> {
        if !self.0.contains_key(pattern) {
            self.0.insert(pattern.into(), Regex::new(pattern)?);
        }
        Ok(())
    }

    /// Whether `text` matches `pattern`; a pattern that was not compiled (it is invalid) matches
    /// everything.
    pub(super) fn matches(&self, pattern: &str, text: &str) -> bool {
        self.0.get(pattern).is_none_or(|regex| regex.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use super::Patterns;

    #[test]
    fn patterns_match_anywhere_unless_anchored() {
        let mut patterns = Patterns::default();
        patterns.add("[0-9]{3}").unwrap();
        patterns.add("^a+$").unwrap();
        assert!(patterns.add("(unclosed").is_err());
        assert!(patterns.matches("[0-9]{3}", "ab123cd"));
        assert!(!patterns.matches("[0-9]{3}", "ab12cd"));
        assert!(patterns.matches("^a+$", "aaa"));
        assert!(!patterns.matches("^a+$", "aab"));
        assert!(patterns.matches("(unclosed", "anything"));
    }
}
