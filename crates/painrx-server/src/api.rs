//! `/api/v1` handlers: JSON in → one typed request of painrx-app → its answer as JSON. No
//! validation, defaults or clinical logic here (the CLI and the web pages call the same
//! operations).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use painrx_app::knowledge::SearchRequest;
use painrx_app::{
    AcrRequest, CheckRequest, DoseCheckRequest, DoseRangeRequest, EquivRequest, FiqrRequest,
    RenalRequest, SwitchRequest, TaperRequest, TitrateRequest,
};
use serde::Deserialize;
use serde_json::json;

use crate::extract::ApiJson;
use crate::{AppState, Problem};

type ApiResult = Result<Response, Problem>;

fn ok(value: impl serde::Serialize) -> ApiResult {
    Ok(Json(value).into_response())
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the knowledge base is loaded and the database answers.
pub async fn readyz(State(state): State<AppState>) -> ApiResult {
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "database not ready");
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer yet",
        ));
    }
    ok(json!({
        "status": "ready",
        "monographs": state.kb.monographs().len(),
        "rules": state.kb.rules().len(),
        "database": state.store.dialect(),
    }))
}

pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /api/v1 in README.md",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugQuery {
    section: Option<String>,
}

pub async fn drug(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<DrugQuery>,
) -> ApiResult {
    ok(state.app.monograph_json(&name, q.section.as_deref())?)
}

pub async fn search(State(state): State<AppState>, Query(q): Query<SearchRequest>) -> ApiResult {
    ok(state.app.search(&q)?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareQuery {
    /// Comma-separated drug names.
    drugs: String,
}

pub async fn compare(State(state): State<AppState>, Query(q): Query<CompareQuery>) -> ApiResult {
    let names = q
        .drugs
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<painrx_app::values::Name>, _>>()
        .map_err(Problem::invalid)?;
    ok(state.app.compare(&names)?)
}

pub async fn check(State(state): State<AppState>, ApiJson(r): ApiJson<CheckRequest>) -> ApiResult {
    ok(state.app.check(&r)?.screening)
}

pub async fn renal(State(state): State<AppState>, ApiJson(r): ApiJson<RenalRequest>) -> ApiResult {
    ok(state.app.renal(&r)?)
}

pub async fn dose_range(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<DoseRangeRequest>,
) -> ApiResult {
    ok(state.app.dose_range(&r)?)
}

pub async fn dose_check(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<DoseCheckRequest>,
) -> ApiResult {
    ok(state.app.dose_check(&r)?)
}

pub async fn titrate(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<TitrateRequest>,
) -> ApiResult {
    ok(state.app.titrate(&r)?.plan)
}

pub async fn taper(State(state): State<AppState>, ApiJson(r): ApiJson<TaperRequest>) -> ApiResult {
    ok(state.app.taper(&r)?.plan)
}

pub async fn switch(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<SwitchRequest>,
) -> ApiResult {
    ok(state.app.switch(&r)?.plan)
}

pub async fn equiv(State(state): State<AppState>, ApiJson(r): ApiJson<EquivRequest>) -> ApiResult {
    ok(state.app.equiv(&r)?)
}

pub async fn acr2016(State(state): State<AppState>, ApiJson(r): ApiJson<AcrRequest>) -> ApiResult {
    ok(state.app.acr(&r)?)
}

pub async fn fiqr(State(state): State<AppState>, ApiJson(r): ApiJson<FiqrRequest>) -> ApiResult {
    ok(state.app.fiqr(&r)?)
}

/// `painrx kb check --json` over the content this server runs on (the copy compiled in, or the
/// `--content` folder it was started with).
pub async fn kb_check(State(state): State<AppState>) -> ApiResult {
    let summary = match state.content_dir.clone() {
        None => painrx_kb::Kb::check_summary(&painrx_kb::load::embedded(), "content (compiled in)"),
        Some(dir) => tokio::task::spawn_blocking(move || {
            painrx_kb::load::read_dir(&dir)
                .map(|files| painrx_kb::Kb::check_summary(&files, &dir.display().to_string()))
        })
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)?,
    };
    ok(summary)
}

/// `painrx kb import-page`: a page in the seed site's format (the body, as text) becomes a
/// monograph draft → `{"text", "report"}` (`report` is what `--json` prints).
pub async fn kb_import_page(text: String) -> ApiResult {
    if text.trim().is_empty() {
        return Err(Problem::invalid("send the page's text as the request body"));
    }
    let draft = painrx_kb::import::import_page(&text)
        .map_err(|e| Problem::invalid(format!("cannot import the page: {e}")))?;
    ok(json!({"text": draft.text, "report": draft.report}))
}
