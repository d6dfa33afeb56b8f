//! [`Server`]: the tools (and later agencies) to serve, assembled into one axum router and one
//! OpenAPI document.

use std::sync::Arc;

use agency_core::{RegistryError, Tool, Toolbox};
use axum::Router;
use axum::body::Bytes;
use serde_json::Value;
use tower::ServiceBuilder;

use crate::auth::BearerAuth;
use crate::openapi::{self, OpenApiInfo};
use crate::{ServerError, ServerOptions, cors, routes, trace};

/// A server ready to run: its router and its OpenAPI document are built once, by
/// [`ServerBuilder::build`]. Cloning is cheap.
///
/// ```
/// use agency_core::{Tool, ToolError};
/// use agency_http::{Server, ServerOptions};
///
/// # fn main() -> Result<(), agency_http::ServerError> {
/// let add = Tool::builder("add")
///     .description("Add two integers and return the sum.")
///     .handler(|(a, b): (i64, i64), _ctx| async move { Ok::<_, ToolError>(a + b) });
/// let server = Server::builder()
///     .tool(add)
///     .options(ServerOptions::default().with_port(9000))
///     .build()?;
/// assert_eq!(server.openapi()["servers"][0]["url"], "http://localhost:9000");
/// // `server.router()` is an `axum::Router` to nest or serve yourself;
/// // `server.serve().await` binds the port and serves until Ctrl-C.
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Server {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    router: Router,
    openapi: Value,
    tools: Toolbox,
    options: ServerOptions,
}

impl Server {
    /// Starts describing a server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            tools: Ok(Toolbox::new()),
            options: ServerOptions::default(),
        }
    }

    /// The whole app as an `axum::Router` (Agency Swarm's `return_app`): nest it, add routes and
    /// layers, serve it yourself.
    pub fn router(&self) -> Router {
        self.inner.router.clone()
    }

    /// The OpenAPI document served at `/openapi.json`.
    pub fn openapi(&self) -> &Value {
        &self.inner.openapi
    }

    /// The tools served under `/tool/{name}`.
    pub fn tools(&self) -> &Toolbox {
        &self.inner.tools
    }

    /// The options the server was built with.
    pub fn options(&self) -> &ServerOptions {
        &self.inner.options
    }
}

/// Describes a [`Server`]; see [`Server::builder`].
#[must_use]
#[derive(Debug)]
pub struct ServerBuilder {
    tools: Result<Toolbox, RegistryError>,
    options: ServerOptions,
}

impl ServerBuilder {
    /// Serves every tool of `tools` (a duplicate name is reported by [`ServerBuilder::build`]).
    pub fn tools(mut self, tools: Toolbox) -> Self {
        self.tools = self.tools.and_then(|t| t.merge(tools));
        self
    }

    /// Serves `tool`.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools = self.tools.and_then(|t| t.with(tool));
        self
    }

    /// Serves every tool registered with `#[tool]` in the crates linked into this binary.
    pub fn discover_tools(self) -> Self {
        match Toolbox::discover() {
            Ok(tools) => self.tools(tools),
            Err(e) => ServerBuilder {
                tools: Err(e),
                options: self.options,
            },
        }
    }

    /// Sets the options (port, token, CORS...).
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks everything and builds the router and the OpenAPI document.
    ///
    /// Errors: a duplicate or invalid tool name, nothing to serve, an invalid CORS origin.
    pub fn build(self) -> Result<Server, ServerError> {
        let tools = self.tools?;
        if tools.is_empty() {
            return Err(ServerError::NothingToServe);
        }
        let options = self.options;
        let openapi = openapi::document(&tools, &OpenApiInfo::from(&options));
        let router = assemble(&tools, &options, &openapi)?;
        Ok(Server {
            inner: Arc::new(Inner {
                router,
                openapi,
                tools,
                options,
            }),
        })
    }
}

/// The app: protected routes (auth checked first), public docs routes, JSON 404/405, CORS,
/// request logs. Routes read their bodies with [`crate::body`] and the configured limit.
fn assemble(
    tools: &Toolbox,
    options: &ServerOptions,
    openapi: &Value,
) -> Result<Router, ServerError> {
    let auth = options
        .app_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(BearerAuth::new);
    let limit = options.body_limit;
    let openapi_bytes = Bytes::from(openapi.to_string());

    let router = Router::new()
        .merge(routes::tools::router(tools, auth.as_ref(), limit))
        .merge(routes::docs::router(openapi_bytes, &options.title))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed);
    // One composed layer: axum boxes (and clones, per request) each layer of each route.
    let edge = ServiceBuilder::new()
        .layer(trace::RequestLogLayer)
        .layer(cors::layer(&options.cors_origins)?);
    Ok(router.layer(edge))
}
