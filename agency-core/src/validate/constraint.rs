//! The constraints on a scalar of the right type: numeric bounds, string lengths, `pattern` and
//! `format`.

use serde_json::{Number, Value};

use super::format;
use super::issue::{self, Issue};
use super::json::{as_i128, compare_numbers};
use super::keywords::{Bound, Keywords};
use super::pattern::Patterns;

/// A bound, length, pattern or format a scalar breaks.
pub(super) enum Broken<'s> {
    Bound(Bound, &'s Number),
    TooShort(u64),
    TooLong(u64),
    Pattern(&'s str),
    Format(Issue),
}

impl Broken<'_> {
    pub(super) fn issue(self) -> Issue {
        match self {
            Broken::Bound(keyword, limit) => issue::bound(keyword, limit),
            Broken::TooShort(min) => issue::string_too_short(min),
            Broken::TooLong(max) => issue::string_too_long(max),
            Broken::Pattern(pattern) => issue::pattern_mismatch(pattern),
            Broken::Format(issue) => issue,
        }
    }
}

/// The first constraint a valid scalar breaks, in pydantic's order: for a string the length,
/// then the pattern, then the format.
pub(super) fn broken<'s>(
    kw: &Keywords<'s>,
    patterns: &Patterns,
    value: &Value,
) -> Option<Broken<'s>> {
    match value {
        Value::Number(n) => kw.bounds.iter().flatten().find_map(|&(keyword, limit)| {
            let broken = match keyword {
                Bound::MultipleOf => !is_multiple(n, limit),
                Bound::Minimum => compare_numbers(n, limit)?.is_lt(),
                Bound::ExclusiveMinimum => compare_numbers(n, limit)?.is_le(),
                Bound::Maximum => compare_numbers(n, limit)?.is_gt(),
                Bound::ExclusiveMaximum => compare_numbers(n, limit)?.is_ge(),
            };
            broken.then_some(Broken::Bound(keyword, limit))
        }),
        Value::String(s) => string(kw, patterns, s),
        _ => None,
    }
}

fn string<'s>(kw: &Keywords<'s>, patterns: &Patterns, s: &str) -> Option<Broken<'s>> {
    if kw.min_length.is_some() || kw.max_length.is_some() {
        let chars = s.chars().count() as u64;
        match (kw.min_length, kw.max_length) {
            (Some(min), _) if chars < min => return Some(Broken::TooShort(min)),
            (_, Some(max)) if chars > max => return Some(Broken::TooLong(max)),
            _ => {}
        }
    }
    if let Some(pattern) = kw.pattern
        && !patterns.matches(pattern, s)
    {
        return Some(Broken::Pattern(pattern));
    }
    format::check(kw.format?, s).err().map(Broken::Format)
}

/// For an integer too large for 64 bits (`int_parsing_size`, `value` as sent): the bound it
/// breaks, if the schema has one, as pydantic (whose integers have no size limit) reports it.
pub(super) fn beyond_64_bits<'s>(kw: &Keywords<'s>, value: &Value) -> Option<Broken<'s>> {
    // Integral here; `as` saturates, which keeps the order against any 64-bit bound.
    let wide = match value {
        Value::Number(n) => n.as_f64()? as i128,
        Value::String(s) => {
            let digits = s.trim().replace('_', "");
            match digits.parse::<i128>() {
                Ok(wide) => wide,
                Err(_) => digits.parse::<f64>().ok()? as i128,
            }
        }
        _ => return None,
    };
    kw.bounds.iter().flatten().find_map(|&(keyword, limit)| {
        let order = match as_i128(limit) {
            Some(limit) => wide.cmp(&limit),
            None => (wide as f64).partial_cmp(&limit.as_f64()?)?,
        };
        let broken = match keyword {
            Bound::Minimum => order.is_lt(),
            Bound::ExclusiveMinimum => order.is_le(),
            Bound::Maximum => order.is_gt(),
            Bound::ExclusiveMaximum => order.is_ge(),
            Bound::MultipleOf => false,
        };
        broken.then_some(Broken::Bound(keyword, limit))
    })
}

/// Whether `n` is a multiple of `step` (exactly for integers). A `step` of 0 or less, which a
/// checked schema does not have, holds for every number.
fn is_multiple(n: &Number, step: &Number) -> bool {
    if let (Some(n), Some(step)) = (as_i128(n), as_i128(step)) {
        // `None` for a zero step.
        return n.checked_rem(step).is_none_or(|r| r == 0);
    }
    match (n.as_f64(), step.as_f64()) {
        (Some(n), Some(step)) if step != 0.0 => {
            let ratio = n / step;
            (ratio - ratio.round()).abs() <= 1e-9 * ratio.abs().max(1.0)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multiples_never_overflow() {
        let n = |v: Value| v.as_number().cloned().unwrap();
        assert!(is_multiple(&n(json!(i64::MIN)), &n(json!(-1))));
        assert!(is_multiple(&n(json!(6)), &n(json!(0))));
        assert!(is_multiple(&n(json!(6)), &n(json!(-3))));
        assert!(!is_multiple(&n(json!(7)), &n(json!(3))));
        assert!(is_multiple(&n(json!(0.3)), &n(json!(0.1))));
        assert!(!is_multiple(&n(json!(u64::MAX)), &n(json!(2))));
    }
}
