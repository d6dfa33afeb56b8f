//! `POST /tool/{name}`: one route per tool (API.md §10).

use agency_core::{Tool, ToolContext, ToolError, Toolbox};
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde_json::Value;

use crate::ApiError;
use crate::auth::BearerAuth;
use crate::body::read_json_object;
use crate::error::json_response;

/// The path of `tool`'s route.
pub fn tool_path(name: &str) -> String {
    format!("/tool/{name}")
}

/// A router with `POST /tool/{name}` for each tool: concrete paths, so an unknown name is a 404
/// and another method a 405. With `auth`, each route checks the token before reading the body.
pub(crate) fn router(tools: &Toolbox, auth: Option<&BearerAuth>, body_limit: usize) -> Router {
    tools.iter().fold(Router::new(), |router, tool| {
        let route = tool_route(tool.clone(), auth.cloned(), body_limit);
        router.route(&tool_path(tool.name()), route)
    })
}

fn tool_route(tool: Tool, auth: Option<BearerAuth>, body_limit: usize) -> MethodRouter {
    post(move |req: Request| {
        let tool = tool.clone();
        // Checked here rather than by a layer: the same order (before the body is read) without
        // one more boxed service per request.
        let denied = auth.as_ref().and_then(|a| a.check(req.headers()).err());
        async move {
            match denied {
                Some(e) => e.into_response(),
                None => call_tool(&tool, req, body_limit).await,
            }
        }
    })
}

/// Reads the body, calls the tool, and maps the outcome to the wire shapes.
async fn call_tool(tool: &Tool, req: Request, body_limit: usize) -> Response {
    let args = match read_json_object(req, body_limit).await {
        Ok(args) => args,
        Err(e) => return e.into_response(),
    };
    let ctx = ToolContext::new();
    // A client that goes away drops this future: tools that watch `ctx.is_cancelled()` (or
    // spawned work holding the token) are told to stop.
    let _cancel_on_drop = ctx.cancellation().clone().drop_guard();
    match tool.call(Value::Object(args), ctx).await {
        Ok(output) => json_response(StatusCode::OK, &ToolOutput { response: &output }),
        Err(e) => tool_error(tool.name(), e).into_response(),
    }
}

#[derive(serde::Serialize)]
struct ToolOutput<'a> {
    response: &'a Value,
}

fn tool_error(name: &str, e: ToolError) -> ApiError {
    match e {
        ToolError::InvalidArguments { errors, .. } => ApiError::invalid_body(errors),
        ToolError::Failed(message) => {
            tracing::debug!(tool = name, "tool failed: {message}");
            ApiError::failed(message)
        }
        other => {
            // A panic (already reported by the panic hook), a cancellation, ...
            tracing::error!(tool = name, "{other}");
            ApiError::failed(other.to_string())
        }
    }
}
