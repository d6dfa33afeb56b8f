//! [`ApiToken`]: a bearer token and the principal it names, and the tokens file.

use super::Principal;

/// A bearer token and the principal it authenticates. `Debug` does not print the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Who the token is.
    pub principal: String,
    /// The token.
    pub token: String,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("principal", &self.principal)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Why a tokens file was refused: which line, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tokens file, line {line}: {reason}")]
pub struct TokensFileError {
    /// The line (from 1).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl ApiToken {
    /// The token `token` of `principal`.
    pub fn new(principal: impl Into<String>, token: impl Into<String>) -> Self {
        ApiToken {
            principal: principal.into(),
            token: token.into(),
        }
    }

    /// The principal as the auth layer hands it to the routes.
    pub(crate) fn to_principal(&self) -> Principal {
        Principal::new(&self.principal)
    }

    /// Reads a tokens file: one `principal:token` a line (the principal before the first `:`,
    /// without spaces; the token after it, trimmed), blank lines and lines starting with `#`
    /// ignored. A token may appear once; a principal may have several tokens.
    ///
    /// ```
    /// use agency_http::ApiToken;
    ///
    /// let tokens = ApiToken::parse_file("# staff\nalice: tok-a\nbob:tok-b\n").unwrap();
    /// assert_eq!(tokens, [ApiToken::new("alice", "tok-a"), ApiToken::new("bob", "tok-b")]);
    /// let err = ApiToken::parse_file("alice tok-a").unwrap_err();
    /// assert_eq!(err.line, 1);
    /// ```
    pub fn parse_file(text: &str) -> Result<Vec<ApiToken>, TokensFileError> {
        let mut tokens: Vec<ApiToken> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let fail = |reason: &str| TokensFileError {
                line: n + 1,
                reason: reason.to_owned(),
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (principal, token) = line
                .split_once(':')
                .ok_or_else(|| fail("expected `principal:token`"))?;
            let (principal, token) = (principal.trim(), token.trim());
            if principal.is_empty() || principal.contains(char::is_whitespace) {
                return Err(fail("the principal is empty or has spaces"));
            }
            if token.is_empty() {
                return Err(fail("the token is empty"));
            }
            if tokens.iter().any(|t| t.token == token) {
                return Err(fail("this token appears on an earlier line too"));
            }
            tokens.push(ApiToken::new(principal, token));
        }
        Ok(tokens)
    }
}
