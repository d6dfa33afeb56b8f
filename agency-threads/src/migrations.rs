//! The schema of each backend, embedded in the binary and applied on open.
//!
//! The files under `migrations/<backend>/` are sqlx migrations (`<VERSION>_<DESCRIPTION>.sql`,
//! so `sqlx migrate` can run them too); they are listed here rather than read by
//! `sqlx::migrate!`, which would need sqlx's macros (and with them a second build of sqlx and
//! of SQLite for the host).

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// One migration: its version, description and SQL.
type File = (i64, &'static str, &'static str);

/// SQLite's migrations, oldest first.
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[File] = &[(
    20250601000001,
    "threads",
    include_str!("../migrations/sqlite/20250601000001_threads.sql"),
)];

/// Postgres's migrations, oldest first.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: &[File] = &[(
    20250601000001,
    "threads",
    include_str!("../migrations/postgres/20250601000001_threads.sql"),
)];

#[derive(Debug)]
struct Embedded(&'static [File]);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into(),
                    false,
                )
            })
            .collect();
        Box::pin(futures::future::ready(Ok(migrations)))
    }
}

/// The migrator of `files`. It tolerates versions it does not know in the database, so that
/// the store can share a database with an application's own sqlx migrations.
pub(crate) async fn migrator(files: &'static [File]) -> Result<Migrator, BoxDynError> {
    let mut migrator = Migrator::new(Embedded(files)).await?;
    migrator.set_ignore_missing(true);
    Ok(migrator)
}
