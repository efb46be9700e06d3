//! painrx over HTTP. `app(state)` builds the whole router; handlers only parse requests, call
//! the knowledge base and engine, and hand the same answer types the CLI prints to serde.
//!
//! Architecture Invariant: no clinical logic here — every answer comes from painrx-kb and
//! painrx-engine, serialised with the types the CLI serialises (so CLI and API JSON are the same).
//! Architecture Invariant: one error type maps to RFC 9457 problem+json; 5xx detail is logged,
//! never echoed.

mod api;
pub mod auth;
pub mod diary_api;
mod extract;
pub mod openapi;
mod problem;
pub mod throttle;
mod ui;
pub mod web;
mod work;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::Router;
use painrx_kb::Kb;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

pub use problem::Problem;
pub use work::Work;

/// Largest request body accepted (bigger gets 413).
pub const BODY_LIMIT: usize = 64 * 1024;

/// `Strict-Transport-Security` behind TLS: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// How long an API token lasts by default: 30 days (ASVS V3.3.2).
pub const TOKEN_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The application layer: every answer the API and the web pages give comes from it.
    pub app: painrx_app::App,
    pub kb: Arc<Kb>,
    /// Where imported rule sources (ANSM) live.
    pub data_dir: PathBuf,
    /// Accounts, tokens, links, the audit log and the diaries.
    pub store: painrx_store::Store,
    /// Mark session cookies `Secure` (the server runs behind TLS); requests that a proxy marks
    /// `X-Forwarded-Proto: https` get `Secure` cookies anyway.
    pub secure_cookies: bool,
    /// The content folder the knowledge base was read from (`--content`), if not the copy
    /// compiled in; `GET /api/v1/kb/check` validates it.
    pub content_dir: Option<PathBuf>,
    /// The bounded pools that password hashing and knowledge work run in, off the async workers.
    pub work: Work,
    /// `GET /api/v1/kb/check`'s answer, computed on the first call (the content does not change
    /// while the server runs).
    pub(crate) kb_check: Arc<tokio::sync::OnceCell<serde_json::Value>>,
    /// How long an API token lasts, in milliseconds ([`TOKEN_TTL_MS`] unless configured).
    pub token_ttl_ms: i64,
}

impl AppState {
    /// A state over this knowledge base (the application layer builds its rule index once).
    pub fn new(kb: Arc<Kb>, data_dir: PathBuf, store: painrx_store::Store) -> AppState {
        AppState {
            app: painrx_app::App::new(Arc::clone(&kb), data_dir.clone()),
            kb,
            data_dir,
            store,
            secure_cookies: false,
            content_dir: None,
            work: Work::per_cpu(),
            kb_check: Arc::default(),
            token_ttl_ms: TOKEN_TTL_MS,
        }
    }

    /// One operation of the application layer, run in the compute pool (off the async
    /// workers); its error as a problem.
    pub(crate) async fn run<T, E>(
        &self,
        operation: impl FnOnce(&painrx_app::App) -> Result<T, E> + Send + 'static,
    ) -> Result<T, Problem>
    where
        T: Send + 'static,
        E: Into<Problem> + Send + 'static,
    {
        let app = self.app.clone();
        self.work
            .compute(move || operation(&app))
            .await?
            .map_err(Into::into)
    }
}

/// Sequential request ids (`x-request-id`), unless the caller sent one.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("painrx-{n}"))
            .ok()
            .map(RequestId::new)
    }
}

/// Every route of the JSON API with its documentation: each handler's `#[utoipa::path]` is the
/// one statement of its path, method and OpenAPI operation ([`openapi::document`]).
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(api::router())
        .merge(auth::router())
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let (api, _) = api_router().split_for_parts();
    let hsts = state
        .secure_cookies
        .then_some(HeaderValue::from_static(HSTS));
    Router::new()
        .merge(api)
        .merge(ui::router())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        // Behind TLS, browsers are told to use HTTPS only, for a year (ASVS V14.4.5).
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &axum::response::Response| hsts.clone(),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, Counter::default()))
        .with_state(state)
}
