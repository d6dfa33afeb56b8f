//! The task routes: CRUD with the right statuses, and the change stream. They sit beside the
//! agency's routes, behind the same auth, CORS, logs and body limit, and in the same OpenAPI
//! document.

use std::convert::Infallible;
use std::time::Duration;

use agency::http::ApiError;
use agency::http::axum::Router;
use agency::http::axum::extract::State;
use agency::http::axum::http::{StatusCode, header};
use agency::http::axum::response::sse::{Event, KeepAlive, Sse};
use agency::http::axum::response::{IntoResponse, Response};
use agency::http::axum::routing::get;
use agency::http::extract::{Json, Path, Query};
use agency::http::openapi::Operation;
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::repo::{Repo, RepoError};
use crate::task::{NewTask, Task, TaskFilter, TaskPatch};

/// `/tasks`, `/tasks/{id}` and `/tasks/events`, on `repo`.
pub fn router(repo: Repo) -> Router {
    Router::new()
        .route("/tasks", get(list).post(create))
        .route("/tasks/events", get(events))
        .route(
            "/tasks/{id}",
            get(read).put(replace).patch(update).delete(delete),
        )
        .with_state(repo)
}

/// The routes' entries in the OpenAPI document.
pub fn operations() -> Vec<Operation> {
    let id = |op: Operation| op.path_param::<i64>("id", "The task's id").tag("tasks");
    vec![
        Operation::post("/tasks")
            .id("create_task")
            .summary("Create a task")
            .tag("tasks")
            .body::<NewTask>()
            .response::<Task>(201, "The task, as stored (its URL in `Location`)")
            .error(400, "The task is not allowed (a due date in the past)"),
        Operation::get("/tasks")
            .id("list_tasks")
            .summary("List tasks, oldest first")
            .tag("tasks")
            .query::<TaskFilter>()
            .response::<Vec<Task>>(200, "The tasks"),
        id(Operation::get("/tasks/{id}"))
            .id("get_task")
            .summary("Get a task")
            .response::<Task>(200, "The task")
            .error(404, "No such task"),
        id(Operation::put("/tasks/{id}"))
            .id("replace_task")
            .summary("Replace a task")
            .body::<NewTask>()
            .response::<Task>(200, "The task, as stored")
            .error(400, "The task is not allowed (a due date in the past)")
            .error(404, "No such task"),
        id(Operation::patch("/tasks/{id}"))
            .id("update_task")
            .summary("Change some fields of a task")
            .body::<TaskPatch>()
            .response::<Task>(200, "The task, as stored")
            .error(400, "The change is not allowed (a due date in the past)")
            .error(404, "No such task"),
        id(Operation::delete("/tasks/{id}"))
            .id("delete_task")
            .summary("Delete a task")
            .empty_response(204, "Deleted")
            .error(404, "No such task"),
        Operation::get("/tasks/events")
            .id("task_events")
            .summary("Task changes, live")
            .description(
                "Server-Sent Events: `event: created`, `updated` or `deleted`, each with the task as `data`.",
            )
            .tag("tasks")
            .event_stream(200, "One event per change"),
    ]
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> ApiError {
        match e {
            RepoError::NotAllowed(why) => ApiError::detail(StatusCode::BAD_REQUEST, why),
            RepoError::Store(e) => {
                tracing::error!("task store: {e}");
                ApiError::Failed {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "the task store is unavailable; try again".to_owned(),
                }
            }
        }
    }
}

fn not_found(id: i64) -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, format!("Task {id} not found"))
}

async fn create(State(repo): State<Repo>, Json(new): Json<NewTask>) -> Result<Response, ApiError> {
    let task = repo.create(new).await?;
    let location = format!("/tasks/{}", task.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(task),
    )
        .into_response())
}

async fn list(
    State(repo): State<Repo>,
    Query(filter): Query<TaskFilter>,
) -> Result<Json<Vec<Task>>, ApiError> {
    Ok(Json(repo.list(&filter).await?))
}

async fn read(State(repo): State<Repo>, Path(id): Path<i64>) -> Result<Json<Task>, ApiError> {
    repo.get(id).await?.map(Json).ok_or_else(|| not_found(id))
}

async fn replace(
    State(repo): State<Repo>,
    Path(id): Path<i64>,
    Json(new): Json<NewTask>,
) -> Result<Json<Task>, ApiError> {
    repo.replace(id, new)
        .await?
        .map(Json)
        .ok_or_else(|| not_found(id))
}

async fn update(
    State(repo): State<Repo>,
    Path(id): Path<i64>,
    Json(patch): Json<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    repo.update(id, patch)
        .await?
        .map(Json)
        .ok_or_else(|| not_found(id))
}

async fn delete(State(repo): State<Repo>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    match repo.delete(id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(not_found(id)),
    }
}

/// Every change from the moment of the request, as Server-Sent Events. A client too slow to
/// keep up is told how many changes it missed (`event: lagged`) and goes on.
async fn events(State(repo): State<Repo>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = repo.subscribe();
    let stream = futures::stream::unfold(changes, |mut changes| async move {
        let event = match changes.recv().await {
            Ok(change) => Event::default()
                .event(change.kind)
                .json_data(&change)
                .unwrap_or_else(|_| Event::default().event("error")),
            Err(RecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), changes))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
