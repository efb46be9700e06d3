//! Accounts over HTTP: register, log in and out, who am I. The caller's identity is the
//! [`ApiUser`](crate::extract::ApiUser) extractor.
//!
//! Passwords are hashed with Argon2id (default parameters, random salt, PHC string); bearer tokens
//! are 32 random bytes (hex), stored only as their SHA-256. Registering an `admin` is allowed only
//! when no account exists yet (bootstrapping) or when the request carries an admin's token.
//! Logins go through the login throttle ([`crate::throttle`]): per (client, account) pair and
//! per client, counted atomically, with a progressive delay.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use axum::extract::State;
use axum::http::StatusCode;
use painrx_store::{fold_email, Role, StoreError, User};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{created, done, ok, ApiResult};
use crate::extract::{ApiJson, ApiUser, Client};
use crate::openapi::{Answer, Created, Done};
use crate::throttle::{SecurityLog, Turns};
use crate::{AppState, Problem};

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// The account routes, to merge into the app.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .merge(crate::diary_api::router())
}

/// The hex SHA-256 of a token, as stored.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn user_json(user: &User) -> serde_json::Value {
    json!({"id": user.id, "email": user.email, "role": user.role})
}

/// Hash a password (Argon2id) in the hashing pool: at most one hash per CPU at once, so parallel
/// logins cannot take memory without bound (ASVS V2.4.1, V11.1.4).
async fn hash_password(state: &AppState, password: String) -> Result<String, Problem> {
    state
        .work
        .hash(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h: PasswordHash| h.to_string())
                .map_err(Problem::internal)
        })
        .await?
}

/// Whether `password` matches the stored PHC string (`None`: no account; the work is done anyway
/// so that timing does not tell whether an account exists). Runs in the hashing pool.
async fn verify_password(
    state: &AppState,
    password: String,
    stored: Option<String>,
) -> Result<bool, Problem> {
    state
        .work
        .hash(move || match stored {
            Some(stored) => {
                let parsed = PasswordHash::new(&stored).map_err(Problem::internal)?;
                match Argon2::default().verify_password(password.as_bytes(), &parsed) {
                    Ok(()) => Ok(true),
                    Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                    // A hash that cannot be checked is a failure, not a wrong password.
                    Err(e) => Err(Problem::internal(format!("cannot verify a password: {e}"))),
                }
            }
            None => {
                // Only the time spent matters here; the hash itself is not kept.
                Argon2::default()
                    .hash_password(password.as_bytes())
                    .map(|_: PasswordHash| ())
                    .map_err(|e| Problem::internal(format!("cannot hash a password: {e}")))?;
                Ok(false)
            }
        })
        .await?
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    email: String,
    password: String,
    #[schema(value_type = String, example = "patient")]
    role: Role,
}

/// A plausible email: one `@` with text on both sides and a dot in the domain, at most 254
/// characters, no spaces.
fn check_email(email: &str) -> Result<(), Problem> {
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    ok.then_some(())
        .ok_or_else(|| Problem::invalid(format!("`{email}` is not an email address")))
}

/// A long enough password: at least [`MIN_PASSWORD`] characters.
fn check_password(password: &str) -> Result<(), Problem> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(Problem::invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(())
}

/// Create an account → {id, email, role}
#[utoipa::path(post, path = "/api/v1/auth/register", request_body = Register, responses(Created))]
async fn register(
    State(state): State<AppState>,
    by: Option<ApiUser>,
    ApiJson(r): ApiJson<Register>,
) -> ApiResult {
    let by = by.map(|caller| caller.user);
    let user = create_account(&state, &r.email, r.password, r.role, by.as_ref()).await?;
    created(user_json(&user))
}

/// Create an account (shared by the API and the web app): a plausible email, a long enough
/// password (hashed with Argon2id), and `admin` only for the very first account or when an
/// admin asks.
pub(crate) async fn create_account(
    state: &AppState,
    email: &str,
    password: String,
    role: Role,
    by: Option<&User>,
) -> Result<User, Problem> {
    let email = fold_email(email);
    check_email(&email)?;
    check_password(&password)?;
    if role == Role::Admin {
        let first = state.store.list_users().await?.is_empty();
        let by_admin = by.is_some_and(|u| u.role == Role::Admin);
        if !first && !by_admin {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "only an admin can create an admin account (or the very first account)",
            ));
        }
    }
    let hash = hash_password(state, password).await?;
    state
        .store
        .create_user(&email, &hash, role)
        .await
        .map_err(Problem::from)
}

/// An admin sets a new password (same rules as registering) for account `id`; the account's
/// API tokens and browser sessions all end. Shared by the API and the web app.
pub(crate) async fn reset_password(
    state: &AppState,
    by: &User,
    id: i64,
    password: String,
) -> Result<(), Problem> {
    crate::diary_api::only(by, Role::Admin, "only an admin can reset a password")?;
    check_password(&password)?;
    let hash = hash_password(state, password).await?;
    state
        .store
        .reset_password(id, &hash)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Problem::not_found(format!("no account with id {id}")),
            other => Problem::from(other),
        })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

/// Check an email and password (shared by the API and the web app) under the login throttle
/// ([`crate::throttle`], ASVS V2.2.1): 429 with `Retry-After` while the client, or this client
/// for this account, must wait; 401 for a wrong pair. Every outcome is in the security log.
pub(crate) async fn verify_login(
    state: &AppState,
    client: &Client,
    email: &str,
    password: String,
) -> Result<User, Problem> {
    let email = fold_email(email);
    check_email(&email)?;
    let now = now_ms()?;
    let turns = Turns::take(state, client, &email, now).await?;
    let user = state.store.user_by_email(&email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    match (verify_password(state, password, stored).await, user) {
        (Err(problem), _) => {
            turns.give_back(state).await?;
            Err(problem)
        }
        (Ok(true), Some(user)) => {
            turns.succeeded(state).await?;
            let event = SecurityLog::new(client, "login.success").by(&user);
            event.to(&user).write(state).await?;
            Ok(user)
        }
        (Ok(_), user) => {
            let event = SecurityLog::new(client, "login.failure").email(&email);
            match &user {
                Some(u) => event.to(u).write(state).await?,
                None => event.detail("no such account").write(state).await?,
            }
            Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "wrong email or password",
            ))
        }
    }
}

/// Milliseconds since 1970 on this server's clock. A clock that fails is an error (500): no
/// session is started and no login counted against a time that is not known.
pub(crate) fn now_ms() -> Result<i64, Problem> {
    clock_ms().map_err(Problem::internal)
}

/// Milliseconds since 1970, or why the clock cannot say.
pub(crate) fn clock_ms() -> Result<i64, String> {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("the system clock is before 1970: {e}"))?;
    i64::try_from(elapsed.as_millis()).map_err(|e| format!("the system clock is out of range: {e}"))
}

/// 32 random bytes, hex.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Log in → {token, expires_at} (429 with Retry-After while this client must wait)
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = Login, responses(Answer))]
async fn login(
    State(state): State<AppState>,
    client: Client,
    ApiJson(l): ApiJson<Login>,
) -> ApiResult {
    let user = verify_login(&state, &client, &l.email, l.password).await?;
    let token = new_token();
    // ASVS V3.3.1 / V3.5.2: a bearer token ends after `token_ttl_ms` (30 days by default).
    let expires_at = now_ms()?.saturating_add(state.token_ttl_ms);
    state
        .store
        .add_token(&token_hash(&token), user.id, expires_at)
        .await?;
    let event = SecurityLog::new(&client, "token.create")
        .by(&user)
        .to(&user);
    event.write(&state).await?;
    ok(json!({"token": token, "expires_at": expires_at}))
}

/// Forget this token
#[utoipa::path(post, path = "/api/v1/auth/logout", security(("bearer" = [])), responses(Done))]
async fn logout(State(state): State<AppState>, caller: ApiUser) -> ApiResult {
    state.store.delete_token(&caller.token_hash).await?;
    done()
}

/// Who am I → {id, email, role}
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])), responses(Answer))]
async fn me(caller: ApiUser) -> ApiResult {
    ok(user_json(&caller.user))
}
