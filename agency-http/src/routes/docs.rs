//! `GET /openapi.json`, `/docs` (Swagger UI) and `/redoc` (ReDoc): public routes whose assets
//! are all compiled into the binary, so the pages work offline.
//!
//! Every URL in the pages is relative (`docs/swagger-ui.css`, `openapi.json`), so they keep
//! working when the router is nested under a prefix.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::ApiError;

/// The ReDoc standalone bundle (redoc 2.5.4 from npm, MIT licensed: see `assets/redoc/LICENSE`).
static REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

/// A file compiled into the binary: its name, its content type and its bytes.
pub(crate) type EmbeddedFile = (&'static str, &'static str, &'static [u8]);

/// Swagger UI's files (swagger-ui-dist 5.35.0 from npm, Apache-2.0: see
/// `assets/swagger-ui/LICENSE`), and its initializer, which loads `openapi.json`.
static SWAGGER_FILES: [EmbeddedFile; 6] = [
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui-standalone-preset.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-standalone-preset.js"),
    ),
    (
        "swagger-initializer.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-initializer.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
    (
        "index.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/index.css"),
    ),
    (
        "favicon-32x32.png",
        "image/png",
        include_bytes!("../../assets/swagger-ui/favicon-32x32.png"),
    ),
];

/// The public documentation routes for a document serialized as `openapi`.
pub(crate) fn router(openapi: Bytes, title: &str) -> Router {
    let docs_html = Html(swagger_page(title));
    let redoc_html = Html(redoc_page(title));
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let openapi = openapi.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], openapi) }
            }),
        )
        .route("/docs", get(move || async move { docs_html }))
        .route("/docs/", get(|| async { Redirect::permanent("../docs") }))
        .route(
            "/docs/{*file}",
            get(|Path(file): Path<String>| async move { embedded(&SWAGGER_FILES, &file) }),
        )
        .route("/redoc", get(move || async move { redoc_html }))
        .route("/redoc/redoc.standalone.js", get(redoc_js))
}

/// The file of `files` named `file`, cached for a day; a 404 for any other name.
pub(crate) fn embedded(files: &[EmbeddedFile], file: &str) -> Response {
    match files.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => ApiError::NotFound.into_response(),
    }
}

async fn redoc_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        REDOC_JS,
    )
}

fn swagger_page(title: &str) -> String {
    let title = escape_html(title);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" type="text/css" href="docs/swagger-ui.css">
<link rel="stylesheet" type="text/css" href="docs/index.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="docs/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"#
    )
}

fn redoc_page(title: &str) -> String {
    let title = escape_html(title);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title} - ReDoc</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="redoc/redoc.standalone.js"></script>
</body>
</html>
"#
    )
}

/// `s` safe to put in HTML text or a quoted attribute.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
