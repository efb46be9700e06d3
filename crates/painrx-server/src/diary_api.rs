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

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use painrx_app::diary::CourseRequest;
use painrx_engine::diary::EntryData;
use painrx_engine::id::PatientId;
use painrx_engine::time::Date;
use painrx_store::{NewSession, Role, Store, User};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{created, done, ok, ApiResult};
use crate::extract::{number_param, ApiJson, ApiQuery, ApiText, ApiUser, Client, DiaryTarget};
use crate::openapi::{
    Answer, CourseBody, Created, DiaryText, Done, EntryBody, EntryChanges, Export, SessionBody,
};
use crate::throttle::SecurityLog;
use crate::{AppState, Problem};

/// Most entries one page returns.
pub const MAX_LIMIT: i64 = 1000;

/// The operations of one diary, relative to its tree.
fn diary_tree() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_entries, add_entry))
        .routes(routes!(one_entry, edit_entry))
        .routes(routes!(entry_history))
        .routes(routes!(report))
        .routes(routes!(export))
        // An export of any size imports back: this route alone takes bodies up to 8 MiB.
        .merge(
            OpenApiRouter::default()
                .routes(routes!(import))
                .layer(DefaultBodyLimit::max(painrx_app::diary::MAX_IMPORT_BYTES)),
        )
        .routes(routes!(list_courses, add_course))
        .routes(routes!(list_sessions, add_session))
}

/// The diary tree mounted twice — the caller's own diary under `/api/v1`, a linked patient's
/// under `/api/v1/patients/{patient_id}` — and the routes of links and accounts.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    let mut linked = diary_tree();
    let api = std::mem::take(linked.get_openapi_mut());
    *linked.get_openapi_mut() = crate::openapi::of_linked_patient(api);
    OpenApiRouter::default()
        .nest("/api/v1", diary_tree())
        .nest("/api/v1/patients/{patient_id}", linked)
        .routes(routes!(list_links, add_link))
        .routes(routes!(delete_link))
        .routes(routes!(list_patients))
        .routes(routes!(list_users))
        .routes(routes!(reset_password))
}

/// The diary patient id of an account (`user-42`).
pub fn patient_id(user_id: i64) -> PatientId {
    PatientId::of_user(user_id)
}

fn forbidden(detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, detail)
}

/// The caller must have `role`; otherwise 403 saying `refusal`.
pub(crate) fn only(user: &User, role: Role, refusal: &str) -> Result<(), Problem> {
    if user.role == role {
        Ok(())
    } else {
        Err(forbidden(refusal))
    }
}

/// The caller must be a patient: their own diary id.
pub(crate) fn own_diary(user: &User) -> Result<PatientId, Problem> {
    only(
        user,
        Role::Patient,
        "only patients have a diary of their own; clinicians use \
         /api/v1/patients/{patient_id}/diary/entries",
    )?;
    Ok(patient_id(user.id))
}

/// The caller may reach this patient's diary: it is their own, or they are a clinician the
/// patient linked. Anything else (unknown or malformed ids included) is 403. The answer is the
/// patient's account id.
pub(crate) async fn reachable(store: &Store, user: &User, patient: &str) -> Result<i64, Problem> {
    let denied = || forbidden("you have no access to this patient's diary");
    let patient_user = PatientId::parse(patient)
        .ok()
        .and_then(|p| p.user())
        .ok_or_else(denied)?;
    let allowed = match user.role {
        Role::Patient => patient_user == user.id,
        Role::Clinician => store.is_linked(patient_user, user.id).await?,
        Role::Admin => false,
    };
    if allowed {
        Ok(patient_user)
    } else {
        Err(denied())
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// first date, YYYY-MM-DD
    #[param(value_type = Option<String>)]
    from: Option<Date>,
    /// last date, YYYY-MM-DD
    #[param(value_type = Option<String>)]
    to: Option<Date>,
    /// at most this many entries (0–1000, default 100)
    limit: Option<i64>,
    /// skip this many
    offset: Option<i64>,
}

/// Diary entries (`painrx diary list --json`)
#[utoipa::path(
    get,
    path = "/diary/entries",
    params(ListQuery),
    security(("bearer" = [])),
    responses(Answer),
)]
async fn list_entries(t: DiaryTarget, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult {
    let limit = q.limit.unwrap_or(100);
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::invalid(format!(
            "`limit` must be between 0 and {MAX_LIMIT} (got `{limit}`)"
        )));
    }
    let (from, to) = (q.from, q.to);
    let offset = q.offset.unwrap_or(0);
    let entries = t
        .store
        .list_entries(&t.patient, from, to, limit, offset)
        .await?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
    let detail = format!("{} entries: [{}]", entries.len(), ids.join(", "));
    let list = json!({ "entries": entries });
    t.ok(("diary.list", None, &detail), list).await
}

/// Add an entry (`painrx diary add --json`)
#[utoipa::path(
    post,
    path = "/diary/entries",
    request_body = inline(EntryBody),
    security(("bearer" = [])),
    responses(Created),
)]
async fn add_entry(t: DiaryTarget, ApiJson(data): ApiJson<EntryData>) -> ApiResult {
    let note = t.note("diary.create", "");
    let entry = t.store.add_entry_audited(&t.patient, &data, &note).await?;
    DiaryTarget::written(StatusCode::CREATED, entry)
}

/// Entry `id` of the target's diary, or 404.
async fn entry_of(t: &DiaryTarget, id: i64) -> Result<painrx_engine::diary::Entry, Problem> {
    t.store
        .get_entry(&t.patient, id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no diary entry #{id}")))
}

/// One entry
#[utoipa::path(
    get,
    path = "/diary/entries/{id}",
    params(("id" = i64, Path, description = "the entry's number")),
    security(("bearer" = [])),
    responses(Answer),
)]
async fn one_entry(t: DiaryTarget) -> ApiResult {
    let id = t.number("id")?;
    let entry = entry_of(&t, id).await?;
    t.ok(("diary.read", Some(id), ""), entry).await
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

/// Edit an entry: {version, …fields to change} (`painrx diary edit --json`); 409 if the version is stale
#[utoipa::path(
    patch,
    path = "/diary/entries/{id}",
    params(("id" = i64, Path, description = "the entry's number")),
    request_body = inline(EntryChanges),
    security(("bearer" = [])),
    responses(Answer),
)]
async fn edit_entry(
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
    let current = entry_of(&t, id).await?;
    let edited = apply_changes(&current.data, changes)?;
    let detail = format!("version {version} → {}", version + 1);
    let note = t.note("diary.edit", &detail);
    let saved = t
        .store
        .edit_entry_audited(&t.patient, (id, version), &edited, &note)
        .await?;
    DiaryTarget::written(StatusCode::OK, saved)
}

/// Every version of an entry
#[utoipa::path(
    get,
    path = "/diary/entries/{id}/history",
    params(("id" = i64, Path, description = "the entry's number")),
    security(("bearer" = [])),
    responses(Answer),
)]
async fn entry_history(t: DiaryTarget) -> ApiResult {
    let id = t.number("id")?;
    let versions = t.store.history(&t.patient, id).await?;
    if versions.is_empty() {
        return Err(Problem::not_found(format!("no diary entry #{id}")));
    }
    let detail = format!("{} versions", versions.len());
    let list = json!({ "versions": versions });
    t.ok(("diary.history", Some(id), &detail), list).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// first date, YYYY-MM-DD
    #[param(value_type = Option<String>)]
    from: Option<Date>,
    /// last date, YYYY-MM-DD
    #[param(value_type = Option<String>)]
    to: Option<Date>,
}

/// Diary analysis (`painrx diary report --json`)
///
/// The analysis `painrx diary report --json` prints, over every entry in `[from, to]`.
#[utoipa::path(
    get,
    path = "/diary/report",
    params(ReportQuery),
    security(("bearer" = [])),
    responses(Answer),
)]
async fn report(t: DiaryTarget, ApiQuery(q): ApiQuery<ReportQuery>) -> ApiResult {
    let (from, to) = (q.from, q.to);
    let entries = t.store.all_entries(&t.patient, from, to).await?;
    let report = painrx_engine::diary::report(&t.patient, &entries, from, to);
    let detail = format!("report over {} entries", entries.len());
    t.ok(("diary.report", None, &detail), report).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// csv (default) or fhir
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

/// Export as CSV or a FHIR R4 Bundle (`painrx diary export`)
///
/// The whole diary as `painrx diary export` writes it: CSV (the default) or a FHIR R4 Bundle.
#[utoipa::path(
    get,
    path = "/diary/export",
    params(FormatQuery),
    security(("bearer" = [])),
    responses(Export),
)]
async fn export(t: DiaryTarget, ApiQuery(q): ApiQuery<FormatQuery>) -> ApiResult {
    let format = q.format()?;
    let entries = t.store.all_entries(&t.patient, None, None).await?;
    let list: Vec<EntryData> = entries.into_iter().map(|e| e.data).collect();
    let file = diary_file(&t.patient, &list, format)?;
    let detail = format!("{format}, {} entries", list.len());
    t.audit(("diary.export", None, &detail)).await?;
    Ok(([(header::CONTENT_TYPE, file.content_type)], file.text).into_response())
}

/// A diary written out, as the API and the web app send it.
pub(crate) struct DiaryFile {
    pub(crate) content_type: &'static str,
    pub(crate) extension: &'static str,
    pub(crate) text: String,
}

/// The diary of `patient` as `painrx diary export` writes it, in `format` (`csv` or `fhir`).
/// A diary that cannot be written is an error (500), never an empty file.
pub(crate) fn diary_file(
    patient: &PatientId,
    list: &[EntryData],
    format: &str,
) -> Result<DiaryFile, Problem> {
    match format {
        "csv" => Ok(DiaryFile {
            content_type: "text/csv; charset=utf-8",
            extension: "csv",
            text: painrx_render::csv::write(list)
                .map_err(|e| Problem::internal(format!("cannot write the diary as CSV: {e}")))?,
        }),
        "fhir" => {
            let bundle = painrx_fhir::diary_bundle(patient, list).map_err(Problem::invalid)?;
            Ok(DiaryFile {
                content_type: "application/fhir+json",
                extension: "json",
                text: serde_json::to_string_pretty(&bundle).map_err(Problem::internal)?,
            })
        }
        other => Err(Problem::invalid(format!(
            "unknown format `{other}`: use csv or fhir"
        ))),
    }
}

/// Import CSV or a FHIR R4 Bundle, all or nothing (`painrx diary import --json`)
///
/// `painrx diary import`: the request body is the CSV or FHIR R4 Bundle text; all or nothing.
#[utoipa::path(
    post,
    path = "/diary/import",
    params(FormatQuery),
    request_body(content = inline(DiaryText), content_type = "text/plain"),
    security(("bearer" = [])),
    responses(Created),
)]
async fn import(
    t: DiaryTarget,
    ApiQuery(q): ApiQuery<FormatQuery>,
    ApiText(text): ApiText,
) -> ApiResult {
    let format = q.format()?;
    let list = painrx_app::diary::import(format, &text)?;
    let detail = format!("{format}, {} entries", list.len());
    let note = t.note("diary.import", &detail);
    let saved = t
        .store
        .add_entries_audited(&t.patient, &list, &note)
        .await?;
    let answer = json!({"patient": t.patient, "imported": saved.len()});
    DiaryTarget::written(StatusCode::CREATED, answer)
}

/// Treatment courses with their sessions (`painrx diary course-list --json`)
#[utoipa::path(
    get,
    path = "/diary/courses",
    security(("bearer" = [])),
    responses(Answer),
)]
async fn list_courses(t: DiaryTarget) -> ApiResult {
    let courses = painrx_app::diary::courses_of(&t.store, &t.patient).await?;
    let detail = format!("{} courses", courses.len());
    let listed = painrx_app::diary::courses_json(&courses);
    t.ok(("course.list", None, &detail), listed).await
}

/// Start a course (`painrx diary course-add --json`)
#[utoipa::path(
    post,
    path = "/diary/courses",
    request_body = inline(CourseBody),
    security(("bearer" = [])),
    responses(Created),
)]
async fn add_course(
    State(state): State<AppState>,
    t: DiaryTarget,
    ApiJson(course): ApiJson<CourseRequest>,
) -> ApiResult {
    let course = state
        .run(move |app| painrx_app::diary::resolve_course(app.kb(), course))
        .await?;
    let saved = t.store.add_course(&t.patient, &course).await?;
    let (kind, drug) = (saved.kind.as_str(), &saved.drug);
    let detail = format!("course #{} ({kind} of {drug})", saved.id);
    t.created(("course.create", None, &detail), saved).await
}

/// Infusion sessions of a course
#[utoipa::path(
    get,
    path = "/diary/courses/{course_id}/sessions",
    params(("course_id" = i64, Path, description = "the course's number")),
    security(("bearer" = [])),
    responses(Answer),
)]
async fn list_sessions(t: DiaryTarget) -> ApiResult {
    let course = t.number("course_id")?;
    let sessions = t.store.list_sessions(&t.patient, course).await?;
    let detail = format!("course #{course}: {} sessions", sessions.len());
    let list = json!({ "sessions": sessions });
    t.ok(("session.list", None, &detail), list).await
}

/// Record an infusion session (`painrx diary session --json`)
#[utoipa::path(
    post,
    path = "/diary/courses/{course_id}/sessions",
    params(("course_id" = i64, Path, description = "the course's number")),
    request_body = inline(SessionBody),
    security(("bearer" = [])),
    responses(Created),
)]
async fn add_session(t: DiaryTarget, ApiJson(session): ApiJson<NewSession>) -> ApiResult {
    let course = t.number("course_id")?;
    let saved = t.store.add_session(&t.patient, course, &session).await?;
    let detail = format!("course #{course}: session #{}", saved.id);
    t.created(("session.create", None, &detail), saved).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    clinician_email: String,
}

/// What a link request answers, whether or not a clinician has the address: the answer does
/// not tell whether an account exists.
pub(crate) const LINKED: &str =
    "if a clinician has this address, they can now see and add to your diary";

/// A patient links a clinician by email; shared by the API and the web app. The same outcome
/// whether or not a clinician has that address (nothing is linked when none has); logged as
/// `link.grant`.
pub(crate) async fn link_clinician(
    state: &AppState,
    client: &Client,
    patient: &User,
    clinician_email: &str,
) -> Result<(), Problem> {
    only(
        patient,
        Role::Patient,
        "only a patient can link a clinician to their diary",
    )?;
    let email = painrx_store::fold_email(clinician_email);
    let event = SecurityLog::new(client, "link.grant").by(patient);
    let clinician = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|c| c.role == Role::Clinician);
    match &clinician {
        Some(c) => {
            state.store.link(patient.id, c.id).await?;
            let detail = format!("patient {} → clinician {}", patient.id, c.id);
            event.to(c).detail(&detail).write(state).await?;
        }
        None => {
            let event = event
                .email(&email)
                .detail("refused: no clinician with this address");
            event.write(state).await?;
        }
    }
    Ok(())
}

/// A patient links a clinician by email → {patient_id, clinician: {email}, detail}
///
/// The same answer (201) whether or not a clinician has the address.
#[utoipa::path(
    post,
    path = "/api/v1/links",
    request_body = NewLink,
    security(("bearer" = [])),
    responses(Created),
)]
async fn add_link(
    State(state): State<AppState>,
    client: Client,
    ApiUser { user, .. }: ApiUser,
    ApiJson(link): ApiJson<NewLink>,
) -> ApiResult {
    link_clinician(&state, &client, &user, &link.clinician_email).await?;
    created(json!({
        "patient_id": patient_id(user.id),
        "clinician": {"email": painrx_store::fold_email(&link.clinician_email)},
        "detail": LINKED,
    }))
}

/// A patient ends a clinician's access to their diary (API and web); logged as `link.revoke`.
/// 404 when that clinician is not linked.
pub(crate) async fn unlink_clinician(
    state: &AppState,
    client: &Client,
    patient: &User,
    clinician_id: i64,
) -> Result<(), Problem> {
    only(
        patient,
        Role::Patient,
        "only a patient can end a clinician's access to their diary",
    )?;
    if !state.store.unlink(patient.id, clinician_id).await? {
        return Err(Problem::not_found(format!(
            "clinician {clinician_id} is not linked to your diary"
        )));
    }
    let detail = format!("patient {} → clinician {clinician_id}", patient.id);
    let event = SecurityLog::new(client, "link.revoke").by(patient);
    let event = match state.store.user_by_id(clinician_id).await? {
        Some(c) => event.email(&c.email).detail(&detail).write(state).await,
        None => event.detail(&detail).write(state).await,
    };
    event
}

/// A patient ends a clinician's link → 204
///
/// The clinician can no longer reach the patient's diary (404 if they were not linked).
#[utoipa::path(
    delete,
    path = "/api/v1/links/{clinician_id}",
    params(("clinician_id" = i64, Path, description = "the clinician's account id, as listed")),
    security(("bearer" = [])),
    responses(Done),
)]
async fn delete_link(
    State(state): State<AppState>,
    client: Client,
    ApiUser { user, .. }: ApiUser,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult {
    let clinician = number_param(&params, "clinician_id")?;
    unlink_clinician(&state, &client, &user, clinician).await?;
    done()
}

/// A patient's linked clinicians
///
/// A patient's links: the clinicians who can reach their diary.
#[utoipa::path(get, path = "/api/v1/links", security(("bearer" = [])), responses(Answer))]
async fn list_links(State(state): State<AppState>, ApiUser { user, .. }: ApiUser) -> ApiResult {
    only(
        &user,
        Role::Patient,
        "only patients have links; clinicians list their patients at /api/v1/patients",
    )?;
    let clinicians = state.store.linked_clinicians(user.id).await?;
    let list: Vec<Value> = clinicians
        .iter()
        .map(|c| json!({"id": c.id, "email": c.email}))
        .collect();
    ok(json!({"patient_id": patient_id(user.id), "clinicians": list}))
}

/// A clinician's linked patients
///
/// A clinician's patients: those who linked them.
#[utoipa::path(get, path = "/api/v1/patients", security(("bearer" = [])), responses(Answer))]
async fn list_patients(State(state): State<AppState>, ApiUser { user, .. }: ApiUser) -> ApiResult {
    only(
        &user,
        Role::Clinician,
        "only clinicians have linked patients",
    )?;
    let patients = state.store.linked_patients(user.id).await?;
    let list: Vec<Value> = patients
        .iter()
        .map(|p| json!({"patient_id": patient_id(p.id), "email": p.email}))
        .collect();
    ok(json!({ "patients": list }))
}

/// Every account (admin)
///
/// Every account, for an admin (who manages users but reads no diary).
#[utoipa::path(get, path = "/api/v1/users", security(("bearer" = [])), responses(Answer))]
async fn list_users(State(state): State<AppState>, ApiUser { user, .. }: ApiUser) -> ApiResult {
    only(&user, Role::Admin, "only an admin can list accounts")?;
    let users = state.store.list_users().await?;
    let list: Vec<Value> = users
        .iter()
        .map(|u| json!({"id": u.id, "email": u.email, "role": u.role}))
        .collect();
    ok(json!({ "users": list }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// Refused: an admin no longer chooses a password (send `{}`)
    #[serde(default)]
    password: Option<String>,
}

/// An admin makes a one-time password reset link → {user_id, email, reset_path, token, expires_at}
///
/// The admin hands the link to the account's owner, who chooses a new password at
/// `reset_path` (or `POST /api/v1/auth/reset`); the admin never knows it. It works once, for
/// 24 hours; using it ends every token and session of the account. Send `{}`: a `password` is
/// refused (422).
#[utoipa::path(
    post,
    path = "/api/v1/users/{user_id}/password",
    params(("user_id" = i64, Path, description = "the account's id")),
    request_body = NewPassword,
    security(("bearer" = [])),
    responses(Created),
)]
async fn reset_password(
    State(state): State<AppState>,
    client: Client,
    ApiUser { user, .. }: ApiUser,
    Path(params): Path<HashMap<String, String>>,
    ApiJson(new): ApiJson<NewPassword>,
) -> ApiResult {
    only(&user, Role::Admin, "only an admin can reset a password")?;
    if new.password.is_some() {
        return Err(Problem::invalid(
            "an admin does not choose passwords: send `{}` for a one-time link that the \
             account's owner opens to choose one",
        ));
    }
    let id = number_param(&params, "user_id")?;
    created(crate::auth::issue_reset(&state, &user, &client, id).await?)
}
