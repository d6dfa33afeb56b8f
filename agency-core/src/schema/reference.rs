//! Resolution of local `$ref`s (`#`, `#/$defs/Name`), as schemars writes them: a JSON pointer in
//! URI fragment form, with `~0`/`~1` escapes and percent-encoding.

use std::borrow::Cow;

use serde_json::Value;

/// The subschema of `root` that `reference` points to, or `None` if it is not a local reference
/// or points nowhere. Allocates only for names that needed escaping.
pub(crate) fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    let mut current = root;
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = decode(token)?;
        current = match current {
            Value::Object(map) => map.get(token.as_ref())?,
            Value::Array(list) => list.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Undoes percent-encoding, then the JSON pointer escapes `~1` (`/`) and `~0` (`~`).
fn decode(token: &str) -> Option<Cow<'_, str>> {
    if !token.contains(['%', '~']) {
        return Some(Cow::Borrowed(token));
    }
    let mut bytes = Vec::with_capacity(token.len());
    let raw = token.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (raw[i], hex) {
            (b'%', Some(byte)) => {
                bytes.push(byte);
                i += 3;
            }
            (byte, _) => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    let text = String::from_utf8(bytes).ok()?;
    Some(Cow::Owned(text.replace("~1", "/").replace("~0", "~")))
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use serde_json::json;

    #[test]
    fn resolves_escaped_names() {
        let root = json!({"$defs": {"A<B>": {"type": "string"}, "x/y~": {"type": "integer"}}});
        assert_eq!(
            resolve(&root, "#/$defs/A%3CB%3E"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(
            resolve(&root, "#/$defs/x~1y~0"),
            Some(&json!({"type": "integer"}))
        );
        assert_eq!(resolve(&root, "#"), Some(&root));
        assert_eq!(resolve(&root, "#/$defs/missing"), None);
        assert_eq!(resolve(&root, "other.json#/x"), None);
    }
}
