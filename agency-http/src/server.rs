//! [`Server`]: the tools and agencies to serve, assembled into one axum router and one
//! OpenAPI document.

use std::sync::Arc;

use agency_core::model::{ClientConfig, Egress, Model};
use agency_core::thread::Threads;
use agency_core::{
    Agency, AgencyError, AgencyRegistration, IntoAgency, RegistryError, States, Tool, Toolbox,
};
use axum::Router;
use axum::body::Bytes;
use serde_json::Value;
use tower::ServiceBuilder;

use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;

use crate::agency::{
    AgencyFactory, AgencyState, ClientPolicy, Common, InProcessRegistry, RunRegistry, SharedAgency,
};
use crate::auth::BearerAuth;
use crate::metrics::Metrics;
use crate::openapi::{self, OpenApiInfo, Operation};
use crate::request_log::RequestLogs;
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
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    router: Router,
    openapi: Value,
    tools: Toolbox,
    agencies: Vec<Agency>,
    options: ServerOptions,
    registry: Arc<dyn RunRegistry>,
    threads: Option<Threads>,
    /// The runs that went on without their client.
    tracker: tokio_util::task::TaskTracker,
    shutdown: CancellationToken,
    /// Fires when the shutdown deadline passes: what still runs is answered 503.
    deadline: CancellationToken,
    /// The model API's base URL, credentials removed (for the startup banner).
    model_api: String,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("tools", &self.inner.tools)
            .field("agencies", &self.inner.agencies)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts describing a server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            tools: Ok(Toolbox::new()),
            agencies: Vec::new(),
            options: ServerOptions::default(),
            client: None,
            model: None,
            registry: None,
            threads: None,
            states: States::new(),
            routes: Vec::new(),
            operations: Vec::new(),
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

    /// The agencies served under `/{agency}/...` (one instance of each, built at startup).
    pub fn agencies(&self) -> &[Agency] {
        &self.inner.agencies
    }

    /// The options the server was built with.
    pub fn options(&self) -> &ServerOptions {
        &self.inner.options
    }

    /// The model API the runs call: its base URL without credentials.
    pub(crate) fn model_api(&self) -> &str {
        &self.inner.model_api
    }

    /// The registry of streamed runs.
    pub fn run_registry(&self) -> &Arc<dyn RunRegistry> {
        &self.inner.registry
    }

    /// The runs that go on without their client (`cancel_on_disconnect` off, or their last
    /// frames being recorded).
    pub(crate) fn detached_runs(&self) -> &tokio_util::task::TaskTracker {
        &self.inner.tracker
    }

    /// Where conversations are kept, if they are.
    pub fn threads(&self) -> Option<&Threads> {
        self.inner.threads.as_ref()
    }

    /// Cancels every run of this server, streamed or not, at once (what a graceful shutdown
    /// does first). Requests that start afterwards are cancelled as they start.
    pub fn cancel_all_runs(&self) {
        self.inner.shutdown.cancel();
    }

    /// Fires when the server shuts down.
    pub(crate) fn shutdown_token(&self) -> CancellationToken {
        self.inner.shutdown.clone()
    }

    /// Answers every request still being worked on with 503 and stops its work: what the
    /// shutdown deadline does.
    pub(crate) fn stop_all_work(&self) {
        self.inner.shutdown.cancel();
        self.inner.deadline.cancel();
    }
}

/// Describes a [`Server`]; see [`Server::builder`].
#[must_use]
pub struct ServerBuilder {
    tools: Result<Toolbox, RegistryError>,
    agencies: Vec<(AgencyFactory, String)>,
    options: ServerOptions,
    client: Option<ClientConfig>,
    model: Option<Arc<dyn Model>>,
    registry: Option<Arc<dyn RunRegistry>>,
    threads: Option<Threads>,
    states: States,
    routes: Vec<Router>,
    operations: Vec<Operation>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("tools", &self.tools)
            .field("agencies", &self.agencies.len())
            .field("options", &self.options)
            .field("states", &self.states)
            .field("routes", &self.routes.len())
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Gives every served tool `value` (a database pool, a repository, a client), which a
    /// `#[tool]` function takes as a `State<T>` parameter and any tool with
    /// [`ToolContext::state`](agency_core::ToolContext::state); an agency's own values of the
    /// same type win for its agents. [`ServerBuilder::build`] refuses to build a server whose
    /// tools need a type nobody provided, naming the tool and the type.
    ///
    /// ```
    /// use agency_core::{State, Tool, ToolContext, ToolError};
    /// use agency_http::Server;
    ///
    /// struct Repo {
    ///     file: &'static str,
    /// }
    ///
    /// // What `#[tool] fn where_stored(repo: State<Repo>) -> String` generates.
    /// let where_stored = Tool::builder("where_stored")
    ///     .requires(State::<Repo>::key())
    ///     .handler(|(): (), ctx: ToolContext| async move {
    ///         let repo = ctx.state::<Repo>()?;
    ///         Ok::<_, ToolError>(repo.file)
    ///     });
    /// let err = Server::builder().tool(where_stored.clone()).build().unwrap_err();
    /// assert!(err.to_string().contains("tool 'where_stored' needs a `"), "{err}");
    /// let server = Server::builder().tool(where_stored).state(Repo { file: "tasks.db" });
    /// assert!(server.build().is_ok());
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states = self.states.with(value);
        self
    }

    /// Gives every served tool the values of `states` (see [`ServerBuilder::state`]).
    pub fn states(mut self, states: States) -> Self {
        self.states = states.or(&self.states);
        self
    }

    /// Serves your own routes beside the agencies and tools, behind the same auth (when a token
    /// is set), CORS, request logs, metrics and body limit. Read bodies, query strings and path
    /// parameters with [`extract::Json`](crate::extract::Json),
    /// [`extract::Query`](crate::extract::Query) and [`extract::Path`](crate::extract::Path)
    /// to refuse bad input with the server's 422 shape, answer errors with
    /// [`ApiError`](crate::ApiError), and describe the routes with [`ServerBuilder::operation`].
    ///
    /// A path and method the server already serves makes [`ServerBuilder::build`] fail.
    ///
    /// ```
    /// use agency_http::axum::{Router, routing::get};
    /// use agency_http::openapi::Operation;
    /// use agency_http::Server;
    ///
    /// let hello = Router::new().route("/hello", get(|| async { "Hello, World!" }));
    /// let server = Server::builder()
    ///     .routes(hello)
    ///     .operation(Operation::get("/hello").summary("Say hello").empty_response(200, "A greeting"))
    ///     .tool(agency_core::Tool::builder("noop").handler(|(): (), _| async { Ok::<_, agency_core::ToolError>(()) }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(server.openapi()["paths"]["/hello"]["get"]["summary"], "Say hello");
    /// ```
    pub fn routes(mut self, router: Router) -> Self {
        self.routes.push(router);
        self
    }

    /// Documents one operation of your routes in the served OpenAPI document (and `/docs`).
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operations.push(operation);
        self
    }

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
                ..self
            },
        }
    }

    /// Serves `agency` (an [`Agency`], an `AgencyBuilder`, or a `Result` of one). Each request
    /// gets a clone; use [`ServerBuilder::agency_factory`] to build a fresh one per request.
    pub fn agency(self, agency: impl IntoAgency) -> Self {
        let built = agency.into_agency();
        let factory: AgencyFactory = Arc::new(move || built.clone());
        self.agency_factory_named(factory, "registered explicitly".to_owned())
    }

    /// Serves the agency `factory` builds; it is called once per request, so requests share no
    /// mutable state.
    pub fn agency_factory<F, A>(self, factory: F) -> Self
    where
        F: Fn() -> A + Send + Sync + 'static,
        A: IntoAgency,
    {
        let factory: AgencyFactory = Arc::new(move || factory().into_agency());
        self.agency_factory_named(factory, "registered explicitly".to_owned())
    }

    fn agency_factory_named(mut self, factory: AgencyFactory, location: String) -> Self {
        self.agencies.push((factory, location));
        self
    }

    /// Serves every agency registered with `#[agency]` in the crates linked into this binary.
    pub fn discover_agencies(mut self) -> Self {
        for reg in AgencyRegistration::all() {
            let build = reg.build;
            self =
                self.agency_factory_named(Arc::new(build), format!("defined at {}", reg.location));
        }
        self
    }

    /// Serves everything registered with `#[tool]` and `#[agency]`.
    pub fn discover(self) -> Self {
        self.discover_tools().discover_agencies()
    }

    /// The model client agencies use (default: [`ClientConfig::from_env`]); a request's
    /// `client_config` goes over it.
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.client = Some(client);
        self
    }

    /// A model back end to run agencies on instead of OpenAI.
    pub fn model(mut self, model: impl Model) -> Self {
        self.model = Some(Arc::new(model));
        self
    }

    /// Where streamed runs are registered, for cancel and resume (default:
    /// [`InProcessRegistry`], this process only). `agency_redis::RedisRegistry` shares them
    /// between the processes of a fleet.
    pub fn run_registry(mut self, registry: impl RunRegistry) -> Self {
        self.registry = Some(Arc::new(registry));
        self
    }

    /// Keeps conversations in `store` (a [`ThreadStore`](agency_core::thread::ThreadStore), an
    /// `Arc<dyn ThreadStore>` such as `agency_threads::open` returns, or [`Threads`]): a request
    /// may then send `chat_id` (`"new"` starts a chat), and each agency gets `GET /{a}/chats`,
    /// `GET /{a}/chats/{chat_id}` and `DELETE /{a}/chats/{chat_id}`. Without it the server keeps
    /// no conversation: clients send `chat_history`.
    ///
    /// ```
    /// use agency_core::{Agency, Agent};
    /// use agency_core::thread::InMemoryThreadStore;
    /// use agency_http::Server;
    ///
    /// let agency = Agency::builder("Demo").entry(Agent::builder("Assistant").build());
    /// let server = Server::builder().agency(agency).threads(InMemoryThreadStore::default()).build().unwrap();
    /// assert!(server.openapi()["paths"]["/Demo/chats/{chat_id}"]["delete"].is_object());
    /// ```
    pub fn threads(mut self, store: impl Into<Threads>) -> Self {
        self.threads = Some(store.into());
        self
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
        let registry = self
            .registry
            .unwrap_or_else(|| Arc::new(InProcessRegistry::default()));
        let options = self.options;
        let egress = match &options.allowed_base_urls {
            Some(prefixes) => Egress::allow(prefixes)?,
            None => Egress::default(),
        };
        let files = crate::files::Sources {
            egress: match &options.allowed_file_urls {
                Some(prefixes) => Egress::allow(prefixes)?,
                None => Egress::default(),
            },
            local_dirs: options.allowed_local_file_dirs.clone(),
            max_bytes: options.file_size_limit,
        };
        let shutdown = CancellationToken::new();
        let tracker = tokio_util::task::TaskTracker::new();
        let metrics = Arc::new(Metrics::default());
        let client = self.client.unwrap_or_else(ClientConfig::from_env);
        let model_api = match &self.model {
            Some(_) => "a custom model back end".to_owned(),
            None => agency_core::redact_url(
                client
                    .base_url
                    .as_deref()
                    .unwrap_or(agency_core::model::OPENAI_BASE_URL),
            ),
        };
        let common = Arc::new(Common {
            client,
            policy: ClientPolicy::new(egress, options.allowed_models.clone()),
            model: self.model,
            registry: registry.clone(),
            cancel_on_disconnect: options.cancel_on_disconnect,
            tracker: tracker.clone(),
            threads: self.threads.clone(),
            body_limit: options.body_limit,
            run_timeout: options.run_timeout,
            tool_timeout: options.tool_timeout,
            cancel_wait: options.shutdown_timeout,
            shutdown: shutdown.clone(),
            metrics: metrics.clone(),
            states: self.states.clone(),
            agui: options.enable_agui,
            files,
        });
        let mut states: Vec<SharedAgency> = Vec::new();
        for (factory, location) in self.agencies {
            let template = factory().map_err(|source| ServerError::Agency {
                location: location.clone(),
                source,
            })?;
            let route = template.route_name();
            if route.is_empty() || route.contains(['/', '{', '}']) || route == "tool" {
                return Err(ServerError::Agency {
                    location,
                    source: AgencyError::InvalidName(template.name().to_owned()),
                });
            }
            template
                .check_states(&self.states)
                .map_err(|source| ServerError::MissingState {
                    place: format!("agency '{}' ({location})", template.name()),
                    source,
                })?;
            if let Some(other) = states.iter().find(|s| s.route == route) {
                return Err(ServerError::DuplicateAgency {
                    route,
                    first: other.template.name().to_owned(),
                    second: template.name().to_owned(),
                });
            }
            states.push(Arc::new(AgencyState::new(
                route,
                factory,
                template,
                common.clone(),
            )));
        }
        self.states
            .check(tools.iter())
            .map_err(|source| ServerError::MissingState {
                place: "the tool routes (/tool/...)".to_owned(),
                source,
            })?;
        if tools.is_empty() && states.is_empty() && self.routes.is_empty() {
            return Err(ServerError::NothingToServe);
        }
        let mut doc = openapi::OpenApiBuilder::new(OpenApiInfo::from(&options));
        for state in &states {
            crate::agency::add_to_openapi(&mut doc, state);
        }
        doc.add_tools(&tools);
        if options.enable_openai && !states.is_empty() {
            crate::openai::add_to_openapi(&mut doc, &states);
        }
        for op in &self.operations {
            doc.add(op);
        }
        routes::health::add_to_openapi(&mut doc);
        routes::metrics::add_to_openapi(&mut doc);
        if options.enable_logging {
            routes::logs::add_to_openapi(&mut doc);
        }
        let chat = (options.chat_ui && !states.is_empty()).then(|| routes::chat::ChatConfig {
            agencies: states.iter().map(routes::chat::ChatAgency::of).collect(),
            threads: self.threads.is_some(),
            auth: options.auth_enabled(),
            agui: options.enable_agui,
            body_limit: options.body_limit,
        });
        if chat.is_some() {
            routes::chat::add_to_openapi(&mut doc);
        }
        let openapi = doc.build();
        let deadline = CancellationToken::new();
        let health = routes::health::Dependencies {
            threads: self.threads.clone(),
            registry: registry.clone(),
        };
        let parts = Parts {
            tools: &tools,
            agencies: &states,
            user_routes: self.routes,
            states: &self.states,
            chat,
            shutdown: &shutdown,
        };
        let router = assemble(parts, &options, &openapi, &deadline, health, &metrics)?;
        Ok(Server {
            inner: Arc::new(Inner {
                router,
                openapi,
                tools,
                agencies: states.iter().map(|s| s.template.clone()).collect(),
                options,
                registry,
                threads: self.threads,
                tracker,
                shutdown,
                deadline,
                model_api,
            }),
        })
    }
}

/// The app: the protected routes (tools, agencies, metrics) behind one auth layer, the public docs
/// routes, JSON 404/405, CORS, request logs.
///
/// Auth is a `route_layer`: it runs only for a request that matched a route and method, so a
/// wrong method is answered 405 before auth, an unknown path 404, and the token is checked
/// before a handler reads the body.
fn assemble(
    parts: Parts<'_>,
    options: &ServerOptions,
    openapi: &Value,
    deadline: &CancellationToken,
    health: routes::health::Dependencies,
    metrics: &Arc<Metrics>,
) -> Result<Router, ServerError> {
    let mut protected = parts
        .agencies
        .iter()
        .fold(Router::new(), |r, s| {
            r.merge(crate::agency::router(s.clone()))
        })
        .merge(routes::tools::router(
            parts.tools,
            options.body_limit,
            options.tool_timeout,
            deadline,
            parts.states,
        ))
        .merge(routes::metrics::router(metrics.clone()));
    if options.enable_openai && !parts.agencies.is_empty() {
        protected = merge(
            protected,
            crate::openai::router(parts.agencies, options.body_limit),
        )?;
    }
    if options.enable_mcp && !(parts.tools.is_empty() && parts.agencies.is_empty()) {
        let served = crate::mcp::Served {
            tools: parts.tools,
            agencies: parts.agencies,
            states: parts.states,
            tool_timeout: options.tool_timeout,
            body_limit: options.body_limit,
            shutdown: parts.shutdown,
            deadline,
            auth: options.auth_enabled(),
        };
        protected = merge(protected, crate::mcp::router(served))?;
    }
    for user in parts.user_routes {
        // The server's limit for the framework's extractors and for axum's own (`Bytes`,
        // `String`, `axum::Json`).
        let user = user
            .layer(axum::Extension(crate::body::BodyLimit(options.body_limit)))
            .layer(axum::extract::DefaultBodyLimit::max(options.body_limit));
        protected = merge(protected, user)?;
    }
    let logs = options
        .enable_logging
        .then(|| RequestLogs::new(options.logs_dir.clone()));
    let protected = match &logs {
        Some(logs) => protected.merge(routes::logs::router(logs.dir.clone(), options.body_limit)),
        None => protected,
    };
    let tokens = options.auth_tokens();
    let auth = (!tokens.is_empty()).then(|| BearerAuth::with_tokens(&tokens));
    let protected = match auth {
        Some(auth) => protected.route_layer(auth),
        None => protected,
    };
    let openapi_bytes = Bytes::from(openapi.to_string());
    let protected = match parts.chat {
        // An agency routed `chat` or a user route under `/chat` is a startup error, not a panic.
        Some(chat) => merge(protected, routes::chat::router(chat, &options.title))?,
        None => protected,
    };
    let router = protected
        .merge(routes::docs::router(openapi_bytes, &options.title))
        .merge(routes::health::router(health))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed);
    // One composed layer: axum boxes (and clones, per request) each layer of each route.
    let edge = ServiceBuilder::new()
        .layer(CatchPanicLayer::custom(panic_answer as PanicAnswer))
        .layer(trace::RequestLogLayer::new(metrics.clone(), logs))
        .layer(cors::layer(&options.cors_origins)?);
    Ok(router.layer(edge))
}

/// What the protected router is made of.
struct Parts<'a> {
    tools: &'a Toolbox,
    agencies: &'a [SharedAgency],
    user_routes: Vec<Router>,
    states: &'a States,
    /// The web chat's configuration, when it is served.
    chat: Option<routes::chat::ChatConfig>,
    /// Fires when the server shuts down.
    shutdown: &'a CancellationToken,
}

/// `a.merge(b)`, with axum's panic on a path served twice turned into an error.
fn merge(a: Router, b: Router) -> Result<Router, ServerError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.merge(b))).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a route is served twice".to_owned());
        ServerError::Routes(message)
    })
}

type PanicAnswer = fn(Box<dyn std::any::Any + Send>) -> axum::response::Response;

/// A panic while handling a request (a bug, here or in a library) is answered 500 in JSON, and
/// the server keeps serving; the panic hook has already logged where it happened.
fn panic_answer(_panic: Box<dyn std::any::Any + Send>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("a request handler panicked; answered 500");
    crate::ApiError::failed(
        "internal error: the server failed while handling this request (it keeps serving)",
    )
    .into_response()
}
