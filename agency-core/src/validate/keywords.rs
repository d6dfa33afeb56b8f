//! The keywords of one schema node, picked out in a single pass over its entries (cheaper than a
//! hash lookup per keyword on the hot path).

use serde_json::{Map, Number, Value};

/// A numeric bound keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    Minimum,
    ExclusiveMinimum,
    Maximum,
    ExclusiveMaximum,
    MultipleOf,
}

/// The keywords the validator understands, borrowed from one schema object.
#[derive(Debug, Default)]
pub(super) struct Keywords<'s> {
    /// How many entries the schema object has.
    pub(super) len: usize,
    pub(super) reference: Option<&'s str>,
    pub(super) any_of: Option<&'s [Value]>,
    pub(super) one_of: Option<&'s [Value]>,
    pub(super) all_of: Option<&'s [Value]>,
    pub(super) enumeration: Option<&'s [Value]>,
    pub(super) constant: Option<&'s Value>,
    pub(super) ty: Option<&'s Value>,
    pub(super) properties: Option<&'s Map<String, Value>>,
    pub(super) required: &'s [Value],
    pub(super) additional: Option<&'s Value>,
    pub(super) items: Option<&'s Value>,
    pub(super) prefix_items: Option<&'s [Value]>,
    pub(super) min_items: Option<u64>,
    pub(super) max_items: Option<u64>,
    pub(super) min_length: Option<u64>,
    pub(super) max_length: Option<u64>,
    pub(super) pattern: Option<&'s str>,
    pub(super) format: Option<&'s str>,
    /// Numeric bounds, as `(keyword, limit)`.
    pub(super) bounds: [Option<(Bound, &'s Number)>; 5],
}

impl<'s> Keywords<'s> {
    /// Picks the keywords out of `map`.
    pub(super) fn scan(map: &'s Map<String, Value>) -> Self {
        let mut kw = Keywords {
            len: map.len(),
            ..Keywords::default()
        };
        for (key, value) in map {
            // Most entries are `description`, `title` and such: skip them on the first byte.
            if !matches!(
                key.as_bytes().first(),
                Some(b'$' | b'a' | b'o' | b'e' | b'c' | b't' | b'p' | b'r' | b'i' | b'm' | b'f')
            ) {
                continue;
            }
            match key.as_str() {
                "$ref" => kw.reference = value.as_str(),
                "anyOf" => kw.any_of = value.as_array().map(Vec::as_slice),
                "oneOf" => kw.one_of = value.as_array().map(Vec::as_slice),
                "allOf" => kw.all_of = value.as_array().map(Vec::as_slice),
                "enum" => kw.enumeration = value.as_array().map(Vec::as_slice),
                "const" => kw.constant = Some(value),
                "type" => kw.ty = Some(value),
                "properties" => kw.properties = value.as_object(),
                "required" => kw.required = value.as_array().map_or(&[], Vec::as_slice),
                "additionalProperties" => kw.additional = Some(value),
                "items" => kw.items = Some(value),
                "prefixItems" => kw.prefix_items = value.as_array().map(Vec::as_slice),
                "minItems" => kw.min_items = value.as_u64(),
                "maxItems" => kw.max_items = value.as_u64(),
                "minLength" => kw.min_length = value.as_u64(),
                "maxLength" => kw.max_length = value.as_u64(),
                "pattern" => kw.pattern = value.as_str(),
                "format" => kw.format = value.as_str(),
                "minimum" => kw.bounds[0] = value.as_number().map(|n| (Bound::Minimum, n)),
                "exclusiveMinimum" => {
                    kw.bounds[1] = value.as_number().map(|n| (Bound::ExclusiveMinimum, n));
                }
                "maximum" => kw.bounds[2] = value.as_number().map(|n| (Bound::Maximum, n)),
                "exclusiveMaximum" => {
                    kw.bounds[3] = value.as_number().map(|n| (Bound::ExclusiveMaximum, n));
                }
                "multipleOf" => kw.bounds[4] = value.as_number().map(|n| (Bound::MultipleOf, n)),
                _ => {}
            }
        }
        kw
    }

    /// Whether the object keywords say anything (for a schema without `type`).
    pub(super) fn has_object_keywords(&self) -> bool {
        self.properties.is_some() || self.additional.is_some() || !self.required.is_empty()
    }

    /// Whether the array keywords say anything (for a schema without `type`).
    pub(super) fn has_array_keywords(&self) -> bool {
        self.items.is_some()
            || self.prefix_items.is_some()
            || self.min_items.is_some()
            || self.max_items.is_some()
    }
}
