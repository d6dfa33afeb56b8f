//! Why a schema cannot be sent in OpenAI strict mode.

use std::fmt;

/// Where in a tool's input a [`StrictSchemaError`] was found: `items[].qty` is the field `qty` of
/// every element of the field `items`; a path inside a referenced type starts with the type's name
/// (`Item.qty`). The empty path is the input itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaPath(String);

impl SchemaPath {
    /// The path as text (`items[].qty`), empty for the input itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path of a type under `$defs`.
    pub(crate) fn definition(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// The path of the property `name` of the object at `self`.
    pub(crate) fn property(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_owned())
        } else {
            Self(format!("{}.{name}", self.0))
        }
    }

    /// The path of the elements of the array at `self`.
    pub(crate) fn items(&self) -> Self {
        Self(format!("{}[]", self.0))
    }
}

impl fmt::Display for SchemaPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the input")
        } else {
            write!(f, "field `{}`", self.0)
        }
    }
}

/// Why a schema cannot be sent in OpenAI strict mode. A tool whose input gives one of these is
/// sent with `strict: false` instead, with a warning that carries this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrictSchemaError {
    /// The input is not an object with named fields (a tool's arguments always are).
    #[error(
        "the input must be an object with named fields, but its schema is {found}; take a struct as the tool's input"
    )]
    RootNotObject {
        /// What the root schema is instead.
        found: String,
    },
    /// A map with free-form keys (`HashMap<String, T>`, `BTreeMap`...).
    #[error(
        "{at} is a map with free-form keys, and strict mode needs every key declared; use a struct, or a Vec of key/value structs"
    )]
    Map {
        /// Where.
        at: SchemaPath,
    },
    /// A tuple (`(A, B)`, `[T; N]` is fine).
    #[error("{at} is a tuple, which strict mode cannot express; use a struct with named fields")]
    Tuple {
        /// Where.
        at: SchemaPath,
    },
    /// A value of any JSON type (`serde_json::Value`).
    #[error(
        "{at} accepts any JSON value, and strict mode needs a type; use a concrete type instead of serde_json::Value"
    )]
    AnyValue {
        /// Where.
        at: SchemaPath,
    },
    /// A JSON schema keyword strict mode does not support.
    #[error("{at} uses the JSON schema keyword `{keyword}`, which strict mode does not support")]
    Unsupported {
        /// Where.
        at: SchemaPath,
        /// The keyword.
        keyword: String,
    },
    /// A `$ref` that points nowhere.
    #[error("{at} refers to `{reference}`, which the schema does not define")]
    UnresolvedRef {
        /// Where.
        at: SchemaPath,
        /// The `$ref` value.
        reference: String,
    },
    /// References nested too deeply to inline (a type that contains itself without `Option`,
    /// `Vec` or `Box` in between, with a doc comment on the field).
    #[error("{at} nests type references too deeply to inline them")]
    TooDeep {
        /// Where.
        at: SchemaPath,
    },
}
