//! A bare axum JSON endpoint: the peer `bench/serve.sh` measures painrx's check endpoint against.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18091".into());
    let app = Router::new().route(
        "/echo",
        post(|Json(body): Json<Value>| async move { Json(json!({ "received": body })) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
