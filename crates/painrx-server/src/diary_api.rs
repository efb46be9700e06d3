//! The diary over HTTP, behind accounts: a patient's own diary (`/api/v1/diary/…`), links to
//! clinicians (`/api/v1/links`) and a linked clinician's access to a patient's diary
//! (`/api/v1/patients/{patient_id}/diary/…`). Both trees offer the same operations — entries
//! (list, add, one, edit, history), report, export, import, treatment courses and infusion
//! sessions — with the same JSON as the `painrx diary` commands. The diary patient id of an
//! account is `user-<id>`.
//!
//! Access: a patient reaches only their own diary; a clinician only the diaries of patients who
//! linked them; an admin no diary at all (admins cannot be linked). Any other access is 403 —
//! also for patient ids that do not exist or are malformed, so the answer never tells whether a
//! patient exists. Every allowed read and write is appended to the audit log before the answer
//! is sent; if the audit cannot be written, the data is not returned (500).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use painrx_engine::diary::EntryData;
use painrx_store::{NewCourse, NewSession, Role, Store, User};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{store_problem, ApiResult};
use crate::extract::{number_param, ApiJson, ApiUser, DiaryTarget};
use crate::{AppState, Problem};

/// Most entries one page returns.
pub const MAX_LIMIT: i64 = 1000;

/// The operations of one diary, mounted at `prefix`.
fn diary_routes(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{prefix}/diary/entries"),
            get(list_entries).post(add_entry),
        )
        .route(
            &format!("{prefix}/diary/entries/{{id}}"),
            get(one_entry).patch(edit_entry),
        )
        .route(
            &format!("{prefix}/diary/entries/{{id}}/history"),
            get(entry_history),
        )
        .route(&format!("{prefix}/diary/report"), get(report))
        .route(&format!("{prefix}/diary/export"), get(export))
        .route(&format!("{prefix}/diary/import"), post(import))
        .route(
            &format!("{prefix}/diary/courses"),
            get(list_courses).post(add_course),
        )
        .route(
            &format!("{prefix}/diary/courses/{{course_id}}/sessions"),
            get(list_sessions).post(add_session),
        )
}

pub(crate) fn router() -> Router<AppState> {
    let trees = crate::openapi::DIARY_TREES
        .iter()
        .fold(Router::new(), |router, (prefix, _)| {
            router.merge(diary_routes(prefix))
        });
    trees
        .route("/api/v1/links", get(list_links).post(add_link))
        .route("/api/v1/patients", get(list_patients))
        .route("/api/v1/users", get(list_users))
        .route("/api/v1/users/{user_id}/password", post(reset_password))
}

/// The diary patient id of an account.
pub fn patient_id(user_id: i64) -> String {
    format!("user-{user_id}")
}

fn forbidden(detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, detail)
}

/// The caller must be a patient: their own diary id.
pub(crate) fn own_diary(user: &User) -> Result<String, Problem> {
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
pub(crate) async fn reachable(
    store: &Store,
    user: &User,
    patient: &str,
) -> Result<String, Problem> {
    let denied = || forbidden("you have no access to this patient's diary");
    let patient_user = patient
        .strip_prefix("user-")
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(denied)?;
    let allowed = match user.role {
        Role::Patient => patient_user == user.id,
        Role::Clinician => store
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

async fn list_entries(
    State(state): State<AppState>,
    t: DiaryTarget,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let limit = q.limit.unwrap_or(100);
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::invalid(format!(
            "`limit` must be between 0 and {MAX_LIMIT} (got `{limit}`)"
        )));
    }
    let offset = q.offset.unwrap_or(0);
    let entries = state
        .store
        .list_entries(
            &t.patient,
            q.from.as_deref(),
            q.to.as_deref(),
            limit,
            offset,
        )
        .await
        .map_err(store_problem)?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
    let detail = format!("{} entries: [{}]", entries.len(), ids.join(", "));
    t.audit(&state, "diary.list", None, &detail).await?;
    Ok(Json(json!({ "entries": entries })).into_response())
}

async fn add_entry(
    State(state): State<AppState>,
    t: DiaryTarget,
    ApiJson(data): ApiJson<EntryData>,
) -> ApiResult {
    let entry = state
        .store
        .add_entry(&t.patient, &data)
        .await
        .map_err(store_problem)?;
    t.audit(&state, "diary.create", Some(entry.id), "").await?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

async fn one_entry(State(state): State<AppState>, t: DiaryTarget) -> ApiResult {
    let id = t.number("id")?;
    let entry = state
        .store
        .get_entry(&t.patient, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no diary entry #{id}")))?;
    t.audit(&state, "diary.read", Some(id), "").await?;
    Ok(Json(entry).into_response())
}

/// Lay the fields given in `changes` over the entry's current fields (as `painrx diary edit`
/// applies its options): a field not named keeps its value; `null` clears an optional field.
fn apply_changes(
    current: &EntryData,
    changes: serde_json::Map<String, Value>,
) -> Result<EntryData, Problem> {
    let mut merged = match serde_json::to_value(current).map_err(Problem::internal)? {
        Value::Object(map) => map,
        _ => return Err(Problem::internal("an entry did not serialise as an object")),
    };
    for (key, value) in changes {
        merged.insert(key, value);
    }
    let data: EntryData = serde_json::from_value(Value::Object(merged))
        .map_err(|e| Problem::invalid(format!("bad entry: {e}")))?;
    data.validate().map_err(Problem::invalid)?;
    Ok(data)
}

async fn edit_entry(
    State(state): State<AppState>,
    t: DiaryTarget,
    ApiJson(mut changes): ApiJson<serde_json::Map<String, Value>>,
) -> ApiResult {
    let id = t.number("id")?;
    let version = changes
        .remove("version")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| {
            Problem::invalid(
                "name the `version` you are editing (as listed); a newer version is never overwritten",
            )
        })?;
    let current = state
        .store
        .get_entry(&t.patient, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no diary entry #{id}")))?;
    let edited = apply_changes(&current.data, changes)?;
    let saved = state
        .store
        .edit_entry(&t.patient, id, version, &edited)
        .await
        .map_err(store_problem)?;
    let detail = format!("version {version} → {}", saved.version);
    t.audit(&state, "diary.edit", Some(id), &detail).await?;
    Ok(Json(saved).into_response())
}

async fn entry_history(State(state): State<AppState>, t: DiaryTarget) -> ApiResult {
    let id = t.number("id")?;
    let versions = state
        .store
        .history(&t.patient, id)
        .await
        .map_err(store_problem)?;
    if versions.is_empty() {
        return Err(Problem::not_found(format!("no diary entry #{id}")));
    }
    let detail = format!("{} versions", versions.len());
    t.audit(&state, "diary.history", Some(id), &detail).await?;
    Ok(Json(json!({ "versions": versions })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The analysis `painrx diary report --json` prints, over every entry in `[from, to]`.
async fn report(
    State(state): State<AppState>,
    t: DiaryTarget,
    Query(q): Query<ReportQuery>,
) -> ApiResult {
    let entries = state
        .store
        .all_entries(&t.patient, q.from.as_deref(), q.to.as_deref())
        .await
        .map_err(store_problem)?;
    let report =
        painrx_engine::diary::report(&t.patient, &entries, q.from.as_deref(), q.to.as_deref())
            .map_err(Problem::invalid)?;
    let detail = format!("report over {} entries", entries.len());
    t.audit(&state, "diary.report", None, &detail).await?;
    Ok(Json(report).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    format: Option<String>,
}

impl FormatQuery {
    /// `csv` (the default) or `fhir`.
    fn format(&self) -> Result<&str, Problem> {
        let format = self.format.as_deref().unwrap_or("csv");
        if matches!(format, "csv" | "fhir") {
            Ok(format)
        } else {
            Err(Problem::invalid(format!(
                "unknown format `{format}`: use csv or fhir"
            )))
        }
    }
}

/// The whole diary as `painrx diary export` writes it: CSV (the default) or a FHIR R4 Bundle.
async fn export(
    State(state): State<AppState>,
    t: DiaryTarget,
    Query(q): Query<FormatQuery>,
) -> ApiResult {
    let format = q.format()?;
    let entries = state
        .store
        .all_entries(&t.patient, None, None)
        .await
        .map_err(store_problem)?;
    let list: Vec<EntryData> = entries.into_iter().map(|e| e.data).collect();
    let (content_type, text) = if format == "fhir" {
        let bundle = painrx_fhir::diary_bundle(&t.patient, &list).map_err(Problem::invalid)?;
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
    let detail = format!("{format}, {} entries", list.len());
    t.audit(&state, "diary.export", None, &detail).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// `painrx diary import`: the request body is the CSV or FHIR R4 Bundle text; all or nothing.
async fn import(
    State(state): State<AppState>,
    t: DiaryTarget,
    Query(q): Query<FormatQuery>,
    text: String,
) -> ApiResult {
    let format = q.format()?;
    let list = painrx_app::diary::import(format, &text)?;
    let saved = state
        .store
        .add_entries(&t.patient, &list)
        .await
        .map_err(store_problem)?;
    let detail = format!("{format}, {} entries", saved.len());
    t.audit(&state, "diary.import", None, &detail).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"patient": t.patient, "imported": saved.len()})),
    )
        .into_response())
}

async fn list_courses(State(state): State<AppState>, t: DiaryTarget) -> ApiResult {
    let courses = painrx_app::diary::courses_of(&state.store, &t.patient)
        .await
        .map_err(store_problem)?;
    let n = courses.len();
    let listed = painrx_app::diary::courses_json(&courses);
    t.audit(&state, "course.list", None, &format!("{n} courses"))
        .await?;
    Ok(Json(listed).into_response())
}

async fn add_course(
    State(state): State<AppState>,
    t: DiaryTarget,
    ApiJson(mut course): ApiJson<NewCourse>,
) -> ApiResult {
    course.drug = course.drug.trim().to_lowercase();
    let saved = state
        .store
        .add_course(&t.patient, &course)
        .await
        .map_err(store_problem)?;
    let detail = format!(
        "course #{} ({} of {})",
        saved.id,
        saved.kind.as_str(),
        saved.drug
    );
    t.audit(&state, "course.create", None, &detail).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

async fn list_sessions(State(state): State<AppState>, t: DiaryTarget) -> ApiResult {
    let course = t.number("course_id")?;
    let sessions = state
        .store
        .list_sessions(&t.patient, course)
        .await
        .map_err(store_problem)?;
    let detail = format!("course #{course}: {} sessions", sessions.len());
    t.audit(&state, "session.list", None, &detail).await?;
    Ok(Json(json!({ "sessions": sessions })).into_response())
}

async fn add_session(
    State(state): State<AppState>,
    t: DiaryTarget,
    ApiJson(session): ApiJson<NewSession>,
) -> ApiResult {
    let course = t.number("course_id")?;
    let saved = state
        .store
        .add_session(&t.patient, course, &session)
        .await
        .map_err(store_problem)?;
    let detail = format!("course #{course}: session #{}", saved.id);
    t.audit(&state, "session.create", None, &detail).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    clinician_email: String,
}

/// A patient links a clinician; shared by the API and the web app.
pub(crate) async fn link_clinician(
    store: &Store,
    patient: &User,
    clinician_email: &str,
) -> Result<User, Problem> {
    if patient.role != Role::Patient {
        return Err(forbidden(
            "only a patient can link a clinician to their diary",
        ));
    }
    let clinician = store
        .user_by_email(clinician_email)
        .await
        .map_err(store_problem)?
        .filter(|c| c.role == Role::Clinician)
        .ok_or_else(|| {
            Problem::not_found(format!(
                "no clinician account with email `{clinician_email}`"
            ))
        })?;
    store
        .link(patient.id, clinician.id)
        .await
        .map_err(store_problem)?;
    Ok(clinician)
}

async fn add_link(
    State(state): State<AppState>,
    ApiUser { user, .. }: ApiUser,
    ApiJson(link): ApiJson<NewLink>,
) -> ApiResult {
    let clinician = link_clinician(&state.store, &user, &link.clinician_email).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "patient_id": patient_id(user.id),
            "clinician": {"id": clinician.id, "email": clinician.email},
        })),
    )
        .into_response())
}

/// A patient's links: the clinicians who can reach their diary.
async fn list_links(State(state): State<AppState>, ApiUser { user, .. }: ApiUser) -> ApiResult {
    if user.role != Role::Patient {
        return Err(forbidden(
            "only patients have links; clinicians list their patients at /api/v1/patients",
        ));
    }
    let clinicians = state
        .store
        .linked_clinicians(user.id)
        .await
        .map_err(store_problem)?;
    let list: Vec<Value> = clinicians
        .iter()
        .map(|c| json!({"id": c.id, "email": c.email}))
        .collect();
    Ok(Json(json!({"patient_id": patient_id(user.id), "clinicians": list})).into_response())
}

/// A clinician's patients: those who linked them.
async fn list_patients(State(state): State<AppState>, ApiUser { user, .. }: ApiUser) -> ApiResult {
    if user.role != Role::Clinician {
        return Err(forbidden("only clinicians have linked patients"));
    }
    let patients = state
        .store
        .linked_patients(user.id)
        .await
        .map_err(store_problem)?;
    let list: Vec<Value> = patients
        .iter()
        .map(|p| json!({"patient_id": patient_id(p.id), "email": p.email}))
        .collect();
    Ok(Json(json!({ "patients": list })).into_response())
}

/// Every account, for an admin (who manages users but reads no diary).
async fn list_users(State(state): State<AppState>, ApiUser { user, .. }: ApiUser) -> ApiResult {
    if user.role != Role::Admin {
        return Err(forbidden("only an admin can list accounts"));
    }
    let users = state.store.list_users().await.map_err(store_problem)?;
    let list: Vec<Value> = users
        .iter()
        .map(|u| json!({"id": u.id, "email": u.email, "role": u.role}))
        .collect();
    Ok(Json(json!({ "users": list })).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

/// An admin sets a new password for an account; every token and session of it ends.
async fn reset_password(
    State(state): State<AppState>,
    ApiUser { user, .. }: ApiUser,
    Path(params): Path<HashMap<String, String>>,
    ApiJson(new): ApiJson<NewPassword>,
) -> ApiResult {
    let id = number_param(&params, "user_id")?;
    crate::auth::reset_password(&state, &user, id, new.password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
