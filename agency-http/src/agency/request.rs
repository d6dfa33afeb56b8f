//! The agency request body (API.md §4) and the cancel body (§6), validated with FastAPI's error
//! shapes.

use std::collections::BTreeMap;

use agency_core::model::ClientConfig;
use agency_core::run::RunInput;
use agency_core::{Agency, CancelMode, FieldError, Loc};
use serde_json::{Map, Value, json};

/// A parsed `get_response` / `get_response_stream` body.
#[derive(Debug, Clone, Default)]
pub struct AgencyRequest {
    /// The user's turn.
    pub message: Option<RunInput>,
    /// The conversation so far.
    pub chat_history: Vec<agency_core::Entry>,
    /// Which agent gets the turn (default: the first entry point).
    pub recipient_agent: Option<String>,
    /// Already uploaded file ids.
    pub file_ids: Vec<String>,
    /// Files to fetch: name → URL or path.
    pub file_urls: BTreeMap<String, String>,
    /// Extra instructions for the recipient, this turn.
    pub additional_instructions: Option<String>,
    /// Data for tools, never sent to the model.
    pub user_context: Map<String, Value>,
    /// Model client override for this request.
    pub client_config: ClientConfig,
    /// Whether to also return a short chat name.
    pub generate_chat_name: bool,
    /// Keep the conversation server-side under this id (agencies with a thread store).
    pub chat_id: Option<String>,
}

/// A parsed cancel body.
#[derive(Debug, Clone)]
pub struct CancelRequest {
    /// The run to cancel.
    pub run_id: String,
    /// How.
    pub cancel_mode: CancelMode,
}

struct Errors {
    errors: Vec<FieldError>,
}

impl Errors {
    fn add(&mut self, kind: &'static str, loc: Vec<Loc>, msg: impl Into<String>, input: &Value) {
        self.errors.push(FieldError {
            kind: kind.into(),
            loc,
            msg: msg.into(),
            input: input.clone(),
            ctx: None,
        });
    }

    fn value_error(&mut self, loc: Vec<Loc>, msg: &str, input: &Value) {
        self.errors.push(FieldError {
            kind: "value_error".into(),
            loc,
            msg: format!("Value error, {msg}"),
            input: input.clone(),
            ctx: Some(json!({"error": {}})),
        });
    }
}

fn key(k: &str) -> Loc {
    Loc::Key(k.to_owned())
}

fn optional_string(body: &Map<String, Value>, name: &str, errors: &mut Errors) -> Option<String> {
    match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            errors.add(
                "string_type",
                vec![key(name)],
                "Input should be a valid string",
                other,
            );
            None
        }
    }
}

fn optional_object(
    body: &Map<String, Value>,
    name: &str,
    errors: &mut Errors,
) -> Map<String, Value> {
    match body.get(name) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            errors.add(
                "dict_type",
                vec![key(name)],
                "Input should be a valid dictionary",
                other,
            );
            Map::new()
        }
    }
}

fn string_map(
    value: Option<&Value>,
    loc: Vec<Loc>,
    errors: &mut Errors,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    other => {
                        let mut l = loc.clone();
                        l.push(key(k));
                        errors.add("string_type", l, "Input should be a valid string", other);
                    }
                }
            }
        }
        Some(other) => errors.add(
            "dict_type",
            loc,
            "Input should be a valid dictionary",
            other,
        ),
    }
    out
}

impl AgencyRequest {
    /// Validates `body` for `agency`: every problem, with its path under `body` removed (the
    /// caller adds it).
    pub fn parse(
        body: &Map<String, Value>,
        agency: &Agency,
    ) -> Result<AgencyRequest, Vec<FieldError>> {
        let mut errors = Errors { errors: Vec::new() };
        let mut request = AgencyRequest::default();
        let whole = Value::Object(body.clone());

        match body.get("message") {
            None => errors.add("missing", vec![key("message")], "Field required", &whole),
            Some(Value::String(text)) => request.message = Some(RunInput::Text(text.clone())),
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    errors.value_error(
                        vec![key("message")],
                        "message must contain at least one structured Responses message",
                        &json!([]),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        errors.add(
                            "dict_type",
                            vec![key("message"), key("list[dict[str,any]]"), Loc::Index(i)],
                            "Input should be a valid dictionary",
                            item,
                        );
                    }
                }
                request.message = Some(RunInput::Items(
                    items
                        .iter()
                        .filter_map(|i| i.as_object().cloned())
                        .map(agency_core::Item::from_map)
                        .collect(),
                ));
            }
            Some(other) => {
                errors.add(
                    "string_type",
                    vec![key("message"), key("str")],
                    "Input should be a valid string",
                    other,
                );
                errors.add(
                    "list_type",
                    vec![key("message"), key("list[dict[str,any]]")],
                    "Input should be a valid list",
                    other,
                );
            }
        }

        match body.get("chat_history") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        errors.add(
                            "dict_type",
                            vec![key("chat_history"), Loc::Index(i)],
                            "Input should be a valid dictionary",
                            item,
                        );
                    } else if agency_core::Entry::from_map(item.as_object().cloned().unwrap_or_default())
                        .item
                        .is_chat_completions_form()
                    {
                        errors.value_error(
                            vec![key("chat_history"), Loc::Index(i)],
                            "chat_history holds a Chat Completions message (role \"tool\" or tool_calls), which this server cannot continue: start a new chat",
                            item,
                        );
                    }
                }
                request.chat_history = items
                    .iter()
                    .filter_map(|i| i.as_object().cloned())
                    .map(agency_core::Entry::from_map)
                    .collect();
            }
            Some(other) => errors.add(
                "list_type",
                vec![key("chat_history")],
                "Input should be a valid list",
                other,
            ),
        }

        request.recipient_agent = optional_string(body, "recipient_agent", &mut errors);
        if let Some(name) = &request.recipient_agent
            && agency.agent(name).is_none()
        {
            let names: Vec<String> = agency
                .agent_names()
                .iter()
                .map(|n| format!("'{n}'"))
                .collect();
            errors.value_error(
                vec![key("recipient_agent")],
                &format!(
                    "Invalid agent name. Available agents: [{}]",
                    names.join(", ")
                ),
                &Value::String(name.clone()),
            );
        }

        match body.get("file_ids") {
            None | Some(Value::Null) => {}
            Some(Value::Array(ids)) => {
                for (i, id) in ids.iter().enumerate() {
                    match id {
                        Value::String(s) => request.file_ids.push(s.clone()),
                        other => errors.add(
                            "string_type",
                            vec![key("file_ids"), Loc::Index(i)],
                            "Input should be a valid string",
                            other,
                        ),
                    }
                }
            }
            Some(other) => errors.add(
                "list_type",
                vec![key("file_ids")],
                "Input should be a valid list",
                other,
            ),
        }
        request.file_urls = string_map(body.get("file_urls"), vec![key("file_urls")], &mut errors);
        request.additional_instructions =
            optional_string(body, "additional_instructions", &mut errors);
        request.user_context = optional_object(body, "user_context", &mut errors);
        request.chat_id = optional_string(body, "chat_id", &mut errors);

        let client = optional_object(body, "client_config", &mut errors);
        for field in ["base_url", "api_key", "model"] {
            let value = optional_string(&client, field, &mut Errors { errors: Vec::new() });
            if let Some(v) = client.get(field).filter(|v| !v.is_null() && !v.is_string()) {
                errors.add(
                    "string_type",
                    vec![key("client_config"), key(field)],
                    "Input should be a valid string",
                    v,
                );
            }
            match field {
                "base_url" => request.client_config.base_url = value,
                "api_key" => request.client_config.api_key = value,
                _ => request.client_config.model = value,
            }
        }
        request.client_config.default_headers = string_map(
            client.get("default_headers"),
            vec![key("client_config"), key("default_headers")],
            &mut errors,
        );
        // Accepted for compatibility; there is no provider routing layer to use them.
        let _ = string_map(
            client.get("litellm_keys"),
            vec![key("client_config"), key("litellm_keys")],
            &mut errors,
        );

        match body.get("generate_chat_name") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => request.generate_chat_name = *b,
            Some(other) => errors.add(
                "bool_type",
                vec![key("generate_chat_name")],
                "Input should be a valid boolean",
                other,
            ),
        }

        if errors.errors.is_empty() {
            Ok(request)
        } else {
            Err(errors.errors)
        }
    }
}

impl CancelRequest {
    /// Validates a cancel body.
    pub fn parse(body: &Map<String, Value>) -> Result<CancelRequest, Vec<FieldError>> {
        let mut errors = Errors { errors: Vec::new() };
        let whole = Value::Object(body.clone());
        let run_id = match body.get("run_id") {
            None => {
                errors.add("missing", vec![key("run_id")], "Field required", &whole);
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                errors.add(
                    "string_type",
                    vec![key("run_id")],
                    "Input should be a valid string",
                    other,
                );
                String::new()
            }
        };
        let cancel_mode = match body.get("cancel_mode") {
            None | Some(Value::Null) => CancelMode::Immediate,
            Some(Value::String(s)) if s == "immediate" => CancelMode::Immediate,
            Some(Value::String(s)) if s == "after_turn" => CancelMode::AfterTurn,
            Some(other) => {
                errors.errors.push(FieldError {
                    kind: "literal_error".into(),
                    loc: vec![key("cancel_mode")],
                    msg: "Input should be 'immediate' or 'after_turn'".into(),
                    input: other.clone(),
                    ctx: Some(json!({"expected": "'immediate' or 'after_turn'"})),
                });
                CancelMode::Immediate
            }
        };
        if errors.errors.is_empty() {
            Ok(CancelRequest {
                run_id,
                cancel_mode,
            })
        } else {
            Err(errors.errors)
        }
    }
}
