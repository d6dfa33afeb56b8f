//! `GET /chat` and `GET /chat/{agency}`: the built-in web chat, a public page (like `/docs`)
//! whose script calls the agency routes with the bearer token the user enters. Its files are
//! compiled into the binary and every URL in it is relative, so it works offline and under a
//! prefix. `--no-chat-ui` ([`ServerOptions::chat_ui`](crate::ServerOptions::chat_ui)) leaves
//! these routes out.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use serde_json::json;

use super::docs::{EmbeddedFile, embedded, escape_html};
use crate::ApiError;
use crate::agency::SharedAgency;
use crate::openapi::{OpenApiBuilder, names, response};

/// The page; `{{title}}`, `{{root}}` and `{{config}}` are filled in per request.
const PAGE: &str = include_str!("../../assets/chat/index.html");

/// The page's script and style sheet (written for this crate, no third-party code).
static FILES: [EmbeddedFile; 2] = [
    (
        "chat.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/chat/chat.js"),
    ),
    (
        "chat.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/chat/chat.css"),
    ),
];

/// What the page needs to know before its first request: the agencies and how the server is set
/// up (never a secret: the same facts `/openapi.json` shows).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChatConfig {
    /// The served agencies, in the order they were registered.
    pub agencies: Vec<ChatAgency>,
    /// The server keeps conversations (`chat_id`); else the page keeps them and sends
    /// `chat_history`.
    pub threads: bool,
    /// Requests need a bearer token.
    pub auth: bool,
    /// `get_response_stream` speaks AG-UI (and there is no `cancel_response_stream`).
    pub agui: bool,
    /// The largest request body the server reads, in bytes (attachments travel in it).
    pub body_limit: usize,
}

/// One agency as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChatAgency {
    /// Its route: `/{route}/get_response_stream`.
    pub route: String,
    /// Its name.
    pub name: String,
}

impl ChatAgency {
    pub(crate) fn of(state: &SharedAgency) -> Self {
        ChatAgency {
            route: state.route.clone(),
            name: state.template.name().to_owned(),
        }
    }
}

/// Everything the page asks for, from the page itself.
#[derive(Debug, Serialize)]
struct PageConfig<'a> {
    #[serde(flatten)]
    server: &'a ChatConfig,
    /// The prefix from the page's URL to the server's root (`""` or `"../"`).
    root: &'static str,
    /// The agency the URL names, if any.
    agency: Option<&'a str>,
}

/// The chat routes.
pub(crate) fn router(config: ChatConfig, title: &str) -> Router {
    let title = escape_html(title);
    let at_root = page(&config, &title, "", None);
    let per_agency: Vec<(String, Html<String>)> = config
        .agencies
        .iter()
        .map(|a| {
            (
                a.route.clone(),
                page(&config, &title, "../", Some(&a.route)),
            )
        })
        .collect();
    Router::new()
        .route("/chat", get(move || async move { locked_down(at_root) }))
        .route("/chat/", get(|| async { Redirect::permanent("../chat") }))
        .route(
            "/chat/{agency}",
            get(|Path(agency): Path<String>| async move {
                match per_agency.iter().find(|(route, _)| *route == agency) {
                    Some((_, html)) => locked_down(html.clone()),
                    None => ApiError::NotFound.into_response(),
                }
            }),
        )
        .route(
            "/chat/assets/{file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
}

/// What the page may do: load its own files and call its own server, nothing else; no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The page with headers that keep it from loading or sending anything elsewhere.
fn locked_down(page: Html<String>) -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        page,
    )
        .into_response()
}

fn asset(file: &str) -> Response {
    embedded(&FILES, file)
}

/// Both pages in the OpenAPI document (public, like the docs pages).
pub(crate) fn add_to_openapi(doc: &mut OpenApiBuilder) {
    let html = json!({"text/html": {"schema": {"type": "string"}}});
    doc.add_public_operation(
        "/chat",
        "get",
        json!({
            "tags": ["chat"],
            "summary": "The built-in web chat",
            "description": "A page to talk to the served agencies; its script calls the agency routes with the bearer token the user enters. `--no-chat-ui` turns it off.",
            "operationId": "chat_page",
            "responses": {"200": {"description": "The page", "content": html}},
        }),
    );
    doc.add_public_operation(
        "/chat/{agency}",
        "get",
        json!({
            "tags": ["chat"],
            "summary": "The built-in web chat, open on one agency",
            "operationId": "chat_page_agency",
            "parameters": [{"name": "agency", "in": "path", "required": true,
                "description": "The agency's route name", "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "The page", "content": html},
                "404": response("No agency has this route", names::HTTP_ERROR),
            },
        }),
    );
}

fn page(
    config: &ChatConfig,
    title: &str,
    root: &'static str,
    agency: Option<&str>,
) -> Html<String> {
    let config = PageConfig {
        server: config,
        root,
        agency,
    };
    Html(
        PAGE.replace("{{title}}", title)
            .replace("{{root}}", root)
            .replace("{{config}}", &script_json(&config)),
    )
}

/// `value` as JSON that cannot end the `<script>` element it is put in.
fn script_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_json_cannot_close_the_script() {
        let json = script_json(&serde_json::json!({"name": "</script><b>&"}));
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back["name"], "</script><b>&");
    }

    #[test]
    fn the_page_and_its_files_stay_small() {
        let total: usize = PAGE.len() + FILES.iter().map(|(_, _, b)| b.len()).sum::<usize>();
        assert!(total < 150 * 1024, "the chat page weighs {total} bytes");
    }
}
