//! The diary over HTTP, behind accounts: a patient's own diary (`/api/v1/diary/entries`), links
//! to clinicians (`/api/v1/links`) and a linked clinician's access to a patient's diary
//! (`/api/v1/patients/{patient_id}/diary/entries`). The diary patient id of an account is
//! `user-<id>`.
//!
//! Access: a patient reaches only their own diary; a clinician only the diaries of patients who
//! linked them; an admin no diary at all (admins cannot be linked). Any other access is 403 —
//! also for patient ids that do not exist or are malformed, so the answer never tells whether a
//! patient exists. Every allowed read and write is appended to the audit log before the answer
//! is sent; if the audit cannot be written, the data is not returned (500).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use painrx_engine::diary::EntryData;
use painrx_store::{Role, User};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{authenticate, body, store_problem, ApiResult};
use crate::{AppState, Problem};

/// Most entries one page returns.
pub const MAX_LIMIT: i64 = 1000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/diary/entries", get(own_list).post(own_add))
        .route("/api/v1/diary/report", get(own_report))
        .route("/api/v1/diary/export", get(own_export))
        .route("/api/v1/links", post(add_link))
        .route(
            "/api/v1/patients/{patient_id}/diary/entries",
            get(patient_list).post(patient_add),
        )
        .route(
            "/api/v1/patients/{patient_id}/diary/report",
            get(patient_report),
        )
        .route(
            "/api/v1/patients/{patient_id}/diary/export",
            get(patient_export),
        )
}

/// The diary patient id of an account.
pub fn patient_id(user_id: i64) -> String {
    format!("user-{user_id}")
}

fn forbidden(detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, detail)
}

/// The caller must be a patient: their own diary id.
fn own_diary(user: &User) -> Result<String, Problem> {
    if user.role == Role::Patient {
        Ok(patient_id(user.id))
    } else {
        Err(forbidden(
            "only patients have a diary of their own; clinicians use \
             /api/v1/patients/{patient_id}/diary/entries",
        ))
    }
}

/// The caller may reach this patient's diary: it is their own, or they are a clinician the
/// patient linked. Anything else (unknown or malformed ids included) is 403.
async fn reachable(state: &AppState, user: &User, patient: &str) -> Result<String, Problem> {
    let denied = || forbidden("you have no access to this patient's diary");
    let patient_user = patient
        .strip_prefix("user-")
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(denied)?;
    let allowed = match user.role {
        Role::Patient => patient_user == user.id,
        Role::Clinician => state
            .store
            .is_linked(patient_user, user.id)
            .await
            .map_err(store_problem)?,
        Role::Admin => false,
    };
    if allowed {
        Ok(patient_id(patient_user))
    } else {
        Err(denied())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(state: &AppState, actor: &User, patient: &str, q: &ListQuery) -> ApiResult {
    let limit = q.limit.unwrap_or(100);
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::invalid(format!(
            "`limit` must be between 0 and {MAX_LIMIT} (got `{limit}`)"
        )));
    }
    let offset = q.offset.unwrap_or(0);
    let entries = state
        .store
        .list_entries(patient, q.from.as_deref(), q.to.as_deref(), limit, offset)
        .await
        .map_err(store_problem)?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
    state
        .store
        .audit(
            actor.id,
            "diary.list",
            patient,
            None,
            &format!("{} entries: [{}]", entries.len(), ids.join(", ")),
        )
        .await
        .map_err(store_problem)?;
    Ok(Json(json!({ "entries": entries })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The analysis `painrx diary report --json` prints, over every entry in `[from, to]`.
async fn report(state: &AppState, actor: &User, patient: &str, q: &ReportQuery) -> ApiResult {
    let entries = state
        .store
        .all_entries(patient, q.from.as_deref(), q.to.as_deref())
        .await
        .map_err(store_problem)?;
    let report =
        painrx_engine::diary::report(patient, &entries, q.from.as_deref(), q.to.as_deref())
            .map_err(Problem::invalid)?;
    state
        .store
        .audit(
            actor.id,
            "diary.report",
            patient,
            None,
            &format!("report over {} entries", entries.len()),
        )
        .await
        .map_err(store_problem)?;
    Ok(Json(report).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    format: Option<String>,
}

/// The whole diary as `painrx diary export` writes it: CSV (the default) or a FHIR R4 Bundle.
async fn export(state: &AppState, actor: &User, patient: &str, q: &ExportQuery) -> ApiResult {
    let format = q.format.as_deref().unwrap_or("csv");
    if !matches!(format, "csv" | "fhir") {
        return Err(Problem::invalid(format!(
            "unknown format `{format}`: use csv or fhir"
        )));
    }
    let entries = state
        .store
        .all_entries(patient, None, None)
        .await
        .map_err(store_problem)?;
    let list: Vec<EntryData> = entries.into_iter().map(|e| e.data).collect();
    let (content_type, text) = if format == "fhir" {
        let bundle = painrx_fhir::diary_bundle(patient, &list).map_err(Problem::invalid)?;
        (
            "application/fhir+json",
            serde_json::to_string_pretty(&bundle).map_err(Problem::internal)?,
        )
    } else {
        (
            "text/csv; charset=utf-8",
            painrx_render::csv::diary_csv(&list),
        )
    };
    state
        .store
        .audit(
            actor.id,
            "diary.export",
            patient,
            None,
            &format!("{format}, {} entries", list.len()),
        )
        .await
        .map_err(store_problem)?;
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

async fn add(state: &AppState, actor: &User, patient: &str, data: &EntryData) -> ApiResult {
    let entry = state
        .store
        .add_entry(patient, data)
        .await
        .map_err(store_problem)?;
    state
        .store
        .audit(actor.id, "diary.create", patient, Some(entry.id), "")
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

async fn own_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = own_diary(&user)?;
    list(&state, &user, &patient, &q).await
}

async fn own_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<EntryData>, JsonRejection>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = own_diary(&user)?;
    let data = body(payload)?;
    add(&state, &user, &patient, &data).await
}

async fn patient_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(patient): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = reachable(&state, &user, &patient).await?;
    list(&state, &user, &patient, &q).await
}

async fn own_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = own_diary(&user)?;
    report(&state, &user, &patient, &q).await
}

async fn patient_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(patient): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = reachable(&state, &user, &patient).await?;
    report(&state, &user, &patient, &q).await
}

async fn own_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = own_diary(&user)?;
    export(&state, &user, &patient, &q).await
}

async fn patient_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(patient): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = reachable(&state, &user, &patient).await?;
    export(&state, &user, &patient, &q).await
}

async fn patient_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(patient): Path<String>,
    payload: Result<Json<EntryData>, JsonRejection>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let patient = reachable(&state, &user, &patient).await?;
    let data = body(payload)?;
    add(&state, &user, &patient, &data).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    clinician_email: String,
}

async fn add_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<NewLink>, JsonRejection>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    if user.role != Role::Patient {
        return Err(forbidden(
            "only a patient can link a clinician to their diary",
        ));
    }
    let link = body(payload)?;
    let clinician = state
        .store
        .user_by_email(&link.clinician_email)
        .await
        .map_err(store_problem)?
        .filter(|c| c.role == Role::Clinician)
        .ok_or_else(|| {
            Problem::not_found(format!(
                "no clinician account with email `{}`",
                link.clinician_email
            ))
        })?;
    state
        .store
        .link(user.id, clinician.id)
        .await
        .map_err(store_problem)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "patient_id": patient_id(user.id),
            "clinician": {"id": clinician.id, "email": clinician.email},
        })),
    )
        .into_response())
}
