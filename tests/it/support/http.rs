//! A real server bound on 127.0.0.1:0 and a real HTTP client: what the tool and agency route
//! tests drive the server through.

use std::time::Duration;

use agency::http::{Server, ServerError};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The app token of the reference server's auth cases.
pub const TOKEN: &str = "bench-secret-token";

/// The longest `serve_on` may take to return once told to stop.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(30);

/// A server serving on 127.0.0.1 until [`Running::shut_down`] (or the end of the test).
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

/// Serves `server` on a free port of 127.0.0.1.
pub async fn start(server: Server) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_on(listener, async move {
        let _ = stopped.await;
    }));
    Running {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        stop: Some(stop),
        task,
    }
}

/// An answer, its body as it came.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    async fn read(resp: reqwest::Response) -> Reply {
        Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            bytes: resp.bytes().await.unwrap().to_vec(),
        }
    }

    /// The body as JSON; fails the test when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// An answer whose body was JSON (checked when it arrived).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl From<Reply> for Answer {
    /// Fails the test when the body is not JSON.
    fn from(reply: Reply) -> Answer {
        Answer {
            body: reply.json(),
            status: reply.status,
            headers: reply.headers,
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Running {
    /// `method path` with `headers`, not sent yet.
    pub fn request_to(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, HeaderValue::from_str(v).unwrap());
        }
        req
    }

    /// `method path` with `headers` and `body` as is.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let req = self.request_to(method, path, headers).body(body);
        Reply::read(req.send().await.unwrap()).await
    }

    /// `POST path` with `content-type: application/json` and `body` as is.
    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.request(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, &[], Vec::new()).await
    }

    /// `POST path` with the JSON `body` and `headers` after its `content-type`, not sent yet.
    pub fn post_json_request(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let content_type = [("content-type", "application/json")];
        let all: Vec<_> = content_type.iter().chain(headers).copied().collect();
        self.request_to(Method::POST, path, &all)
            .body(body.to_string())
    }

    /// `POST path` with the JSON `body` and `headers`; the answer must be JSON.
    pub async fn post_json_with(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let resp = self
            .post_json_request(path, body, headers)
            .send()
            .await
            .unwrap();
        Reply::read(resp).await.into()
    }

    /// `POST path` with the JSON `body`; the answer must be JSON.
    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.post_json_with(path, body, &[]).await
    }

    /// `GET path` with `headers`; the answer must be JSON.
    pub async fn get_json_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let resp = self
            .request_to(Method::GET, path, headers)
            .send()
            .await
            .unwrap();
        Reply::read(resp).await.into()
    }

    /// `GET path`; the answer must be JSON.
    pub async fn get_json(&self, path: &str) -> Answer {
        self.get_json_with(path, &[]).await
    }

    /// Triggers the shutdown future and waits for `serve_on` to return.
    pub async fn shut_down(mut self) -> Result<(), ServerError> {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(SHUTDOWN_WAIT, self.task)
            .await
            .expect("serve_on did not return")
            .unwrap()
    }
}

/// Every `$ref` of `doc`, each checked to resolve inside `doc`, which has no `$defs` left.
pub fn assert_no_dangling_refs(doc: &Value) -> usize {
    fn walk(v: &Value, doc: &Value, n: &mut usize) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let pointer = r
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("non-local $ref {r}"));
                    assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
                    *n += 1;
                }
                assert!(!map.contains_key("$defs"), "$defs left in the document");
                map.values().for_each(|v| walk(v, doc, n));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc, n)),
            _ => {}
        }
    }
    let mut n = 0;
    walk(doc, doc, &mut n);
    n
}
