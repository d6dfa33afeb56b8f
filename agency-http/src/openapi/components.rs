//! `components/schemas` of the OpenAPI document: JSON schemas with their `$defs` moved into
//! named components, every `$ref` rewritten to point there, names kept unique and deterministic.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};

const PREFIX: &str = "#/components/schemas/";

/// The schemas of the document, by component name.
#[derive(Debug, Default)]
pub(crate) struct Components {
    schemas: Map<String, Value>,
    /// Names kept for roots still to come (tool names): a nested type never takes them.
    reserved: HashSet<String>,
    /// A nested type already added, by its content (with everything it references), so that two
    /// tools sharing a type share one component.
    by_content: HashMap<String, String>,
}

impl Components {
    /// Keeps `name` free for a root schema added later.
    pub(crate) fn reserve(&mut self, name: &str) {
        self.reserved.insert(sanitize(name));
    }

    /// Adds a fixed schema under exactly `name` (a well-known component such as
    /// `HTTPValidationError`), unless it is already there.
    pub(crate) fn insert_fixed(&mut self, name: &str, schema: Value) {
        if !self.schemas.contains_key(name) {
            self.schemas.insert(name.to_owned(), schema);
        }
    }

    /// A `$ref` to the component `name`.
    pub(crate) fn reference(name: &str) -> Value {
        serde_json::json!({ "$ref": format!("{PREFIX}{name}") })
    }

    /// Adds `schema` as a component named after `preferred` (made unique with a number), moves
    /// its `$defs` into components of their own, and returns the component name of the root.
    pub(crate) fn add_root(&mut self, preferred: &str, schema: &Value) -> String {
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            // `true` or another non-object schema: keep it as is.
            other => {
                let name = self.unique_name(&sanitize(preferred), false);
                self.schemas.insert(name.clone(), other.clone());
                return name;
            }
        };
        let mut defs = Map::new();
        for key in ["$defs", "definitions"] {
            if let Some(Value::Object(d)) = root.remove(key) {
                defs.extend(d);
            }
        }
        root.remove("$schema");

        let root_name = self.unique_name(&sanitize(preferred), false);
        self.schemas.insert(root_name.clone(), Value::Null); // placeholder: the name is taken

        let mut names: HashMap<String, String> = HashMap::new();
        let mut fresh = Vec::new();
        for (def, body) in &defs {
            let key = content_key(def, &defs);
            if let Some(existing) = key.as_ref().and_then(|k| self.by_content.get(k)) {
                names.insert(def.clone(), existing.clone());
                continue;
            }
            let name = self.unique_name(&sanitize(def), true);
            self.schemas.insert(name.clone(), Value::Null);
            if let Some(key) = key {
                self.by_content.insert(key, name.clone());
            }
            names.insert(def.clone(), name.clone());
            fresh.push((name, body.clone()));
        }

        let rewrite = Rewrite {
            root: &root_name,
            names: &names,
        };
        for (name, mut body) in fresh {
            rewrite.apply(&mut body);
            self.schemas.insert(name, body);
        }
        let mut root = Value::Object(root);
        rewrite.apply(&mut root);
        self.schemas.insert(root_name.clone(), root);
        root_name
    }

    /// The `components/schemas` object.
    pub(crate) fn into_schemas(self) -> Map<String, Value> {
        self.schemas
    }

    fn unique_name(&self, base: &str, avoid_reserved: bool) -> String {
        let taken =
            |n: &str| self.schemas.contains_key(n) || (avoid_reserved && self.reserved.contains(n));
        if !taken(base) {
            return base.to_owned();
        }
        (2..)
            .map(|i| format!("{base}{i}"))
            .find(|n| !taken(n))
            .unwrap_or_else(|| base.to_owned())
    }
}

/// Rewrites the `$ref`s of one schema and its definitions.
struct Rewrite<'a> {
    root: &'a str,
    names: &'a HashMap<String, String>,
}

impl Rewrite<'_> {
    fn apply(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get_mut("$ref")
                    && let Some(new) = self.target(r)
                {
                    *r = new;
                }
                for (key, v) in map.iter_mut() {
                    // Skip the keys whose values are data, not schemas.
                    if !matches!(key.as_str(), "enum" | "const" | "examples" | "default") {
                        self.apply(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            _ => {}
        }
    }

    /// Where a local `$ref` points once definitions are components; `None` leaves it as is.
    fn target(&self, r: &str) -> Option<String> {
        let pointer = r.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(format!("{PREFIX}{}", self.root));
        }
        for defs in ["/$defs/", "/definitions/"] {
            if let Some(rest) = pointer.strip_prefix(defs) {
                let (segment, tail) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, ""),
                };
                let name = self.names.get(&unescape(segment))?;
                return Some(format!("{PREFIX}{name}{tail}"));
            }
        }
        // A pointer into the root schema itself.
        pointer
            .starts_with('/')
            .then(|| format!("{PREFIX}{}{pointer}", self.root))
    }
}

/// A key identifying `def` together with every definition it references, directly or not; `None`
/// when it references the root schema (then it is never shared).
fn content_key(def: &str, defs: &Map<String, Value>) -> Option<String> {
    let mut closure: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut todo = vec![def.to_owned()];
    while let Some(name) = todo.pop() {
        let Some((name, body)) = defs.get_key_value(&name) else {
            continue;
        };
        if closure.insert(name, body).is_some() {
            continue;
        }
        let mut refs = Vec::new();
        collect_refs(body, &mut refs);
        for r in refs {
            let pointer = r.strip_prefix('#')?;
            let rest = pointer
                .strip_prefix("/$defs/")
                .or_else(|| pointer.strip_prefix("/definitions/"));
            match rest {
                Some(rest) => todo.push(unescape(rest.split('/').next().unwrap_or(rest))),
                None => return None,
            }
        }
    }
    serde_json::to_string(&closure).ok()
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && r.starts_with('#')
            {
                out.push(r);
            }
            for (key, v) in map {
                if !matches!(key.as_str(), "enum" | "const" | "examples" | "default") {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// A JSON pointer segment unescaped (`~1` is `/`, `~0` is `~`, `%XX` percent-decoded).
fn unescape(segment: &str) -> String {
    let decoded = percent_decode(segment);
    decoded.replace("~1", "/").replace("~0", "~")
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A component name OpenAPI accepts: `^[a-zA-Z0-9._-]+$`.
pub(crate) fn sanitize(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "Schema".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all_refs(v: &Value) -> Vec<String> {
        let mut refs = Vec::new();
        collect_refs(v, &mut refs);
        refs.into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn defs_become_components_and_shared_types_are_shared() {
        let mut c = Components::default();
        c.reserve("Inner");
        let a = json!({"type":"object","properties":{"x":{"$ref":"#/$defs/Inner"}},
                       "$defs":{"Inner":{"type":"object","properties":{"y":{"$ref":"#/$defs/Leaf"}}},
                                "Leaf":{"type":"integer"}}});
        let b = json!({"type":"object","properties":{"z":{"$ref":"#/$defs/Leaf"},"self":{"$ref":"#"}},
                       "$defs":{"Leaf":{"type":"integer"}}});
        let other = json!({"type":"object","properties":{"w":{"$ref":"#/$defs/Leaf"}},
                       "$defs":{"Leaf":{"type":"string"}}});
        assert_eq!(c.add_root("a", &a), "a");
        assert_eq!(c.add_root("b", &b), "b");
        assert_eq!(c.add_root("Inner", &other), "Inner");
        let schemas = Value::Object(c.into_schemas());
        // `Inner` was reserved for a root, so the nested type took another name.
        assert_eq!(
            schemas["a"]["properties"]["x"]["$ref"],
            "#/components/schemas/Inner2"
        );
        // The same `Leaf` in `a` and `b` is one component; a different `Leaf` is another.
        assert_eq!(
            schemas["b"]["properties"]["z"]["$ref"],
            "#/components/schemas/Leaf"
        );
        assert_eq!(
            schemas["Inner"]["properties"]["w"]["$ref"],
            "#/components/schemas/Leaf2"
        );
        assert_eq!(
            schemas["b"]["properties"]["self"]["$ref"],
            "#/components/schemas/b"
        );
        for r in all_refs(&schemas) {
            let name = r.strip_prefix(PREFIX).unwrap();
            assert!(
                schemas.get(name).is_some_and(|s| !s.is_null()),
                "dangling {r}"
            );
        }
    }

    #[test]
    fn names_are_sanitized_and_pointers_unescaped() {
        assert_eq!(sanitize("Wrapper<i32>"), "Wrapper_i32_");
        assert_eq!(unescape("a~1b~0c%20d"), "a/b~c d");
        let mut c = Components::default();
        let s = json!({"properties":{"x":{"$ref":"#/$defs/Gen%3CT%3E"}},"$defs":{"Gen<T>":{"type":"null"}}});
        c.add_root("t", &s);
        let schemas = c.into_schemas();
        assert_eq!(
            schemas["t"]["properties"]["x"]["$ref"],
            "#/components/schemas/Gen_T_"
        );
    }
}
