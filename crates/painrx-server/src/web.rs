//! The web app's signed-in part: sign in and out, register, links, the diary (quick entry,
//! chart, entries, report, export), treatment courses with infusion sessions, a clinician's
//! patients and an admin's accounts — over the same store calls and access rules as the API.
//!
//! Sessions: the cookie `painrx_session` carries a random token (HttpOnly, SameSite=Strict,
//! Path=/, Secure behind TLS); the database keeps only its SHA-256 and its expiry, so stateless
//! servers on one PostgreSQL share sessions. CSRF: every form of a signed-in page carries
//! `csrf`, the SHA-256 of "csrf:" and the session token, checked on every POST; every POST must
//! also come from this origin (`Origin` / `Sec-Fetch-Site`), which covers the sign-in forms.
//! Signed-in pages are `Cache-Control: no-store`. Every diary read or write is audited, as in
//! the API.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use cookie::{Cookie, SameSite};
use minijinja::{context, Value};
use painrx_engine::diary::{score, DoseTaken, EntryData};
use painrx_engine::words::UnknownWord;
use painrx_kb::vocab::Kind;
use painrx_store::{CourseKind, NewCourse, NewSession, Role, User};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::{
    create_account, new_token, now_ms, token_hash, verify_login, NewAccount, NotCreated,
};
use crate::diary_api::{diary_file, link_clinician, only, patient_id, unlink_clinician, LINKED};
use crate::extract::{number_param, Client};
use crate::ui::{
    header_value, html, names_of, render, sources, with_status, ErrorPage, PageResult, Params,
};
use crate::{AppState, Problem};
use access::{DiaryForm, DiaryPage, Session, SignedForm, SignedIn, SiteForm, Target};
use painrx_app::diary::{chart_marks, courses_of};

mod access;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "painrx_session";
/// How long a browser session lasts: 12 hours.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

pub(crate) fn router() -> Router<AppState> {
    let diary = |prefix: &str| {
        Router::new()
            .route(&format!("{prefix}/diary"), get(diary_page))
            .route(&format!("{prefix}/diary/entries"), post(diary_add))
            .route(&format!("{prefix}/diary/report"), get(diary_report))
            .route(&format!("{prefix}/diary/export"), get(diary_export))
            .route(
                &format!("{prefix}/diary/courses"),
                get(courses_page).post(course_add),
            )
            .route(
                &format!("{prefix}/diary/courses/{{course_id}}/sessions"),
                post(session_add),
            )
    };
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/register", get(register_page).post(register_submit))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/links", post(link_add))
        .route("/account/links/{clinician_id}/delete", post(link_delete))
        .route("/reset", get(reset_page).post(reset_submit))
        .route("/patients", get(patients_page))
        .route("/admin/users", get(users_page).post(user_add))
        .route("/admin/users/{user_id}/password", post(user_password))
        .merge(diary(""))
        .merge(diary("/patients/{patient_id}"))
        // Signed-in pages (and the sign-in forms) are never cached.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// A same-site path to return to after signing in (never another site): it starts with one `/`
/// and holds only visible ASCII. Browsers drop tabs and newlines from a URL, so `/\t/evil.example`
/// would become `//evil.example` (another site); a backslash reads as a slash. OWASP ASVS 4
/// V5.1.5: redirects only to allowed destinations.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.chars().all(|c| c.is_ascii_graphic())
    })
}

/// Whether cookies must be `Secure`: the server was told it runs behind TLS, or the proxy says
/// the request came over HTTPS.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn session_cookie(value: &str, max_age_s: i64, secure: bool) -> Result<HeaderValue, ErrorPage> {
    let cookie = Cookie::build((SESSION_COOKIE, value.to_string()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_s))
        .build();
    header_value(&cookie.to_string())
}

fn home_of(user: &User) -> &'static str {
    match user.role {
        Role::Patient => "/diary",
        Role::Clinician => "/patients",
        Role::Admin => "/admin/users",
    }
}

fn me(session: &Session) -> Value {
    context! {
        email => session.user.email,
        role => session.user.role.as_str(),
        csrf => session.csrf,
        home => home_of(&session.user),
    }
}

/// What a page says after a form: nothing (200), what stopped the form (its status and
/// message), or what was done.
struct Notice {
    status: StatusCode,
    error: Option<String>,
    done: Option<String>,
}

impl Notice {
    /// A page as first shown.
    fn none() -> Notice {
        Notice {
            status: StatusCode::OK,
            error: None,
            done: None,
        }
    }

    /// What was done, answered with `status`.
    fn done(status: StatusCode, message: String) -> Notice {
        Notice {
            done: Some(message),
            status,
            ..Notice::none()
        }
    }
}

impl From<Problem> for Notice {
    fn from(p: Problem) -> Notice {
        Notice {
            status: p.status_code(),
            error: Some(p.detail),
            done: None,
        }
    }
}

// ---- signing in and out ------------------------------------------------------------------

async fn login_page(signed_in: Option<SignedIn>, Query(q): Query<Params>) -> PageResult {
    let next = safe_next(q.get("next")).unwrap_or_default().to_string();
    if let Some(SignedIn(s)) = signed_in {
        let to = safe_next(Some(&next)).unwrap_or(home_of(&s.user));
        return Ok(Redirect::to(to).into_response());
    }
    let notice = match (q.get("registered"), q.get("reset")) {
        (Some(_), _) => Some(crate::auth::REGISTERED),
        (_, Some(_)) => Some("your new password is set: sign in with it"),
        _ => None,
    };
    render(
        "login.html",
        context! { mode => "login", next => next, notice => notice, f => context!{} },
    )
}

/// The page a one-time reset link opens: choose a new password.
async fn reset_page(Query(q): Query<Params>) -> PageResult {
    render(
        "login.html",
        context! { mode => "reset", token => q.text("token"), f => context!{} },
    )
}

/// A new password from a reset link's page; then sign in with it.
async fn reset_submit(
    State(state): State<AppState>,
    client: Client,
    SiteForm(form): SiteForm,
) -> PageResult {
    let token = form.text("token");
    match crate::auth::use_reset(&state, &client, &token, form.raw("password")).await {
        Ok(_) => Ok(Redirect::to("/login?reset=1").into_response()),
        Err(p) => {
            let page = render(
                "login.html",
                context! { mode => "reset", token => token, error => p.detail, f => context!{} },
            );
            with_status(page, p.status_code())
        }
    }
}

/// Start a session for `user` and go to `next` (or their home page).
async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    next: Option<&str>,
) -> PageResult {
    let token = new_token();
    state
        .store
        .add_web_session(&token_hash(&token), user.id, now_ms()? + SESSION_MS)
        .await?;
    let mut response = Redirect::to(safe_next(next).unwrap_or(home_of(user))).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, SESSION_MS / 1000, secure(state, headers))?,
    );
    Ok(response)
}

/// The sign-in or register form again, with what went wrong (the email is kept).
fn form_error(mode: &str, form: &Params, p: Problem) -> PageResult {
    let page = render(
        "login.html",
        context! {
            mode => mode,
            error => p.detail,
            next => safe_next(form.get("next")).unwrap_or_default(),
            f => context! { email => form.text("email"), role => form.text("role") },
        },
    );
    with_status(page, p.status_code())
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    SiteForm(form): SiteForm,
) -> PageResult {
    let user = verify_login(&state, &client, &form.text("email"), form.raw("password")).await;
    enter(&state, &headers, ("login", &form), user, form.get("next")).await
}

/// After a sign-in or register form: start a session for the user and go to `next` (or their
/// home page); or the `mode` form again with what went wrong.
async fn enter(
    state: &AppState,
    headers: &HeaderMap,
    (mode, form): (&str, &Params),
    user: Result<User, Problem>,
    next: Option<&str>,
) -> PageResult {
    match user {
        Ok(user) => start_session(state, headers, &user, next).await,
        Err(p) => form_error(mode, form, p),
    }
}

async fn register_page(signed_in: Option<SignedIn>) -> PageResult {
    if let Some(SignedIn(s)) = signed_in {
        return Ok(Redirect::to(home_of(&s.user)).into_response());
    }
    render(
        "login.html",
        context! { mode => "register", f => context! { role => "patient" } },
    )
}

async fn register_submit(
    State(state): State<AppState>,
    client: Client,
    SiteForm(form): SiteForm,
) -> PageResult {
    // The public form offers patient and clinician; the very first account may be the admin.
    let role = match form.get("role").unwrap_or("patient") {
        "patient" => Role::Patient,
        "clinician" => Role::Clinician,
        "admin" => Role::Admin,
        other => {
            let p = Problem::invalid(format!(
                "unknown role `{other}`: choose patient or clinician"
            ));
            return form_error("register", &form, p);
        }
    };
    let (email, password) = (form.text("email"), form.raw("password"));
    let new = NewAccount {
        email: &email,
        role,
        by: None,
        client: &client,
    };
    match create_account(&state, new, password).await {
        // Whether the address was free or taken, the same page: sign in (the answer does not
        // tell whether an account exists).
        Ok(_) | Err(NotCreated::Taken) => Ok(Redirect::to("/login?registered=1").into_response()),
        Err(NotCreated::Refused(p)) => form_error("register", &form, p),
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedForm { session, .. }: SignedForm,
) -> PageResult {
    state.store.delete_web_session(&session.token_hash).await?;
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, secure(&state, &headers))?,
    );
    Ok(response)
}

// ---- account and links -------------------------------------------------------------------

async fn account_page(State(state): State<AppState>, SignedIn(s): SignedIn) -> PageResult {
    account_view(&state, &s, Notice::none()).await
}

async fn account_view(state: &AppState, s: &Session, notice: Notice) -> PageResult {
    let clinicians: Vec<Value> = if s.user.role == Role::Patient {
        state
            .store
            .linked_clinicians(s.user.id)
            .await?
            .into_iter()
            .map(|c| context! { id => c.id, email => c.email })
            .collect()
    } else {
        Vec::new()
    };
    // What happened to this account lately (sign-ins, failures, resets, links): the owner sees
    // a reset or a link they did not make (ASVS V2.5.5).
    let events: Vec<Value> = state
        .store
        .security_events(Some(s.user.id), 10)
        .await?
        .into_iter()
        .map(|e| context! { at => utc(e.at), event => e.event, client => e.client })
        .collect();
    with_status(
        render(
            "account.html",
            context! {
                me => me(s),
                patient_id => patient_id(s.user.id),
                clinicians => clinicians,
                events => events,
                error => notice.error,
                done => notice.done,
            },
        ),
        notice.status,
    )
}

/// A Unix time in milliseconds as `YYYY-MM-DD HH:MM UTC` (the time itself if it has no date).
fn utc(ms: i64) -> String {
    let day = ms.div_euclid(24 * 60 * 60 * 1000);
    let minute = ms.rem_euclid(24 * 60 * 60 * 1000) / 60_000;
    let date = painrx_engine::time::Date::from_ymd(1970, 1, 1)
        .ok()
        .and_then(|d| d.plus_days(day));
    let time = u32::try_from(minute)
        .ok()
        .and_then(|m| painrx_engine::time::ClockTime::new(m / 60, m % 60).ok());
    match (date, time) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => ms.to_string(),
    }
}

async fn link_add(
    State(state): State<AppState>,
    client: Client,
    SignedForm { session: s, form }: SignedForm,
) -> PageResult {
    let email = form.text("clinician_email");
    let notice = match link_clinician(&state, &client, &s.user, &email).await {
        Ok(()) => Notice::done(StatusCode::OK, format!("{email}: {LINKED}.")),
        Err(p) => p.into(),
    };
    account_view(&state, &s, notice).await
}

/// A patient ends a clinician's access (the button beside each linked clinician).
async fn link_delete(
    State(state): State<AppState>,
    client: Client,
    Path(params): Path<HashMap<String, String>>,
    SignedForm { session: s, .. }: SignedForm,
) -> PageResult {
    let ended = async {
        let clinician = number_param(&params, "clinician_id")?;
        unlink_clinician(&state, &client, &s.user, clinician).await
    };
    match ended.await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(p) => account_view(&state, &s, p.into()).await,
    }
}

// ---- the diary ---------------------------------------------------------------------------

const SCORES: [(&str, &str); 7] = [
    ("pain", "Pain"),
    ("fatigue", "Fatigue"),
    ("sleep", "Sleep quality (10 = best)"),
    ("stiffness", "Stiffness"),
    ("fog", "Fibro fog"),
    ("mood", "Mood (10 = best)"),
    ("anxiety", "Anxiety"),
];

/// Today's date on this server, `YYYY-MM-DD` (the default date of a new entry).
fn today() -> Result<String, ErrorPage> {
    painrx_render::start_date(None)
        .map(|d| d.to_string())
        .map_err(|e| ErrorPage::internal(format!("no date for today: {e}")))
}

/// A diary entry from the quick-entry form.
fn entry_from_form(form: &Params) -> Result<EntryData, String> {
    let date = form
        .date("date")
        .map_err(|e| e.to_string())?
        .ok_or("give the date of the entry")?;
    let number = |key: &'static str| -> Result<Option<u8>, String> {
        match form.get(key) {
            None => Ok(None),
            Some(v) => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| format!("{key} `{v}` is not a whole number from 0 to 10"))?;
                score(key, n).map(Some).map_err(|e| e.to_string())
            }
        }
    };
    let pain = number("pain")?.ok_or("give a pain score from 0 to 10")?;
    let lines = |key: &str| -> Vec<String> {
        form.all(key)
            .iter()
            .flat_map(|v| v.split(['\n', ',']))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut doses = Vec::new();
    for d in lines("doses") {
        doses.push(DoseTaken::parse(&d, true)?);
    }
    for d in lines("missed") {
        doses.push(DoseTaken::parse(&d, false)?);
    }
    let areas = painrx_engine::assess::parse_areas(&form.all("area").join(","))
        .map_err(|e| e.to_string())?;
    let entry = EntryData {
        date,
        time: form.clock_time("time").map_err(|e| e.to_string())?,
        pain,
        fatigue: number("fatigue")?,
        sleep: number("sleep")?,
        stiffness: number("stiffness")?,
        fog: number("fog")?,
        mood: number("mood")?,
        anxiety: number("anxiety")?,
        areas,
        doses,
        side_effects: lines("side_effects"),
        note: Some(form.raw("note").trim().to_string()).filter(|n| !n.is_empty()),
        wpi: None,
        sss: None,
        fiqr: None,
    };
    entry.validate().map_err(|e| e.to_string())?;
    Ok(entry)
}

async fn diary_page(State(state): State<AppState>, DiaryPage(t): DiaryPage) -> PageResult {
    diary_view(&state, &t, Notice::none(), None).await
}

/// The diary page: the quick-entry form (again with what was typed, after an error), the
/// chart, the report summary and the latest entries.
async fn diary_view(
    state: &AppState,
    t: &Target,
    notice: Notice,
    typed: Option<&Params>,
) -> PageResult {
    let entries = state.store.all_entries(&t.patient, None, None).await?;
    let report = painrx_engine::diary::report(&t.patient, &entries, None, None);
    let chart = if entries.is_empty() {
        None
    } else {
        Some(chart(state, t, &entries, &report).await?)
    };
    let detail = format!("web diary page, {} entries", entries.len());
    t.audit(("diary.list", None, &detail)).await?;
    let recent: Vec<Value> = entries
        .iter()
        .rev()
        .take(30)
        .map(|e| {
            let scores: Vec<String> = SCORES
                .iter()
                .skip(1)
                .filter_map(|(k, label)| e.data.score(k).map(|v| format!("{label}: {v}")))
                .collect();
            let doses: Vec<String> = e
                .data
                .doses
                .iter()
                .map(|d| {
                    format!(
                        "{} {} mg{}",
                        d.drug,
                        painrx_kb::quantity::format_number(d.mg),
                        if d.taken { "" } else { " (missed)" }
                    )
                })
                .collect();
            context! {
                id => e.id,
                version => e.version,
                date => e.data.date,
                time => e.data.time,
                pain => e.data.pain,
                scores => scores,
                doses => doses,
                side_effects => e.data.side_effects,
                areas => e.data.areas.iter().map(|a| a.id()).collect::<Vec<_>>(),
                note => e.data.note,
            }
        })
        .collect();
    let n = |v: Option<f64>| v.map(painrx_kb::quantity::format_number);
    let typed_value = |key: &str| typed.map(|f| f.text(key)).unwrap_or_default();
    let form = context! {
        date => match typed.and_then(|f| f.get("date")) {
            Some(date) => date.to_string(),
            None => today()?,
        },
        time => typed_value("time"),
        pain => typed_value("pain"),
        fatigue => typed_value("fatigue"),
        sleep => typed_value("sleep"),
        stiffness => typed_value("stiffness"),
        fog => typed_value("fog"),
        mood => typed_value("mood"),
        anxiety => typed_value("anxiety"),
        doses => typed_value("doses"),
        missed => typed_value("missed"),
        side_effects => typed_value("side_effects"),
        note => typed.map(|f| f.raw("note")).unwrap_or_default(),
        areas => typed.map(|f| f.all("area").iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap_or_default(),
    };
    let areas: Vec<&str> = painrx_engine::assess::Area::ALL
        .iter()
        .map(|a| a.id())
        .collect();
    with_status(
        render(
            "diary.html",
            context! {
                me => me(&t.session),
                prefix => t.prefix,
                own => t.prefix.is_empty(),
                patient => t.patient,
                label => t.label,
                error => notice.error,
                f => form,
                scores => SCORES.iter().map(|(k, l)| context!{ key => k, label => l }).collect::<Vec<_>>(),
                areas => areas,
                chart => chart.map(Value::from_safe_string),
                entries => recent,
                count => entries.len(),
                report => context! {
                    baseline => n(report.baseline_pain),
                    current => n(report.current_pain),
                    change => n(report.change_pct),
                    responder => format!("{:?}", report.responder).to_lowercase(),
                },
                sources => sources(&state.kb, ["immpact-2008"]),
            },
        ),
        notice.status,
    )
}

async fn diary_add(
    State(state): State<AppState>,
    DiaryForm { target: t, form }: DiaryForm,
) -> PageResult {
    let saved = async {
        let entry = entry_from_form(&form).map_err(Problem::invalid)?;
        let note = t.note("diary.create", "web");
        Ok::<_, Problem>(
            state
                .store
                .add_entry_audited(&t.patient, &entry, &note)
                .await?,
        )
    };
    match saved.await {
        Ok(saved) => {
            Ok(Redirect::to(&format!("{}/diary#entry-{}", t.prefix, saved.id)).into_response())
        }
        Err(p) => diary_view(&state, &t, p.into(), Some(&form)).await,
    }
}

/// The diary's chart, with the marks of its treatment courses.
async fn chart(
    state: &AppState,
    t: &Target,
    entries: &[painrx_engine::diary::Entry],
    report: &painrx_engine::diary::Report,
) -> Result<String, ErrorPage> {
    let marks = chart_marks(&state.store, &t.patient, report).await?;
    painrx_render::chart::diary_chart(entries, &marks).map_err(ErrorPage::invalid)
}

/// The printable clinician report (painrx-render), as `painrx diary report --html` writes it.
async fn diary_report(
    State(state): State<AppState>,
    DiaryPage(t): DiaryPage,
    Query(q): Query<Params>,
) -> PageResult {
    let from = q.date("from").map_err(ErrorPage::invalid)?;
    let to = q.date("to").map_err(ErrorPage::invalid)?;
    let entries = state.store.all_entries(&t.patient, from, to).await?;
    let report = painrx_engine::diary::report(&t.patient, &entries, from, to);
    if entries.is_empty() {
        return Err(ErrorPage::invalid(
            "the diary has no entries in this period yet",
        ));
    }
    let svg = chart(&state, &t, &entries, &report).await?;
    let body = painrx_render::report::clinician_report(&t.patient, &report, &svg, &entries)
        .map_err(ErrorPage::invalid)?;
    let detail = format!("web report over {} entries", entries.len());
    t.audit(("diary.report", None, &detail)).await?;
    let mut response = html(StatusCode::OK, body);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::ui::PRINT_CSP),
    );
    Ok(response)
}

/// The diary as CSV or a FHIR R4 Bundle, as a download.
async fn diary_export(
    State(state): State<AppState>,
    DiaryPage(t): DiaryPage,
    Query(q): Query<Params>,
) -> PageResult {
    let format = q.get("format").unwrap_or("csv");
    let entries = state.store.all_entries(&t.patient, None, None).await?;
    let list: Vec<EntryData> = entries.into_iter().map(|e| e.data).collect();
    let file = diary_file(&t.patient, &list, format)?;
    let detail = format!("web {format}, {} entries", list.len());
    t.audit(("diary.export", None, &detail)).await?;
    let disposition = format!(
        "attachment; filename=\"painrx-diary-{}.{}\"",
        t.patient, file.extension
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            ),
            (header::CONTENT_DISPOSITION, header_value(&disposition)?),
        ],
        file.text,
    )
        .into_response())
}

// ---- courses and infusion sessions -------------------------------------------------------

async fn courses_page(State(state): State<AppState>, DiaryPage(t): DiaryPage) -> PageResult {
    courses_view(&state, &t, Notice::none()).await
}

async fn courses_view(state: &AppState, t: &Target, notice: Notice) -> PageResult {
    let listed = courses_of(&state.store, &t.patient).await?;
    let mut courses = Vec::new();
    let mut cites: Vec<&str> = Vec::new();
    for (course, list) in &listed {
        // The procedure monograph of the course's drug gives the screening checklist, the usual
        // session lengths and each session's timeline.
        let procedure = painrx_engine::infusion::procedure_for(&state.kb, &course.drug);
        let sessions: Vec<Value> = list
            .iter()
            .map(|s| {
                // A session whose timeline cannot be drawn says why instead of showing none.
                let (timeline, no_timeline) = match procedure.map(|m| {
                    painrx_engine::infusion::timeline(
                        &state.kb,
                        &m.front.id.value,
                        s.data.start_time,
                        s.data.infusion_minutes,
                        s.data.observation_minutes,
                        s.data.escort_confirmed,
                    )
                }) {
                    None => (None, None),
                    Some(Ok(timeline)) => (Some(timeline), None),
                    Some(Err(e)) => (None, Some(e.to_string())),
                };
                context! {
                    s => Value::from_serialize(s),
                    timeline => timeline,
                    no_timeline => no_timeline,
                }
            })
            .collect();
        if let Some(m) = procedure {
            cites.extend(
                m.front
                    .screening
                    .iter()
                    .filter_map(|s| s.value.source.as_ref())
                    .chain(
                        m.front
                            .session
                            .as_ref()
                            .and_then(|s| s.value.source.as_ref()),
                    )
                    .map(|r| r.value.as_str()),
            );
        }
        courses.push(context! {
            c => Value::from_serialize(course),
            sessions => sessions,
            procedure => procedure.map(procedure_view),
        });
    }
    let n = courses.len();
    t.audit(("course.list", None, &format!("web, {n} courses")))
        .await?;
    cites.sort_unstable();
    cites.dedup();
    with_status(
        render(
            "courses.html",
            context! {
                me => me(&t.session),
                prefix => t.prefix,
                own => t.prefix.is_empty(),
                label => t.label,
                error => notice.error,
                today => today()?,
                kinds => CourseKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                drug_names => names_of(&state.kb, Kind::Drug),
                courses => courses,
                sources => sources(&state.kb, cites),
            },
        ),
        notice.status,
    )
}

/// What the session form shows of a procedure: its page, screening checklist and session facts.
fn procedure_view(m: &painrx_kb::Monograph) -> Value {
    let screening: Vec<Value> = m
        .front
        .screening
        .iter()
        .map(|s| {
            context! {
                item => s.value.item,
                note => s.value.note,
                source => s.value.source.as_ref().map(|r| r.value.clone()),
            }
        })
        .collect();
    let session = m.front.session.as_ref().map(|s| {
        let n = |a: painrx_kb::quantity::Amount| painrx_kb::quantity::format_number(a.get());
        context! {
            min => n(s.value.infusion_minutes_min),
            max => n(s.value.infusion_minutes_max),
            observation => n(s.value.observation_minutes),
        }
    });
    context! {
        href => format!("/procedures/{}", m.front.id.value),
        title => m.front.title,
        screening => screening,
        session_facts => session,
    }
}

/// A treatment course from the course form.
fn course_from_form(kb: &painrx_kb::Kb, form: &Params) -> Result<NewCourse, String> {
    let kind_text = form.get("kind").unwrap_or_default();
    let kind: CourseKind = kind_text.parse().map_err(|e: UnknownWord| e.to_string())?;
    let drug = form
        .get("drug")
        .ok_or("name the drug")?
        .parse()
        .map_err(|e: painrx_app::values::ValueError| e.to_string())?;
    let started = form
        .date("started")
        .map_err(|e| e.to_string())?
        .ok_or("give the first day")?;
    let course = painrx_app::diary::CourseRequest {
        kind,
        drug,
        started,
        plan: serde_json::Value::Null,
        note: form.get("note").map(str::to_string),
    };
    painrx_app::diary::resolve_course(kb, course).map_err(|e| e.to_string())
}

/// An infusion session (and the number of its course) from the session form.
fn session_from_form(t: &Target, form: &Params) -> Result<(i64, NewSession), String> {
    let course_text = t
        .params
        .get("course_id")
        .map(String::as_str)
        .unwrap_or_default();
    let course: i64 = course_text
        .parse()
        .map_err(|_| format!("`{course_text}` is not a course number"))?;
    let minutes = |key: &str, label: &str| -> Result<u32, String> {
        let v = form.get(key).ok_or_else(|| format!("give the {label}"))?;
        v.parse()
            .map_err(|_| format!("{label} `{v}` is not a whole number of minutes"))
    };
    let pain = |key: &'static str| -> Result<Option<u8>, String> {
        form.get(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| format!("`{v}` is not a pain score from 0 to 10"))
                    .and_then(|n| score(key, n).map_err(|e| e.to_string()))
            })
            .transpose()
    };
    let session = NewSession {
        date: form
            .date("date")
            .map_err(|e| e.to_string())?
            .ok_or("give the session's date")?,
        start_time: form
            .clock_time("start")
            .map_err(|e| e.to_string())?
            .ok_or("give the start time")?,
        infusion_minutes: minutes("infusion_minutes", "infusion time")?,
        observation_minutes: minutes("observation_minutes", "observation time")?,
        escort_confirmed: form.flag("escort"),
        screening: serde_json::json!(form.all("screened")),
        adverse_effects: form
            .all("adverse")
            .iter()
            .flat_map(|v| v.split([',', '\n']))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect(),
        pain_before: pain("pain_before")?,
        pain_after: pain("pain_after")?,
        note: form.get("note").map(str::to_string),
    };
    Ok((course, session))
}

/// After a course or session form: audit `action` and go to the course (`course`, `detail`
/// as saved); or the courses page again with what stopped the form (422).
async fn after_course_form(
    state: &AppState,
    t: &Target,
    action: &str,
    saved: Result<(i64, String), Problem>,
) -> PageResult {
    match saved {
        Ok((course, detail)) => {
            t.audit((action, None, &detail)).await?;
            let to = format!("{}/diary/courses#course-{course}", t.prefix);
            Ok(Redirect::to(&to).into_response())
        }
        Err(p) => {
            let notice = Notice {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..p.into()
            };
            courses_view(state, t, notice).await
        }
    }
}

async fn course_add(
    State(state): State<AppState>,
    DiaryForm { target: t, form }: DiaryForm,
) -> PageResult {
    let saved = async {
        let kb = Arc::clone(&state.kb);
        let course = state
            .work
            .compute(move || course_from_form(&kb, &form))
            .await?
            .map_err(Problem::invalid)?;
        let saved = state.store.add_course(&t.patient, &course).await?;
        let (kind, drug) = (saved.kind.as_str(), &saved.drug);
        Ok((
            saved.id,
            format!("web course #{} ({kind} of {drug})", saved.id),
        ))
    };
    after_course_form(&state, &t, "course.create", saved.await).await
}

async fn session_add(
    State(state): State<AppState>,
    DiaryForm { target: t, form }: DiaryForm,
) -> PageResult {
    let saved = async {
        let (course, session) = session_from_form(&t, &form).map_err(Problem::invalid)?;
        let saved = state
            .store
            .add_session(&t.patient, course, &session)
            .await?;
        Ok((
            course,
            format!("web course #{course}: session #{}", saved.id),
        ))
    };
    after_course_form(&state, &t, "session.create", saved.await).await
}

// ---- clinicians and admins ---------------------------------------------------------------

async fn patients_page(State(state): State<AppState>, SignedIn(s): SignedIn) -> PageResult {
    only(
        &s.user,
        Role::Clinician,
        "only clinicians have linked patients",
    )?;
    let patients: Vec<Value> = state
        .store
        .linked_patients(s.user.id)
        .await?
        .iter()
        .map(|p| context! { id => patient_id(p.id), email => p.email })
        .collect();
    render(
        "patients.html",
        context! { me => me(&s), patients => patients },
    )
}

async fn users_page(State(state): State<AppState>, SignedIn(s): SignedIn) -> PageResult {
    users_view(&state, &s, Notice::none()).await
}

async fn users_view(state: &AppState, s: &Session, notice: Notice) -> PageResult {
    admin_only(s)?;
    let users: Vec<Value> = state
        .store
        .list_users()
        .await?
        .iter()
        .map(|u| context! { id => u.id, email => u.email, role => u.role.as_str() })
        .collect();
    with_status(
        render(
            "users.html",
            context! { me => me(s), users => users, error => notice.error, created => notice.done },
        ),
        notice.status,
    )
}

/// Accounts are an admin's business.
fn admin_only(s: &Session) -> Result<(), Problem> {
    only(&s.user, Role::Admin, "only an admin manages accounts")
}

async fn user_add(
    State(state): State<AppState>,
    client: Client,
    SignedForm { session: s, form }: SignedForm,
) -> PageResult {
    admin_only(&s)?;
    let created = async {
        let role = Role::parse(form.get("role").unwrap_or_default())
            .ok_or_else(|| Problem::invalid("choose a role: patient, clinician or admin"))?;
        let email = form.text("email");
        let new = NewAccount {
            email: &email,
            role,
            by: Some(&s.user),
            client: &client,
        };
        create_account(&state, new, form.raw("password"))
            .await
            .map_err(|e| match e {
                NotCreated::Refused(p) => p,
                NotCreated::Taken => Problem::new(
                    StatusCode::CONFLICT,
                    format!("an account with email `{email}` exists"),
                ),
            })
    };
    let notice = match created.await {
        Ok(user) => Notice::done(
            StatusCode::CREATED,
            format!("Created the account {}.", user.email),
        ),
        Err(p) => p.into(),
    };
    users_view(&state, &s, notice).await
}

/// An admin makes a one-time reset link for an account, shown once on the page to hand over.
async fn user_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(params): Path<HashMap<String, String>>,
    SignedForm { session: s, .. }: SignedForm,
) -> PageResult {
    admin_only(&s)?;
    let reset = async {
        let id = number_param(&params, "user_id")?;
        crate::auth::issue_reset(&state, &s.user, &client, id).await
    };
    let notice = match reset.await {
        Ok(link) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let scheme = if secure(&state, &headers) {
                "https"
            } else {
                "http"
            };
            Notice::done(
                StatusCode::CREATED,
                format!(
                    "One-time link for {}: give it to them yourself; it works once, for 24 hours, \
                     and you never learn their new password: {scheme}://{host}{}",
                    link.email, link.reset_path
                ),
            )
        }
        Err(p) => p.into(),
    };
    users_view(&state, &s, notice).await
}
