//! The error kinds and messages of pydantic v2, without location or input (the walker adds them).

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::json::py_expected;
use super::keywords::Bound;

/// One problem with one value: pydantic's error `type`, `msg` and `ctx`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Issue {
    pub(super) kind: &'static str,
    pub(super) msg: Cow<'static, str>,
    pub(super) ctx: Option<Value>,
}

impl Issue {
    const fn plain(kind: &'static str, msg: &'static str) -> Self {
        Self {
            kind,
            msg: Cow::Borrowed(msg),
            ctx: None,
        }
    }

    fn with_ctx(kind: &'static str, msg: String, ctx: &[(&str, Value)]) -> Self {
        let ctx: Map<String, Value> = ctx
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        Self {
            kind,
            msg: Cow::Owned(msg),
            ctx: Some(Value::Object(ctx)),
        }
    }
}

pub(super) const MISSING: Issue = Issue::plain("missing", "Field required");
pub(super) const EXTRA_FORBIDDEN: Issue =
    Issue::plain("extra_forbidden", "Extra inputs are not permitted");
pub(super) const MODEL_ATTRIBUTES_TYPE: Issue = Issue::plain(
    "model_attributes_type",
    "Input should be a valid dictionary or object to extract fields from",
);
pub(super) const DICT_TYPE: Issue = Issue::plain("dict_type", "Input should be a valid dictionary");
pub(super) const LIST_TYPE: Issue = Issue::plain("list_type", "Input should be a valid list");
pub(super) const INT_TYPE: Issue = Issue::plain("int_type", "Input should be a valid integer");
pub(super) const INT_PARSING: Issue = Issue::plain(
    "int_parsing",
    "Input should be a valid integer, unable to parse string as an integer",
);
pub(super) const INT_FROM_FLOAT: Issue = Issue::plain(
    "int_from_float",
    "Input should be a valid integer, got a number with a fractional part",
);
pub(super) const INT_PARSING_SIZE: Issue = Issue::plain(
    "int_parsing_size",
    "Unable to parse input string as an integer, exceeded maximum size",
);
pub(super) const FLOAT_TYPE: Issue = Issue::plain("float_type", "Input should be a valid number");
pub(super) const FLOAT_PARSING: Issue = Issue::plain(
    "float_parsing",
    "Input should be a valid number, unable to parse string as a number",
);
pub(super) const FINITE_NUMBER: Issue =
    Issue::plain("finite_number", "Input should be a finite number");
pub(super) const STRING_TYPE: Issue = Issue::plain("string_type", "Input should be a valid string");
pub(super) const BOOL_TYPE: Issue = Issue::plain("bool_type", "Input should be a valid boolean");
pub(super) const BOOL_PARSING: Issue = Issue::plain(
    "bool_parsing",
    "Input should be a valid boolean, unable to interpret input",
);
pub(super) const NONE_REQUIRED: Issue = Issue::plain("none_required", "Input should be None");
pub(super) const TOO_COMPLEX: Issue = Issue::plain(
    "value_error",
    "Value error, too many union alternatives to try for this input",
);
pub(super) const IP_V4_ADDRESS: Issue =
    Issue::plain("ip_v4_address", "Input is not a valid IPv4 address");
pub(super) const IP_V6_ADDRESS: Issue =
    Issue::plain("ip_v6_address", "Input is not a valid IPv6 address");
pub(super) const IP_ANY_ADDRESS: Issue = Issue::plain(
    "ip_any_address",
    "value is not a valid IPv4 or IPv6 address",
);
pub(super) const RECURSION_LOOP: Issue = Issue::plain(
    "recursion_loop",
    "Recursion error - cyclic reference detected",
);

/// `enum`: the value is not one of `values`.
pub(super) fn enumeration<'a>(values: impl IntoIterator<Item = &'a Value>) -> Issue {
    let expected = py_expected(values);
    Issue::with_ctx(
        "enum",
        format!("Input should be {expected}"),
        &[("expected", Value::String(expected.clone()))],
    )
}

/// `literal_error`: the value is not the `const`.
pub(super) fn literal(value: &Value) -> Issue {
    let expected = py_expected([value]);
    Issue::with_ctx(
        "literal_error",
        format!("Input should be {expected}"),
        &[("expected", Value::String(expected.clone()))],
    )
}

/// A numeric bound was not met.
pub(super) fn bound(keyword: Bound, limit: &Number) -> Issue {
    let (kind, ctx_key, words) = match keyword {
        Bound::Minimum => ("greater_than_equal", "ge", "greater than or equal to"),
        Bound::ExclusiveMinimum => ("greater_than", "gt", "greater than"),
        Bound::Maximum => ("less_than_equal", "le", "less than or equal to"),
        Bound::ExclusiveMaximum => ("less_than", "lt", "less than"),
        Bound::MultipleOf => ("multiple_of", "multiple_of", "a multiple of"),
    };
    Issue::with_ctx(
        kind,
        format!("Input should be {words} {limit}"),
        &[(ctx_key, Value::Number(limit.clone()))],
    )
}

/// `string_pattern_mismatch`: the string does not match `pattern`.
pub(super) fn pattern_mismatch(pattern: &str) -> Issue {
    Issue::with_ctx(
        "string_pattern_mismatch",
        format!("String should match pattern '{pattern}'"),
        &[("pattern", Value::from(pattern))],
    )
}

/// A string that does not parse as its `format`: pydantic's `kind` (`uuid_parsing`,
/// `url_parsing`, ...), its message up to the parser's `error`, and the error in `ctx`.
pub(super) fn parsing(kind: &'static str, msg: &str, error: &str) -> Issue {
    Issue::with_ctx(
        kind,
        format!("{msg}, {error}"),
        &[("error", Value::from(error))],
    )
}

/// An invalid email address, as pydantic's `EmailStr` reports it.
pub(super) fn email(reason: &str) -> Issue {
    Issue::with_ctx(
        "value_error",
        format!("value is not a valid email address: {reason}"),
        &[("reason", Value::from(reason))],
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `string_too_short`.
pub(super) fn string_too_short(min: u64) -> Issue {
    Issue::with_ctx(
        "string_too_short",
        format!("String should have at least {min} character{}", plural(min)),
        &[("min_length", Value::from(min))],
    )
}

/// `string_too_long`.
pub(super) fn string_too_long(max: u64) -> Issue {
    Issue::with_ctx(
        "string_too_long",
        format!("String should have at most {max} character{}", plural(max)),
        &[("max_length", Value::from(max))],
    )
}

/// `too_short` for a list (`field_type` "List") or tuple ("Tuple").
pub(super) fn too_short(field_type: &str, min: u64, actual: usize) -> Issue {
    Issue::with_ctx(
        "too_short",
        format!(
            "{field_type} should have at least {min} item{} after validation, not {actual}",
            plural(min)
        ),
        &[
            ("field_type", Value::from(field_type)),
            ("min_length", Value::from(min)),
            ("actual_length", Value::from(actual)),
        ],
    )
}

/// `too_long` for a list (`field_type` "List") or tuple ("Tuple").
pub(super) fn too_long(field_type: &str, max: u64, actual: usize) -> Issue {
    Issue::with_ctx(
        "too_long",
        format!(
            "{field_type} should have at most {max} item{} after validation, not {actual}",
            plural(max)
        ),
        &[
            ("field_type", Value::from(field_type)),
            ("max_length", Value::from(max)),
            ("actual_length", Value::from(actual)),
        ],
    )
}
