//! Running a [`Server`]: binding, startup logs, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::{Server, ServerError};

/// After the shutdown deadline, how long the last answers get to go out.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

impl Server {
    /// Binds `host:port` from the options and serves until Ctrl-C or SIGTERM. Then every run is
    /// cancelled, the requests in flight get their answers, and the process ends within the
    /// shutdown deadline ([`ServerOptions::shutdown_timeout`](crate::ServerOptions)), even if a
    /// tool ignores the cancellation: a blocking tool still running then would keep tokio's
    /// runtime from stopping, so past the deadline (and a second's grace) the process exits.
    pub async fn serve(self) -> Result<(), ServerError> {
        let (host, port) = (self.options().host.clone(), self.options().port);
        let listener = TcpListener::bind((host.as_str(), port))
            .await
            .map_err(|source| ServerError::Bind {
                addr: format!("{host}:{port}"),
                source,
            })?;
        let deadline = self.options().shutdown_timeout;
        let signal = async move {
            shutdown_signal().await;
            exit_after(deadline + Duration::from_secs(1));
        };
        self.serve_on(listener, signal).await
    }

    /// Serves on `listener` until `shutdown` completes; then cancels every run and lets the
    /// requests in flight finish, for at most the shutdown deadline. Tests bind `127.0.0.1:0`
    /// and pass a future they control.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let result = self.clone().serve_until(listener, shutdown).await;
        // Runs that went on without their client end (every run was cancelled) and record their
        // last frames; what the registry still queues is written out.
        let detached = self.detached_runs();
        detached.close();
        if tokio::time::timeout(FLUSH_WAIT, detached.wait())
            .await
            .is_err()
        {
            tracing::warn!("{} detached run(s) did not end in time", detached.len());
        }
        self.run_registry().flush(FLUSH_WAIT).await;
        result
    }

    async fn serve_until(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        self.log_startup(addr);
        self.spawn_chat_expiry();
        self.connect_toolsets();
        let deadline = self.options().shutdown_timeout;
        let (asked_tx, asked) = tokio::sync::oneshot::channel::<()>();
        // Every run is cancelled, so open streams end with their `messages` and `end` frames and
        // `get_response` calls answer, which lets the graceful shutdown finish.
        let server = self.clone();
        let shutdown = async move {
            shutdown.await;
            server.cancel_all_runs();
            let _ = asked_tx.send(());
        };
        // Small SSE frames must leave at once, not wait for the client's delayed ACK (Nagle).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
        });
        let serving = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .into_future();
        tokio::pin!(serving);
        let past_deadline = async move {
            if asked.await.is_err() {
                // The server ended without a shutdown being asked for.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(deadline).await;
        };
        tokio::select! {
            result = &mut serving => return result.map_err(ServerError::Serve),
            () = past_deadline => {}
        }
        tracing::warn!(
            "shutdown deadline of {} s passed with requests in flight: answering them 503",
            deadline.as_secs_f64()
        );
        self.stop_all_work();
        // Their answers go out, then the connections close.
        match tokio::time::timeout(FLUSH_WAIT, serving).await {
            Ok(result) => result.map_err(ServerError::Serve),
            Err(_) => Ok(()),
        }
    }

    /// Asks every agent's toolsets (MCP servers) for their tools now, in the background, so a
    /// server that is down is reported at startup (and tried again by later runs) and the first
    /// run finds the others connected.
    fn connect_toolsets(&self) {
        for agency in self.agencies() {
            for agent in agency.agents() {
                for toolset in agent.toolsets() {
                    let toolset = toolset.clone();
                    tokio::spawn(async move {
                        let _ = toolset.tools().await;
                    });
                }
            }
        }
    }

    fn log_startup(&self, addr: SocketAddr) {
        let base = match addr.ip() {
            ip if ip.is_unspecified() => format!("http://localhost:{}", addr.port()),
            std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
            ip => format!("http://{ip}:{}", addr.port()),
        };
        let options = self.options();
        let auth = match (&options.app_token, &options.app_token_env) {
            _ if !options.auth_enabled() => "off".to_owned(),
            (Some(_), Some(var)) => format!("bearer token from {var}"),
            (Some(_), None) => "bearer token".to_owned(),
            (None, _) => "bearer tokens".to_owned(),
        };
        let auth = match options.tokens.len() {
            0 => auth,
            n if options.app_token.is_some() => format!("{auth} and {n} from the tokens file"),
            n => format!("{auth} ({n}, from the tokens file)"),
        };
        tracing::info!(
            "agency-rs {}: model API {}; auth {auth}; CORS origins {}; body limit {} bytes",
            env!("CARGO_PKG_VERSION"),
            self.model_api(),
            options.cors_origins.join(", "),
            options.body_limit,
        );
        let chat = if options.chat_ui && !self.agencies().is_empty() {
            format!("; chat at {base}/chat")
        } else {
            String::new()
        };
        tracing::info!(
            "listening on {addr}; docs at {base}/docs and {base}/redoc{chat}; metrics at {base}/metrics"
        );
        for agency in self.agencies() {
            let route = agency.route_name();
            if options.enable_agui {
                tracing::info!(
                    "agency '{}' ({}), AG-UI mode: POST {base}/{route}/get_response_stream (RunAgentInput in, AG-UI events out); GET /get_metadata",
                    agency.name(),
                    agency.agent_names().join(", ")
                );
                continue;
            }
            tracing::info!(
                "agency '{}' ({}): POST {base}/{route}/get_response, /get_response_stream, /cancel_response_stream; GET /get_metadata",
                agency.name(),
                agency.agent_names().join(", ")
            );
        }
        if options.enable_openai && !self.agencies().is_empty() {
            let models: Vec<String> = self.agencies().iter().map(|a| a.route_name()).collect();
            tracing::info!(
                "OpenAI-compatible: {base}/v1 (POST /v1/chat/completions, /v1/responses; GET /v1/models), models {} (and 'agency/agent')",
                models.join(", ")
            );
        }
        if options.enable_mcp && !(self.agencies().is_empty() && self.tools().is_empty()) {
            tracing::info!(
                "MCP (streamable HTTP, stateless): {base}{}, every tool and each agency as a tool",
                crate::mcp::MCP_PATH
            );
        }
        for tool in self.tools().iter() {
            tracing::info!("tool '{}': POST {base}/tool/{}", tool.name(), tool.name());
        }
        if !self.options().cancel_on_disconnect {
            tracing::info!(
                "a stream's run goes on when its client leaves: resume it at \
                 {base}/{{agency}}/runs/{{run_id}}/stream, or cancel it"
            );
        }
        if !self.options().auth_enabled() {
            let var = options
                .app_token_env
                .as_deref()
                .unwrap_or(crate::DEFAULT_APP_TOKEN_ENV);
            tracing::warn!(
                "no app token is set ({var}): every route is open to anyone who can reach \
                 this server"
            );
            if self.threads().is_some() {
                tracing::warn!(
                    "auth is off, so every caller is the same principal: stored chats are \
                     shared by everyone who can reach this server"
                );
            }
        }
    }

    /// With a chat TTL, deletes idle chats now and then (every quarter of the TTL, between
    /// 100 ms and 10 minutes) until the server shuts down.
    fn spawn_chat_expiry(&self) {
        let (Some(threads), Some(ttl)) = (self.threads().cloned(), self.options().chat_ttl) else {
            return;
        };
        let every = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(600));
        let stop = self.shutdown_token();
        tokio::spawn(async move {
            loop {
                match threads.expire_idle(ttl).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        "deleted {n} chat(s) idle for over {}",
                        humantime::format_duration(ttl)
                    ),
                    Err(e) => tracing::warn!("could not delete idle chats: {e}"),
                }
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(every) => {}
                }
            }
        });
    }
}

/// Ends the process after `after`, from a thread of its own: the last resort when a tool that
/// ignores cancellation keeps the runtime from stopping.
fn exit_after(after: Duration) {
    let spawned = std::thread::Builder::new()
        .name("shutdown-deadline".into())
        .spawn(move || {
            std::thread::sleep(after);
            tracing::error!(
                "the process did not stop within its shutdown deadline (a tool ignores \
                 cancellation?); exiting"
            );
            std::process::exit(1);
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the shutdown deadline's thread: {e}");
    }
}

/// Completes on Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C ({e}); stop the server another way");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e})");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
