//! Arrays: length bounds and every item.

use serde_json::Value;

use super::issue;
use super::keywords::Keywords;
use super::path::Path;
use super::walker::Walker;

impl<'s> Walker<'s> {
    /// Validates an array: `maxItems` first (then items are not looked at, as pydantic does),
    /// each item against `prefixItems`/`items`, then `minItems` if the items were valid.
    pub(super) fn array(&mut self, kw: &Keywords<'s>, value: &mut Value, path: &Path<'_>) {
        let len = match value {
            Value::Array(items) => items.len(),
            _ => {
                self.report(path, issue::LIST_TYPE, value);
                return;
            }
        };
        let field_type = if kw.prefix_items.is_some() {
            "Tuple"
        } else {
            "List"
        };
        if let Some(max) = kw.max_items
            && len as u64 > max
        {
            self.report_with(path, value, || issue::too_long(field_type, max, len));
            return;
        }
        let too_short = kw.min_items.filter(|min| (len as u64) < *min);
        // `too_short` shows the list as sent, before its items are coerced.
        let original = match too_short {
            Some(_) if !self.probe => Some(value.clone()),
            _ => None,
        };
        let errors_before = self.errors.len();
        let Value::Array(items) = value else {
            return;
        };
        let prefix = kw.prefix_items.unwrap_or_default();
        for (index, item) in items.iter_mut().enumerate() {
            if let Some(schema) = prefix.get(index).or(kw.items) {
                self.check(schema, item, &path.index(index), 0);
                if self.done() {
                    return;
                }
            }
        }
        if let Some(min) = too_short
            && self.errors.len() == errors_before
        {
            let input = original.unwrap_or(Value::Null);
            self.report_with(path, &input, || issue::too_short(field_type, min, len));
        }
    }
}
