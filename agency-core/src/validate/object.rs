//! Objects: properties in schema order, then missing fields, then extra fields.

use serde_json::{Map, Value};

use super::issue;
use super::keywords::Keywords;
use super::nullability::{admits_null, drops_null};
use super::path::Path;
use super::walker::Walker;

impl<'s> Walker<'s> {
    /// Validates an object: each property, `required` (a property whose schema admits `null` may
    /// be omitted), and `additionalProperties`.
    pub(super) fn object(&mut self, kw: &Keywords<'s>, value: &mut Value, path: &Path<'_>) {
        let Value::Object(members) = value else {
            let issue = if !path.is_root() || matches!(kw.additional, Some(Value::Object(_))) {
                issue::DICT_TYPE
            } else if value.is_null() {
                // FastAPI's answer to an empty or `null` body.
                issue::MISSING
            } else {
                issue::MODEL_ATTRIBUTES_TYPE
            };
            self.report(path, issue, value);
            return;
        };
        let properties = kw.properties;
        if let Some(properties) = properties
            && same_keys_in_order(members, properties)
        {
            self.exact_members(members, properties, path);
            return;
        }
        // `missing` shows the object as sent, so keep a copy before coercing its members.
        let original = if self.is_missing_any(kw, members) {
            if self.probe {
                self.failed = true;
                return;
            }
            Some(Value::Object(members.clone()))
        } else {
            None
        };
        let sent = members.len();
        let mut known = 0;
        for (name, schema) in properties.into_iter().flatten() {
            if let Some(member) = members.get_mut(name.as_str()) {
                known += 1;
                self.check(schema, member, &path.key(name), 0);
                if member.is_null() && drops_null(self.root, schema) {
                    if self.probe {
                        self.probe_dropped_null = true;
                    } else {
                        members.shift_remove(name.as_str());
                    }
                }
            } else if let Some(original) = &original
                && is_required(kw, name)
                && !admits_null(self.root, schema)
            {
                self.report(&path.key(name), issue::MISSING, original);
            }
            if self.done() {
                return;
            }
        }
        if let Some(original) = &original {
            for name in kw.required.iter().filter_map(Value::as_str) {
                let declared = properties.is_some_and(|p| p.contains_key(name));
                if !declared && !members.contains_key(name) {
                    self.report(&path.key(name), issue::MISSING, original);
                }
            }
        }
        if known < sent {
            self.extras(kw, members, path);
        }
    }

    /// The common case, what a model in strict mode sends: the members are the properties, in
    /// order, so nothing is missing or extra, and no member needs a hash lookup.
    fn exact_members(
        &mut self,
        members: &mut Map<String, Value>,
        properties: &'s Map<String, Value>,
        path: &Path<'_>,
    ) {
        let mut nulls = false;
        for ((name, member), schema) in members.iter_mut().zip(properties.values()) {
            self.check(schema, member, &path.key(name), 0);
            nulls |= member.is_null();
            if self.done() {
                return;
            }
        }
        if nulls && self.probe {
            let root = self.root;
            self.probe_dropped_null |= members.iter().any(|(name, member)| {
                member.is_null()
                    && properties
                        .get(name)
                        .is_some_and(|schema| drops_null(root, schema))
            });
        } else if nulls {
            let root = self.root;
            members.retain(|name, member| {
                !(member.is_null()
                    && properties
                        .get(name)
                        .is_some_and(|schema| drops_null(root, schema)))
            });
        }
    }

    /// Whether a required member is absent (and may not be: its schema does not admit `null`).
    fn is_missing_any(&self, kw: &Keywords<'s>, members: &Map<String, Value>) -> bool {
        kw.required.iter().filter_map(Value::as_str).any(|name| {
            !members.contains_key(name)
                && !kw
                    .properties
                    .and_then(|p| p.get(name))
                    .is_some_and(|schema| admits_null(self.root, schema))
        })
    }

    /// Members without a property schema: forbidden, validated against `additionalProperties`,
    /// or let through.
    fn extras(&mut self, kw: &Keywords<'s>, members: &mut Map<String, Value>, path: &Path<'_>) {
        let declared = |name: &str| kw.properties.is_some_and(|p| p.contains_key(name));
        match kw.additional {
            Some(Value::Bool(false)) => {
                for (name, member) in members.iter() {
                    if !declared(name) {
                        self.report(&path.key(name), issue::EXTRA_FORBIDDEN, member);
                        if self.done() {
                            return;
                        }
                    }
                }
            }
            Some(schema @ Value::Object(_)) => {
                for (name, member) in members.iter_mut() {
                    if !declared(name) {
                        self.check(schema, member, &path.key(name), 0);
                        if self.done() {
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether `members` has exactly the keys of `properties`, in the same order (string compares
/// only, no hashing).
fn same_keys_in_order(members: &Map<String, Value>, properties: &Map<String, Value>) -> bool {
    members.len() == properties.len() && members.keys().zip(properties.keys()).all(|(m, p)| m == p)
}

fn is_required(kw: &Keywords<'_>, name: &str) -> bool {
    kw.required.iter().any(|r| r.as_str() == Some(name))
}
