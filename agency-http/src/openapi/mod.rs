//! The OpenAPI 3.1 document of the server, built from the same [`Tool`] values and body types
//! the routes serve, so it cannot drift from them.

mod components;
mod operation;

pub use operation::Operation;

use std::collections::HashMap;

use agency_core::{Tool, Toolbox};
use serde_json::{Map, Value, json};

use crate::ServerOptions;
use crate::routes::tools::tool_path;
use components::Components;
use schemars::JsonSchema;

/// What the document says about the server itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenApiInfo {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `servers[0].url`.
    pub server_url: String,
    /// Whether protected routes need a bearer token: adds `security` and the `HTTPBearer`
    /// scheme, and documents the 401 answers.
    pub bearer_auth: bool,
}

impl OpenApiInfo {
    /// Info with a title, a version and the server's public URL, without auth.
    pub fn new(
        title: impl Into<String>,
        version: impl Into<String>,
        server_url: impl Into<String>,
    ) -> Self {
        OpenApiInfo {
            title: title.into(),
            version: version.into(),
            server_url: server_url.into(),
            bearer_auth: false,
        }
    }

    /// Sets whether protected routes need a bearer token.
    pub fn with_bearer_auth(mut self, on: bool) -> Self {
        self.bearer_auth = on;
        self
    }
}

impl From<&ServerOptions> for OpenApiInfo {
    fn from(options: &ServerOptions) -> Self {
        OpenApiInfo::new(&options.title, &options.version, options.server_url())
            .with_bearer_auth(options.auth_enabled())
    }
}

/// The document for `tools` (what `/openapi.json` serves and the CLI's schema export writes).
///
/// ```
/// use agency_core::{Tool, ToolError, Toolbox};
/// use agency_http::openapi::{OpenApiInfo, document};
///
/// let echo = Tool::builder("echo").handler(|v: String, _| async move { Ok::<_, ToolError>(v) });
/// let tools = Toolbox::new().with(echo).unwrap();
/// let doc = document(&tools, &OpenApiInfo::new("Tools", "1.0.0", "http://localhost:8000"));
/// assert_eq!(doc["paths"]["/tool/echo"]["post"]["operationId"], "echo");
/// assert!(doc.get("security").is_none());
/// ```
pub fn document(tools: &Toolbox, info: &OpenApiInfo) -> Value {
    let mut builder = OpenApiBuilder::new(info.clone());
    builder.add_tools(tools);
    builder.build()
}

/// Assembles the document piece by piece: routes of other kinds (agencies) add their
/// operations and schemas through [`OpenApiBuilder::add_operation`],
/// [`OpenApiBuilder::add_type`] and [`OpenApiBuilder::add_schema`].
#[derive(Debug)]
pub struct OpenApiBuilder {
    info: OpenApiInfo,
    paths: Map<String, Value>,
    components: Components,
    /// The component of each type added with [`OpenApiBuilder::add_type`], by schema id.
    types: HashMap<String, String>,
}

/// Names of the well-known components.
pub mod names {
    /// `{"detail": [ValidationError]}`: the 422 body.
    pub const HTTP_VALIDATION_ERROR: &str = "HTTPValidationError";
    /// One entry of a 422 body.
    pub const VALIDATION_ERROR: &str = "ValidationError";
    /// `{"detail": "<message>"}`: 401, 404, 405, 413 bodies.
    pub const HTTP_ERROR: &str = "HTTPError";
    /// `{"error": "<message>"}`: a failure of the work itself (500...).
    pub const ERROR_RESPONSE: &str = "ErrorResponse";
    /// `{"response": <any>}`: a tool's 200 body.
    pub const TOOL_RESPONSE: &str = "ToolResponse";
}

impl OpenApiBuilder {
    /// An empty document (no paths) with the error schemas every route uses.
    pub fn new(info: OpenApiInfo) -> Self {
        let mut components = Components::default();
        components.insert_fixed(names::HTTP_VALIDATION_ERROR, http_validation_error());
        components.insert_fixed(names::VALIDATION_ERROR, validation_error());
        components.insert_fixed(names::HTTP_ERROR, http_error());
        components.insert_fixed(names::ERROR_RESPONSE, error_response());
        OpenApiBuilder {
            info,
            paths: Map::new(),
            components,
            types: HashMap::new(),
        }
    }

    /// Adds `POST /tool/{name}` for every tool. Tool names are kept for the tools' own request
    /// schemas, so a nested type never takes one.
    pub fn add_tools(&mut self, tools: &Toolbox) {
        for tool in tools.iter() {
            self.components.reserve(tool.name());
        }
        for tool in tools.iter() {
            self.add_tool(tool);
        }
    }

    /// Adds `POST /tool/{name}` for `tool`, its input schema as the request body.
    pub fn add_tool(&mut self, tool: &Tool) {
        self.components
            .insert_fixed(names::TOOL_RESPONSE, tool_response());
        let request = self.add_schema(tool.name(), tool.input_schema());
        let mut op = Map::new();
        op.insert("tags".into(), json!(["tools"]));
        op.insert("summary".into(), json!(summary(tool.name())));
        if !tool.description().is_empty() {
            op.insert("description".into(), json!(tool.description()));
        }
        op.insert("operationId".into(), json!(tool.name()));
        op.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": {"application/json": {"schema": Components::reference(&request)}},
            }),
        );
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            response("The tool's output", names::TOOL_RESPONSE),
        );
        self.add_common_responses(&mut responses);
        responses.insert(
            "500".into(),
            response(
                "The tool returned an error or panicked",
                names::ERROR_RESPONSE,
            ),
        );
        responses.insert(
            "504".into(),
            response(
                "The tool did not finish within its timeout",
                names::ERROR_RESPONSE,
            ),
        );
        op.insert("responses".into(), Value::Object(responses));
        self.add_operation(&tool_path(tool.name()), "post", Value::Object(op));
    }

    /// Adds the answers every protected JSON route can give: 401 (when auth is on), 413, 422.
    pub fn add_common_responses(&self, responses: &mut Map<String, Value>) {
        if self.info.bearer_auth {
            responses.insert(
                "401".into(),
                response("Missing or wrong bearer token", names::HTTP_ERROR),
            );
        }
        responses.insert(
            "413".into(),
            response("Request body too large", names::HTTP_ERROR),
        );
        responses.insert(
            "422".into(),
            response("Validation Error", names::HTTP_VALIDATION_ERROR),
        );
    }

    /// Adds a schema under exactly `name` (a well-known component shared by routes; added once).
    pub fn add_fixed_schema(&mut self, name: &str, schema: Value) {
        self.components.insert_fixed(name, schema);
    }

    /// Adds the 401 answer when auth is on (for routes without a body).
    pub fn add_auth_response(&self, responses: &mut Map<String, Value>) {
        if self.info.bearer_auth {
            responses.insert(
                "401".into(),
                response("Missing or wrong bearer token", names::HTTP_ERROR),
            );
        }
    }

    /// Adds `schema` (with its `$defs`) to the components, named after `preferred` (unique-ified
    /// with a number on a clash), and returns the component name.
    pub fn add_schema(&mut self, preferred: &str, schema: &Value) -> String {
        self.components.add_root(preferred, schema)
    }

    /// Adds the schema generated from `T` (with the types it references) as a component named
    /// after `T`, once however often it is asked for, and returns the component name: the way
    /// to document a request or response body that is a Rust type.
    ///
    /// ```
    /// use agency_http::openapi::{OpenApiBuilder, OpenApiInfo};
    ///
    /// #[derive(schemars::JsonSchema)]
    /// struct Answer {
    ///     /// The text.
    ///     text: String,
    /// }
    ///
    /// let mut doc = OpenApiBuilder::new(OpenApiInfo::new("Demo", "1.0.0", "http://localhost"));
    /// assert_eq!(doc.add_type::<Answer>(), "Answer");
    /// assert_eq!(doc.add_type::<Answer>(), "Answer");
    /// let doc = doc.build();
    /// assert_eq!(doc["components"]["schemas"]["Answer"]["required"], serde_json::json!(["text"]));
    /// ```
    pub fn add_type<T: JsonSchema>(&mut self) -> String {
        let id = T::schema_id().into_owned();
        if let Some(name) = self.types.get(&id) {
            return name.clone();
        }
        let name = self.add_schema(&T::schema_name(), &agency_core::schema::generate::<T>());
        self.types.insert(id, name.clone());
        name
    }

    /// Adds an operation; on a protected route, the `security` requirement is added when auth
    /// is on. Use [`OpenApiBuilder::reference`] to point at a component.
    pub fn add_operation(&mut self, path: &str, method: &str, mut operation: Value) {
        if self.info.bearer_auth
            && let Value::Object(op) = &mut operation
        {
            op.insert("security".into(), json!([{ "HTTPBearer": [] }]));
        }
        let item = self
            .paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(method.to_ascii_lowercase(), operation);
        }
    }

    /// Adds an operation that is never behind auth (no `security` requirement).
    pub fn add_public_operation(&mut self, path: &str, method: &str, operation: Value) {
        let item = self
            .paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(method.to_ascii_lowercase(), operation);
        }
    }

    /// `{"$ref": "#/components/schemas/<name>"}`.
    pub fn reference(name: &str) -> Value {
        Components::reference(name)
    }

    /// The finished document.
    pub fn build(self) -> Value {
        let mut components = Map::new();
        components.insert(
            "schemas".into(),
            Value::Object(self.components.into_schemas()),
        );
        if self.info.bearer_auth {
            components.insert(
                "securitySchemes".into(),
                json!({"HTTPBearer": {"type": "http", "scheme": "bearer"}}),
            );
        }
        json!({
            "openapi": "3.1.0",
            "info": {"title": self.info.title, "version": self.info.version},
            "servers": [{"url": self.info.server_url}],
            "paths": self.paths,
            "components": components,
        })
    }
}

/// A response object with a JSON body of component `schema`.
pub fn response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": Components::reference(schema)}},
    })
}

/// `add_numbers` → `Add Numbers`, like FastAPI's summaries.
fn summary(name: &str) -> String {
    name.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

fn http_validation_error() -> Value {
    json!({
        "title": "HTTPValidationError",
        "type": "object",
        "properties": {
            "detail": {
                "title": "Detail",
                "type": "array",
                "items": Components::reference(names::VALIDATION_ERROR),
            }
        },
        "required": ["detail"],
    })
}

fn validation_error() -> Value {
    json!({
        "title": "ValidationError",
        "type": "object",
        "properties": {
            "loc": {
                "title": "Location",
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            },
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
            "input": {"title": "Input"},
            "ctx": {"title": "Context", "type": "object"},
        },
        "required": ["loc", "msg", "type"],
    })
}

fn http_error() -> Value {
    json!({
        "title": "HTTPError",
        "type": "object",
        "properties": {"detail": {"title": "Detail", "type": "string"}},
        "required": ["detail"],
    })
}

fn error_response() -> Value {
    json!({
        "title": "ErrorResponse",
        "type": "object",
        "properties": {"error": {"title": "Error", "type": "string"}},
        "required": ["error"],
    })
}

fn tool_response() -> Value {
    json!({
        "title": "ToolResponse",
        "type": "object",
        "properties": {"response": {"title": "Response", "description": "The tool's output, as JSON."}},
        "required": ["response"],
    })
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summaries() {
        assert_eq!(summary("add"), "Add");
        assert_eq!(summary("add_numbers"), "Add Numbers");
        assert_eq!(summary("Address"), "Address");
        assert_eq!(summary("get-weather_now"), "Get Weather Now");
    }
}
