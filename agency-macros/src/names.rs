//! Tool names: what OpenAI accepts as a function name (checked by `agency-names`, which
//! agency-core uses too), and the compile error for others.

pub(crate) use agency_names::is_valid;

/// The compile error for an invalid `name`.
pub(crate) fn invalid_message(name: &str) -> String {
    format!(
        "invalid tool name `{name}`: a tool name must be 1 to 64 characters among a-z, A-Z, 0-9, `_` and `-` \
         (OpenAI refuses others); pick another with #[tool(name = \"...\")]"
    )
}
