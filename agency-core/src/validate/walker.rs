//! The schema walker: follows the schema alongside the value, coerces in place and records every
//! error with its path.

use serde_json::{Map, Value};

use super::FieldError;
use super::constraint;
use super::issue::{self, Issue};
use super::json::json_eq;
use super::keywords::Keywords;
use super::path::Path;
use super::pattern::Patterns;
use super::scalar::{self, Coerced};
use crate::schema::reference;

/// Schema steps allowed without consuming input (`$ref`, union branches): more means a cycle.
const MAX_HOPS: u32 = 64;
/// Nesting depth of the input beyond which validation stops (serde_json already stops at 128).
const MAX_DEPTH: usize = 256;

/// Checks that union probes and attempts may spend before any other work is done.
const SPECULATION_BUDGET: u32 = 100_000;
/// Checks added to that budget by each check outside speculation, so speculative work stays
/// proportional to the input.
const SPECULATION_PER_STEP: u32 = 16;

/// Walks one value against the schema `root`.
pub(super) struct Walker<'s> {
    pub(super) root: &'s Value,
    /// The root's compiled `pattern`s.
    patterns: &'s Patterns,
    /// The root's `$defs`, for the common `#/$defs/Name` references.
    defs: Option<&'s Map<String, Value>>,
    pub(super) errors: Vec<FieldError>,
    /// Probing for an exact match: no coercion, no change to the value, stop at the first error,
    /// record nothing but `failed`.
    pub(super) probe: bool,
    pub(super) failed: bool,
    /// Set by a probe that met an explicit `null` it would drop (see `object`): the branch it
    /// matched must then be walked again outside the probe.
    pub(super) probe_dropped_null: bool,
    /// How deep in speculative walks (union probes and attempts) the walker is.
    pub(super) speculating: u32,
    /// Checks left for speculative walks; when none are left they fail with `TOO_COMPLEX`.
    budget: u32,
}

impl<'s> Walker<'s> {
    pub(super) fn new(root: &'s Value, patterns: &'s Patterns) -> Self {
        Self {
            root,
            patterns,
            defs: root.get("$defs").and_then(Value::as_object),
            errors: Vec::new(),
            probe: false,
            failed: false,
            probe_dropped_null: false,
            speculating: 0,
            budget: SPECULATION_BUDGET,
        }
    }

    /// Whether lax coercions apply (everywhere but exact-match probes).
    pub(super) fn lax(&self) -> bool {
        !self.probe
    }

    /// Whether a probe already failed, so the walk can stop.
    pub(super) fn done(&self) -> bool {
        self.probe && self.failed
    }

    /// Records an error at `path` about `input`.
    pub(super) fn report(&mut self, path: &Path<'_>, issue: Issue, input: &Value) {
        self.report_with(path, input, || issue);
    }

    /// Records an error at `path` about `input`, building it only if it is kept (a probe only
    /// needs to know that something failed).
    pub(super) fn report_with(
        &mut self,
        path: &Path<'_>,
        input: &Value,
        issue: impl FnOnce() -> Issue,
    ) {
        self.failed = true;
        if self.probe {
            return;
        }
        let issue = issue();
        self.errors.push(FieldError {
            kind: issue.kind.into(),
            loc: path.to_locs(),
            msg: issue.msg.into_owned(),
            input: input.clone(),
            ctx: issue.ctx,
        });
    }

    /// Validates `value` (at `path`) against `schema`; `hops` counts schema steps taken since the
    /// last step into the value.
    pub(super) fn check(
        &mut self,
        schema: &'s Value,
        value: &mut Value,
        path: &Path<'_>,
        hops: u32,
    ) {
        let Value::Object(map) = schema else {
            return;
        };
        if hops > MAX_HOPS || path.len() > MAX_DEPTH {
            self.report(path, issue::RECURSION_LOOP, value);
            return;
        }
        if self.speculating == 0 {
            self.budget = self.budget.saturating_add(SPECULATION_PER_STEP);
        } else if self.budget == 0 {
            self.report(path, issue::TOO_COMPLEX, value);
            return;
        } else {
            self.budget -= 1;
        }
        let kw = Keywords::scan(map);
        if let Some(reference) = kw.reference {
            if let Some(target) = self.resolve(reference) {
                self.check(target, value, path, hops + 1);
            }
            if kw.len == 1 || self.done() {
                return;
            }
        }
        for branches in [kw.any_of, kw.one_of].into_iter().flatten() {
            self.union(branches, value, path, hops);
            if self.done() {
                return;
            }
        }
        for branch in kw.all_of.unwrap_or_default() {
            self.check(branch, value, path, hops + 1);
            if self.done() {
                return;
            }
        }
        if let Some(values) = kw.enumeration {
            self.enumeration(&kw, values, value, path);
            return;
        }
        if let Some(expected) = kw.constant {
            if !json_eq(expected, value) {
                self.report_with(path, value, || issue::literal(expected));
            }
            return;
        }
        match kw.ty {
            Some(Value::String(ty)) => self.typed(ty, &kw, value, path),
            Some(Value::Array(types)) => self.multi_typed(types, &kw, value, path),
            _ => match value {
                Value::Object(_) if kw.has_object_keywords() => self.object(&kw, value, path),
                Value::Array(_) if kw.has_array_keywords() => self.array(&kw, value, path),
                _ => {}
            },
        }
    }

    /// The schema a `$ref` points to (`None` if nowhere: such a reference constrains nothing).
    pub(super) fn resolve(&self, reference: &str) -> Option<&'s Value> {
        match (reference.strip_prefix("#/$defs/"), self.defs) {
            (Some(name), Some(defs)) if !name.contains(['/', '~', '%']) => defs.get(name),
            _ => reference::resolve(self.root, reference),
        }
    }

    /// Validates against one JSON type.
    pub(super) fn typed(
        &mut self,
        ty: &str,
        kw: &Keywords<'s>,
        value: &mut Value,
        path: &Path<'_>,
    ) {
        let result = match ty {
            "integer" => scalar::integer(value, self.lax()),
            "number" => scalar::number(value, self.lax()),
            "string" => scalar::string(value),
            "boolean" => scalar::boolean(value, self.lax()),
            "null" => scalar::null(value),
            "object" => return self.object(kw, value, path),
            "array" => return self.array(kw, value, path),
            _ => return,
        };
        match result {
            Err(issue) if issue.kind == issue::INT_PARSING_SIZE.kind => {
                match constraint::beyond_64_bits(kw, value) {
                    Some(broken) => self.report_with(path, value, || broken.issue()),
                    None => self.report(path, issue, value),
                }
            }
            Err(issue) => self.report(path, issue, value),
            Ok(coerced) => self.constrain(kw, value, coerced, path),
        }
    }

    /// Checks bounds and lengths on a valid scalar, then stores its coerced form. Errors show the
    /// value as it was sent.
    fn constrain(
        &mut self,
        kw: &Keywords<'s>,
        value: &mut Value,
        coerced: Coerced,
        path: &Path<'_>,
    ) {
        let current = match &coerced {
            Coerced::Keep => &*value,
            Coerced::Replace(new) => new,
        };
        if let Some(broken) = constraint::broken(kw, self.patterns, current) {
            self.report_with(path, value, || broken.issue());
            return;
        }
        if let Coerced::Replace(new) = coerced {
            *value = new;
        }
    }

    /// `enum`: one of the listed values, after the coercion of the enum's type if needed.
    fn enumeration(
        &mut self,
        kw: &Keywords<'s>,
        values: &'s [Value],
        value: &mut Value,
        path: &Path<'_>,
    ) {
        if values.iter().any(|v| json_eq(v, value)) {
            return;
        }
        if self.lax()
            && let Some(Value::String(ty)) = kw.ty
        {
            let coerced = match ty.as_str() {
                "integer" => scalar::integer(value, true),
                "number" => scalar::number(value, true),
                "boolean" => scalar::boolean(value, true),
                _ => Ok(Coerced::Keep),
            };
            if let Ok(Coerced::Replace(new)) = coerced
                && values.iter().any(|v| json_eq(v, &new))
            {
                *value = new;
                return;
            }
        }
        let expected = values.iter().filter(|v| !v.is_null());
        self.report_with(path, value, || issue::enumeration(expected));
    }
}
