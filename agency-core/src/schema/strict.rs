//! The rewrite to OpenAI strict mode: a port of the OpenAI Agents SDK's
//! `ensure_strict_json_schema` (`agents/strict_schema.py`) to `serde_json::Value`, adapted to what
//! schemars generates.

use serde_json::{Map, Value};

use super::keywords::{STRICT_STRING_FORMATS, has_type, is_numeric};
use super::reference;
use super::strict_error::{SchemaPath, StrictSchemaError};

/// How many `$ref`s with sibling keywords may be inlined into one another before giving up (only a
/// type that contains itself directly gets there).
const MAX_INLINE_DEPTH: u32 = 32;

/// Keywords OpenAI strict mode rejects, and which schemars only emits for unusual types.
const UNSUPPORTED: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "propertyNames",
    "unevaluatedItems",
];

/// Keywords that say something about a value; a schema with none of them accepts anything.
const CONSTRAINING: &[&str] = &[
    "type",
    "$ref",
    "anyOf",
    "oneOf",
    "allOf",
    "enum",
    "const",
    "properties",
    "items",
    "prefixItems",
];

/// Rewrites a schema to OpenAI strict mode: every object closed (`additionalProperties: false`)
/// with every property required, optional fields nullable, `oneOf` as `anyOf`, and the keywords
/// strict mode refuses removed.
///
/// Every object gets `additionalProperties: false` and all its properties in `required`; a
/// property that was optional becomes nullable instead (`["integer", "null"]`, or an `anyOf` with
/// `{"type": "null"}`); `oneOf` becomes `anyOf`; `default`, `$schema` and `format` on numbers go;
/// a `$ref` next to other keywords (a documented field of a struct type) is inlined. Descriptions,
/// titles, `minimum`/`maximum` and the other bounds stay.
///
/// `Err` says what strict mode cannot express and where: a map, a tuple, a `serde_json::Value`,
/// an input that is not an object.
///
/// ```
/// use agency_core::schema::{self, StrictSchemaError};
/// use std::collections::HashMap;
///
/// #[derive(schemars::JsonSchema)]
/// struct Tags {
///     tags: HashMap<String, String>,
/// }
///
/// let err = schema::to_strict(&schema::generate::<Tags>()).unwrap_err();
/// assert!(matches!(err, StrictSchemaError::Map { .. }));
/// assert!(err.to_string().starts_with("field `tags` is a map"));
/// ```
pub fn to_strict(schema: &Value) -> Result<Value, StrictSchemaError> {
    rewrite(schema, false)
}

/// [`to_strict`] keeping every string `format`, for the validator (strict mode itself only takes
/// those in [`STRICT_STRING_FORMATS`]).
pub(crate) fn to_strict_with_formats(schema: &Value) -> Result<Value, StrictSchemaError> {
    rewrite(schema, true)
}

fn rewrite(schema: &Value, keep_string_formats: bool) -> Result<Value, StrictSchemaError> {
    let root = match schema {
        Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("object") => map,
        other => {
            return Err(StrictSchemaError::RootNotObject {
                found: describe(other),
            });
        }
    };
    let rewriter = Rewriter {
        root: schema,
        keep_string_formats,
    };
    let mut out = root.clone();
    let mut definitions = Vec::new();
    for keyword in ["$defs", "definitions"] {
        if let Some(mut defs) = out.shift_remove(keyword) {
            if let Value::Object(defs) = &mut defs {
                for (name, def) in defs.iter_mut() {
                    rewriter.node(def, &SchemaPath::definition(name), 0)?;
                }
            }
            definitions.push((keyword, defs));
        }
    }
    let mut out = Value::Object(out);
    rewriter.node(&mut out, &SchemaPath::default(), 0)?;
    if let Value::Object(map) = &mut out {
        for (keyword, defs) in definitions {
            map.insert(keyword.to_owned(), defs);
        }
    }
    Ok(out)
}

/// Rewrites subschemas in place, resolving `$ref`s against the original schema.
struct Rewriter<'a> {
    root: &'a Value,
    /// Whether string `format`s strict mode does not take stay.
    keep_string_formats: bool,
}

impl Rewriter<'_> {
    /// Makes one subschema (and everything in it) strict.
    fn node(
        &self,
        schema: &mut Value,
        at: &SchemaPath,
        depth: u32,
    ) -> Result<(), StrictSchemaError> {
        if depth > MAX_INLINE_DEPTH {
            return Err(StrictSchemaError::TooDeep { at: at.clone() });
        }
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(true) => return Err(StrictSchemaError::AnyValue { at: at.clone() }),
            _ => {
                return Err(StrictSchemaError::Unsupported {
                    at: at.clone(),
                    keyword: schema.to_string(),
                });
            }
        };
        map.shift_remove("$schema");
        map.shift_remove("default");
        merge_single_all_of(map);
        if map.contains_key("$ref") && map.len() > 1 {
            self.inline_ref(map, at)?;
            return self.node(schema, at, depth + 1);
        }
        if let Some(keyword) = UNSUPPORTED.iter().find(|k| map.contains_key(**k)) {
            return Err(StrictSchemaError::Unsupported {
                at: at.clone(),
                keyword: (*keyword).to_owned(),
            });
        }
        if !CONSTRAINING.iter().any(|k| map.contains_key(*k)) {
            return Err(StrictSchemaError::AnyValue { at: at.clone() });
        }
        if let Some(reference) = map.get("$ref") {
            self.resolve(reference, at)?;
        }
        if has_type(map, "object") || map.contains_key("properties") {
            self.object(map, at, depth)?;
        }
        if has_type(map, "array") || map.contains_key("items") || map.contains_key("prefixItems") {
            self.array(map, at, depth)?;
        }
        if is_numeric(map) {
            map.shift_remove("format");
        } else if let Some(format) = map.get("format").and_then(Value::as_str)
            && !self.keep_string_formats
            && !STRICT_STRING_FORMATS.contains(&format)
        {
            map.shift_remove("format");
        }
        rename_one_of(map);
        for keyword in ["anyOf", "allOf"] {
            if let Some(Value::Array(branches)) = map.get_mut(keyword) {
                for branch in branches {
                    self.node(branch, at, depth)?;
                }
            }
        }
        Ok(())
    }

    /// Object rules: closed, every property required, optional ones nullable.
    fn object(
        &self,
        map: &mut Map<String, Value>,
        at: &SchemaPath,
        depth: u32,
    ) -> Result<(), StrictSchemaError> {
        match map.get("additionalProperties") {
            None => {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            Some(Value::Bool(false)) => {}
            Some(_) => return Err(StrictSchemaError::Map { at: at.clone() }),
        }
        if map.contains_key("patternProperties") {
            return Err(StrictSchemaError::Map { at: at.clone() });
        }
        match map.get("unevaluatedProperties") {
            None => {}
            Some(Value::Bool(false)) => {
                map.shift_remove("unevaluatedProperties");
            }
            Some(_) => return Err(StrictSchemaError::Map { at: at.clone() }),
        }
        let was_required: Vec<String> = match map.get("required") {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let properties = map
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(properties) = properties else {
            return Err(StrictSchemaError::Unsupported {
                at: at.clone(),
                keyword: "properties".to_owned(),
            });
        };
        let mut required = Vec::with_capacity(properties.len());
        for (name, property) in properties.iter_mut() {
            self.node(property, &at.property(name), depth)?;
            if !was_required.iter().any(|r| r == name) {
                make_nullable(property);
            }
            required.push(Value::String(name.clone()));
        }
        map.insert("required".to_owned(), Value::Array(required));
        Ok(())
    }

    /// Array rules: one item schema, no tuples.
    fn array(
        &self,
        map: &mut Map<String, Value>,
        at: &SchemaPath,
        depth: u32,
    ) -> Result<(), StrictSchemaError> {
        if map.contains_key("prefixItems") {
            return Err(StrictSchemaError::Tuple { at: at.clone() });
        }
        match map.get_mut("items") {
            Some(items @ Value::Object(_)) => self.node(items, &at.items(), depth),
            Some(Value::Array(_)) => Err(StrictSchemaError::Tuple { at: at.clone() }),
            _ => Err(StrictSchemaError::AnyValue { at: at.items() }),
        }
    }

    /// Replaces `{"$ref": .., siblings..}` by the referenced schema with the siblings on top, as
    /// the SDK does (OpenAI refuses keywords next to a `$ref`).
    fn inline_ref(
        &self,
        map: &mut Map<String, Value>,
        at: &SchemaPath,
    ) -> Result<(), StrictSchemaError> {
        let reference = map.get("$ref").cloned().unwrap_or(Value::Null);
        let Value::Object(target) = self.resolve(&reference, at)? else {
            return Err(StrictSchemaError::UnresolvedRef {
                at: at.clone(),
                reference: reference.to_string(),
            });
        };
        let mut merged = target.clone();
        merged.shift_remove("$defs");
        merged.shift_remove("definitions");
        for (key, value) in std::mem::take(map) {
            if key != "$ref" {
                merged.insert(key, value);
            }
        }
        *map = merged;
        Ok(())
    }

    /// The schema a `$ref` points to.
    fn resolve(&self, reference: &Value, at: &SchemaPath) -> Result<&Value, StrictSchemaError> {
        let unresolved = || StrictSchemaError::UnresolvedRef {
            at: at.clone(),
            reference: reference
                .as_str()
                .map_or_else(|| reference.to_string(), str::to_owned),
        };
        reference
            .as_str()
            .and_then(|r| reference::resolve(self.root, r))
            .ok_or_else(unresolved)
    }
}

/// `allOf` with one branch is that branch (its keywords win over the node's own), as in the SDK.
fn merge_single_all_of(map: &mut Map<String, Value>) {
    let single = matches!(map.get("allOf"), Some(Value::Array(branches)) if branches.len() == 1);
    if !single {
        return;
    }
    if let Some(Value::Array(mut branches)) = map.shift_remove("allOf")
        && let Some(Value::Object(branch)) = branches.pop()
    {
        for (key, value) in branch {
            map.insert(key, value);
        }
    }
}

/// `oneOf` becomes `anyOf` (appended to an existing `anyOf`), keeping the keyword's position.
fn rename_one_of(map: &mut Map<String, Value>) {
    if !map.contains_key("oneOf") {
        return;
    }
    if let Some(Value::Array(_)) = map.get("anyOf") {
        if let (Some(Value::Array(one_of)), Some(Value::Array(any_of))) =
            (map.shift_remove("oneOf"), map.get_mut("anyOf"))
        {
            any_of.extend(one_of);
        }
        return;
    }
    for (key, value) in std::mem::take(map) {
        if key == "oneOf" {
            map.insert("anyOf".to_owned(), value);
        } else {
            map.insert(key, value);
        }
    }
}

/// Makes an (already strict) property schema accept `null`, keeping its other nullability as is.
fn make_nullable(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    if admits_null(map) {
        return;
    }
    let wrap = ["$ref", "const", "allOf"]
        .iter()
        .any(|k| map.contains_key(*k))
        || has_type(map, "object")
        || has_type(map, "array")
        || !(map.contains_key("type") || map.contains_key("anyOf") || map.contains_key("enum"));
    if wrap {
        let mut inner = std::mem::take(map);
        for keyword in ["description", "title"] {
            if let Some(value) = inner.shift_remove(keyword) {
                map.insert(keyword.to_owned(), value);
            }
        }
        let branches = vec![Value::Object(inner), null_schema()];
        map.insert("anyOf".to_owned(), Value::Array(branches));
        return;
    }
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        branches.push(null_schema());
        return;
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.push(Value::Null);
    }
    match map.get_mut("type") {
        Some(Value::Array(types)) => types.push(Value::from("null")),
        Some(single @ Value::String(_)) => {
            let name = std::mem::take(single);
            *single = Value::Array(vec![name, Value::from("null")]);
        }
        _ => {}
    }
}

/// Whether a schema already accepts `null` (without following `$ref`s).
fn admits_null(map: &Map<String, Value>) -> bool {
    has_type(map, "null")
        || matches!(map.get("const"), Some(Value::Null))
        || matches!(map.get("enum"), Some(Value::Array(values)) if values.contains(&Value::Null))
        || ["anyOf", "oneOf"].iter().any(|k| {
            matches!(map.get(*k), Some(Value::Array(branches))
                if branches.iter().any(|b| b.as_object().is_some_and(admits_null)))
        })
}

fn null_schema() -> Value {
    let mut map = Map::new();
    map.insert("type".to_owned(), Value::from("null"));
    Value::Object(map)
}

/// Says what a root schema is, for [`StrictSchemaError::RootNotObject`].
fn describe(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) => format!("of type `{t}`"),
        Some(types @ Value::Array(_)) => format!("of types `{types}`"),
        _ if schema.get("$ref").is_some() => "a reference".to_owned(),
        _ if schema.get("anyOf").is_some() || schema.get("oneOf").is_some() => {
            "a choice of types".to_owned()
        }
        _ => "any JSON value".to_owned(),
    }
}
