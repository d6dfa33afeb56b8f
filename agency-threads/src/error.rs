//! Why a thread store could not be opened, and the redaction of passwords in URLs.

/// The schemes [`open`](crate::open) understands, for error messages.
const ACCEPTED: &str = "`memory`, `memory?max_chats=N`, `sqlite://PATH` or \
                        `postgres://USER@HOST/DB` (`postgresql://` too)";

/// Why [`open`](crate::open) (or a store's constructor) could not open a thread store. URLs in
/// it have their password replaced by `***`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL names no store this crate knows.
    #[error("'{scheme}' is not a thread store: give {ACCEPTED}")]
    UnknownScheme {
        /// The URL's scheme (or the whole URL when it has none and holds nothing secret).
        scheme: String,
    },
    /// The store exists, but this build was compiled without it.
    #[error(
        "the thread store '{url}' needs the cargo feature `{feature}` (of agency or \
         agency-threads), which this build lacks: rebuild with `--features {feature}`"
    )]
    FeatureDisabled {
        /// The URL, redacted.
        url: String,
        /// The feature to enable.
        feature: &'static str,
    },
    /// The URL is malformed or has an option the store does not take.
    #[error("invalid thread store URL '{url}': {reason}")]
    InvalidUrl {
        /// The URL, redacted.
        url: String,
        /// What is wrong, and what to give instead.
        reason: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot open the thread store '{url}': {source} ({hint})")]
    Connect {
        /// The URL, redacted.
        url: String,
        /// What to check.
        hint: &'static str,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database was reached, but its tables could not be created or brought up to date.
    #[error(
        "cannot set up the thread store's tables in '{url}': {source} (the store keeps its \
         tables `chats` and `chat_items` and its versions in `_sqlx_migrations`; does another \
         program use those names in this database?)"
    )]
    Migrate {
        /// The URL, redacted.
        url: String,
        /// The migrator's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl OpenError {
    /// An [`OpenError::UnknownScheme`] for `url`, which is echoed only as far as it is
    /// certainly no secret: its scheme.
    pub(crate) fn unknown_scheme(url: &str) -> Self {
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        let plain = !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        OpenError::UnknownScheme {
            scheme: if plain { scheme } else { "(no scheme)" }.to_owned(),
        }
    }

    /// An [`OpenError::InvalidUrl`].
    pub(crate) fn invalid(url: &str, reason: impl Into<String>) -> Self {
        OpenError::InvalidUrl {
            url: redact(url),
            reason: reason.into(),
        }
    }
}

pub use agency_core::redact_url as redact;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_they_are() {
        for (url, shown) in [
            ("postgres://u:p@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgresql://u:p/w?x@h/db", "postgresql://u:***@h/db"),
            ("postgres://u:p@w@h/db", "postgres://u:***@h/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            (
                "postgres://h/db?sslmode=require&PassWord=x",
                "postgres://h/db?sslmode=require&PassWord=***",
            ),
            ("memory?max_chats=3", "memory?max_chats=3"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
    }

    #[test]
    fn unknown_schemes_echo_only_a_plain_scheme() {
        let shown = |url| OpenError::unknown_scheme(url).to_string();
        assert!(shown("mysql://u:secret@h/db").starts_with("'mysql' is not"));
        assert!(shown("memroy").starts_with("'memroy' is not"));
        let keywords = shown("host=h password=secret");
        assert!(!keywords.contains("secret"), "{keywords}");
    }
}
