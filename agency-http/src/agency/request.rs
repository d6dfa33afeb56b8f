//! The bodies the agency routes take: [`AgencyRequest`] (`get_response`, `get_response_stream`)
//! and [`CancelRequest`] (`cancel_response_stream`).
//!
//! Both are validated by the pydantic-compatible validator that checks tool arguments, against
//! the JSON schema generated from their type (the same schema the OpenAPI document shows), then
//! deserialized. What a JSON schema cannot say is done here in code, and only that: the error
//! texts Agency Swarm's own validators give (an unknown `recipient_agent`, an empty `message`
//! list), pydantic's branch tags in the location of a `message` that fits neither form, and the
//! refusal of a `chat_history` in Chat Completions form.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use agency_core::model::ClientConfig;
use agency_core::run::RunInput;
use agency_core::validate::Validator;
use agency_core::{Agency, CancelMode, Entry, FieldError, Item, Loc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::response::CancelModeSchema;
use schemars::JsonSchema;

/// A `get_response` / `get_response_stream` body. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct AgencyRequest {
    /// The user's turn: a text, or Responses input messages (`input_text`, `input_image`,
    /// `input_file` parts).
    pub message: UserMessage,
    /// The conversation so far: the `new_messages` of earlier answers, concatenated.
    pub chat_history: Option<Vec<Entry>>,
    /// Which agent gets the turn (default: the first entry point).
    pub recipient_agent: Option<String>,
    /// Already uploaded OpenAI file ids to attach: `.pdf` as an `input_file` part, `.jpg .jpeg
    /// .png .gif` as an `input_image` part of the user's message, code and data files in a
    /// code-interpreter container; any other type is refused with 400.
    pub file_ids: Option<Vec<String>>,
    /// Files to fetch, upload and attach like `file_ids`: file name → `http(s)` URL (under the
    /// server's outbound rule) or absolute path (inside `allowed_local_file_dirs`). The answer's
    /// `file_ids_map` gives each name's file id.
    pub file_urls: Option<BTreeMap<String, String>>,
    /// Extra instructions for the recipient agent, this turn only.
    pub additional_instructions: Option<String>,
    /// Structured data for tools, never shown to the model; merged over the agency's own
    /// context (the request wins).
    pub user_context: Option<Map<String, Value>>,
    /// A model client override for this request only.
    pub client_config: Option<RequestClientConfig>,
    /// Also return a short name (two to six words) for the conversation.
    pub generate_chat_name: Option<bool>,
    /// Continue the stored chat with this id (its items come before `chat_history`, and this
    /// run's are added to it), or `"new"` to start one; the answer carries the id. Only on a
    /// server that keeps conversations; another caller's chat is a 404.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,128}$"))]
    pub chat_id: Option<String>,
}

/// The `message` of an agency request: a text or a non-empty list of Responses input items
/// (pydantic's `str | list[dict[str, Any]]`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum UserMessage {
    /// A user message with this text.
    Text(String),
    /// Responses input items, at least one.
    Items(#[schemars(length(min = 1))] Vec<Item>),
}

impl From<UserMessage> for RunInput {
    fn from(message: UserMessage) -> RunInput {
        match message {
            UserMessage::Text(text) => RunInput::Text(text),
            UserMessage::Items(items) => RunInput::Items(items),
        }
    }
}

/// The `client_config` of an agency request: what a request may change of the model client.
///
/// A `base_url` must come with its own `api_key` and pass the server's rule for outbound URLs
/// (see [`ClientPolicy`](super::ClientPolicy)); `Debug` prints keys and header values redacted.
#[derive(Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(rename = "ClientConfig")]
pub struct RequestClientConfig {
    /// The model API's base URL: an absolute `https` URL of a public host (or one the server
    /// allows). Requires `api_key`: the server's own key is never sent to a URL a request chose.
    #[schemars(url)]
    pub base_url: Option<String>,
    /// The model API's key (required with `base_url`).
    pub api_key: Option<String>,
    /// A model every agent uses for this request.
    pub model: Option<String>,
    /// Headers sent with every model request.
    pub default_headers: Option<BTreeMap<String, String>>,
    /// Keys per provider, for a provider routing layer; accepted and not used (this server
    /// has none).
    pub litellm_keys: Option<BTreeMap<String, String>>,
}

impl std::fmt::Debug for RequestClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |map: &Option<BTreeMap<String, String>>| {
            map.as_ref().map(|m| {
                m.keys()
                    .map(|k| (k.clone(), "<redacted>"))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        f.debug_struct("RequestClientConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("default_headers", &redacted(&self.default_headers))
            .field("litellm_keys", &redacted(&self.litellm_keys))
            .finish()
    }
}

impl From<RequestClientConfig> for ClientConfig {
    fn from(c: RequestClientConfig) -> ClientConfig {
        ClientConfig {
            base_url: c.base_url,
            api_key: c.api_key,
            model: c.model,
            default_headers: c.default_headers.unwrap_or_default(),
            ..ClientConfig::default()
        }
    }
}

/// A `cancel_response_stream` body.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CancelRequest {
    /// The run to cancel: the `run_id` of the stream's `meta` event.
    pub run_id: String,
    /// `immediate` (the default) stops at once and drops the item in progress; `after_turn`
    /// lets the current model turn and its tool calls finish.
    #[serde(default)]
    #[schemars(schema_with = "optional_cancel_mode")]
    pub cancel_mode: Option<CancelMode>,
}

/// `cancel_mode`: the modes, or `null`. (An `Option` of an enum would put `null` among the enum's
/// values; a separate branch keeps the enum exactly the modes.)
fn optional_cancel_mode(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let modes = generator.subschema_for::<CancelModeSchema>();
    schemars::json_schema!({"anyOf": [modes, {"type": "null"}]})
}

/// The request schema of one agency, built once: [`AgencyRequest`]'s, with `recipient_agent`
/// an enum of the agency's agents.
#[derive(Debug, Clone)]
pub struct AgencyRequestSchema {
    validator: Validator,
    agents: Vec<String>,
}

impl AgencyRequestSchema {
    /// The schema for `agency`'s requests.
    pub fn new(agency: &Agency) -> Self {
        let agents = agency.agent_names().to_vec();
        let mut schema = agency_core::schema::generate::<AgencyRequest>();
        schema["title"] = Value::String(format!("{} request", agency.name()));
        let recipients = json!({"anyOf": [{"type": "string", "enum": agents}, {"type": "null"}]});
        replace_property(&mut schema, "recipient_agent", recipients);
        AgencyRequestSchema {
            validator: compile(schema),
            agents,
        }
    }

    /// The JSON schema (with its `$defs`).
    pub fn schema(&self) -> &Value {
        self.validator.schema()
    }

    /// Validates `body` and reads it: every problem as a FastAPI field error, with its `loc`
    /// relative to the body (the caller puts `"body"` in front).
    pub fn parse(&self, body: Map<String, Value>) -> Result<AgencyRequest, Vec<FieldError>> {
        let value = self
            .validator
            .validate(Value::Object(body))
            .map_err(|errors| self.pydantic_errors(errors))?;
        let request: AgencyRequest = read(&value)?;
        let history = request.chat_history.as_deref().unwrap_or_default();
        let refused: Vec<FieldError> = history
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.item.is_chat_completions_form())
            .map(|(i, _)| {
                value_error(
                    vec![key("chat_history"), Loc::Index(i)],
                    "chat_history holds a Chat Completions message (role \"tool\" or tool_calls), which this server cannot continue: start a new chat",
                    value["chat_history"][i].clone(),
                )
            })
            .collect();
        if refused.is_empty() {
            Ok(request)
        } else {
            Err(refused)
        }
    }

    /// The validator's errors as Agency Swarm's pydantic model words them.
    fn pydantic_errors(&self, errors: Vec<FieldError>) -> Vec<FieldError> {
        let mut out = Vec::with_capacity(errors.len());
        for mut error in errors {
            match error.loc.first() {
                Some(Loc::Key(field)) if field == "message" && error.kind != "missing" => {
                    if error.loc.len() > 1 {
                        // Inside the list: pydantic names the union branch in the location.
                        error.loc.insert(1, key(ITEMS_TAG));
                        out.push(error);
                    } else if error.input == json!([]) {
                        out.push(value_error(
                            vec![key("message")],
                            "message must contain at least one structured Responses message",
                            error.input,
                        ));
                    } else {
                        // Neither a string nor a list: pydantic reports both branches.
                        out.push(type_error(
                            "string_type",
                            "str",
                            "Input should be a valid string",
                            &error.input,
                        ));
                        out.push(type_error(
                            "list_type",
                            ITEMS_TAG,
                            "Input should be a valid list",
                            &error.input,
                        ));
                    }
                }
                Some(Loc::Key(field)) if field == "recipient_agent" && error.kind == "enum" => {
                    out.push(self.unknown_agent(error));
                }
                _ => out.push(error),
            }
        }
        out
    }

    /// A `recipient_agent` outside the enum: Agency Swarm's `Invalid agent name` for a text,
    /// pydantic's `string_type` for anything else.
    fn unknown_agent(&self, error: FieldError) -> FieldError {
        if !error.input.is_string() {
            return FieldError {
                kind: "string_type".into(),
                msg: "Input should be a valid string".into(),
                ctx: None,
                ..error
            };
        }
        let names: Vec<String> = self.agents.iter().map(|n| format!("'{n}'")).collect();
        value_error(
            error.loc,
            &format!(
                "Invalid agent name. Available agents: [{}]",
                names.join(", ")
            ),
            error.input,
        )
    }
}

/// pydantic's tag for the list branch of `message`.
const ITEMS_TAG: &str = "list[dict[str,any]]";

/// The schema of [`CancelRequest`], generated and compiled once.
static CANCEL_SCHEMA: LazyLock<Validator> =
    LazyLock::new(|| compile(agency_core::schema::generate::<CancelRequest>()));

impl CancelRequest {
    /// The JSON schema of the body (with its `$defs`).
    pub fn schema() -> &'static Value {
        CANCEL_SCHEMA.schema()
    }

    /// Validates `body` and reads it (errors as in [`AgencyRequestSchema::parse`]).
    pub fn parse(body: Map<String, Value>) -> Result<CancelRequest, Vec<FieldError>> {
        let value = CANCEL_SCHEMA.validate(Value::Object(body))?;
        read(&value)
    }
}

/// Compiles the schema of one of the request types. Generated from this crate's own types, it
/// has nothing the validator refuses; if it had, that part would go unchecked, and be logged.
fn compile(schema: Value) -> Validator {
    let (validator, problems) = Validator::compile(schema);
    for problem in problems {
        tracing::error!("request schema: {problem}");
    }
    validator
}

/// Deserializes a validated body. The schema comes from the type, so this does not fail; if it
/// did, the answer is still a 422 that says why.
fn read<T: DeserializeOwned>(value: &Value) -> Result<T, Vec<FieldError>> {
    T::deserialize(value).map_err(|e| vec![value_error(Vec::new(), &e.to_string(), value.clone())])
}

fn key(k: &str) -> Loc {
    Loc::Key(k.to_owned())
}

/// Replaces the schema of the property `name` of the object schema `schema` (if it has one) with
/// `with`, keeping the property's description.
pub(super) fn replace_property(schema: &mut Value, name: &str, with: Value) {
    let Some(property) = schema.pointer_mut(&format!("/properties/{name}")) else {
        return;
    };
    let description = property.get("description").cloned();
    *property = with;
    if let (Some(d), Value::Object(p)) = (description, property) {
        p.insert("description".into(), d);
    }
}

/// pydantic's `value_error`, raised by a validator function.
pub(super) fn value_error(loc: Vec<Loc>, msg: &str, input: Value) -> FieldError {
    FieldError {
        kind: "value_error".into(),
        loc,
        msg: format!("Value error, {msg}"),
        input,
        ctx: Some(json!({"error": {}})),
    }
}

/// A type error of one branch of `message`, located under the branch's tag.
fn type_error(kind: &'static str, tag: &str, msg: &str, input: &Value) -> FieldError {
    FieldError {
        kind: kind.into(),
        loc: vec![key("message"), key(tag)],
        msg: msg.to_owned(),
        input: input.clone(),
        ctx: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> AgencyRequestSchema {
        let a = agency_core::Agent::builder("A").build();
        let b = agency_core::Agent::builder("B").build();
        let agency = Agency::builder("Two").entry(a).agent(b).build().unwrap();
        AgencyRequestSchema::new(&agency)
    }

    fn errors(body: Value) -> Value {
        let Value::Object(body) = body else { panic!() };
        json!(schema().parse(body).unwrap_err())
    }

    #[test]
    fn schemas_list_the_agents_and_the_modes() {
        let schema = schema();
        let recipient = &schema.schema()["properties"]["recipient_agent"];
        assert_eq!(recipient["anyOf"][0]["enum"], json!(["A", "B"]));
        assert_eq!(schema.schema()["required"], json!(["message"]));
        let cancel = &CancelRequest::schema()["properties"]["cancel_mode"];
        assert_eq!(
            cancel["anyOf"][0]["enum"],
            json!(["immediate", "after_turn"])
        );
        assert_eq!(CancelRequest::schema()["required"], json!(["run_id"]));
    }

    #[test]
    fn bodies_are_read_with_pydantic_rules() {
        let Value::Object(body) = json!({
            "message": [{"role": "user", "content": "hi"}],
            "recipient_agent": "B",
            "generate_chat_name": "yes",
            "client_config": null,
            "unknown": {"ignored": true},
        }) else {
            panic!()
        };
        let request = schema().parse(body).unwrap();
        assert_eq!(request.recipient_agent.as_deref(), Some("B"));
        assert_eq!(request.generate_chat_name, Some(true));
        assert!(request.client_config.is_none());
        assert!(matches!(request.message, UserMessage::Items(ref items) if items.len() == 1));

        assert_eq!(
            errors(json!({"message": ["x"], "recipient_agent": 5})),
            json!([
                {"type":"dict_type","loc":["message","list[dict[str,any]]",0],"msg":"Input should be a valid dictionary","input":"x"},
                {"type":"string_type","loc":["recipient_agent"],"msg":"Input should be a valid string","input":5}])
        );
        let refused = errors(json!({"message": "hi", "chat_history": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": "c1", "content": "3"},
        ]}));
        assert_eq!(refused[0]["loc"], json!(["chat_history", 1]));
        assert_eq!(refused[0]["input"]["tool_call_id"], "c1");

        let Value::Object(body) = json!({"run_id": "r", "cancel_mode": "later"}) else {
            panic!()
        };
        let errors = CancelRequest::parse(body).unwrap_err();
        assert_eq!(errors[0].loc, [key("cancel_mode")]);
        let Value::Object(body) = json!({"run_id": "r", "cancel_mode": null}) else {
            panic!()
        };
        assert_eq!(CancelRequest::parse(body).unwrap().cancel_mode, None);
    }

    #[test]
    fn reference_errors() {
        assert_eq!(
            errors(json!({})),
            json!([{"type":"missing","loc":["message"],"msg":"Field required","input":{}}])
        );
        assert_eq!(
            errors(json!({"message": []})),
            json!([{"type":"value_error","loc":["message"],"msg":"Value error, message must contain at least one structured Responses message","input":[],"ctx":{"error":{}}}])
        );
        assert_eq!(
            errors(json!({"message": "hi", "recipient_agent": "C"})),
            json!([{"type":"value_error","loc":["recipient_agent"],"msg":"Value error, Invalid agent name. Available agents: ['A', 'B']","input":"C","ctx":{"error":{}}}])
        );
        assert_eq!(
            errors(json!({"message": 42})),
            json!([
                {"type":"string_type","loc":["message","str"],"msg":"Input should be a valid string","input":42},
                {"type":"list_type","loc":["message","list[dict[str,any]]"],"msg":"Input should be a valid list","input":42}])
        );
    }
}
