//! The agency: Triage hands a request off to the Planner (who creates and breaks down tasks) or
//! the Reporter (who summarises them). Their tools take the same repository the routes use, as
//! `State<Repo>`: not part of the tools' schemas, and checked at startup.

use agency::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use crate::repo::Repo;
use crate::task::{NewTask, Priority, Status, Task, TaskFilter, TaskPatch};

/// Create a task.
#[tool]
async fn create_task(
    /// What is to be done (short)
    title: String,
    /// More detail, or an empty string
    description: String,
    /// How much it matters
    priority: Priority,
    /// When it is due (YYYY-MM-DD), or null
    due_date: Option<String>,
    repo: State<Repo>,
) -> Result<Task, ToolError> {
    let new = NewTask {
        title,
        description,
        status: Status::Todo,
        priority,
        due_date,
    };
    repo.create(new).await.map_err(ToolError::new)
}

/// List the tasks, optionally only those with one status.
#[tool]
async fn list_tasks(
    /// Only tasks with this status, or null for all
    status: Option<Status>,
    repo: State<Repo>,
) -> Result<Vec<Task>, ToolError> {
    let filter = TaskFilter {
        status,
        limit: Some(100),
        offset: None,
    };
    repo.list(&filter).await.map_err(ToolError::new)
}

/// Set the status of a task.
#[tool]
async fn set_task_status(
    /// The task's id
    id: i64,
    /// Its new status
    status: Status,
    repo: State<Repo>,
) -> Result<Task, ToolError> {
    let patch = TaskPatch {
        status: Some(status),
        ..TaskPatch::default()
    };
    match repo.update(id, patch).await {
        Ok(Some(task)) => Ok(task),
        Ok(None) => Err(ToolError::new(format!("there is no task {id}"))),
        Err(e) => Err(ToolError::new(e)),
    }
}

/// How the tasks stand.
#[derive(Debug, Serialize, JsonSchema)]
struct Report {
    /// Not started.
    todo: usize,
    /// Being worked on.
    in_progress: usize,
    /// Finished.
    done: usize,
    /// Not done and due before today.
    overdue: Vec<Task>,
}

/// Count the tasks by status and list the overdue ones.
#[tool]
async fn task_report(repo: State<Repo>) -> Result<Report, ToolError> {
    let all = TaskFilter {
        limit: Some(100),
        ..TaskFilter::default()
    };
    let tasks = repo.list(&all).await.map_err(ToolError::new)?;
    let today = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let count = |s: Status| tasks.iter().filter(|t| t.status == s).count();
    Ok(Report {
        todo: count(Status::Todo),
        in_progress: count(Status::InProgress),
        done: count(Status::Done),
        overdue: tasks
            .iter()
            .filter(|t| t.status != Status::Done)
            .filter(|t| t.due_date.as_deref().is_some_and(|d| d < &today[..10]))
            .cloned()
            .collect(),
    })
}

/// Reads what the user wants and hands the conversation to the right colleague.
#[agent(
    name = "Triage",
    instructions = "You route requests about the user's tasks. Hand planning work (creating, \
                    breaking down or changing tasks) to the Planner with transfer_to_Planner, and \
                    questions about progress to the Reporter with transfer_to_Reporter. Do not \
                    answer those yourself.",
    conversation_starters = ["Plan the launch of the new website", "What is overdue?"],
)]
struct Triage;

/// Turns goals into concrete tasks and keeps their status current.
#[agent(
    name = "Planner",
    instructions = "You plan work. Break a goal into a few concrete tasks and create each with \
                    create_task; change a task's status with set_task_status. Finish with the \
                    list of what you created or changed, with their ids.",
    tools = [create_task, list_tasks, set_task_status],
)]
struct Planner;

/// Summarises what is open, in progress, done and overdue.
#[agent(
    name = "Reporter",
    instructions = "You report on the tasks. Use task_report for counts and overdue tasks, and \
                    list_tasks for detail. Answer in a few lines.",
    tools = [list_tasks, task_report],
)]
struct Reporter;

#[agency]
fn tasks() -> AgencyBuilder {
    Agency::builder("Tasks")
        .entry(Triage)
        .handoff(Triage, Planner)
        .handoff(Triage, Reporter)
}
