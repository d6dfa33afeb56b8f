//! JSON value helpers: equality and ordering of numbers by value, and Python-style `repr` for the
//! messages pydantic writes.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// Compares two numbers by value (`1 == 1.0`), exactly for integers.
pub(crate) fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_i128(a), as_i128(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// An integer as `i128` (`None` for a float).
pub(super) fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// JSON equality, with numbers compared by value.
pub(super) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b) == Some(Ordering::Equal),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|other| json_eq(v, other)))
        }
        _ => a == b,
    }
}

/// How Python prints a value: `'text'`, `3`, `True`, `None`.
pub(super) fn py_repr(value: &Value) -> String {
    match value {
        Value::String(s) => py_str_repr(s),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Joins expected values the way pydantic does: `'a', 'b' or 'c'`.
pub(super) fn py_expected<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let reprs: Vec<String> = values.into_iter().map(py_repr).collect();
    match reprs.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2}])));
        assert!(!json_eq(&json!(1), &json!("1")));
        let big = json!(u64::MAX);
        assert_eq!(
            compare_numbers(big.as_number().unwrap(), json!(-1).as_number().unwrap()),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(
            py_expected(&[json!("a"), json!("b"), json!("c")]),
            "'a', 'b' or 'c'"
        );
        assert_eq!(py_expected(&[json!(1), json!(true)]), "1 or True");
        assert_eq!(py_expected(&[json!("it's")]), "\"it's\"");
        assert_eq!(py_repr(&json!(null)), "None");
    }
}
