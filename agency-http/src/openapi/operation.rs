//! [`Operation`]: how your own routes enter the served OpenAPI document, their schemas
//! generated from the same Rust types the handlers take and return.

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use super::{OpenApiBuilder, names, response};

type AddType = fn(&mut OpenApiBuilder) -> String;
type SchemaOf = fn() -> Value;

/// One operation of your own routes, described for the OpenAPI document
/// ([`ServerBuilder::operation`](crate::ServerBuilder::operation)). Bodies, parameters and
/// responses name Rust types; their schemas are generated (no hand-written schema).
///
/// Routes given to [`ServerBuilder::routes`](crate::ServerBuilder::routes) are behind the
/// server's auth, so the operation gets its `security` requirement and 401 when auth is on; a
/// body adds 413 and 422, parameters add 422.
///
/// ```
/// use agency_http::openapi::{OpenApiBuilder, OpenApiInfo, Operation};
///
/// #[derive(schemars::JsonSchema)]
/// struct NewNote {
///     text: String,
/// }
/// #[derive(schemars::JsonSchema)]
/// struct Note {
///     id: u64,
///     text: String,
/// }
///
/// let op = Operation::post("/notes")
///     .id("create_note")
///     .summary("Create a note")
///     .tag("notes")
///     .body::<NewNote>()
///     .response::<Note>(201, "The note, as stored")
///     .error(400, "The note is not allowed");
/// let mut doc = OpenApiBuilder::new(OpenApiInfo::new("Notes", "1.0.0", "http://localhost"));
/// doc.add(&op);
/// let doc = doc.build();
/// let post = &doc["paths"]["/notes"]["post"];
/// assert_eq!(post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
///            "#/components/schemas/Note");
/// assert!(post["responses"]["422"].is_object());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Operation {
    method: &'static str,
    path: String,
    fields: Map<String, Value>,
    body: Option<AddType>,
    query: Option<SchemaOf>,
    path_params: Vec<(String, String, SchemaOf)>,
    responses: Vec<(u16, String, Answer)>,
}

#[derive(Debug, Clone)]
enum Answer {
    Empty,
    Json(AddType),
    Error,
    EventStream,
}

impl Operation {
    /// An operation `method path` (`path` in OpenAPI's form, `/tasks/{id}`, which is also
    /// axum's).
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Operation {
            method,
            path: path.into(),
            fields: Map::new(),
            body: None,
            query: None,
            path_params: Vec::new(),
            responses: Vec::new(),
        }
    }

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new("get", path)
    }

    /// `POST path`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new("post", path)
    }

    /// `PUT path`.
    pub fn put(path: impl Into<String>) -> Self {
        Self::new("put", path)
    }

    /// `PATCH path`.
    pub fn patch(path: impl Into<String>) -> Self {
        Self::new("patch", path)
    }

    /// `DELETE path`.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new("delete", path)
    }

    /// The path, as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The method, lower case.
    pub fn method(&self) -> &str {
        self.method
    }

    /// `operationId`.
    pub fn id(self, id: &str) -> Self {
        self.field("operationId", json!(id))
    }

    /// `summary`.
    pub fn summary(self, text: &str) -> Self {
        self.field("summary", json!(text))
    }

    /// `description`.
    pub fn description(self, text: &str) -> Self {
        self.field("description", json!(text))
    }

    /// Adds a tag (the group the docs pages show it in).
    pub fn tag(mut self, tag: &str) -> Self {
        let tags = self.fields.entry("tags").or_insert_with(|| json!([]));
        if let Value::Array(tags) = tags {
            tags.push(json!(tag));
        }
        self
    }

    fn field(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_owned(), value);
        self
    }

    /// A required JSON body of type `T` (what [`extract::Json<T>`](crate::extract::Json)
    /// reads).
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(OpenApiBuilder::add_type::<T>);
        self
    }

    /// Query parameters: the fields of the struct `T` (what
    /// [`extract::Query<T>`](crate::extract::Query) reads).
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(agency_core::schema::generate::<T>);
        self
    }

    /// A path parameter `{name}` of type `T`.
    pub fn path_param<T: JsonSchema>(mut self, name: &str, description: &str) -> Self {
        self.path_params.push((
            name.to_owned(),
            description.to_owned(),
            agency_core::schema::generate::<T>,
        ));
        self
    }

    /// A JSON response of type `T` with `status`.
    pub fn response<T: JsonSchema>(mut self, status: u16, description: &str) -> Self {
        let add: AddType = OpenApiBuilder::add_type::<T>;
        self.responses
            .push((status, description.to_owned(), Answer::Json(add)));
        self
    }

    /// A response without a body (204, say).
    pub fn empty_response(mut self, status: u16, description: &str) -> Self {
        self.responses
            .push((status, description.to_owned(), Answer::Empty));
        self
    }

    /// An error response in the server's `{"detail": "..."}` shape (`HTTPError`).
    pub fn error(mut self, status: u16, description: &str) -> Self {
        self.responses
            .push((status, description.to_owned(), Answer::Error));
        self
    }

    /// A `text/event-stream` response (Server-Sent Events).
    pub fn event_stream(mut self, status: u16, description: &str) -> Self {
        self.responses
            .push((status, description.to_owned(), Answer::EventStream));
        self
    }
}

impl OpenApiBuilder {
    /// Adds `op` (see [`Operation`]), as a protected route: with the `security` requirement when
    /// auth is on.
    pub fn add(&mut self, op: &Operation) {
        let mut fields = op.fields.clone();
        let mut parameters = Vec::new();
        for (name, description, schema) in &op.path_params {
            parameters.push(json!({
                "name": name, "in": "path", "required": true,
                "description": description, "schema": schema(),
            }));
        }
        if let Some(schema) = op.query {
            let schema = schema();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    let prop = &inline_defs(prop.clone(), &defs, 0);
                    let mut param = json!({
                        "name": name, "in": "query", "required": required.contains(&name.as_str()),
                        "schema": prop,
                    });
                    if let Some(d) = prop.get("description") {
                        param["description"] = d.clone();
                    }
                    parameters.push(param);
                }
            }
        }
        let validated = op.body.is_some() || !parameters.is_empty();
        if !parameters.is_empty() {
            fields.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(add) = op.body {
            let name = add(self);
            fields.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": Self::reference(&name)}}}),
            );
        }
        let mut responses = Map::new();
        for (status, description, answer) in &op.responses {
            let value = match answer {
                Answer::Empty => json!({ "description": description }),
                Answer::Json(add) => {
                    let name = add(self);
                    response(description, &name)
                }
                Answer::Error => response(description, names::HTTP_ERROR),
                Answer::EventStream => json!({
                    "description": description,
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                }),
            };
            responses.insert(status.to_string(), value);
        }
        if op.body.is_some() {
            self.add_common_responses(&mut responses);
        } else {
            self.add_auth_response(&mut responses);
            if validated {
                responses.insert(
                    "422".into(),
                    response("Validation Error", names::HTTP_VALIDATION_ERROR),
                );
            }
        }
        fields.insert("responses".into(), Value::Object(responses));
        self.add_operation(&op.path, op.method, Value::Object(fields));
    }
}

/// `schema` with its `{"$ref": "#/$defs/..."}` replaced by the definitions (a parameter's schema
/// cannot point into the type's own `$defs`); a recursive type stops at a few levels.
fn inline_defs(schema: Value, defs: &Value, depth: u8) -> Value {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                && let Some(def) = defs.get(name)
                && depth < 8
            {
                return inline_defs(def.clone(), defs, depth + 1);
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, inline_defs(v, defs, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| inline_defs(v, defs, depth))
                .collect(),
        ),
        other => other,
    }
}
