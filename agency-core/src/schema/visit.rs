//! The direct subschemas of a schema node, found through the keywords that hold them.

use serde_json::{Map, Value};

use super::keywords::{SUBSCHEMA_KEYWORDS, SUBSCHEMA_LIST_KEYWORDS, SUBSCHEMA_MAP_KEYWORDS};

/// Where a subschema sits in its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot<'a> {
    /// The value of a keyword such as `items` or `additionalProperties`.
    Keyword(&'a str),
    /// An element of a list keyword such as `anyOf` or `prefixItems`.
    Element(&'a str),
    /// A named entry of a map keyword such as `properties` or `$defs`: `(keyword, name)`.
    Entry(&'a str, &'a str),
}

/// Calls `f` with every direct subschema of `map` and where it sits.
pub(crate) fn subschemas<'a>(map: &'a Map<String, Value>, mut f: impl FnMut(Slot<'a>, &'a Value)) {
    for (key, value) in map {
        let key = key.as_str();
        if SUBSCHEMA_KEYWORDS.contains(&key) {
            f(Slot::Keyword(key), value);
        } else if SUBSCHEMA_LIST_KEYWORDS.contains(&key) {
            if let Value::Array(list) = value {
                list.iter().for_each(|v| f(Slot::Element(key), v));
            }
        } else if SUBSCHEMA_MAP_KEYWORDS.contains(&key)
            && let Value::Object(named) = value
        {
            named
                .iter()
                .for_each(|(name, v)| f(Slot::Entry(key, name), v));
        }
    }
}

/// Calls `f` with every direct subschema of `map`, mutably.
pub(crate) fn subschemas_mut(map: &mut Map<String, Value>, mut f: impl FnMut(&mut Value)) {
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if SUBSCHEMA_KEYWORDS.contains(&key) {
            f(value);
        } else if SUBSCHEMA_LIST_KEYWORDS.contains(&key) {
            if let Value::Array(list) = value {
                list.iter_mut().for_each(&mut f);
            }
        } else if SUBSCHEMA_MAP_KEYWORDS.contains(&key)
            && let Value::Object(named) = value
        {
            named.values_mut().for_each(&mut f);
        }
    }
}
