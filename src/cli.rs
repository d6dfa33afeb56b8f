//! `agency::main()`: the command line of a user's binary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::http::{DEFAULT_APP_TOKEN_ENV, DEFAULT_BODY_LIMIT, Server, ServerError, ServerOptions};
use crate::{RegistryError, Toolbox};

/// Why `agency::main()` stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be built or stopped with an error.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The registered tools are inconsistent.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An export could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The command line was wrong (the message is clap's, with usage).
    #[error("{0}")]
    Usage(String),
}

/// `Result` with [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Parser)]
#[command(
    about = "Serve and export the tools of this program (agency-rs).",
    version
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the tools over HTTP (the default).
    Serve(ServeArgs),
    /// Write a document describing the tools.
    #[command(subcommand)]
    Export(Export),
    /// List what was discovered.
    List,
}

#[derive(Debug, Subcommand)]
enum Export {
    /// The OpenAPI 3.1 document, exactly as the server serves it at /openapi.json.
    Openapi {
        /// `servers[0].url` of the document.
        #[arg(long)]
        url: Option<String>,
        /// `info.title` of the document.
        #[arg(long)]
        title: Option<String>,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// The OpenAI function-tool definitions, as a JSON array.
    Tools {
        /// `responses` (`{"type":"function","name",...}`) or `chat` (`{"type":"function","function":{...}}`).
        #[arg(long, default_value = "responses", value_parser = ["responses", "chat"])]
        format: String,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Clone)]
struct ServeArgs {
    /// Bind address.
    #[arg(long, env = "AGENCY_HOST", default_value = crate::http::DEFAULT_HOST, global = true)]
    host: String,
    /// Bind port.
    #[arg(long, env = "AGENCY_PORT", default_value_t = crate::http::DEFAULT_PORT, global = true)]
    port: u16,
    /// Name of the environment variable that holds the bearer token (unset or empty: no auth).
    #[arg(long, env = "AGENCY_APP_TOKEN_ENV", default_value = DEFAULT_APP_TOKEN_ENV, global = true)]
    app_token_env: String,
    /// Allowed CORS origins, comma-separated (`*`: any origin, without credentials).
    #[arg(
        long,
        env = "AGENCY_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "*",
        global = true
    )]
    cors_origins: Vec<String>,
    /// Largest request body in bytes.
    #[arg(long, env = "AGENCY_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT, global = true)]
    body_limit: usize,
    /// `servers[0].url` of the OpenAPI document (default from host and port).
    #[arg(long, env = "AGENCY_SERVER_URL", global = true)]
    server_url: Option<String>,
}

impl ServeArgs {
    fn options(&self) -> ServerOptions {
        let mut options = ServerOptions::default()
            .with_host(self.host.clone())
            .with_port(self.port)
            .with_app_token_from_env(&self.app_token_env)
            .with_cors_origins(self.cors_origins.iter().map(|o| o.trim().to_owned()))
            .with_body_limit(self.body_limit);
        if let Some(url) = &self.server_url {
            options = options.with_server_url(url.clone());
        }
        options
    }
}

/// Runs the command line of a program that defines tools with `#[tool]`:
///
/// - `serve` (the default): serve every discovered tool over HTTP, with `/docs` and `/redoc`;
///   `--host`, `--port`, `--app-token-env`, `--cors-origins`, `--body-limit`, `--server-url`
///   (or the `AGENCY_*` environment variables);
/// - `export openapi [--url URL] [--title T] [-o FILE]`: the OpenAPI document the server serves;
/// - `export tools [--format responses|chat] [-o FILE]`: the OpenAI tool definitions;
/// - `list`: what was discovered.
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> agency::Result<()> {
///     agency::main().await
/// }
/// ```
pub async fn main() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => return Err(Error::Usage(e.to_string())),
        Err(e) => {
            // --help and --version.
            print!("{e}");
            return Ok(());
        }
    };
    init_tracing();
    match cli.command {
        None => serve(&cli.serve).await,
        Some(Command::Serve(args)) => serve(&args).await,
        Some(Command::List) => list(),
        Some(Command::Export(export)) => self::export(export, &cli.serve),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn server(options: ServerOptions) -> Result<Server> {
    Ok(Server::builder().discover().options(options).build()?)
}

async fn serve(args: &ServeArgs) -> Result<()> {
    server(args.options())?.serve().await?;
    Ok(())
}

fn list() -> Result<()> {
    let registrations = crate::AgencyRegistration::all();
    println!("agencies ({}):", registrations.len());
    for reg in registrations {
        let agency = match (reg.build)() {
            Ok(agency) => agency,
            Err(e) => {
                println!("  {} ({}): invalid: {e}", reg.name, reg.location);
                continue;
            }
        };
        println!("  {} (routes /{}/...)", agency.name(), agency.route_name());
        for agent in agency.agents() {
            let entry = if agency.entry_points().iter().any(|e| e == agent.name()) {
                " (entry point)"
            } else {
                ""
            };
            let tools: Vec<&str> = agent.tools().iter().map(|t| t.name()).collect();
            println!(
                "    agent {}{entry}: model {}, tools [{}]",
                agent.name(),
                agent.model(),
                tools.join(", ")
            );
        }
        for (from, to) in agency.flows() {
            println!("    {from} -> {to} (send_message)");
        }
        for (from, to) in agency.handoffs() {
            println!("    {from} => {to} (handoff)");
        }
    }
    let tools = Toolbox::discover()?;
    println!("tools ({}):", tools.len());
    for tool in tools.iter() {
        let strict = if tool.is_strict() {
            "strict"
        } else {
            "non-strict"
        };
        let summary = tool.description().lines().next().unwrap_or_default();
        println!("  {:<24} {strict:<10} {summary}", tool.name());
        for warning in tool.warnings() {
            println!("    warning: {warning}");
        }
    }
    Ok(())
}

fn export(export: Export, args: &ServeArgs) -> Result<()> {
    let (text, output) = match export {
        Export::Openapi { url, title, output } => {
            let mut options = args.options();
            if let Some(url) = url {
                options = options.with_server_url(url);
            }
            if let Some(title) = title {
                options = options.with_title(title);
            }
            let server = server(options)?;
            (pretty(server.openapi()), output)
        }
        Export::Tools { format, output } => {
            let tools = Toolbox::discover()?;
            let defs: Vec<_> = tools
                .iter()
                .map(|t| match format.as_str() {
                    "chat" => t.chat_completions_definition(),
                    _ => t.definition(),
                })
                .collect();
            (pretty(&serde_json::Value::Array(defs)), output)
        }
    };
    match output {
        None => {
            println!("{text}");
            Ok(())
        }
        Some(path) => std::fs::write(&path, text + "\n").map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
