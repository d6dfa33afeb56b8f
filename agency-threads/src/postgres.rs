//! [`PostgresThreadStore`]: the thread store in a Postgres database.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::error::redact;
use crate::{OpenError, SqlThreadStore};

/// A [`SqlThreadStore`] in a Postgres database, with a pool of connections (TLS through
/// rustls when the URL asks for it, `sslmode=require`). Appends to one chat take turns on the
/// chat's row; appends to different chats run at once.
pub type PostgresThreadStore = SqlThreadStore<sqlx::Postgres>;

const HINT: &str = "is the server running, and are the host, port, user, password and \
                    database right?";

impl SqlThreadStore<sqlx::Postgres> {
    /// Connects to the store at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE?OPTIONS`,
    /// or `postgresql://`), creating its tables when the database has none.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        let shown = redact(url);
        let failed = |source: sqlx::Error| OpenError::Connect {
            url: shown.clone(),
            hint: HINT,
            source: Box::new(source),
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(failed)?
            .application_name("agency-threads");
        SqlThreadStore::start(options, shown, HINT, crate::migrations::POSTGRES, false).await
    }
}
