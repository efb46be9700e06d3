//! Bare axum JSON endpoints: the peers `bench/serve.sh` measures painrx's check endpoint against.
//!
//! - `POST /echo` parses the body and answers it back (the smallest JSON endpoint);
//! - `POST /sized` parses the body and answers a fixed JSON document, re-serialised on every
//!   request: give it painrx's own answer (second argument, a file) and it costs what the HTTP
//!   layer and serde cost for a response of that size, with no clinical work.

use std::sync::Arc;

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18091".into());
    let sized: Arc<Value> = Arc::new(match args.next() {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => json!({}),
    });
    let app = Router::new()
        .route(
            "/echo",
            post(|Json(body): Json<Value>| async move { Json(json!({ "received": body })) }),
        )
        .route(
            "/sized",
            post(move |Json(_): Json<Value>| {
                let sized = Arc::clone(&sized);
                async move { Json(Value::clone(&sized)) }
            }),
        );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
