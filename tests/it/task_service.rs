//! `examples/task_service`, the "Coming from FastAPI" capstone, as a user runs it: the real
//! binary on a fresh SQLite file, driven over HTTP, with the fake model behind its agency.

use std::time::Duration;

use agency_testing::{FakeOpenAi, Reply};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::binary::{self, TempDir};

/// The running example, killed on drop, on a database of its own.
struct TaskService {
    base: String,
    client: reqwest::Client,
    _child: tokio::process::Child,
    _dir: TempDir,
}

impl TaskService {
    async fn start(fake: &FakeOpenAi) -> TaskService {
        let dir = TempDir::new("task-service");
        let db = dir.0.join("tasks.db");
        let port = crate::http_threads::free_port();
        let child = binary::serve(&binary::example("task_service"), port, &fake.base_url())
            .env("TASKS_DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("AGENCY_MODEL_MAX_RETRIES", "0")
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        crate::http_threads::wait_until_up(&client, &base).await;
        assert!(db.exists(), "the database file is created on first start");
        TaskService {
            base,
            client,
            _child: child,
            _dir: dir,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {bytes:?}"))
        };
        (status, headers, body)
    }

    /// The change stream, opened and ready.
    async fn events(&self) -> impl futures::Stream<Item = (String, Value)> + Unpin {
        let response = self
            .client
            .get(format!("{}/tasks/events", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Box::pin(
            response
                .bytes_stream()
                .eventsource()
                .filter_map(|e| async move {
                    let e = e.ok()?;
                    let data = serde_json::from_str(&e.data).ok()?;
                    Some((e.event, data))
                }),
        )
    }
}

async fn next_event(
    events: &mut (impl futures::Stream<Item = (String, Value)> + Unpin),
) -> (String, Value) {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event in time")
        .expect("the stream goes on")
}

#[tokio::test]
async fn crud_answers_each_status_in_one_json_shape_and_streams_every_change() {
    use reqwest::Method;

    let fake = FakeOpenAi::start().await;
    let app = TaskService::start(&fake).await;
    let mut events = app.events().await;

    // Create: 201, Location, the stored task.
    let (status, headers, task) = app
        .send(
            Method::POST,
            "/tasks",
            Some(
                json!({"title": "Write the README", "priority": "high", "due_date": "2999-01-01"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(headers["location"], format!("/tasks/{}", task["id"]));
    assert_eq!(
        (task["status"].clone(), task["priority"].clone()),
        (json!("todo"), json!("high"))
    );
    let id = task["id"].as_i64().unwrap();
    let (kind, data) = next_event(&mut events).await;
    assert_eq!((kind.as_str(), data["id"].as_i64()), ("created", Some(id)));

    // 400: well-formed but not allowed. 422: malformed, or the wrong shape.
    let (status, _, body) = app
        .send(
            Method::POST,
            "/tasks",
            Some(json!({"title": "Late", "due_date": "2000-01-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["detail"].as_str().unwrap().contains("is in the past"),
        "{body}"
    );
    for (bad, kind) in [
        (json!({"title": ""}), "string_too_short"),
        (json!({"title": "x", "priority": "urgent"}), "enum"),
        (
            json!({"title": "x", "due_date": "next week"}),
            "date_parsing",
        ),
        (json!({"title": "x", "owner": "me"}), "extra_forbidden"),
        (json!({}), "missing"),
    ] {
        let (status, _, body) = app.send(Method::POST, "/tasks", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} -> {body}");
        assert_eq!(body["detail"][0]["type"], kind, "{bad} -> {body}");
        assert_eq!(body["detail"][0]["loc"][0], "body");
    }

    // Read, list with a filter and paging, 404.
    let (status, _, got) = app.send(Method::GET, &format!("/tasks/{id}"), None).await;
    assert_eq!((status, got.clone()), (StatusCode::OK, task.clone()));
    let (status, _, body) = app.send(Method::GET, "/tasks/999", None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "Task 999 not found"})
        )
    );
    let (status, _, body) = app.send(Method::GET, "/tasks/first", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "id"]));
    let (_, _, second) = app
        .send(Method::POST, "/tasks", Some(json!({"title": "Ship it"})))
        .await;
    let _ = next_event(&mut events).await;
    let (_, _, all) = app.send(Method::GET, "/tasks", None).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, _, page) = app.send(Method::GET, "/tasks?limit=1&offset=1", None).await;
    assert_eq!(page, json!([second.clone()]));
    let (status, _, body) = app.send(Method::GET, "/tasks?limit=500", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "limit"]));

    // Replace and change: 200 and an `updated` event each; absent fields stay.
    let (status, _, replaced) = app
        .send(
            Method::PUT,
            &format!("/tasks/{id}"),
            Some(json!({"title": "Write the whole README"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (replaced["title"].clone(), replaced["priority"].clone()),
        (json!("Write the whole README"), json!("medium"))
    );
    assert_eq!(next_event(&mut events).await.0, "updated");
    let (status, _, patched) = app
        .send(
            Method::PATCH,
            &format!("/tasks/{id}"),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (patched["status"].clone(), patched["title"].clone()),
        (json!("in_progress"), json!("Write the whole README"))
    );
    let (kind, data) = next_event(&mut events).await;
    assert_eq!(
        (kind.as_str(), data["status"].clone()),
        ("updated", json!("in_progress"))
    );
    let (_, _, todo) = app.send(Method::GET, "/tasks?status=todo", None).await;
    assert_eq!(todo, json!([second]));
    let (status, _, _) = app
        .send(Method::PATCH, "/tasks/999", Some(json!({"status": "done"})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Delete: 204 with no body, then 404.
    let (status, _, body) = app
        .send(Method::DELETE, &format!("/tasks/{id}"), None)
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (kind, data) = next_event(&mut events).await;
    assert_eq!((kind.as_str(), data["id"].as_i64()), ("deleted", Some(id)));
    let (status, _, _) = app
        .send(Method::DELETE, &format!("/tasks/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // All of it is in the served document, beside the agency.
    let (_, _, doc) = app.send(Method::GET, "/openapi.json", None).await;
    for (path, method) in [
        ("/tasks", "post"),
        ("/tasks", "get"),
        ("/tasks/{id}", "patch"),
        ("/tasks/{id}", "delete"),
        ("/tasks/events", "get"),
        ("/Tasks/get_response", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    crate::support::http::assert_no_dangling_refs(&doc);
}

#[tokio::test]
async fn the_agency_creates_a_task_with_its_tool_and_it_shows_on_the_routes_and_the_stream() {
    use reqwest::Method;

    let fake = FakeOpenAi::start().await;
    // Triage hands off to the Planner, which creates a task, then answers.
    fake.push(Reply::function_call("transfer_to_Planner", json!({})));
    fake.push(Reply::function_call(
        "create_task",
        json!({"title": "Draft the launch post", "description": "", "priority": "high", "due_date": null}),
    ));
    fake.push(Reply::text("Created task 1: Draft the launch post."));
    let app = TaskService::start(&fake).await;
    let mut events = app.events().await;

    let (status, _, body) = app
        .send(
            Method::POST,
            "/Tasks/get_response",
            Some(json!({"message": "Plan the launch"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["response"], "Created task 1: Draft the launch post.");
    let (kind, data) = next_event(&mut events).await;
    assert_eq!(
        (kind.as_str(), data["title"].clone()),
        ("created", json!("Draft the launch post"))
    );
    let (_, _, tasks) = app.send(Method::GET, "/tasks", None).await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    assert_eq!(tasks[0]["priority"], "high");

    // The tool's schema, as the Planner's model call carried it, has no trace of the state.
    let planner_call = &fake.requests()[1];
    let tools = planner_call.body["tools"].as_array().unwrap();
    let create = tools.iter().find(|t| t["name"] == "create_task").unwrap();
    assert_eq!(
        create["parameters"]["required"],
        json!(["title", "description", "priority", "due_date"])
    );
}
