//! Typed state for tools (`State<T>`, `ctx.state`, `user_context_as`) and user routes beside the
//! agencies (`ServerBuilder::routes`, `openapi::Operation`, `extract::*`), through real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use agency::http::axum::Router;
use agency::http::axum::extract::State as Axum;
use agency::http::axum::routing::{get, post};
use agency::http::extract::{Json, Path, Query};
use agency::http::openapi::Operation;
use agency::http::{Server, ServerError, ServerOptions};
use agency::prelude::*;
use agency::{RunError, States};
use agency_testing::{FakeOpenAi, Reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::http::{TOKEN, start};

/// A counter the tools and a route share.
#[derive(Default)]
struct Counter(AtomicU64);

/// Add `by` to the shared counter and return its new value.
#[tool]
fn bump(
    /// How much to add
    by: u64,
    counter: State<Counter>,
) -> u64 {
    counter.0.fetch_add(by, Ordering::SeqCst) + by
}

/// What the caller's user context says about its plan.
#[tool]
fn plan_of(ctx: &ToolContext) -> Result<String, ToolError> {
    #[derive(serde::Deserialize)]
    struct Caller {
        plan: String,
        seats: u32,
    }
    let caller: Caller = ctx.user_context_as()?;
    Ok(format!("{} x{}", caller.plan, caller.seats))
}

#[tokio::test]
async fn a_state_parameter_is_not_in_the_schema_and_reads_the_servers_value() {
    let tool = bump::tool();
    assert_eq!(tool.parameters()["required"], json!(["by"]));
    assert_eq!(tool.requires().len(), 1);
    assert!(tool.requires()[0].type_name().ends_with("Counter"));

    let counter = Arc::new(Counter::default());
    let server = Server::builder()
        .tool(tool)
        .states(States::new().with_arc(counter.clone()))
        .build()
        .unwrap();
    let s = start(server).await;
    let a = s.post_json("/tool/bump", &json!({"by": 2})).await;
    assert_eq!(
        (a.status, a.body.clone()),
        (StatusCode::OK, json!({"response": 2}))
    );
    let a = s.post_json("/tool/bump", &json!({"by": "3"})).await;
    assert_eq!(a.body, json!({"response": 5}));
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        5,
        "the same value, not a copy"
    );
}

#[test]
fn a_tool_whose_state_is_missing_fails_at_startup_naming_the_tool_and_the_type() {
    let err = Server::builder().tool(bump::tool()).build().unwrap_err();
    assert!(matches!(err, ServerError::MissingState { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("tool 'bump' needs a `"), "{text}");
    assert!(text.contains("Counter`"), "{text}");
    assert!(text.contains(".state("), "says how to fix it: {text}");

    // In an agency: the agency's own value, or the server's, satisfies it.
    let agent = Agent::builder("Counter").tool(bump::tool()).build();
    let agency = || Agency::builder("Counting").entry(agent.clone());
    let err = Server::builder().agency(agency()).build().unwrap_err();
    assert!(err.to_string().starts_with("agency 'Counting'"), "{err}");
    assert!(err.to_string().contains("tool 'bump'"), "{err}");
    assert!(
        Server::builder()
            .agency(agency().state(Counter::default()))
            .build()
            .is_ok()
    );
    assert!(
        Server::builder()
            .agency(agency())
            .state(Counter::default())
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn an_agency_run_gives_tools_the_runs_state_and_fails_before_the_model_without_it() {
    let fake = FakeOpenAi::start().await;
    let client = crate::support::fake_client(fake.base_url());
    let agent = Agent::builder("Counter").tool(bump::tool()).build();
    let agency = Agency::builder("Counting").entry(agent).build().unwrap();

    // Without the value: the run fails up front, naming the tool; the model is never called.
    let failure = agency
        .run("bump", None, RunConfig::default().client(client.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(failure.error, RunError::MissingState(_)),
        "{failure:?}"
    );
    assert_eq!(fake.request_count(), 0);

    fake.push(Reply::function_call("bump", json!({"by": 40})));
    fake.push(Reply::text("It is 42."));
    let counter = Arc::new(Counter(AtomicU64::new(2)));
    let config = RunConfig::default()
        .client(client)
        .states(States::new().with_arc(counter.clone()));
    let out = agency.run("bump by 40", None, config).await.unwrap();
    assert_eq!(out.final_output, json!("It is 42."));
    assert_eq!(counter.0.load(Ordering::SeqCst), 42);
}

#[tokio::test]
async fn user_context_as_reads_it_typed_and_names_the_field_that_does_not_fit() {
    let s = start(Server::builder().tool(plan_of::tool()).build().unwrap()).await;
    // Over HTTP the context is empty: `plan` is missing.
    let a = s.post_json("/tool/plan_of", &json!({})).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    let message = a.body["error"].as_str().unwrap().to_owned();
    assert!(message.contains("missing field `plan`"), "{message}");

    let tool = plan_of::tool();
    let ctx = ToolContext::new();
    ctx.user_context().set("plan", "pro");
    ctx.user_context().set("seats", "many");
    let err = tool.call(json!({}), ctx.clone()).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("user_context field `seats` does not fit"),
        "{err}"
    );
    ctx.user_context().set("seats", 3);
    assert_eq!(tool.call(json!({}), ctx).await.unwrap(), json!("pro x3"));
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NewNote {
    #[schemars(length(min = 1))]
    text: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Note {
    id: u64,
    text: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Page {
    /// How many
    #[schemars(range(min = 1, max = 10))]
    limit: Option<u32>,
}

fn note_routes() -> Router {
    let count = Arc::new(AtomicU64::new(0));
    Router::new()
        .route(
            "/notes",
            post(
                |Axum(count): Axum<Arc<AtomicU64>>, Json(new): Json<NewNote>| async move {
                    let id = count.fetch_add(1, Ordering::SeqCst) + 1;
                    Json(Note { id, text: new.text })
                },
            )
            .get(|Query(page): Query<Page>| async move {
                format!("limit {}", page.limit.unwrap_or(5))
            }),
        )
        .route(
            "/notes/{id}",
            get(|Path(id): Path<u64>| async move { format!("note {id}") }),
        )
        .with_state(count)
}

fn note_server(options: ServerOptions) -> Server {
    Server::builder()
        .routes(note_routes())
        .operation(
            Operation::post("/notes")
                .id("create_note")
                .body::<NewNote>()
                .response::<Note>(200, "The note"),
        )
        .operation(
            Operation::get("/notes")
                .query::<Page>()
                .empty_response(200, "A count"),
        )
        .options(options)
        .build()
        .unwrap()
}

#[tokio::test]
async fn user_routes_validate_with_the_servers_422_and_are_documented() {
    let server = note_server(ServerOptions::default().with_body_limit(64));
    let doc = server.openapi().clone();
    let s = start(server).await;
    let a = s.post_json("/notes", &json!({"text": "hi"})).await;
    assert_eq!(
        (a.status, a.body.clone()),
        (StatusCode::OK, json!({"id": 1, "text": "hi"}))
    );
    let a = s.post_json("/notes", &json!({"text": ""})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.body["detail"][0]["loc"], json!(["body", "text"]));
    assert_eq!(a.body["detail"][0]["type"], "string_too_short");
    let r = s.post("/notes", "{\"text\": ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["detail"][0]["type"], "json_invalid");
    // The server's body limit applies to user routes.
    let big = json!({"text": "x".repeat(100)});
    let a = s.post_json("/notes", &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        a.body,
        json!({"detail": "Request body too large: limit is 64 bytes"})
    );

    assert_eq!(s.get("/notes?limit=3").await.text(), "limit 3");
    let r = s.get("/notes?limit=11").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["query", "limit"]));
    assert_eq!(s.get("/notes/7").await.text(), "note 7");
    let r = s.get("/notes/seven").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "id"]));
    assert_eq!(r.json()["detail"][0]["type"], "int_parsing");
    // Unknown paths still get the server's JSON 404.
    assert_eq!(
        s.get("/notes/7/x").await.json(),
        json!({"detail": "Not Found"})
    );

    let post = &doc["paths"]["/notes"]["post"];
    assert_eq!(post["operationId"], "create_note");
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewNote"
    );
    assert!(post["responses"]["413"].is_object() && post["responses"]["422"].is_object());
    let get = &doc["paths"]["/notes"]["get"];
    assert_eq!(get["parameters"][0]["name"], "limit");
    assert_eq!(get["parameters"][0]["in"], "query");
    assert_eq!(get["parameters"][0]["description"], "How many");
    crate::support::http::assert_no_dangling_refs(&doc);
}

#[tokio::test]
async fn user_routes_are_behind_the_servers_auth() {
    let s = start(note_server(ServerOptions::default().with_app_token(TOKEN))).await;
    let r = s.get("/notes").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "Not authenticated"}));
    let r = s
        .client
        .get(format!("{}/notes", s.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = s.get("/openapi.json").await.json();
    assert_eq!(
        doc["paths"]["/notes"]["get"]["security"],
        json!([{"HTTPBearer": []}])
    );
}

#[test]
fn a_user_route_that_clashes_with_the_servers_is_an_error_not_a_panic() {
    let clash = Router::new().route("/metrics", get(|| async { "mine" }));
    let err = Server::builder()
        .routes(clash)
        .routes(note_routes())
        .build()
        .unwrap_err();
    assert!(matches!(err, ServerError::Routes(_)), "{err:?}");
    assert!(err.to_string().contains("/metrics"), "{err}");
}
