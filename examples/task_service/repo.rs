//! The repository: the one place that reads and writes tasks. The HTTP routes and the agents'
//! tools both get it as state, so a task an agent creates is the same row a client lists, and
//! every change reaches `GET /tasks/events`.

use std::sync::Arc;

use agency::thread::{EmbeddedMigration, embedded_migrator};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqliteRow};
use tokio::sync::broadcast;

use crate::task::{NewTask, Priority, Status, Task, TaskEvent, TaskFilter, TaskPatch};

/// What routes and tools hold: any repository.
pub type Repo = Arc<dyn TaskRepo>;

/// The schema, embedded in the binary and applied on start.
const MIGRATIONS: &[EmbeddedMigration] = &[(
    20261201000001,
    "tasks",
    include_str!("migrations/20261201000001_tasks.sql"),
)];

/// Why a repository call failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The request is well-formed but not allowed (HTTP 400).
    #[error("{0}")]
    NotAllowed(String),
    /// The database failed (HTTP 503).
    #[error("the task store failed: {0}")]
    Store(#[from] sqlx::Error),
}

/// Reads and writes tasks, and tells subscribers of every change.
#[async_trait::async_trait]
pub trait TaskRepo: Send + Sync {
    /// Stores a new task.
    async fn create(&self, new: NewTask) -> Result<Task, RepoError>;
    /// The tasks `filter` selects, oldest first.
    async fn list(&self, filter: &TaskFilter) -> Result<Vec<Task>, RepoError>;
    /// One task.
    async fn get(&self, id: i64) -> Result<Option<Task>, RepoError>;
    /// Replaces a task's content; `None` when there is no such task.
    async fn replace(&self, id: i64, new: NewTask) -> Result<Option<Task>, RepoError>;
    /// Changes some fields of a task; `None` when there is no such task.
    async fn update(&self, id: i64, patch: TaskPatch) -> Result<Option<Task>, RepoError>;
    /// Deletes a task; `false` when there was none.
    async fn delete(&self, id: i64) -> Result<bool, RepoError>;
    /// Every change from now on.
    fn subscribe(&self) -> broadcast::Receiver<TaskEvent>;
}

/// Tasks in SQLite (a file created on first start).
pub struct SqliteTasks {
    pool: SqlitePool,
    changes: broadcast::Sender<TaskEvent>,
}

impl SqliteTasks {
    /// Opens (or creates) the database `url` (`sqlite://tasks.db`) and applies the migrations.
    pub async fn open(url: &str) -> Result<Repo, sqlx::Error> {
        let options: SqliteConnectOptions = url.parse()?;
        let pool = SqlitePool::connect_with(options.create_if_missing(true)).await?;
        let migrator = embedded_migrator(MIGRATIONS)
            .await
            .map_err(sqlx::Error::Configuration)?;
        migrator.run(&pool).await?;
        let (changes, _) = broadcast::channel(256);
        Ok(Arc::new(SqliteTasks { pool, changes }))
    }

    /// The row an `UPDATE ... RETURNING *` gave, told as `updated`.
    fn updated(&self, row: Option<SqliteRow>) -> Result<Option<Task>, RepoError> {
        let task = row.as_ref().map(read).transpose()?;
        if let Some(task) = &task {
            self.tell("updated", task);
        }
        Ok(task)
    }

    fn tell(&self, kind: &'static str, task: &Task) {
        // No subscriber is not an error.
        let _ = self.changes.send(TaskEvent {
            kind,
            task: task.clone(),
        });
    }
}

/// Now, RFC 3339 in UTC.
fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Refuses a due date before today (dates are `YYYY-MM-DD`, which compare as text).
fn check_due_date(due: Option<&str>) -> Result<(), RepoError> {
    let today = &now()[..10];
    match due {
        Some(due) if due < today => Err(RepoError::NotAllowed(format!(
            "due_date {due} is in the past (today is {today})"
        ))),
        _ => Ok(()),
    }
}

fn read(row: &SqliteRow) -> Result<Task, sqlx::Error> {
    Ok(Task {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: Status::parse(row.try_get("status")?),
        priority: Priority::parse(row.try_get("priority")?),
        due_date: row.try_get("due_date")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[async_trait::async_trait]
impl TaskRepo for SqliteTasks {
    async fn create(&self, new: NewTask) -> Result<Task, RepoError> {
        check_due_date(new.due_date.as_deref())?;
        let at = now();
        let row = sqlx::query(
            "INSERT INTO tasks (title, description, status, priority, due_date, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(&new.title)
        .bind(&new.description)
        .bind(new.status.as_str())
        .bind(new.priority.as_str())
        .bind(&new.due_date)
        .bind(&at)
        .bind(&at)
        .fetch_one(&self.pool)
        .await?;
        let task = read(&row)?;
        self.tell("created", &task);
        Ok(task)
    }

    async fn list(&self, filter: &TaskFilter) -> Result<Vec<Task>, RepoError> {
        let rows = sqlx::query(
            "SELECT * FROM tasks WHERE (?1 IS NULL OR status = ?1) ORDER BY id LIMIT ?2 OFFSET ?3",
        )
        .bind(filter.status.map(Status::as_str))
        .bind(filter.limit.unwrap_or(50))
        .bind(filter.offset.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(read).collect::<Result<_, _>>()?)
    }

    async fn get(&self, id: i64) -> Result<Option<Task>, RepoError> {
        let row = sqlx::query("SELECT * FROM tasks WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(read).transpose()?)
    }

    async fn replace(&self, id: i64, new: NewTask) -> Result<Option<Task>, RepoError> {
        check_due_date(new.due_date.as_deref())?;
        let row = sqlx::query(
            "UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, due_date = ?, \
             updated_at = ? WHERE id = ? RETURNING *",
        )
        .bind(&new.title)
        .bind(&new.description)
        .bind(new.status.as_str())
        .bind(new.priority.as_str())
        .bind(&new.due_date)
        .bind(now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.updated(row)
    }

    async fn update(&self, id: i64, patch: TaskPatch) -> Result<Option<Task>, RepoError> {
        check_due_date(patch.due_date.as_deref())?;
        let row = sqlx::query(
            "UPDATE tasks SET title = coalesce(?, title), description = coalesce(?, description), \
             status = coalesce(?, status), priority = coalesce(?, priority), \
             due_date = coalesce(?, due_date), updated_at = ? WHERE id = ? RETURNING *",
        )
        .bind(&patch.title)
        .bind(&patch.description)
        .bind(patch.status.map(Status::as_str))
        .bind(patch.priority.map(Priority::as_str))
        .bind(&patch.due_date)
        .bind(now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.updated(row)
    }

    async fn delete(&self, id: i64) -> Result<bool, RepoError> {
        let row = sqlx::query("DELETE FROM tasks WHERE id = ? RETURNING *")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row.as_ref().map(read).transpose()? {
            Some(task) => {
                self.tell("deleted", &task);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<TaskEvent> {
        self.changes.subscribe()
    }
}
