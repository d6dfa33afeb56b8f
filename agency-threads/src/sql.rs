//! [`SqlThreadStore`]: the one implementation of [`ThreadStore`] on SQL, for every backend.
//!
//! The statements are the same on SQLite and Postgres (`$N` placeholders, which SQLite reads
//! as numbered parameters too); only the schema differs, in the migrations.

use agency_core::item::Entry;
use agency_core::thread::{
    ChatKey, ChatPage, ChatSummary, PageQuery, StoreError, ThreadStore, now_micros,
};
use futures::future::BoxFuture;
use sqlx::pool::PoolOptions;
use sqlx::{
    Acquire, ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, Pool, Row,
    Type, migrate::Migrate,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::OpenError;

const CREATE: &str = "INSERT INTO chats (id, agency, owner, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING";
const SUMMARY: &str = "SELECT id, name, created_at, updated_at FROM chats \
                       WHERE id = $1 AND agency = $2 AND owner = $3";
/// No row: no such chat; one row with a null entry: an empty chat.
const ITEMS: &str = "SELECT i.entry FROM chats c LEFT JOIN chat_items i ON i.chat_id = c.id \
                     WHERE c.id = $1 AND c.agency = $2 AND c.owner = $3 ORDER BY i.seq";
/// Marks the chat as used (never moving `updated_at` back) and locks its row until the
/// transaction ends, so that appends to one chat take turns.
const TOUCH: &str = "UPDATE chats \
                     SET updated_at = CASE WHEN updated_at > $1 THEN updated_at ELSE $1 END \
                     WHERE id = $2 AND agency = $3 AND owner = $4";
const LAST_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) FROM chat_items WHERE chat_id = $1";
const RENAME: &str = "UPDATE chats SET name = $1 WHERE id = $2 AND agency = $3 AND owner = $4";
const LIST: &str = "SELECT id, name, created_at, updated_at FROM chats \
                    WHERE agency = $1 AND owner = $2 \
                    ORDER BY updated_at DESC, id DESC LIMIT $3";
const LIST_AFTER: &str = "SELECT id, name, created_at, updated_at FROM chats \
                          WHERE agency = $1 AND owner = $2 AND (updated_at, id) < ($3, $4) \
                          ORDER BY updated_at DESC, id DESC LIMIT $5";
const DELETE: &str = "DELETE FROM chats WHERE id = $1 AND agency = $2 AND owner = $3";
const EXPIRE: &str = "DELETE FROM chats WHERE updated_at < $1";

/// A database [`SqlThreadStore`] works on: `sqlx::Sqlite` or `sqlx::Postgres`, as the
/// crate's features allow. Sealed: it says what the statements need of a driver.
pub trait Backend: Database + sealed::Sealed {
    /// How many rows a statement changed.
    #[doc(hidden)]
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

mod sealed {
    pub trait Sealed {}
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for sqlx::Sqlite {}

#[cfg(feature = "sqlite")]
impl Backend for sqlx::Sqlite {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::Postgres {}

#[cfg(feature = "postgres")]
impl Backend for sqlx::Postgres {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

/// The most items one `INSERT` carries (3 parameters each, far below every backend's limit).
const ROWS_PER_INSERT: usize = 500;

/// A [`ThreadStore`] in a SQL database: `SqliteThreadStore` or `PostgresThreadStore`, as the
/// crate's features allow. Each entry is one row (its JSON as
/// text), and `append` is one transaction, so a block of entries is never split or lost.
///
/// Built by the backends' constructors or by [`open`](crate::open), which create the tables
/// (or bring them up to date) first.
pub struct SqlThreadStore<DB: Backend> {
    pool: Pool<DB>,
    /// Where it is, its password redacted (for `Debug`).
    url: String,
    /// Set where the database lets one writer in at a time (SQLite): the writers of this
    /// process wait here, in turn, rather than poll the database's lock.
    writers: Option<Mutex<()>>,
}

impl<DB: Backend> std::fmt::Debug for SqlThreadStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlThreadStore")
            .field("backend", &DB::NAME)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl<DB: Backend> SqlThreadStore<DB> {
    /// Connects once with `options` (failing at once when the database cannot be reached,
    /// rather than retrying for the pool's acquire timeout), applies `migrations` on that
    /// connection, and wraps a pool that connects with `options` as it needs.
    pub(crate) async fn start(
        options: <DB::Connection as Connection>::Options,
        url: String,
        hint: &'static str,
        migrations: &'static [(i64, &'static str, &'static str)],
        one_writer: bool,
    ) -> Result<Self, OpenError>
    where
        DB::Connection: Migrate,
        for<'c> &'c mut DB::Connection:
            Acquire<'c, Database = DB, Connection = &'c mut DB::Connection>,
    {
        let mut connection =
            DB::Connection::connect_with(&options)
                .await
                .map_err(|e| OpenError::Connect {
                    url: url.clone(),
                    hint,
                    source: Box::new(e),
                })?;
        let failed = |source| OpenError::Migrate {
            url: url.clone(),
            source,
        };
        let migrator = crate::migrations::embedded_migrator(migrations)
            .await
            .map_err(failed)?;
        let run = migrator.run(&mut connection).await;
        run.map_err(|e| failed(Box::new(e)))?;
        // The pool has connections of its own; this one is done with, however it closes.
        let _ = connection.close().await;
        Ok(SqlThreadStore {
            pool: PoolOptions::new().connect_lazy_with(options),
            url,
            writers: one_writer.then(Mutex::default),
        })
    }

    /// Closes the store's connections, waiting for the calls under way. Calls made after fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Waits for this process's turn to write, where the database has one writer at a time.
    async fn writing(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.writers {
            Some(writers) => Some(writers.lock().await),
            None => None,
        }
    }
}

/// The `INSERT` of `rows` items of one chat: the chat id is `$1`, each item's `seq` and JSON
/// the next two parameters.
fn insert_items(rows: usize) -> String {
    let mut sql = String::from("INSERT INTO chat_items (chat_id, seq, entry) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, ${}, ${})", 2 * row + 2, 2 * row + 3));
    }
    sql
}

fn summary_of<R: Row>(row: &R) -> Result<ChatSummary, StoreError>
where
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(ChatSummary {
        id: row.try_get(0).map_err(StoreError::backend)?,
        name: row.try_get(1).map_err(StoreError::backend)?,
        created_at: row.try_get(2).map_err(StoreError::backend)?,
        updated_at: row.try_get(3).map_err(StoreError::backend)?,
    })
}

impl<DB> ThreadStore for SqlThreadStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    fn create<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _turn = self.writing().await;
            let done = sqlx::query(CREATE)
                .bind(key.id.as_str())
                .bind(key.agency.as_str())
                .bind(key.owner.as_str())
                .bind(now_micros())
                .execute(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            match DB::rows_affected(&done) {
                0 => Err(StoreError::Exists(key.id.clone())),
                _ => Ok(()),
            }
        })
    }

    fn summary<'a>(
        &'a self,
        key: &'a ChatKey,
    ) -> BoxFuture<'a, Result<Option<ChatSummary>, StoreError>> {
        Box::pin(async move {
            let row = sqlx::query(SUMMARY)
                .bind(key.id.as_str())
                .bind(key.agency.as_str())
                .bind(key.owner.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            row.as_ref().map(summary_of).transpose()
        })
    }

    fn items<'a>(
        &'a self,
        key: &'a ChatKey,
    ) -> BoxFuture<'a, Result<Option<Vec<Entry>>, StoreError>> {
        Box::pin(async move {
            let rows = sqlx::query(ITEMS)
                .bind(key.id.as_str())
                .bind(key.agency.as_str())
                .bind(key.owner.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            if rows.is_empty() {
                return Ok(None);
            }
            let mut items = Vec::with_capacity(rows.len());
            for row in &rows {
                let Some(json) = row
                    .try_get::<Option<String>, _>(0)
                    .map_err(StoreError::backend)?
                else {
                    continue; // The chat has no items.
                };
                let entry = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                    chat: key.id.clone(),
                    reason: format!("item {} is not an entry: {e}", items.len() + 1),
                })?;
                items.push(entry);
            }
            Ok(Some(items))
        })
    }

    fn append<'a>(
        &'a self,
        key: &'a ChatKey,
        items: &'a [Entry],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let json = items
                .iter()
                .map(serde_json::to_string)
                .collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::backend)?;
            let _turn = self.writing().await;
            let mut tx = self.pool.begin().await.map_err(StoreError::backend)?;
            let touched = sqlx::query(TOUCH)
                .bind(now_micros())
                .bind(key.id.as_str())
                .bind(key.agency.as_str())
                .bind(key.owner.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::backend)?;
            if DB::rows_affected(&touched) == 0 {
                return Err(StoreError::NotFound(key.id.clone()));
            }
            if !json.is_empty() {
                let last: i64 = sqlx::query(LAST_SEQ)
                    .bind(key.id.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .and_then(|row| row.try_get(0))
                    .map_err(StoreError::backend)?;
                let mut seq = last;
                for chunk in json.chunks(ROWS_PER_INSERT) {
                    let sql = insert_items(chunk.len());
                    let mut insert = sqlx::query(&sql).bind(key.id.as_str());
                    for entry in chunk {
                        seq += 1;
                        insert = insert.bind(seq).bind(entry.as_str());
                    }
                    insert
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::backend)?;
                }
            }
            tx.commit().await.map_err(StoreError::backend)
        })
    }

    fn rename<'a>(
        &'a self,
        key: &'a ChatKey,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _turn = self.writing().await;
            let done = sqlx::query(RENAME)
                .bind(name)
                .bind(key.id.as_str())
                .bind(key.agency.as_str())
                .bind(key.owner.as_str())
                .execute(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            match DB::rows_affected(&done) {
                0 => Err(StoreError::NotFound(key.id.clone())),
                _ => Ok(()),
            }
        })
    }

    fn list<'a>(
        &'a self,
        agency: &'a str,
        owner: &'a str,
        page: &'a PageQuery,
    ) -> BoxFuture<'a, Result<ChatPage, StoreError>> {
        Box::pin(async move {
            let rows = i64::from(page.limit) + 1;
            let query = match &page.after {
                None => sqlx::query(LIST).bind(agency).bind(owner).bind(rows),
                Some(after) => sqlx::query(LIST_AFTER)
                    .bind(agency)
                    .bind(owner)
                    .bind(after.updated_at)
                    .bind(after.id.as_str())
                    .bind(rows),
            };
            let rows = query
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            let chats = rows.iter().map(summary_of).collect::<Result<_, _>>()?;
            Ok(ChatPage::from_rows(chats, page.limit))
        })
    }

    fn delete<'a>(&'a self, key: &'a ChatKey) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let _turn = self.writing().await;
            let done = sqlx::query(DELETE)
                .bind(key.id.as_str())
                .bind(key.agency.as_str())
                .bind(key.owner.as_str())
                .execute(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            Ok(DB::rows_affected(&done) > 0)
        })
    }

    fn expire(&self, before: i64) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let _turn = self.writing().await;
            let done = sqlx::query(EXPIRE)
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(StoreError::backend)?;
            Ok(DB::rows_affected(&done))
        })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn an_item_that_does_not_parse_is_corrupt() {
        use agency_core::thread::{ChatKey, StoreError, ThreadStore};

        let file = std::env::temp_dir().join(format!("{}.db", ChatKey::new_id()));
        let store = crate::SqliteThreadStore::open_path(&file).await.unwrap();
        let key = ChatKey::new("Demo", "alice", "chat-1");
        store.create(&key).await.unwrap();
        sqlx::query("INSERT INTO chat_items (chat_id, seq, entry) VALUES ($1, 1, '{oops')")
            .bind(key.id.as_str())
            .execute(&store.pool)
            .await
            .unwrap();
        let read = store.items(&key).await;
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        match read {
            Err(StoreError::Corrupt { chat, reason }) => {
                assert_eq!(chat, "chat-1");
                assert!(reason.starts_with("item 1 is not an entry"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_insert_numbers_its_parameters_after_the_chat_id() {
        assert_eq!(
            super::insert_items(2),
            "INSERT INTO chat_items (chat_id, seq, entry) VALUES ($1, $2, $3), ($1, $4, $5)"
        );
    }
}
