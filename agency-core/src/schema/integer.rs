//! Integer ranges: each integer schema carries the range of its Rust type as `minimum`/`maximum`,
//! so the OpenAPI document, the model and the validator agree on which integers a field takes.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::keywords::has_type;
use super::visit::subschemas_mut;
use crate::validate::compare_numbers;

/// The integers serde_json holds as integers, so the widest range a field can take.
const ANY: (i64, u64) = (i64::MIN, u64::MAX);

/// The range of the Rust type behind an integer `format` as schemars writes it, clipped to
/// [`ANY`] (`i128` and `u128` take no more than that from JSON).
pub(crate) fn range(format: &str) -> Option<(i64, u64)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX as u64),
        "int16" => (i16::MIN.into(), i16::MAX as u64),
        "int32" => (i32::MIN.into(), i32::MAX as u64),
        "int64" => (i64::MIN, i64::MAX as u64),
        "int" => (isize::MIN as i64, isize::MAX as u64),
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" => (0, u64::MAX),
        "uint" => (0, usize::MAX as u64),
        "int128" => ANY,
        "uint128" => (0, u64::MAX),
        _ => return None,
    })
}

/// A schemars transform: an integer schema with a `format` gets the range of its Rust type
/// (schemars writes it for `i8`, `i16`, `u8` and `u16` only, and `minimum: 0` for the other
/// unsigned types). A tighter bound already there stays.
pub(super) fn bound_by_format(schema: &mut schemars::Schema) {
    if let Some(map) = schema.as_object_mut()
        && has_type(map, "integer")
        && let Some(range) = map.get("format").and_then(Value::as_str).and_then(range)
    {
        tighten(map, range);
    }
}

/// Gives every integer schema in `schema` the range of its `format`, or without one the range of
/// 64-bit integers: what the validator takes, so a schema-valid 30-digit integer is not refused
/// after all. A tighter bound already there stays.
pub(crate) fn bound_integers(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    if has_type(map, "integer") {
        let range = map
            .get("format")
            .and_then(Value::as_str)
            .and_then(range)
            .unwrap_or(ANY);
        tighten(map, range);
    }
    subschemas_mut(map, bound_integers);
}

fn tighten(map: &mut Map<String, Value>, (min, max): (i64, u64)) {
    bound(
        map,
        ["minimum", "exclusiveMinimum"],
        min.into(),
        Ordering::Greater,
    );
    bound(
        map,
        ["maximum", "exclusiveMaximum"],
        max.into(),
        Ordering::Less,
    );
}

/// Sets `keywords[0]` to `limit` unless one of `keywords` already bounds that side as tightly
/// (`tighter` is the ordering of a tighter bound against `limit`). A bound that is not a number
/// is left for the schema check to report.
fn bound(map: &mut Map<String, Value>, keywords: [&str; 2], limit: Number, tighter: Ordering) {
    let mut tight = false;
    for keyword in keywords {
        match map.get(keyword) {
            None => {}
            Some(Value::Number(n)) => {
                tight |= compare_numbers(n, &limit).is_some_and(|o| o == tighter || o.is_eq());
            }
            Some(_) => return,
        }
    }
    if tight {
        return;
    }
    if let Some(old) = map.get_mut(keywords[0]) {
        *old = Value::Number(limit);
        return;
    }
    // Next to the other bounds, so the schema reads `type, format, minimum, maximum, ...`.
    let at = map
        .keys()
        .rposition(|k| ["type", "format", "minimum", "exclusiveMinimum"].contains(&k.as_str()))
        .map_or(map.len(), |i| i + 1);
    map.shift_insert(at, keywords[0].to_owned(), Value::Number(limit));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tighter_bounds_stay_and_looser_ones_give_way() {
        let mut schema = json!({"anyOf": [
            {"type": "integer", "format": "uint32", "minimum": 1, "maximum": 1e20},
            {"type": ["integer", "null"], "format": "int8", "exclusiveMaximum": 5},
            {"type": "integer", "maximum": "ten"},
            {"type": "number", "format": "double"},
        ]});
        bound_integers(&mut schema);
        assert_eq!(
            schema,
            json!({"anyOf": [
                {"type": "integer", "format": "uint32", "minimum": 1, "maximum": 4_294_967_295_u32},
                {"type": ["integer", "null"], "format": "int8", "minimum": -128, "exclusiveMaximum": 5},
                {"type": "integer", "minimum": i64::MIN, "maximum": "ten"},
                {"type": "number", "format": "double"},
            ]})
        );
    }
}
