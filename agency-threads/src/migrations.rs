//! The schema of each backend, embedded in the binary and applied on open.
//!
//! The files under `migrations/<backend>/` are sqlx migrations (`<VERSION>_<DESCRIPTION>.sql`,
//! so `sqlx migrate` can run them too); they are listed here rather than read by
//! `sqlx::migrate!`, which would need sqlx's macros (and with them a second build of sqlx and
//! of SQLite for the host).

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// One embedded migration: its version (`20250601000001`), description and SQL, as
/// `include_str!` gives it.
pub type EmbeddedMigration = (i64, &'static str, &'static str);

type File = EmbeddedMigration;

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

/// The sqlx migrator of `files` (oldest first), embedded in the binary without sqlx's macros:
/// what the thread stores use, and your application can for its own tables. It tolerates
/// versions it does not know in the database, so the stores and your application can share one
/// database.
///
/// ```
/// use agency_threads::{EmbeddedMigration, embedded_migrator};
///
/// const MIGRATIONS: &[EmbeddedMigration] =
///     &[(20260101000001, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);")];
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let migrator = embedded_migrator(MIGRATIONS).await.unwrap();
/// assert_eq!(migrator.iter().count(), 1);
/// // migrator.run(&pool).await?;
/// # });
/// ```
pub async fn embedded_migrator(files: &'static [File]) -> Result<Migrator, BoxDynError> {
    let mut migrator = Migrator::new(Embedded(files)).await?;
    migrator.set_ignore_missing(true);
    Ok(migrator)
}
