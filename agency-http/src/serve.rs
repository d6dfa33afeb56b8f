//! Running a [`Server`]: binding, startup logs, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::{Server, ServerError};

impl Server {
    /// Binds `host:port` from the options and serves until Ctrl-C or SIGTERM, then lets the
    /// requests in flight finish.
    pub async fn serve(self) -> Result<(), ServerError> {
        let (host, port) = (self.options().host.clone(), self.options().port);
        let listener = TcpListener::bind((host.as_str(), port))
            .await
            .map_err(|source| ServerError::Bind {
                addr: format!("{host}:{port}"),
                source,
            })?;
        self.serve_on(listener, shutdown_signal()).await
    }

    /// Serves on `listener` until `shutdown` completes, then lets the requests in flight finish.
    /// Tests bind `127.0.0.1:0` and pass a future they control.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        self.log_startup(addr);
        let registry = self.cancel_registry().clone();
        // Open streams are cancelled so they end with their `messages` and `end` frames, which
        // lets the graceful shutdown finish.
        let shutdown = async move {
            shutdown.await;
            registry.cancel_all();
        };
        // Small SSE frames must leave at once, not wait for the client's delayed ACK (Nagle).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
        });
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Serve)
    }

    fn log_startup(&self, addr: SocketAddr) {
        let base = match addr.ip() {
            ip if ip.is_unspecified() => format!("http://localhost:{}", addr.port()),
            std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
            ip => format!("http://{ip}:{}", addr.port()),
        };
        tracing::info!("listening on {addr}; docs at {base}/docs and {base}/redoc");
        for agency in self.agencies() {
            let route = agency.route_name();
            tracing::info!(
                "agency '{}' ({}): POST {base}/{route}/get_response, /get_response_stream, /cancel_response_stream; GET /get_metadata",
                agency.name(),
                agency.agent_names().join(", ")
            );
        }
        for tool in self.tools().iter() {
            tracing::info!("tool '{}': POST {base}/tool/{}", tool.name(), tool.name());
        }
        if !self.options().auth_enabled() {
            tracing::warn!(
                "no app token is set (APP_TOKEN): every route is open to anyone who can reach \
                 this server"
            );
        }
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
