//! Validation of tool arguments against the tool's JSON schema, with pydantic-style errors.
//!
//! The rules are pydantic v2's lax mode, so a client of the original Python server sees the same
//! answers: `"2"`, `2.0` and `true` are valid integers, `"yes"` a valid boolean, but `2` is not a
//! valid string. Every error is reported, each with its path, kind and message as pydantic
//! writes them.
//!
//! A schema used more than once is compiled once into a [`Validator`], which also refuses a
//! schema that would make validation misbehave ([`SchemaError`]); a [`Tool`](crate::Tool) does
//! this when it is built.

mod array;
mod check;
mod constraint;
mod format;
mod issue;
mod json;
mod keywords;
mod nullability;
mod object;
mod path;
mod pattern;
mod scalar;
mod schema_error;
mod tool_input;
mod typed;
mod union;
mod validator;
mod walker;

pub(crate) use json::compare_numbers;
pub use schema_error::SchemaError;
pub(crate) use tool_input::ToolInput;
pub use typed::{deserialize, parse, validator_of};
pub use validator::Validator;

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// One problem with a tool's arguments, in the shape of a pydantic/FastAPI validation error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// The error kind: `missing`, `int_parsing`, `extra_forbidden`, ...
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where: the path from the arguments' root to the offending value.
    pub loc: Vec<Loc>,
    /// What is wrong, for a person.
    pub msg: String,
    /// The offending value.
    pub input: Value,
    /// Extra facts (the expected values of an enum, a bound...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc.is_empty() {
            return f.write_str(&self.msg);
        }
        for (i, l) in self.loc.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{l}")?;
        }
        write!(f, ": {}", self.msg)
    }
}

/// One step of a [`FieldError`] path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Loc {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Key(k) => f.write_str(k),
            Loc::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Validates `value` against `schema`, coercing where a lax client expects it, and returns the
/// coerced value or every error found.
///
/// `schema` is a tool's parameters schema (strict or lenient, see [`crate::schema`]); `$ref`s
/// point into its `$defs`. What it understands: `type` (one or several), `properties`,
/// `required`, `additionalProperties`, `items`, `prefixItems`, `enum`, `const`,
/// `anyOf`/`oneOf`/`allOf`, `$ref`, `minimum`/`maximum` (exclusive or not), `multipleOf`,
/// `minLength`/`maxLength`, `pattern`, `minItems`/`maxItems`, and the string `format`s
/// `uuid`, `uri`, `date-time`, `date`, `time`, `duration`, `email`, `ipv4`, `ipv6` and `ip`
/// (and schemars' `partial-date-time` and `partial-time`), checked with the parsers pydantic
/// uses and reported as it does (`uuid_parsing`, `url_parsing`, `datetime_parsing`...). Other
/// keywords and formats are not checked ([`Validator::unchecked`] lists them). An integer too
/// large for 64 bits breaks the schema's bound if it has one (`less_than_equal`), else gives
/// `int_parsing_size`. Two rules go beyond JSON schema, for tools whose strict schema made
/// optional fields required and nullable:
///
/// - a required property whose schema admits `null` may be omitted;
/// - an explicit `null` for such a property reaches the tool as an absent field (so a
///   `#[serde(default)]` field gets its default).
///
/// Errors have no `body` prefix in their `loc`; the HTTP layer adds it.
///
/// This compiles `schema` (its patterns) on every call; a [`Validator`] does it once. A schema
/// that [`Validator::new`] refuses is validated as [`Validator::compile`] says.
///
/// ```
/// use agency_core::validate::validate;
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
///     "required": ["a", "b"],
///     "additionalProperties": false,
/// });
/// assert_eq!(validate(&schema, json!({"a": "2", "b": true})), Ok(json!({"a": 2, "b": 1})));
///
/// let errors = validate(&schema, json!({"a": "two", "c": 3})).unwrap_err();
/// let kinds: Vec<_> = errors.iter().map(|e| e.kind.as_ref()).collect();
/// assert_eq!(kinds, ["int_parsing", "missing", "extra_forbidden"]);
/// assert_eq!(errors[1].to_string(), "b: Field required");
/// ```
pub fn validate(schema: &Value, value: Value) -> Result<Value, Vec<FieldError>> {
    run(schema, &check::compile(schema).patterns, value)
}

/// Validates `value` against `schema`, whose patterns are compiled in `patterns`.
fn run(
    schema: &Value,
    patterns: &pattern::Patterns,
    value: Value,
) -> Result<Value, Vec<FieldError>> {
    let mut value = value;
    let mut walker = walker::Walker::new(schema, patterns);
    walker.check(schema, &mut value, &path::Path::ROOT, 0);
    if walker.errors.is_empty() {
        Ok(value)
    } else {
        Err(walker.errors)
    }
}
