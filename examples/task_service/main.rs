//! The capstone of "Coming from FastAPI" (README): an agent-powered task service.
//!
//! - `POST/GET /tasks`, `GET/PUT/PATCH/DELETE /tasks/{id}`: tasks in SQLite, with 201, 204,
//!   400, 404 and 422 answered in one JSON shape (`routes.rs`);
//! - `GET /tasks/events`: every change, live, as Server-Sent Events;
//! - the `Tasks` agency: Triage hands off to a Planner that creates tasks and a Reporter that
//!   summarises them (`agents.rs`); their tools use the same repository (`repo.rs`), so what an
//!   agent does shows on `/tasks` and in the event stream;
//! - `/docs`, `/openapi.json`, auth, CORS, logs and metrics from the framework.
//!
//! ```sh
//! cargo run --example task_service                       # http://localhost:8000/docs
//! curl -si localhost:8000/tasks -H 'content-type: application/json' -d '{"title":"Write the README"}'
//! curl -N localhost:8000/tasks/events                    # in another terminal
//! OPENAI_API_KEY=sk-... cargo run --example task_service -- run Tasks "Plan the launch of our website"
//! ```
//!
//! The database is `TASKS_DATABASE_URL` (default `sqlite://tasks.db`, created on first start).

mod agents;
mod repo;
mod routes;
mod task;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("TASKS_DATABASE_URL").unwrap_or_else(|_| "sqlite://tasks.db".into());
    let repo = repo::SqliteTasks::open(&url).await?;
    agency::main!()
        .state(repo.clone())
        .routes(routes::router(repo))
        .operations(routes::operations())
        .await?;
    Ok(())
}
