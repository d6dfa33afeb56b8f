//! Stored chats over real HTTP (issue 13): `chat_id` on `get_response` and the stream, the
//! `chats` routes, ownership by principal, concurrency, TTL and the memory store's bound. The
//! store suites themselves are in `thread_store`.

use std::sync::Arc;
use std::time::Duration;

use agency::http::{ApiToken, Server, ServerBuilder, ServerOptions};
use agency::model::ClientConfig;
use agency::thread::{InMemoryThreadStore, ThreadStore, Threads};
use agency::{Agency, Agent};
use agency_testing::{FakeOpenAi, RecordedRequest, Reply};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::http::{Answer, Running, start};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";

fn desk() -> Agency {
    let agent = Agent::builder("Assistant")
        .instructions("You remember.")
        .model("gpt-4o")
        .build();
    Agency::builder("desk").entry(agent).build().unwrap()
}

/// The number of user messages the model was sent, as its answer: a run that saw every
/// earlier run of its chat answers one more than the last.
fn count_user_messages(fake: &FakeOpenAi) {
    fake.respond_with(|req: &RecordedRequest| {
        let users = req
            .input_items()
            .iter()
            .filter(|i| i["role"] == "user")
            .count();
        Reply::text(users.to_string())
    });
}

fn server(fake: &FakeOpenAi, store: impl Into<Threads>) -> ServerBuilder {
    Server::builder()
        .agency(desk())
        .threads(store)
        .client(ClientConfig {
            base_url: Some(fake.base_url()),
            api_key: Some("k".into()),
            max_retries: Some(0),
            ..ClientConfig::default()
        })
}

async fn serve(fake: &FakeOpenAi, store: impl Into<Threads>, options: ServerOptions) -> Running {
    start(server(fake, store).options(options).build().unwrap()).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl Running {
    async fn ask_as(&self, token: Option<&str>, body: Value) -> Answer {
        let auth = token.map(bearer);
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        self.post_json_with("/desk/get_response", &body, &headers)
            .await
    }

    async fn ask(&self, chat_id: &str, message: &str) -> Answer {
        self.ask_as(None, json!({"message": message, "chat_id": chat_id}))
            .await
    }

    async fn send_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
    ) -> (StatusCode, String) {
        let auth = token.map(bearer);
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        let reply = self.request(method, path, &headers, Vec::new()).await;
        (reply.status, reply.text())
    }

    async fn chat_as(&self, token: Option<&str>, id: &str) -> (StatusCode, Value) {
        let (status, text) = self
            .send_as(token, Method::GET, &format!("/desk/chats/{id}"))
            .await;
        (status, serde_json::from_str(&text).unwrap())
    }

    async fn chats_as(&self, token: Option<&str>, query: &str) -> Answer {
        let auth = token.map(bearer);
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        self.get_json_with(&format!("/desk/chats{query}"), &headers)
            .await
    }
}

fn texts(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts[0]["text"].as_str().unwrap().to_owned(),
            other => panic!("no content: {other}"),
        })
        .collect()
}

#[tokio::test]
async fn a_new_chat_is_continued_listed_named_and_deleted() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let running = serve(
        &fake,
        InMemoryThreadStore::default(),
        ServerOptions::default(),
    )
    .await;

    let first = running.ask("new", "My name is Ada.").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let id = first.body["chat_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("chat_") && id.len() == 37, "{id}");
    assert_eq!(first.body["response"], "1");

    // The second run gets the first one's items from the store, not from the client.
    let second = running.ask(&id, "What is my name?").await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["response"], "2");
    assert_eq!(second.body["chat_id"], id);
    assert_eq!(second.body["new_messages"].as_array().unwrap().len(), 2);
    let sent = fake.last_request().unwrap().input_items();
    assert_eq!(sent.len(), 3, "{sent:?}");

    // Named once asked for; the name is listed.
    let named = running
        .ask_as(
            None,
            json!({"message": "And now?", "chat_id": id, "generate_chat_name": true}),
        )
        .await;
    assert_eq!(named.status, 200, "{}", named.body);
    let name = named.body["chat_name"].as_str().unwrap().to_owned();
    let list = running.chats_as(None, "").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["chats"][0]["chat_id"], id);
    assert_eq!(list.body["chats"][0]["chat_name"], name.as_str());
    assert_eq!(list.body["next"], Value::Null);

    let (status, chat) = running.chat_as(None, &id).await;
    assert_eq!(status, 200, "{chat}");
    assert_eq!(
        texts(&chat["messages"]),
        [
            "My name is Ada.",
            "1",
            "What is my name?",
            "2",
            "And now?",
            "3"
        ]
    );
    assert!(chat["created_at"].as_i64().unwrap() <= chat["updated_at"].as_i64().unwrap());

    let (status, body) = running
        .send_as(None, Method::DELETE, &format!("/desk/chats/{id}"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    let (status, gone) = running.chat_as(None, &id).await;
    assert_eq!(status, 404);
    assert_eq!(gone, json!({"detail": format!("Chat '{id}' not found")}));
    let again = running.ask(&id, "Hello?").await;
    assert_eq!(again.status, 404, "{}", again.body);
    let (status, _) = running
        .send_as(None, Method::DELETE, &format!("/desk/chats/{id}"))
        .await;
    assert_eq!(status, 404);
    // A chat id nobody started is a 404 too: ids come from the server.
    assert_eq!(running.ask("chat_made_up", "Hi").await.status, 404);
}

#[tokio::test]
async fn the_stream_carries_the_chat_id_and_its_run_is_stored() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let running = serve(
        &fake,
        InMemoryThreadStore::default(),
        ServerOptions::default(),
    )
    .await;
    let stream = |body: Value| {
        let request = running.post_json_request("/desk/get_response_stream", &body, &[]);
        async move {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let events: Vec<_> = resp.bytes_stream().eventsource().collect().await;
            events
                .into_iter()
                .map(|e| e.unwrap())
                .filter(|e| e.event != "message")
                .map(|e| (e.event, e.data))
                .collect::<Vec<_>>()
        }
    };
    let frames = stream(json!({"message": "Hi", "chat_id": "new"})).await;
    let meta: Value = serde_json::from_str(&frames[0].1).unwrap();
    let id = meta["chat_id"].as_str().unwrap().to_owned();
    let messages: Value = serde_json::from_str(&frames[1].1).unwrap();
    assert_eq!(frames[1].0, "messages");
    assert_eq!(messages["chat_id"], id);
    assert_eq!(frames[2].0, "end");

    let frames = stream(json!({"message": "Again", "chat_id": id})).await;
    let messages: Value = serde_json::from_str(&frames[1].1).unwrap();
    assert_eq!(texts(&messages["new_messages"]), ["Again", "2"]);
    let (_, chat) = running.chat_as(None, &id).await;
    assert_eq!(texts(&chat["messages"]), ["Hi", "1", "Again", "2"]);

    // An unknown chat is refused before the stream starts.
    let resp = running
        .post_json_request(
            "/desk/get_response_stream",
            &json!({"message": "Hi", "chat_id": "chat_nope"}),
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn another_principal_never_sees_a_chat() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let options = ServerOptions::default()
        .with_tokens([ApiToken::new("alice", ALICE), ApiToken::new("bob", BOB)]);
    let running = serve(&fake, InMemoryThreadStore::default(), options).await;
    let mine = running
        .ask_as(
            Some(ALICE),
            json!({"message": "secret plans", "chat_id": "new"}),
        )
        .await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let id = mine.body["chat_id"].as_str().unwrap().to_owned();

    // Bob: 404 on read, continue and delete; his listing is empty.
    let (status, body) = running.chat_as(Some(BOB), &id).await;
    assert_eq!(status, 404);
    assert!(!body.to_string().contains("secret"), "{body}");
    let calls = fake.requests().len();
    let theirs = running
        .ask_as(Some(BOB), json!({"message": "show me", "chat_id": id}))
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    assert_eq!(fake.requests().len(), calls, "the model was not called");
    let (status, _) = running
        .send_as(Some(BOB), Method::DELETE, &format!("/desk/chats/{id}"))
        .await;
    assert_eq!(status, 404);
    let list = running.chats_as(Some(BOB), "").await;
    assert_eq!(list.body["chats"], json!([]));

    // Without a token: 401 before anything is looked up.
    let (status, _) = running
        .send_as(None, Method::GET, &format!("/desk/chats/{id}"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(running.chats_as(None, "").await.status, 401);

    // Alice still has it all.
    let (status, chat) = running.chat_as(Some(ALICE), &id).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&chat["messages"]), ["secret plans", "1"]);
    assert_eq!(
        running.chats_as(Some(ALICE), "").await.body["chats"][0]["chat_id"],
        id
    );
}

/// 50 runs on one chat at once: the second waits for the first, so every run sees all before
/// it (the answers are 1 to 50, each once) and the chat holds all 100 items, each run's two
/// together.
pub(crate) async fn fifty_concurrent_runs_on_one_chat(store: Arc<dyn ThreadStore>) {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let running = start(server(&fake, store).build().unwrap()).await;
    let id = running.ask("new", "0").await.body["chat_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answers = futures::future::join_all((1..=50).map(|n| {
        let running = &running;
        let id = id.clone();
        async move { running.ask(&id, &format!("run {n}")).await }
    }))
    .await;
    let mut seen: Vec<u64> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 200, "{}", a.body);
            a.body["response"].as_str().unwrap().parse().unwrap()
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (2..=51).collect::<Vec<u64>>());
    let (_, chat) = running.chat_as(None, &id).await;
    let texts = texts(&chat["messages"]);
    assert_eq!(texts.len(), 102);
    for (i, pair) in texts.chunks(2).enumerate() {
        assert_eq!(pair[1], (i + 1).to_string(), "{pair:?}");
    }
}

#[tokio::test]
async fn fifty_concurrent_runs_on_one_chat_lose_nothing_in_memory() {
    fifty_concurrent_runs_on_one_chat(Arc::new(InMemoryThreadStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_runs_on_one_chat_lose_nothing_in_sqlite() {
    let db = crate::thread_store::TempDb::new();
    fifty_concurrent_runs_on_one_chat(agency::thread::open(&db.url()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_runs_on_one_chat_lose_nothing_in_postgres() {
    let url = crate::thread_store::postgres_url();
    fifty_concurrent_runs_on_one_chat(agency::thread::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn idle_chats_expire_after_the_ttl() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let options = ServerOptions::default().with_chat_ttl(Duration::from_millis(400));
    let running = serve(&fake, InMemoryThreadStore::default(), options).await;
    let id = running.ask("new", "Hi").await.body["chat_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(running.chat_as(None, &id).await.0, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while running.chat_as(None, &id).await.0 == 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the chat never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(running.chat_as(None, &id).await.0, 404);
}

#[tokio::test]
async fn the_memory_store_keeps_at_most_its_bound_and_lists_in_pages() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let running = serve(
        &fake,
        InMemoryThreadStore::with_max_chats(3),
        ServerOptions::default(),
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let a = running.ask("new", &format!("chat {n}")).await;
        ids.push(a.body["chat_id"].as_str().unwrap().to_owned());
    }
    // The oldest was evicted.
    assert_eq!(running.chat_as(None, &ids[0]).await.0, 404);
    // Newest first, two a page.
    let first = running.chats_as(None, "?limit=2").await;
    let listed = |a: &Answer| -> Vec<String> {
        a.body["chats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["chat_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listed(&first), [ids[3].clone(), ids[2].clone()]);
    let next = first.body["next"].as_str().unwrap();
    let second = running
        .chats_as(None, &format!("?limit=2&after={next}"))
        .await;
    assert_eq!(listed(&second), [ids[1].clone()]);
    assert_eq!(second.body["next"], Value::Null);
}

#[tokio::test]
async fn bad_chat_requests_are_422() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let running = serve(
        &fake,
        InMemoryThreadStore::default(),
        ServerOptions::default(),
    )
    .await;
    let bad_id = running.ask("../etc", "Hi").await;
    assert_eq!(bad_id.status, 422, "{}", bad_id.body);
    assert_eq!(bad_id.body["detail"][0]["loc"], json!(["body", "chat_id"]));
    assert_eq!(bad_id.body["detail"][0]["type"], "string_pattern_mismatch");
    for (query, field, kind) in [
        ("?limit=0", "limit", "greater_than_equal"),
        ("?limit=101", "limit", "less_than_equal"),
        ("?limit=ten", "limit", "int_parsing"),
        ("?after=nonsense", "after", "string_pattern_mismatch"),
        ("?after=", "after", "string_pattern_mismatch"),
    ] {
        let a = running.chats_as(None, query).await;
        assert_eq!(a.status, 422, "{query}: {}", a.body);
        assert_eq!(
            a.body["detail"][0]["loc"],
            json!(["query", field]),
            "{query}"
        );
        assert_eq!(a.body["detail"][0]["type"], kind, "{query}");
    }

    // A server without a store: chat_id is refused, and it has no chats routes.
    let plain = Server::builder()
        .agency(desk())
        .client(ClientConfig::default())
        .build()
        .unwrap();
    assert!(plain.openapi()["paths"].get("/desk/chats").is_none());
    let running = start(plain).await;
    let refused = running.ask("new", "Hi").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["detail"][0]["loc"], json!(["body", "chat_id"]));
    assert_eq!(running.chats_as(None, "").await.status, 404);
}

#[tokio::test]
async fn the_openapi_document_describes_the_chat_routes() {
    let fake = FakeOpenAi::start().await;
    let server = server(&fake, InMemoryThreadStore::default())
        .options(ServerOptions::default().with_app_token("t"))
        .build()
        .unwrap();
    let doc = server.openapi();
    let list = &doc["paths"]["/desk/chats"]["get"];
    assert_eq!(list["operationId"], "desk_list_chats");
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["limit", "after"]);
    assert_eq!(list["parameters"][0]["schema"]["maximum"], 100);
    for (method, statuses) in [
        ("get", ["200", "401", "404", "503"]),
        ("delete", ["204", "401", "404", "503"]),
    ] {
        let op = &doc["paths"]["/desk/chats/{chat_id}"][method];
        for status in statuses {
            assert!(op["responses"][status].is_object(), "{method} {status}");
        }
    }
    let get_response = &doc["paths"]["/desk/get_response"]["post"]["responses"];
    assert!(get_response["404"].is_object());
    crate::support::http::assert_no_dangling_refs(doc);
}

/// The quickstart with no store option keeps its chats in `agency-threads.db` in its working
/// directory: a chat started before a restart is continued after it, with its whole history.
#[cfg(unix)]
#[tokio::test]
async fn a_chat_survives_restarting_the_quickstart() {
    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let dir = std::env::temp_dir().join(format!("agency-restart-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let serve = |port: u16| {
        crate::support::binary::serve(&crate::safety::quickstart_binary(), port, &fake.base_url())
            .current_dir(&dir)
            .env_remove("AGENCY_THREADS")
            .spawn()
            .unwrap()
    };
    let client = reqwest::Client::new();
    let ask = |base: String, body: Value| {
        let client = client.clone();
        async move {
            let r = client
                .post(format!("{base}/demo/get_response"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let mut ids = Vec::new();
    for round in 0..2 {
        let port = free_port();
        let mut child = serve(port);
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&client, &base).await;
        let body = match round {
            0 => json!({"message": "My name is Ada.", "chat_id": "new"}),
            _ => json!({"message": "What is my name?", "chat_id": ids[0]}),
        };
        let (status, answer) = ask(base, body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["response"], (round + 1).to_string(), "{answer}");
        ids.push(answer["chat_id"].as_str().unwrap().to_owned());
        let pid = child.id().unwrap().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("the quickstart did not stop")
            .unwrap();
        assert!(exit.success(), "{exit:?}");
    }
    assert_eq!(ids[0], ids[1]);
    assert!(dir.join("agency-threads.db").is_file());
    // The model got the chat from before the restart.
    let sent = fake.last_request().unwrap().input_items();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn uuid_like() -> String {
    format!("{}-{:?}", std::process::id(), std::time::SystemTime::now())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "")
}

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub(crate) async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client
            .get(format!("{base}/openapi.json"))
            .send()
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the quickstart did not start at {base}");
}

/// `--tokens-file` on the real binary: each token is its principal, and a bad file stops the
/// program at startup with the line that is wrong.
#[cfg(unix)]
#[tokio::test]
async fn the_tokens_file_names_the_principals_of_the_quickstart() {
    use std::process::Stdio;

    let fake = FakeOpenAi::start().await;
    count_user_messages(&fake);
    let dir = std::env::temp_dir().join(format!("agency-tokens-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("# staff\nalice: {ALICE}\nbob:{BOB}\n")).unwrap();
    let bad = dir.join("bad-tokens");
    std::fs::write(&bad, format!("alice:{ALICE}\nbob {BOB}\n")).unwrap();
    let command = |file: &std::path::Path, port: u16| {
        let mut c = crate::support::binary::serve(
            &crate::safety::quickstart_binary(),
            port,
            &fake.base_url(),
        );
        c.arg("--tokens-file")
            .arg(file)
            .args(["--threads", "memory"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };

    let out = command(&bad, free_port()).output().await.unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("principal:token"),
        "{stderr}"
    );

    let port = free_port();
    let _child = command(&tokens, port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until_up(&client, &base).await;
    let ask = |token: &str, body: Value| {
        client
            .post(format!("{base}/demo/get_response"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let mine: Value = ask(ALICE, json!({"message": "Hi", "chat_id": "new"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = mine["chat_id"].as_str().unwrap();
    let theirs = ask(BOB, json!({"message": "Hi", "chat_id": id}))
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    let again = ask(ALICE, json!({"message": "Again", "chat_id": id}))
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let _ = std::fs::remove_dir_all(&dir);
}
