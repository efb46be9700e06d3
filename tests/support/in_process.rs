//! One painrx server in memory for tests that drive the API and the web pages without a socket:
//! the server crate's tests and the CLI's edge-agreement tests include this file with
//! `#[path = …] mod in_process;` (a shared file, not a crate: it is test code only).

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A request with a JSON content type and, if given, a bearer token. A JSON string body is sent as
/// its raw text (CSV or FHIR imports); any other value as JSON; `None` as an empty body.
pub fn json_request(
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(Value::String(text)) => Body::from(text),
        Some(other) => Body::from(other.to_string()),
        None => Body::empty(),
    };
    request.body(body).unwrap_or_else(|e| panic!("{e}"))
}

/// Run `request` through `app` in memory: status, headers and the whole body.
pub async fn respond(
    app: axum::Router,
    request: Request<Body>,
) -> (
    axum::http::StatusCode,
    axum::http::HeaderMap,
    axum::body::Bytes,
) {
    let response = app.oneshot(request).await.unwrap_or_else(|e| panic!("{e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    (status, headers, bytes)
}

/// One server over the content compiled in, on a fresh SQLite store, with its own runtime so that
/// synchronous tests can call it.
#[allow(dead_code)]
pub struct Server {
    runtime: tokio::runtime::Runtime,
    state: painrx_server::AppState,
    db: tempfile::TempDir,
}

#[allow(dead_code)]
impl Server {
    /// A server with `data` as its data directory (where the ANSM editions are imported).
    pub fn new(data: &std::path::Path) -> Server {
        let kb = std::sync::Arc::new(painrx_kb::Kb::embedded().unwrap_or_else(|e| panic!("{e}")));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let db = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = runtime
            .block_on(painrx_store::Store::open(
                &db.path().join("server.db").display().to_string(),
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        let state = painrx_server::AppState::new(kb, data.to_path_buf(), store);
        Server { runtime, state, db }
    }

    /// The SQLite database the server writes, for a CLI given `--db`.
    pub fn db_path(&self) -> String {
        self.db.path().join("server.db").display().to_string()
    }

    /// (status, body text) of one request, signed with a bearer token if given.
    pub fn send_as(
        &self,
        token: Option<&str>,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let request = json_request(method, uri, token, body);
        let (status, _, bytes) = self
            .runtime
            .block_on(respond(painrx_server::app(self.state.clone()), request));
        (
            status.as_u16(),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// (status, body text) of one request without a token.
    pub fn send(&self, method: &str, uri: &str, body: Option<Value>) -> (u16, String) {
        self.send_as(None, method, uri, body)
    }

    /// (status, JSON body, or null) of a POST to the API.
    pub fn api(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.send("POST", path, Some(body));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// (status, body text) of a GET of a page.
    pub fn page(&self, uri: &str) -> (u16, String) {
        self.send("GET", uri, None)
    }
}
