//! Unions (`anyOf`/`oneOf`, and `type` arrays) in pydantic's smart mode: a branch the value
//! matches exactly wins; otherwise the first branch that validates with coercions; otherwise the
//! errors of the closest branch.

use serde_json::Value;

use super::FieldError;
use super::issue;
use super::json::json_eq;
use super::keywords::Keywords;
use super::nullability::null_only;
use super::path::Path;
use super::walker::Walker;

impl<'s> Walker<'s> {
    /// Validates against the branches of an `anyOf` (or `oneOf`, treated the same).
    pub(super) fn union(
        &mut self,
        branches: &'s [Value],
        value: &mut Value,
        path: &Path<'_>,
        hops: u32,
    ) {
        let is_null = value.is_null();
        // The `null` branch of an optional cannot take a non-null value: skip it.
        let viable = |branch: &&'s Value| is_null || !null_only(branch);
        let mut candidates = branches.iter().filter(viable);
        let (Some(first), second) = (candidates.next(), candidates.next()) else {
            self.report(path, issue::NONE_REQUIRED, value);
            return;
        };
        if second.is_none() {
            self.check(first, value, path, hops + 1);
            return;
        }
        for branch in branches.iter().filter(viable) {
            if let Some(dropped_null) = self.matches_exactly(branch, value, path, hops) {
                if dropped_null && !self.probe {
                    // Cannot fail; drops the nulls the probe left in place.
                    self.check(branch, value, path, hops + 1);
                }
                return;
            }
        }
        if self.probe {
            self.failed = true;
            return;
        }
        let mut closest: Option<Vec<FieldError>> = None;
        for branch in branches.iter().filter(viable) {
            let mut attempt = value.clone();
            let errors = self.collect(|walker| {
                walker.speculating += 1;
                walker.check(branch, &mut attempt, path, hops + 1);
                walker.speculating -= 1;
            });
            if errors.is_empty() {
                *value = attempt;
                return;
            }
            let better = closest
                .as_ref()
                .is_none_or(|best| rank(&errors, path.len()) < rank(best, path.len()));
            if better {
                closest = Some(errors);
            }
        }
        if let Some(expected) = self.literals(branches, hops) {
            self.report(path, issue::enumeration(expected), value);
            return;
        }
        self.failed = true;
        self.errors.extend(closest.unwrap_or_default());
    }

    /// Validates against a `type` array such as `["integer", "null"]` or `["string", "integer"]`.
    pub(super) fn multi_typed(
        &mut self,
        types: &'s [Value],
        kw: &Keywords<'s>,
        value: &mut Value,
        path: &Path<'_>,
    ) {
        let is_null = value.is_null();
        if is_null && types.iter().any(|t| t == "null") {
            return;
        }
        let names = || {
            types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
        };
        let mut candidates = names();
        let (Some(first), second) = (candidates.next(), candidates.next()) else {
            self.report(path, issue::NONE_REQUIRED, value);
            return;
        };
        if second.is_none() {
            self.typed(first, kw, value, path);
            return;
        }
        if let Some(exact) = names().find(|ty| is_json_type(ty, value)) {
            self.typed(exact, kw, value, path);
            return;
        }
        if self.probe {
            self.failed = true;
            return;
        }
        let mut first_errors = None;
        for ty in names() {
            let mut attempt = value.clone();
            let errors = self.collect(|walker| {
                walker.speculating += 1;
                walker.typed(ty, kw, &mut attempt, path);
                walker.speculating -= 1;
            });
            if errors.is_empty() {
                *value = attempt;
                return;
            }
            first_errors.get_or_insert(errors);
        }
        self.failed = true;
        self.errors.extend(first_errors.unwrap_or_default());
    }

    /// Whether `value` validates against `schema` without any coercion: `None` if not, else
    /// whether it holds an explicit `null` that a walk outside the probe would drop.
    fn matches_exactly(
        &mut self,
        schema: &'s Value,
        value: &mut Value,
        path: &Path<'_>,
        hops: u32,
    ) -> Option<bool> {
        let saved = (self.probe, self.failed, self.probe_dropped_null);
        self.probe = true;
        self.failed = false;
        self.probe_dropped_null = false;
        self.speculating += 1;
        self.check(schema, value, path, hops + 1);
        self.speculating -= 1;
        let outcome = (!self.failed).then_some(self.probe_dropped_null);
        (self.probe, self.failed, self.probe_dropped_null) = saved;
        // A probe inside a probe passes its finding up.
        self.probe_dropped_null |= self.probe && outcome == Some(true);
        outcome
    }

    /// Runs `f` and returns the errors it recorded, leaving the walker's own errors as they were.
    fn collect(&mut self, f: impl FnOnce(&mut Self)) -> Vec<FieldError> {
        let saved_errors = std::mem::take(&mut self.errors);
        let saved_failed = self.failed;
        f(self);
        self.failed = saved_failed;
        std::mem::replace(&mut self.errors, saved_errors)
    }

    /// The values of a union made only of literals (`const`/`enum` branches, `null` aside, such as a Rust enum
    /// with documented variants), so that its error lists them all as pydantic's `enum` does.
    fn literals(&self, branches: &'s [Value], hops: u32) -> Option<Vec<&'s Value>> {
        let mut values = Vec::new();
        for branch in branches.iter().filter(|b| !null_only(b)) {
            let mut schema = branch;
            let mut steps = hops;
            while let Some(target) = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.resolve(r))
            {
                steps += 1;
                if steps > 64 {
                    return None;
                }
                schema = target;
            }
            if let Some(constant) = schema.get("const") {
                values.push(constant);
            } else if let Some(Value::Array(listed)) = schema.get("enum") {
                values.extend(listed.iter().filter(|v| !v.is_null()));
            } else if let Some(Value::Array(nested)) =
                schema.get("anyOf").or_else(|| schema.get("oneOf"))
            {
                values.extend(self.literals(nested, steps + 1)?);
            } else {
                return None;
            }
        }
        let mut unique: Vec<&'s Value> = Vec::with_capacity(values.len());
        for value in values {
            if !unique.iter().any(|u| json_eq(u, value)) {
                unique.push(value);
            }
        }
        (!unique.is_empty()).then_some(unique)
    }
}

/// Orders branch failures: errors below the union's own location (the value had the right
/// shape) before a type mismatch at the union itself, then fewer errors first.
fn rank(errors: &[FieldError], depth: usize) -> (bool, usize) {
    (errors.iter().any(|e| e.loc.len() <= depth), errors.len())
}

/// Whether `value` is of the JSON type `ty` as it is, without coercion.
fn is_json_type(ty: &str, value: &Value) -> bool {
    match (ty, value) {
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("number", Value::Number(_)) => true,
        ("string", Value::String(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        ("object", Value::Object(_)) => true,
        ("array", Value::Array(_)) => true,
        ("null", Value::Null) => true,
        _ => false,
    }
}
