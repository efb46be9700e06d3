//! Who is signed in to the web app and what they reach, as extractors: [`SignedIn`] for a page,
//! [`SignedForm`] for a POST from a signed-in page (same origin, CSRF token), [`SiteForm`] for
//! the sign-in forms, and [`DiaryPage`] / [`DiaryForm`] for the diary a route reaches (the
//! user's own, or `/patients/{patient_id}/…` under the API's [`reachable`] rule).

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, RequestExt};
use cookie::Cookie;
use painrx_engine::id::PatientId;
use painrx_store::{AuditNote, Role, Store, User};
use sha2::{Digest, Sha256};

use super::SESSION_COOKIE;
use crate::auth::{clock_ms, token_hash};
use crate::diary_api::{patient_id, reachable};
use crate::extract::Access;
use crate::ui::{ErrorPage, Params};
use crate::AppState;

/// The signed-in user of a request, with the CSRF token of their session.
pub(super) struct Session {
    pub(super) user: User,
    pub(super) csrf: String,
    pub(super) token_hash: String,
}

fn csrf_of(token: &str) -> String {
    Sha256::digest(format!("csrf:{token}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| !t.is_empty())
}

/// The session the request's cookie names, if it is known and has not expired. When the clock
/// cannot say what time it is, no session is valid (logged).
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, ErrorPage> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    let now = match clock_ms() {
        Ok(now) => now,
        Err(e) => {
            tracing::error!(error = %e, "no time to check sessions against: treating the request as signed out");
            return Ok(None);
        }
    };
    let hash = token_hash(&token);
    let user = state.store.user_by_web_session(&hash, now).await?;
    Ok(user.map(|user| Session {
        user,
        csrf: csrf_of(&token),
        token_hash: hash,
    }))
}

/// The page a visitor comes back to after signing in: the page they asked for, but a diary's
/// page rather than its download.
fn return_to(path: &str) -> &str {
    match path.strip_suffix("/export") {
        Some(diary) if diary.ends_with("/diary") => diary,
        _ => path,
    }
}

/// The signed-in user of a page. Without a session the answer is the redirect to sign in and
/// come back ([`ErrorPage::sign_in`]); as `Option<SignedIn>`, a page that visitors see too.
pub(super) struct SignedIn(pub(super) Session);

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = ErrorPage;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ErrorPage> {
        Ok(session(state, &parts.headers).await?.map(SignedIn))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ErrorPage;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ErrorPage> {
        <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(|| ErrorPage::sign_in(return_to(parts.uri.path())))
    }
}

/// A form POSTed from a page of this site (the sign-in forms, before any session): see
/// [`same_origin`].
pub(super) struct SiteForm(pub(super) Params);

impl FromRequest<AppState> for SiteForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let headers = req.headers().clone();
        let Form(form) = Form::<Params>::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        same_origin(&headers).map_err(IntoResponse::into_response)?;
        Ok(SiteForm(form))
    }
}

/// POSTs must come from a page of this site: `Sec-Fetch-Site` (sent by current browsers) must
/// not be cross-site, and an `Origin`, if sent, must name this host. Otherwise 403; a header
/// that is sent but cannot be read counts as another site.
fn same_origin(headers: &HeaderMap) -> Result<(), ErrorPage> {
    let refused = || {
        ErrorPage::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "this form was sent from another site; open painrx and try again",
        )
    };
    let text = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().map_err(|_| refused()))
            .transpose()
    };
    if let Some(site) = text("sec-fetch-site")? {
        if !matches!(site, "same-origin" | "none") {
            return Err(refused());
        }
    }
    if let Some(origin) = text(header::ORIGIN.as_str())? {
        let host = text(header::HOST.as_str())?.ok_or_else(refused)?;
        let origin_host = origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .trim_end_matches('/');
        if origin_host != host {
            return Err(refused());
        }
    }
    Ok(())
}

/// A form POSTed from a signed-in page: from this origin, by a live session, carrying that
/// session's `csrf` token. A session that has ended is a 401 page (what was typed is lost); a
/// missing or stale token a 403.
pub(super) struct SignedForm {
    pub(super) session: Session,
    pub(super) form: Params,
}

impl FromRequest<AppState> for SignedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let headers = req.headers().clone();
        let SiteForm(form) = SiteForm::from_request(req, state).await?;
        let session = form_session(state, &headers, &form)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(SignedForm { session, form })
    }
}

/// The live session that sent `form`, which must carry its CSRF token.
async fn form_session(
    state: &AppState,
    headers: &HeaderMap,
    form: &Params,
) -> Result<Session, ErrorPage> {
    let session = session(state, headers).await?.ok_or_else(|| {
        ErrorPage::new(
            StatusCode::UNAUTHORIZED,
            "Please sign in",
            "your session has ended; sign in again (what you typed was not saved)",
        )
    })?;
    let sent = form.get("csrf").unwrap_or_default();
    let same = sent.len() == session.csrf.len()
        && sent
            .bytes()
            .zip(session.csrf.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(ErrorPage::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "the form's security token is missing or stale; reload the page and try again",
        ));
    }
    Ok(session)
}

/// Whose diary a page reaches, and its URL prefix (`` or `/patients/{id}`).
pub(super) struct Target {
    store: Store,
    pub(super) session: Session,
    pub(super) patient: PatientId,
    pub(super) prefix: String,
    /// The patient's email, shown to a clinician.
    pub(super) label: String,
    /// The route's other path parameters (`course_id`).
    pub(super) params: HashMap<String, String>,
}

impl Target {
    /// The audit row of a write the store makes in the write's own transaction.
    pub(super) fn note<'a>(&self, action: &'a str, detail: &'a str) -> AuditNote<'a> {
        AuditNote {
            actor_user_id: self.session.user.id,
            action,
            detail,
        }
    }

    /// Append this access to the audit log, as the API does; if it cannot be written, the page
    /// is not shown (500).
    pub(super) async fn audit(&self, (action, entry, detail): Access<'_>) -> Result<(), ErrorPage> {
        self.store
            .audit(self.session.user.id, action, &self.patient, entry, detail)
            .await?;
        Ok(())
    }
}

async fn target(
    state: &AppState,
    params: HashMap<String, String>,
    session: Session,
) -> Result<Target, ErrorPage> {
    match params.get("patient_id") {
        Some(p) => {
            let id = reachable(&state.store, &session.user, p).await?;
            let patient = patient_id(id);
            let label = state
                .store
                .user_by_id(id)
                .await?
                .map(|u| u.email)
                .unwrap_or_else(|| patient.to_string());
            Ok(Target {
                store: state.store.clone(),
                prefix: format!("/patients/{patient}"),
                patient,
                label,
                session,
                params,
            })
        }
        None => {
            if session.user.role != Role::Patient {
                return Err(ErrorPage::new(
                    StatusCode::FORBIDDEN,
                    "Not allowed",
                    "only patients have a diary of their own; open a patient from “My patients”",
                ));
            }
            Ok(Target {
                store: state.store.clone(),
                patient: patient_id(session.user.id),
                prefix: String::new(),
                label: session.user.email.clone(),
                session,
                params,
            })
        }
    }
}

async fn path_params(
    parts: &mut Parts,
    state: &AppState,
) -> Result<HashMap<String, String>, Response> {
    <Path<HashMap<String, String>> as FromRequestParts<AppState>>::from_request_parts(parts, state)
        .await
        .map(|Path(params)| params)
        .map_err(IntoResponse::into_response)
}

/// A diary page (GET) of the signed-in user: without a session, the redirect to sign in.
pub(super) struct DiaryPage(pub(super) Target);

impl FromRequestParts<AppState> for DiaryPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let params = path_params(parts, state).await?;
        let SignedIn(session) =
            <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        target(state, params, session)
            .await
            .map(DiaryPage)
            .map_err(IntoResponse::into_response)
    }
}

/// A form POSTed to a diary ([`SignedForm`] on the diary the route reaches).
pub(super) struct DiaryForm {
    pub(super) target: Target,
    pub(super) form: Params,
}

impl FromRequest<AppState> for DiaryForm {
    type Rejection = Response;

    async fn from_request(mut req: Request, state: &AppState) -> Result<Self, Response> {
        let params = req
            .extract_parts_with_state::<Path<HashMap<String, String>>, AppState>(state)
            .await
            .map(|Path(params)| params)
            .map_err(IntoResponse::into_response)?;
        let SignedForm { session, form } = SignedForm::from_request(req, state).await?;
        let target = target(state, params, session)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(DiaryForm { target, form })
    }
}
