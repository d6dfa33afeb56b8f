//! Reading a value as a Rust type with the validator's rules: the request bodies, query strings
//! and path parameters of a server's own routes, the same way as tool arguments.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{FieldError, Loc, Validator};

/// Validates `value` against the schema generated from `T` (compiled once per type), with the
/// lax coercions of tool arguments (`"2"` is a valid integer), then deserializes it; every
/// problem comes back as a pydantic-style [`FieldError`] whose `loc` starts at the value's root.
///
/// ```
/// use agency_core::validate::parse;
/// use serde_json::json;
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Page {
///     limit: u32,
///     #[serde(default)]
///     offset: u32,
/// }
///
/// let page: Page = parse(json!({"limit": "20"})).unwrap();
/// assert_eq!((page.limit, page.offset), (20, 0));
/// let errors = parse::<Page>(json!({"limit": -1})).err().unwrap();
/// assert_eq!(errors[0].kind, "greater_than_equal");
/// assert_eq!(errors[0].loc[0].to_string(), "limit");
/// ```
pub fn parse<T: DeserializeOwned + JsonSchema + 'static>(
    value: Value,
) -> Result<T, Vec<FieldError>> {
    let value = validator_of::<T>().validate(value)?;
    deserialize(&value)
}

/// The validator of `T`'s generated schema, compiled on first use.
pub fn validator_of<T: JsonSchema + 'static>() -> Arc<Validator> {
    static CACHE: LazyLock<RwLock<HashMap<TypeId, Arc<Validator>>>> =
        LazyLock::new(Default::default);
    let id = TypeId::of::<T>();
    if let Some(v) = CACHE.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
        return v.clone();
    }
    let (validator, problems) = Validator::compile(crate::schema::generate::<T>());
    for problem in problems {
        tracing::warn!(
            "the schema of `{}` has a part the validator cannot check: {problem}",
            std::any::type_name::<T>()
        );
    }
    let validator = Arc::new(validator);
    let mut cache = CACHE.write().unwrap_or_else(|p| p.into_inner());
    cache.entry(id).or_insert(validator).clone()
}

/// Deserializes a validated value, keeping the path of any field serde still refuses (a `u32`
/// out of range, a custom `Deserialize` impl...) as one `value_error`.
pub fn deserialize<T: DeserializeOwned>(value: &Value) -> Result<T, Vec<FieldError>> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let mut loc = Vec::new();
        let mut input = Some(value);
        for segment in e.path().iter() {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => {
                    input = input.and_then(|v| v.get(*index));
                    loc.push(Loc::Index(*index));
                }
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    input = input.and_then(|v| v.get(key));
                    loc.push(Loc::Key(key.clone()));
                }
                Segment::Unknown => {}
            }
        }
        vec![FieldError {
            kind: "value_error".into(),
            loc,
            msg: format!("Value error, {}", e.inner()),
            input: input.cloned().unwrap_or(Value::Null),
            ctx: None,
        }]
    })
}
