//! The task: what is stored, what a client sends to create, replace or change one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A task, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    /// The task's id (assigned on creation).
    pub id: i64,
    /// What is to be done.
    pub title: String,
    /// More detail.
    pub description: String,
    /// Where it stands.
    pub status: Status,
    /// How much it matters.
    pub priority: Priority,
    /// When it is due (`YYYY-MM-DD`), if ever.
    pub due_date: Option<String>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started.
    #[default]
    Todo,
    /// Being worked on.
    InProgress,
    /// Finished.
    Done,
}

/// How much a task matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever.
    Low,
    /// Soon.
    #[default]
    Medium,
    /// First.
    High,
}

/// A task to create (`POST /tasks`) or the whole new content of one (`PUT /tasks/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// What is to be done.
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    /// More detail.
    #[serde(default)]
    #[schemars(length(max = 5000))]
    pub description: String,
    /// Where it stands (default `todo`).
    #[serde(default)]
    pub status: Status,
    /// How much it matters (default `medium`).
    #[serde(default)]
    pub priority: Priority,
    /// When it is due (`YYYY-MM-DD`; not in the past).
    #[serde(default)]
    #[schemars(extend("format" = "date"))]
    pub due_date: Option<String>,
}

/// The fields of a task to change (`PATCH /tasks/{id}`); absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    /// What is to be done.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub title: Option<String>,
    /// More detail.
    #[serde(default)]
    #[schemars(length(max = 5000))]
    pub description: Option<String>,
    /// Where it stands.
    #[serde(default)]
    pub status: Option<Status>,
    /// How much it matters.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// When it is due (`YYYY-MM-DD`; not in the past).
    #[serde(default)]
    #[schemars(extend("format" = "date"))]
    pub due_date: Option<String>,
}

/// Which tasks to list (`GET /tasks?status=todo&limit=20&offset=40`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct TaskFilter {
    /// Only tasks with this status.
    pub status: Option<Status>,
    /// At most this many (default 50).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Skip this many first (oldest first).
    pub offset: Option<u32>,
}

/// A change to the tasks, as `GET /tasks/events` sends it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEvent {
    /// `created`, `updated` or `deleted`: the SSE event's name.
    #[serde(skip)]
    pub kind: &'static str,
    /// The task after the change (before it, for `deleted`).
    #[serde(flatten)]
    pub task: Task,
}

impl Status {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::InProgress => "in_progress",
            Status::Done => "done",
        }
    }

    /// The stored form read back (an unknown one reads as `todo`).
    pub fn parse(s: &str) -> Status {
        match s {
            "in_progress" => Status::InProgress,
            "done" => Status::Done,
            _ => Status::Todo,
        }
    }
}

impl Priority {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
        }
    }

    /// The stored form read back (an unknown one reads as `medium`).
    pub fn parse(s: &str) -> Priority {
        match s {
            "low" => Priority::Low,
            "high" => Priority::High,
            _ => Priority::Medium,
        }
    }
}
