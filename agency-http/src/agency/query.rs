//! Query strings validated like bodies: against the schema of their type, with pydantic's lax
//! rules (every value arrives as a string), errors at `["query", name]`.

use agency_core::validate::Validator;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ApiError;

/// Validates `query` against `validator` and reads it as `T`. Unknown parameters are ignored.
pub(crate) fn parse<T: DeserializeOwned>(
    validator: &Validator,
    query: &str,
) -> Result<T, ApiError> {
    let params: Map<String, Value> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let value = validator
        .validate(Value::Object(params))
        .map_err(|e| ApiError::invalid_in("query", e))?;
    T::deserialize(&value).map_err(|e| ApiError::failed(e.to_string()))
}
