//! Extractors whose rejections speak problem+json: the JSON body of a request ([`ApiJson`]),
//! the caller behind a bearer token ([`ApiUser`]) and the diary a route reaches
//! ([`DiaryTarget`]). Handlers name what they need in their arguments instead of starting with
//! the same preamble.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Path, Request,
};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use painrx_engine::id::PatientId;
use painrx_store::{AuditNote, Store, User};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::ApiResult;
use crate::auth::token_hash;
use crate::diary_api::{own_diary, patient_id, reachable};
use crate::{AppState, Problem};

/// A JSON body read into a request type of painrx-app. A body that is not JSON is a 400; JSON
/// that does not fit the request (an unknown or misspelt key, a value out of range, a missing
/// field) is a 422 whose detail names the key; over the body limit is a 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON, with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| Problem::new(r.status(), r.body_text()))?;
        no_duplicate_keys(&bytes)?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejected(&rejection)),
        }
    }
}

/// `application/json` or `application/…+json`, parameters (`; charset=utf-8`) aside.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(..12)
            .is_some_and(|t| t.eq_ignore_ascii_case("application/"))
            && essence
                .get(essence.len().saturating_sub(5)..)
                .is_some_and(|s| s.eq_ignore_ascii_case("+json"))
}

/// A JSON object must not name a key twice, at any depth: `{"version": 1, "version": 9}` kept
/// the last value, so what was checked and what was used could differ (422). Text that is not
/// JSON is left for the deserializer to report (400).
fn no_duplicate_keys(bytes: &[u8]) -> Result<(), Problem> {
    match serde_json::from_slice::<NoDuplicates>(bytes) {
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(Problem::invalid(e)),
        _ => Ok(()),
    }
}

/// Any JSON value, read only to find an object that names a key twice.
struct NoDuplicates;

impl<'de> serde::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicates)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicates {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object: send it once"
                )));
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(NoDuplicates)
    }
}

fn rejected(rejection: &JsonRejection) -> Problem {
    let code = match rejection {
        JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
        JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    Problem::new(code, rejection.body_text())
}

/// A text body (a CSV or FHIR diary, a page): over the route's limit a 413, not UTF-8 a 400,
/// both as problem+json (the plain extractor answers text/plain).
#[derive(Debug)]
pub struct ApiText(pub String);

impl<S: Send + Sync> FromRequest<S> for ApiText {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        String::from_request(req, state)
            .await
            .map(ApiText)
            .map_err(|r| Problem::new(r.status(), r.body_text()))
    }
}

/// A path parameter read into a type; one that does not fit (bad percent-encoding, not a
/// number) is a 422 problem, not axum's text/plain 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|r| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, r.body_text()))
    }
}

/// Query parameters read into a type (dates, numbers, a list as a repeated key: `q=a&q=b`), with
/// the same reader (serde_html_form) as the web forms. Parameters that do not fit (an unknown
/// key, a date that is not one) are a 422 whose detail says which and why.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        serde_html_form::from_str(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(|e| {
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Failed to deserialize query string: {e}"),
                )
            })
    }
}
/// The caller of an API route, by the bearer token the request carries: without one, or with
/// a token no account has, a 401 problem (`WWW-Authenticate: Bearer`). As `Option<ApiUser>`
/// (a route open to visitors that callers may also sign), no `Authorization` header is `None`
/// and a token that is sent but unknown is still a 401.
#[derive(Debug)]
pub(crate) struct ApiUser {
    pub(crate) user: User,
    /// The SHA-256 of the token, as stored (what logging out forgets).
    pub(crate) token_hash: String,
}

pub(crate) fn unauthorized() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "sign in first: send `Authorization: Bearer <token>` with a token from /api/v1/auth/login",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl OptionalFromRequestParts<AppState> for ApiUser {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Problem> {
        if parts.headers.get(header::AUTHORIZATION).is_none() {
            return Ok(None);
        }
        let hash = token_hash(bearer(&parts.headers).ok_or_else(unauthorized)?);
        let user = state
            .store
            .user_by_token_hash(&hash)
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Some(ApiUser {
            user,
            token_hash: hash,
        }))
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        <ApiUser as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(unauthorized)
    }
}

/// The client a request comes from, as the login throttle and the security log name it: the
/// peer's IP address — an IPv6 client by its /64 network, which one host usually holds whole —
/// or, behind a TLS proxy (`--behind-tls`), the address the proxy appended last to
/// `X-Forwarded-For` (earlier entries are the client's own word and could be anything);
/// `unknown` when neither is known (a router driven in memory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Client(pub(crate) String);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .secure_cookies
            .then(|| parts.headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(Client(
            forwarded
                .or(peer)
                .map_or_else(|| "unknown".to_string(), network),
        ))
    }
}

/// An address as a throttle key: IPv4 (or IPv4-mapped IPv6) whole, IPv6 by its /64.
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

/// An access to a diary, as the audit log records it: the action, the entry if one, a detail.
pub(crate) type Access<'a> = (&'a str, Option<i64>, &'a str);

/// Who calls a diary route and whose diary it reaches: the caller's own on `/api/v1/diary/…`
/// (patients only), a patient's under `/api/v1/patients/{patient_id}/…` when [`reachable`]
/// allows it. 401 without a valid token, 403 for anything else. Every access it grants is
/// audited by the handler through [`DiaryTarget::audit`].
#[derive(Debug)]
pub(crate) struct DiaryTarget {
    /// The store the diary lives in.
    pub(crate) store: Store,
    pub(crate) actor: User,
    /// The diary's patient id (`user-<id>`).
    pub(crate) patient: PatientId,
    /// The route's other path parameters (`id`, `course_id`).
    params: HashMap<String, String>,
}

impl FromRequestParts<AppState> for DiaryTarget {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Path(params) =
            <Path<HashMap<String, String>> as FromRequestParts<AppState>>::from_request_parts(
                parts, state,
            )
            .await
            .map_err(|r| Problem::new(r.status(), r.body_text()))?;
        let ApiUser { user, .. } =
            <ApiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        let patient = match params.get("patient_id") {
            Some(p) => patient_id(reachable(&state.store, &user, p).await?),
            None => own_diary(&user)?,
        };
        Ok(DiaryTarget {
            store: state.store.clone(),
            actor: user,
            patient,
            params,
        })
    }
}

impl DiaryTarget {
    /// The whole-number path parameter `name` (`id`, `course_id`), or 422.
    pub(crate) fn number(&self, name: &str) -> Result<i64, Problem> {
        number_param(&self.params, name)
    }

    /// Append this access to the audit log; if it cannot be written, the answer is a 500 and the
    /// data is not sent.
    pub(crate) async fn audit(&self, (action, entry, detail): Access<'_>) -> Result<(), Problem> {
        self.store
            .audit(self.actor.id, action, &self.patient, entry, detail)
            .await?;
        Ok(())
    }

    /// The audit row of a write the store makes in the write's own transaction (the write and
    /// its audit row are both kept, or neither).
    pub(crate) fn note<'a>(&self, action: &'a str, detail: &'a str) -> AuditNote<'a> {
        AuditNote {
            actor_user_id: self.actor.id,
            action,
            detail,
        }
    }

    /// Answer `status` with `body` as JSON: for a write already audited in its transaction.
    pub(crate) fn written(status: StatusCode, body: impl Serialize) -> ApiResult {
        Ok((status, axum::Json(body)).into_response())
    }

    /// Audit this access, then answer 200 with `body` as JSON.
    pub(crate) async fn ok(&self, access: Access<'_>, body: impl Serialize) -> ApiResult {
        self.answer(StatusCode::OK, access, body).await
    }

    /// Audit this access, then answer 201 with `body` (what was created) as JSON.
    pub(crate) async fn created(&self, access: Access<'_>, body: impl Serialize) -> ApiResult {
        self.answer(StatusCode::CREATED, access, body).await
    }

    async fn answer(
        &self,
        status: StatusCode,
        access: Access<'_>,
        body: impl Serialize,
    ) -> ApiResult {
        self.audit(access).await?;
        Ok((status, axum::Json(body)).into_response())
    }
}

/// The whole-number path parameter `name`, or 422 naming what was sent (a route without that
/// parameter is a bug: 500).
pub(crate) fn number_param(params: &HashMap<String, String>, name: &str) -> Result<i64, Problem> {
    let text = params
        .get(name)
        .ok_or_else(|| Problem::internal(format!("the route has no `{name}` parameter")))?;
    text.parse()
        .map_err(|_| Problem::invalid(format!("`{text}` is not a {name} (a whole number)")))
}
