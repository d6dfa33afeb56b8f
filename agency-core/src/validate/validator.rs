//! [`Validator`]: a schema checked and compiled once, validated against many times.

use serde_json::Value;

use super::pattern::Patterns;
use super::{FieldError, SchemaError, check};

/// A JSON schema ready to validate against: checked once for keywords that would make
/// validation misbehave ([`SchemaError`]), its `pattern`s compiled once. What it checks, and
/// how, is what [`validate`](super::validate()) says; [`Validator::unchecked`] lists what in this
/// schema it does not check.
///
/// ```
/// use agency_core::validate::Validator;
/// use serde_json::json;
///
/// let validator = Validator::new(json!({
///     "type": "object",
///     "properties": {
///         "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
///         "id": {"type": "string", "format": "uuid"},
///     },
/// }))
/// .unwrap();
/// assert!(validator.validate(json!({"code": "ABC"})).is_ok());
///
/// let errors = validator.validate(json!({"code": "abc", "id": "42"})).unwrap_err();
/// let kinds: Vec<_> = errors.iter().map(|e| e.kind.as_ref()).collect();
/// assert_eq!(kinds, ["string_pattern_mismatch", "uuid_parsing"]);
/// assert_eq!(errors[0].msg, "String should match pattern '^[A-Z]{3}$'");
/// ```
#[derive(Debug, Clone)]
pub struct Validator {
    schema: Value,
    patterns: Patterns,
    unchecked: Vec<String>,
}

impl Validator {
    /// Checks and compiles `schema`; `Err` is the first keyword that makes it unusable.
    pub fn new(schema: Value) -> Result<Self, SchemaError> {
        let (validator, problems) = Self::compile(schema);
        match problems.into_iter().next() {
            None => Ok(validator),
            Some(problem) => Err(problem),
        }
    }

    /// Compiles `schema` whatever is wrong with it, and says what is. The keywords named in the
    /// problems are not checked (an invalid `pattern` matches every string, a `multipleOf` of 0
    /// holds for every number), except for empty ranges, which refuse every value; validation
    /// never panics.
    ///
    /// ```
    /// use agency_core::validate::Validator;
    /// use serde_json::json;
    ///
    /// let (validator, problems) = Validator::compile(json!({"type": "string", "pattern": "("}));
    /// assert_eq!(problems.len(), 1);
    /// assert_eq!(validator.validate(json!("anything")), Ok(json!("anything")));
    /// ```
    pub fn compile(schema: Value) -> (Self, Vec<SchemaError>) {
        let compiled = check::compile(&schema);
        let validator = Validator {
            schema,
            patterns: compiled.patterns,
            unchecked: compiled.unchecked,
        };
        (validator, compiled.problems)
    }

    /// The schema.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The keywords of the schema the validator does not check, each with where it is:
    /// "`not` (field `a`)", "`format: hostname` (field `host`)".
    ///
    /// ```
    /// use agency_core::validate::Validator;
    /// use serde_json::json;
    ///
    /// let validator = Validator::new(json!({"type": "string", "format": "hostname"})).unwrap();
    /// assert_eq!(validator.unchecked(), ["`format: hostname` (the input)"]);
    /// ```
    pub fn unchecked(&self) -> &[String] {
        &self.unchecked
    }

    /// Validates `value`; see [`validate`](super::validate()).
    pub fn validate(&self, value: Value) -> Result<Value, Vec<FieldError>> {
        super::run(&self.schema, &self.patterns, value)
    }
}
