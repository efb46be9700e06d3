//! `/api/v1` handlers: JSON in → one typed request of painrx-app → its answer as JSON. No
//! validation, defaults or clinical logic here (the CLI and the web pages call the same
//! operations).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use painrx_app::knowledge::SearchRequest;
use painrx_app::resolve::{NamesRequest, ResolveRequest};
use painrx_app::{
    AcrRequest, CheckRequest, DoseCheckRequest, DoseRangeRequest, EquivRequest, FiqrRequest,
    RenalRequest, SwitchRequest, TaperRequest, TitrateRequest,
};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiText};
use crate::openapi::{Alive, Answer, PageText};
use crate::{AppState, Problem};

/// The public routes: knowledge, calculators, health and this API's document.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(crate::openapi::serve))
        .routes(routes!(drug))
        .routes(routes!(search))
        .routes(routes!(compare))
        .routes(routes!(kb_check))
        .routes(routes!(kb_import_page))
        .routes(routes!(check))
        .routes(routes!(resolve))
        .routes(routes!(names))
        .routes(routes!(renal))
        .routes(routes!(dose_range))
        .routes(routes!(dose_check))
        .routes(routes!(titrate))
        .routes(routes!(taper))
        .routes(routes!(switch))
        .routes(routes!(equiv))
        .routes(routes!(acr2016))
        .routes(routes!(fiqr))
}

/// What an API handler answers: a response, or the problem that stopped it.
pub(crate) type ApiResult = Result<Response, Problem>;

/// 200 with `value` as JSON.
pub(crate) fn ok(value: impl serde::Serialize) -> ApiResult {
    Ok(Json(value).into_response())
}

/// 201 with `value` as JSON.
pub(crate) fn created(value: impl serde::Serialize) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

/// 204: done, nothing to say.
pub(crate) fn done() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Liveness
#[utoipa::path(get, path = "/healthz", responses(Alive))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers
///
/// Ready when the knowledge base is loaded and the database answers.
#[utoipa::path(get, path = "/readyz", responses(Answer))]
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

/// 405 for a path that exists with other methods, as problem+json (axum adds `Allow`).
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this path does not take this method; the `Allow` header lists those it takes",
    )
}

pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /api/v1 in README.md",
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DrugQuery {
    /// one section: dosage, adults, side-effects, faqs, …
    section: Option<String>,
}

/// A monograph by generic, brand, synonym or misspelt name (`painrx drug show --json`)
#[utoipa::path(
    get,
    path = "/api/v1/drugs/{name}",
    params(
        ("name" = String, Path, description = "a drug's name, brand or synonym"),
        DrugQuery,
    ),
    responses(Answer),
)]
pub async fn drug(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<DrugQuery>,
) -> ApiResult {
    ok(state
        .run(move |app| app.monograph_json(&name, q.section.as_deref()))
        .await?)
}

/// What painrx understood of medication lines: substances with their UNII, RxCUI, monograph and
/// ANSM names, strength, form, dose, and the rule sources that cover each (`painrx resolve
/// --json`)
#[utoipa::path(
    get,
    path = "/api/v1/resolve",
    params(ResolveRequest),
    responses(Answer)
)]
pub async fn resolve(
    State(state): State<AppState>,
    ApiQuery(r): ApiQuery<ResolveRequest>,
) -> ApiResult {
    ok(state.app.understand(&r)?)
}

/// Drug names that begin with a prefix, for type-ahead
#[utoipa::path(get, path = "/api/v1/names", params(NamesRequest), responses(Answer))]
pub async fn names(
    State(state): State<AppState>,
    ApiQuery(r): ApiQuery<NamesRequest>,
) -> ApiResult {
    ok(state.app.names(&r)?)
}

/// Ranked full-text search (`painrx search --json`)
#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(
        ("q" = String, Query, description = "words to search for"),
        ("limit" = Option<usize>, Query, description = "at most this many results (default 10)"),
    ),
    responses(Answer),
)]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SearchRequest>,
) -> ApiResult {
    ok(state.run(move |app| app.search(&q)).await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// comma-separated drug names
    drugs: String,
}

/// Side-by-side comparison (`painrx compare --json`)
#[utoipa::path(get, path = "/api/v1/compare", params(CompareQuery), responses(Answer))]
pub async fn compare(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> ApiResult {
    let names = q
        .drugs
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<painrx_app::values::Name>, _>>()
        .map_err(Problem::invalid)?;
    ok(state.run(move |app| app.compare(&names)).await?)
}

/// Safety screening of a medication list (`painrx check --json`)
#[utoipa::path(post, path = "/api/v1/check", request_body = CheckRequest, responses(Answer))]
pub async fn check(State(state): State<AppState>, ApiJson(r): ApiJson<CheckRequest>) -> ApiResult {
    ok(state.run(move |app| app.check(&r)).await?.screening)
}

/// Cockcroft–Gault CrCl and CKD-EPI 2021 eGFR (`painrx renal --json`)
#[utoipa::path(post, path = "/api/v1/renal", request_body = RenalRequest, responses(Answer))]
pub async fn renal(State(state): State<AppState>, ApiJson(r): ApiJson<RenalRequest>) -> ApiResult {
    ok(state.run(move |app| app.renal(&r)).await?)
}

/// Daily dose range for these kidneys (`painrx dose range --json`)
#[utoipa::path(
    post,
    path = "/api/v1/dose/range",
    request_body = DoseRangeRequest,
    responses(Answer),
)]
pub async fn dose_range(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<DoseRangeRequest>,
) -> ApiResult {
    ok(state.run(move |app| app.dose_range(&r)).await?)
}

/// A written dose against the label (`painrx dose check --json`)
#[utoipa::path(
    post,
    path = "/api/v1/dose/check",
    request_body = DoseCheckRequest,
    responses(Answer),
)]
pub async fn dose_check(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<DoseCheckRequest>,
) -> ApiResult {
    ok(state.run(move |app| app.dose_check(&r)).await?)
}

/// Titration schedule (`painrx titrate --json`)
#[utoipa::path(post, path = "/api/v1/titrate", request_body = TitrateRequest, responses(Answer))]
pub async fn titrate(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<TitrateRequest>,
) -> ApiResult {
    ok(state.run(move |app| app.titrate(&r)).await?.plan)
}

/// Taper schedule (`painrx taper --json`)
#[utoipa::path(post, path = "/api/v1/taper", request_body = TaperRequest, responses(Answer))]
pub async fn taper(State(state): State<AppState>, ApiJson(r): ApiJson<TaperRequest>) -> ApiResult {
    ok(state.run(move |app| app.taper(&r)).await?.plan)
}

/// Switch schedule (`painrx switch --json`)
#[utoipa::path(post, path = "/api/v1/switch", request_body = SwitchRequest, responses(Answer))]
pub async fn switch(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<SwitchRequest>,
) -> ApiResult {
    ok(state.run(move |app| app.switch(&r)).await?.plan)
}

/// Benzodiazepine and opioid equivalents (`painrx equiv --json`)
#[utoipa::path(post, path = "/api/v1/equiv", request_body = EquivRequest, responses(Answer))]
pub async fn equiv(State(state): State<AppState>, ApiJson(r): ApiJson<EquivRequest>) -> ApiResult {
    ok(state.run(move |app| app.equiv(&r)).await?)
}

/// ACR 2016 fibromyalgia criteria (`painrx assess acr2016 --json`)
#[utoipa::path(post, path = "/api/v1/assess/acr2016", request_body = AcrRequest, responses(Answer))]
pub async fn acr2016(State(state): State<AppState>, ApiJson(r): ApiJson<AcrRequest>) -> ApiResult {
    ok(state.run(move |app| app.acr(&r)).await?)
}

/// FIQR score (`painrx assess fiqr --json`)
#[utoipa::path(post, path = "/api/v1/assess/fiqr", request_body = FiqrRequest, responses(Answer))]
pub async fn fiqr(State(state): State<AppState>, ApiJson(r): ApiJson<FiqrRequest>) -> ApiResult {
    ok(state.run(move |app| app.fiqr(&r)).await?)
}

/// Validate the content the server runs on (`painrx kb check --json`)
///
/// The content is the copy compiled in, or the `--content` folder the server was started with.
/// The knowledge base does not change while the server runs, so the check is computed once per
/// process (in the compute pool) and answered from memory afterwards: a public endpoint that
/// cost 68 ms of CPU per call cannot be used to load the server (ASVS V11.1.4).
#[utoipa::path(get, path = "/api/v1/kb/check", responses(Answer))]
pub async fn kb_check(State(state): State<AppState>) -> ApiResult {
    let summary = state
        .kb_check
        .get_or_try_init(|| async {
            let dir = state.content_dir.clone();
            let summary = state
                .work
                .compute(move || match dir {
                    None => Ok(painrx_kb::Kb::check_summary(
                        &painrx_kb::load::embedded(),
                        "content (compiled in)",
                    )),
                    Some(dir) => painrx_kb::load::read_dir(&dir).map(|files| {
                        painrx_kb::Kb::check_summary(&files, &dir.display().to_string())
                    }),
                })
                .await?
                .map_err(Problem::internal)?;
            serde_json::to_value(summary).map_err(Problem::internal)
        })
        .await?;
    ok(summary)
}

/// A seed-format page → {text, report} (`painrx kb import-page --json`)
///
/// A page in the seed site's format (the body, as text) becomes a monograph draft; `report` is
/// what `--json` prints.
#[utoipa::path(
    post,
    path = "/api/v1/kb/import-page",
    request_body(content = inline(PageText), content_type = "text/plain"),
    responses(Answer),
)]
pub async fn kb_import_page(State(state): State<AppState>, ApiText(text): ApiText) -> ApiResult {
    if text.trim().is_empty() {
        return Err(Problem::invalid("send the page's text as the request body"));
    }
    let draft = state
        .work
        .compute(move || painrx_kb::import::import_page(&text))
        .await?
        .map_err(|e| Problem::invalid(format!("cannot import the page: {e}")))?;
    ok(json!({"text": draft.text, "report": draft.report}))
}
