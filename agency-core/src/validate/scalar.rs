//! Scalar checks with pydantic's lax coercions: `"2"` and `2.0` and `true` for integers, numeric
//! strings for numbers, `"yes"`/`"off"`/`0`/`1` for booleans. In strict mode (used to find an
//! exact match among union branches) only the JSON type itself passes.

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::issue::{self, Issue};

/// What a scalar check decided about a valid value.
#[derive(Debug, PartialEq)]
pub(super) enum Coerced {
    /// Valid as it is.
    Keep,
    /// Valid once replaced by this value.
    Replace(Value),
}

/// An integer (JSON integer, or lax: integral float, numeric string, boolean).
pub(super) fn integer(value: &Value, lax: bool) -> Result<Coerced, Issue> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Coerced::Keep),
        _ if !lax => Err(issue::INT_TYPE),
        Value::Number(n) => n
            .as_f64()
            .ok_or(issue::INT_TYPE)
            .and_then(int_from_float)
            .map(Coerced::Replace),
        Value::String(s) => parse_int(s).map(Coerced::Replace),
        Value::Bool(b) => Ok(Coerced::Replace(Value::from(u8::from(*b)))),
        _ => Err(issue::INT_TYPE),
    }
}

/// A number (any JSON number, or lax: numeric string, boolean).
pub(super) fn number(value: &Value, lax: bool) -> Result<Coerced, Issue> {
    match value {
        Value::Number(_) => Ok(Coerced::Keep),
        _ if !lax => Err(issue::FLOAT_TYPE),
        Value::String(s) => parse_float(s).map(Coerced::Replace),
        Value::Bool(b) => Ok(Coerced::Replace(Value::from(f64::from(u8::from(*b))))),
        _ => Err(issue::FLOAT_TYPE),
    }
}

/// A boolean (JSON boolean, or lax: `0`/`1`, and strings such as `"true"`, `"off"`, `"yes"`).
pub(super) fn boolean(value: &Value, lax: bool) -> Result<Coerced, Issue> {
    match value {
        Value::Bool(_) => Ok(Coerced::Keep),
        _ if !lax => Err(issue::BOOL_TYPE),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(Coerced::Replace(Value::Bool(false))),
            Some(1.0) => Ok(Coerced::Replace(Value::Bool(true))),
            _ => Err(issue::BOOL_PARSING),
        },
        Value::String(s) => parse_bool(s)
            .map(|b| Coerced::Replace(Value::Bool(b)))
            .ok_or(issue::BOOL_PARSING),
        _ => Err(issue::BOOL_TYPE),
    }
}

/// A string (strings only: pydantic does not turn numbers into strings).
pub(super) fn string(value: &Value) -> Result<Coerced, Issue> {
    match value {
        Value::String(_) => Ok(Coerced::Keep),
        _ => Err(issue::STRING_TYPE),
    }
}

/// `null`.
pub(super) fn null(value: &Value) -> Result<Coerced, Issue> {
    match value {
        Value::Null => Ok(Coerced::Keep),
        _ => Err(issue::NONE_REQUIRED),
    }
}

/// An integral float as an integer; `int_from_float` for a fraction, `int_parsing_size` beyond
/// 64 bits (serde_json reads a larger integer literal as a float).
fn int_from_float(f: f64) -> Result<Value, Issue> {
    // 2^63 and 2^64, exactly representable as f64.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    if !f.is_finite() {
        return Err(issue::FINITE_NUMBER);
    }
    if f.fract() != 0.0 {
        return Err(issue::INT_FROM_FLOAT);
    }
    if (-I64_END..I64_END).contains(&f) {
        Ok(Value::from(f as i64))
    } else if (0.0..U64_END).contains(&f) {
        Ok(Value::from(f as u64))
    } else {
        Err(issue::INT_PARSING_SIZE)
    }
}

/// Python's `int(str)` as pydantic applies it: surrounding whitespace, a sign, `_` between
/// digits and a zero fraction (`"2.00"`) are accepted.
fn parse_int(text: &str) -> Result<Value, Issue> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = match digits.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err(issue::INT_PARSING),
        None => digits,
    };
    let digits = strip_underscores(digits).ok_or(issue::INT_PARSING)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(issue::INT_PARSING);
    }
    // Only digits are left, so the only way to fail is to overflow.
    let magnitude: u128 = digits.parse().map_err(|_| issue::INT_PARSING_SIZE)?;
    if negative {
        let value = i64::try_from(-i128::try_from(magnitude).map_err(|_| issue::INT_PARSING_SIZE)?);
        value.map(Value::from).map_err(|_| issue::INT_PARSING_SIZE)
    } else {
        u64::try_from(magnitude)
            .map(Value::from)
            .map_err(|_| issue::INT_PARSING_SIZE)
    }
}

/// Python's `float(str)`: whitespace, sign, exponent, `_` between digits. Infinity and NaN
/// parse but cannot be JSON, so they give `finite_number`.
fn parse_float(text: &str) -> Result<Value, Issue> {
    let text = strip_underscores(text.trim()).ok_or(issue::FLOAT_PARSING)?;
    let f: f64 = text.parse().map_err(|_| issue::FLOAT_PARSING)?;
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or(issue::FINITE_NUMBER)
}

/// The strings pydantic reads as booleans, in any case.
fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: &[&str] = &["1", "on", "t", "true", "y", "yes"];
    const FALSE: &[&str] = &["0", "off", "f", "false", "n", "no"];
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(text));
    if is(TRUE) {
        Some(true)
    } else if is(FALSE) {
        Some(false)
    } else {
        None
    }
}

/// Removes `_` between digits (`1_000`), as Python does; `None` for a misplaced `_`.
fn strip_underscores(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains('_') {
        return Some(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '_' {
            let before = i.checked_sub(1).and_then(|j| bytes.get(j));
            let after = bytes.get(i + 1);
            if !(before.is_some_and(u8::is_ascii_digit) && after.is_some_and(u8::is_ascii_digit)) {
                return None;
            }
        } else {
            out.push(c);
        }
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn int(v: Value) -> Result<Value, &'static str> {
        match integer(&v, true) {
            Ok(Coerced::Keep) => Ok(v),
            Ok(Coerced::Replace(new)) => Ok(new),
            Err(issue) => Err(issue.kind),
        }
    }

    #[test]
    fn integers() {
        assert_eq!(int(json!(" 2 ")), Ok(json!(2)));
        assert_eq!(int(json!("-2")), Ok(json!(-2)));
        assert_eq!(int(json!("+1_000")), Ok(json!(1000)));
        assert_eq!(int(json!("2.00")), Ok(json!(2)));
        assert_eq!(int(json!(2.0)), Ok(json!(2)));
        assert_eq!(int(json!(true)), Ok(json!(1)));
        assert_eq!(int(json!("18446744073709551615")), Ok(json!(u64::MAX)));
        assert_eq!(int(json!("-9223372036854775808")), Ok(json!(i64::MIN)));
        assert_eq!(int(json!("-9223372036854775809")), Err("int_parsing_size"));
        assert_eq!(int(json!("18446744073709551616")), Err("int_parsing_size"));
        assert_eq!(int(json!("1".repeat(60))), Err("int_parsing_size"));
        assert_eq!(int(json!(1e30)), Err("int_parsing_size"));
        assert_eq!(int(json!("2.5")), Err("int_parsing"));
        assert_eq!(int(json!("1__0")), Err("int_parsing"));
        assert_eq!(int(json!("_1")), Err("int_parsing"));
        assert_eq!(int(json!("")), Err("int_parsing"));
        assert_eq!(int(json!("-")), Err("int_parsing"));
        assert_eq!(int(json!("1e3")), Err("int_parsing"));
        assert_eq!(int(json!(2.5)), Err("int_from_float"));
        assert_eq!(int(json!(null)), Err("int_type"));
        assert_eq!(int(json!([1])), Err("int_type"));
        assert_eq!(integer(&json!("2"), false), Err(issue::INT_TYPE));
    }

    #[test]
    fn numbers_and_booleans() {
        assert_eq!(
            number(&json!(" 2.5 "), true),
            Ok(Coerced::Replace(json!(2.5)))
        );
        assert_eq!(number(&json!(3), true), Ok(Coerced::Keep));
        assert_eq!(number(&json!("inf"), true), Err(issue::FINITE_NUMBER));
        assert_eq!(number(&json!("abc"), true), Err(issue::FLOAT_PARSING));
        assert_eq!(number(&json!(null), true), Err(issue::FLOAT_TYPE));
        assert_eq!(
            boolean(&json!("Yes"), true),
            Ok(Coerced::Replace(json!(true)))
        );
        assert_eq!(
            boolean(&json!("off"), true),
            Ok(Coerced::Replace(json!(false)))
        );
        assert_eq!(boolean(&json!(1), true), Ok(Coerced::Replace(json!(true))));
        assert_eq!(boolean(&json!(2), true), Err(issue::BOOL_PARSING));
        assert_eq!(boolean(&json!("maybe"), true), Err(issue::BOOL_PARSING));
        assert_eq!(boolean(&json!([]), true), Err(issue::BOOL_TYPE));
        assert_eq!(string(&json!(1)), Err(issue::STRING_TYPE));
    }
}
