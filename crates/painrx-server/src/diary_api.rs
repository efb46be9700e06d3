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

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use painrx_engine::diary::EntryData;
use painrx_engine::time::Date;
use painrx_store::{NewCourse, NewSession, Role, Store, User};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{authenticate, body, store_problem, ApiResult};
use crate::extract::ApiQuery;
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

/// Path parameters of a diary route: `patient_id` (absent on the caller's own tree), `id`,
/// `course_id`.
type Params = Path<HashMap<String, String>>;

/// Who is asking, and whose diary the route reaches.
async fn target(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(User, String), Problem> {
    let user = authenticate(state, headers).await?;
    let patient = match params.get("patient_id") {
        Some(p) => reachable(&state.store, &user, p).await?,
        None => own_diary(&user)?,
    };
    Ok((user, patient))
}

fn number_param(params: &HashMap<String, String>, name: &str) -> Result<i64, Problem> {
    let text = params.get(name).map(String::as_str).unwrap_or_default();
    text.parse()
        .map_err(|_| Problem::invalid(format!("`{text}` is not a {name} (a whole number)")))
}

async fn audit(
    state: &AppState,
    actor: &User,
    action: &str,
    patient: &str,
    entry: Option<i64>,
    detail: &str,
) -> Result<(), Problem> {
    state
        .store
        .audit(actor.id, action, patient, entry, detail)
        .await
        .map(|_| ())
        .map_err(store_problem)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    from: Option<Date>,
    to: Option<Date>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list_entries(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let limit = q.limit.unwrap_or(100);
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::invalid(format!(
            "`limit` must be between 0 and {MAX_LIMIT} (got `{limit}`)"
        )));
    }
    let offset = q.offset.unwrap_or(0);
    let entries = state
        .store
        .list_entries(&patient, q.from, q.to, limit, offset)
        .await
        .map_err(store_problem)?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
    let detail = format!("{} entries: [{}]", entries.len(), ids.join(", "));
    audit(&state, &actor, "diary.list", &patient, None, &detail).await?;
    Ok(Json(json!({ "entries": entries })).into_response())
}

async fn add_entry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    payload: Result<Json<EntryData>, JsonRejection>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    // An entry that does not fit (a date the calendar lacks, a score out of range) is a 422,
    // as when it fails validation.
    let data = match payload {
        Err(JsonRejection::JsonDataError(e)) => return Err(Problem::invalid(e.body_text())),
        other => body(other)?,
    };
    let entry = state
        .store
        .add_entry(&patient, &data)
        .await
        .map_err(store_problem)?;
    audit(&state, &actor, "diary.create", &patient, Some(entry.id), "").await?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

async fn one_entry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let id = number_param(&params, "id")?;
    let entry = state
        .store
        .get_entry(&patient, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no diary entry #{id}")))?;
    audit(&state, &actor, "diary.read", &patient, Some(id), "").await?;
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
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("bad entry: {e}")))?;
    data.validate().map_err(Problem::invalid)?;
    Ok(data)
}

async fn edit_entry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    payload: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let id = number_param(&params, "id")?;
    let mut changes = body(payload)?;
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
        .get_entry(&patient, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no diary entry #{id}")))?;
    let edited = apply_changes(&current.data, changes)?;
    let saved = state
        .store
        .edit_entry(&patient, id, version, &edited)
        .await
        .map_err(store_problem)?;
    let detail = format!("version {version} → {}", saved.version);
    audit(&state, &actor, "diary.edit", &patient, Some(id), &detail).await?;
    Ok(Json(saved).into_response())
}

async fn entry_history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let id = number_param(&params, "id")?;
    let versions = state
        .store
        .history(&patient, id)
        .await
        .map_err(store_problem)?;
    if versions.is_empty() {
        return Err(Problem::not_found(format!("no diary entry #{id}")));
    }
    let detail = format!("{} versions", versions.len());
    audit(&state, &actor, "diary.history", &patient, Some(id), &detail).await?;
    Ok(Json(json!({ "versions": versions })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    from: Option<Date>,
    to: Option<Date>,
}

/// The analysis `painrx diary report --json` prints, over every entry in `[from, to]`.
async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let entries = state
        .store
        .all_entries(&patient, q.from, q.to)
        .await
        .map_err(store_problem)?;
    let report = painrx_engine::diary::report(&patient, &entries, q.from, q.to);
    let detail = format!("report over {} entries", entries.len());
    audit(&state, &actor, "diary.report", &patient, None, &detail).await?;
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
    headers: HeaderMap,
    Path(params): Params,
    Query(q): Query<FormatQuery>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let format = q.format()?;
    let entries = state
        .store
        .all_entries(&patient, None, None)
        .await
        .map_err(store_problem)?;
    let list: Vec<EntryData> = entries.into_iter().map(|e| e.data).collect();
    let (content_type, text) = if format == "fhir" {
        let bundle = painrx_fhir::diary_bundle(&patient, &list).map_err(Problem::invalid)?;
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
    audit(&state, &actor, "diary.export", &patient, None, &detail).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// `painrx diary import`: the request body is the CSV or FHIR R4 Bundle text; all or nothing.
async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    Query(q): Query<FormatQuery>,
    text: String,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let format = q.format()?;
    let list = painrx_app::diary::import(format, &text)?;
    let saved = state
        .store
        .add_entries(&patient, &list)
        .await
        .map_err(store_problem)?;
    let detail = format!("{format}, {} entries", saved.len());
    audit(&state, &actor, "diary.import", &patient, None, &detail).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"patient": patient, "imported": saved.len()})),
    )
        .into_response())
}

async fn list_courses(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let courses = painrx_app::diary::courses_of(&state.store, &patient)
        .await
        .map_err(store_problem)?;
    let n = courses.len();
    let listed = painrx_app::diary::courses_json(&courses);
    audit(
        &state,
        &actor,
        "course.list",
        &patient,
        None,
        &format!("{n} courses"),
    )
    .await?;
    Ok(Json(listed).into_response())
}

async fn add_course(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    payload: Result<Json<NewCourse>, JsonRejection>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let mut course = body(payload)?;
    course.drug = course.drug.trim().to_lowercase();
    let saved = state
        .store
        .add_course(&patient, &course)
        .await
        .map_err(store_problem)?;
    let detail = format!(
        "course #{} ({} of {})",
        saved.id,
        saved.kind.as_str(),
        saved.drug
    );
    audit(&state, &actor, "course.create", &patient, None, &detail).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

async fn list_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let course = number_param(&params, "course_id")?;
    let sessions = state
        .store
        .list_sessions(&patient, course)
        .await
        .map_err(store_problem)?;
    let detail = format!("course #{course}: {} sessions", sessions.len());
    audit(&state, &actor, "session.list", &patient, None, &detail).await?;
    Ok(Json(json!({ "sessions": sessions })).into_response())
}

async fn add_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Params,
    payload: Result<Json<NewSession>, JsonRejection>,
) -> ApiResult {
    let (actor, patient) = target(&state, &headers, &params).await?;
    let course = number_param(&params, "course_id")?;
    let session = body(payload)?;
    let saved = state
        .store
        .add_session(&patient, course, &session)
        .await
        .map_err(store_problem)?;
    let detail = format!("course #{course}: session #{}", saved.id);
    audit(&state, &actor, "session.create", &patient, None, &detail).await?;
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
    headers: HeaderMap,
    payload: Result<Json<NewLink>, JsonRejection>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let link = body(payload)?;
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
async fn list_links(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
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
async fn list_patients(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
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
async fn list_users(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
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
    headers: HeaderMap,
    Path(params): Params,
    payload: Result<Json<NewPassword>, JsonRejection>,
) -> ApiResult {
    let user = authenticate(&state, &headers).await?;
    let id = number_param(&params, "user_id")?;
    let new = body(payload)?;
    crate::auth::reset_password(&state, &user, id, new.password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
