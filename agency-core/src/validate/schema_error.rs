//! Why a schema cannot be validated against.

use crate::schema::SchemaPath;

/// A keyword whose value makes a schema unusable for validation: it would make the validator
/// misbehave, or no value could ever be valid. [`Validator::new`](super::Validator::new) refuses
/// such a schema, and a tool with one is refused where it is registered (see
/// [`ToolSchemaError`](crate::ToolSchemaError)).
///
/// ```
/// use agency_core::validate::{SchemaError, Validator};
/// use serde_json::json;
///
/// let err = Validator::new(json!({"type": "number", "multipleOf": 0})).unwrap_err();
/// assert!(matches!(err, SchemaError::MultipleOf { .. }));
/// assert_eq!(err.to_string(), "the input has `multipleOf: 0`, which must be a number greater than 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// `multipleOf` is not a number greater than 0.
    #[error("{at} has `multipleOf: {value}`, which must be a number greater than 0")]
    MultipleOf {
        /// Where.
        at: SchemaPath,
        /// The value given.
        value: String,
    },
    /// `pattern` is not a regular expression the `regex` crate accepts (it has no look-around
    /// and no backreferences).
    #[error("{at} has `pattern: {pattern:?}`, which is not a valid regular expression: {reason}")]
    Pattern {
        /// Where.
        at: SchemaPath,
        /// The pattern given.
        pattern: String,
        /// What the regex parser said.
        reason: String,
    },
    /// A lower bound above the upper one (`minimum` above `maximum`, `minLength` above
    /// `maxLength`...), so that no value is valid.
    #[error(
        "{at} has `{lower}: {lower_value}` above `{upper}: {upper_value}`, so no value is valid"
    )]
    EmptyRange {
        /// Where.
        at: SchemaPath,
        /// The lower bound's keyword.
        lower: &'static str,
        /// Its value.
        lower_value: String,
        /// The upper bound's keyword.
        upper: &'static str,
        /// Its value.
        upper_value: String,
    },
    /// A keyword whose value is of the wrong type (`maximum: "10"`, `minLength: -1`...), which
    /// the validator could only ignore.
    #[error("{at} has `{keyword}: {value}`, which must be {expected}")]
    KeywordType {
        /// Where.
        at: SchemaPath,
        /// The keyword.
        keyword: String,
        /// The value given.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
}
