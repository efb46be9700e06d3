//! Accounts over HTTP: register, log in and out, who am I. The caller's identity is the
//! [`ApiUser`](crate::extract::ApiUser) extractor.
//!
//! Passwords are hashed with Argon2id (default parameters, random salt, PHC string); bearer tokens
//! are 32 random bytes (hex), stored only as their SHA-256. Registering an `admin` is allowed only
//! when no account exists yet (bootstrapping) or when the request carries an admin's token.
//! Logins go through the login throttle ([`crate::throttle`]): per (client, account) pair and
//! per client, counted atomically, with a progressive delay.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
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
/// Longest password accepted: ASVS V2.1.2 (at least 64 allowed, more than 128 denied).
pub const MAX_PASSWORD: usize = 128;

/// The account routes, to merge into the app.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(reset))
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
        .hash(move || argon::hash(password.as_bytes()).map_err(Problem::internal))
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
            // A hash that cannot be checked is a failure, not a wrong password.
            Some(stored) => argon::verify(password.as_bytes(), &stored)
                .map_err(|e| Problem::internal(format!("cannot verify a password: {e}"))),
            None => {
                // Only the time spent matters here; the hash itself is not kept.
                argon::hash(password.as_bytes())
                    .map_err(|e| Problem::internal(format!("cannot hash a password: {e}")))?;
                Ok(false)
            }
        })
        .await?
}

/// Argon2id into memory that each hashing thread allocates once and keeps. The crate's own
/// `hash_password` allocates 19 MiB per hash (64-byte aligned), and glibc kept those in its
/// per-thread arenas: resident memory grew by 19 MB with every login, without bound
/// (`bench/reliability.sh dos`). With the pool's threads (painrx-server work.rs) each reusing
/// its blocks, hashing holds at most threads × 19 MiB. Same PHC strings as the crate's, both ways.
pub(crate) mod argon {
    use std::cell::RefCell;

    use argon2::password_hash::phc::{Output, PasswordHash, Salt};
    use argon2::{Algorithm, Argon2, Block, Params, Version};

    thread_local! {
        static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }

    /// Why a password could not be hashed or checked (never "wrong password").
    #[derive(Debug, thiserror::Error)]
    pub enum Error {
        #[error("{0}")]
        Argon(#[from] argon2::Error),
        #[error("{0}")]
        Phc(#[from] argon2::password_hash::phc::Error),
        #[error("{0}")]
        PasswordHash(#[from] argon2::password_hash::Error),
        #[error("the stored hash is not an Argon2 PHC string with a salt and a hash")]
        Incomplete,
    }

    fn into(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), Error> {
        BLOCKS.with(|blocks| {
            let mut blocks = blocks.borrow_mut();
            let count = argon.params().block_count();
            if blocks.len() < count {
                blocks.resize(count, Block::default());
            }
            let memory = blocks.get_mut(..count).ok_or(Error::Incomplete)?;
            Ok(argon.hash_password_into_with_memory(password, salt, out, memory)?)
        })
    }

    /// A new PHC string: Argon2id, default parameters, 16 random bytes of salt.
    pub fn hash(password: &[u8]) -> Result<String, Error> {
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        into(&argon, password, &salt, &mut out)?;
        Ok(PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&params).try_into()?,
            salt: Some(Salt::new(&salt)?),
            hash: Some(Output::new(&out)?),
        }
        .to_string())
    }

    /// Whether `password` gives the stored PHC string's hash (compared in constant time).
    pub fn verify(password: &[u8], stored: &str) -> Result<bool, Error> {
        let parsed = PasswordHash::new(stored)?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(Error::Incomplete);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str())?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v)?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed)?;
        let argon = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        into(&argon, password, salt.as_ref(), &mut out)?;
        Ok(Output::new(&out)? == *expected)
    }

    #[cfg(test)]
    mod tests {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};

        #[test]
        fn our_hashes_and_the_crates_check_each_other() {
            let ours = super::hash(b"correct horse").unwrap();
            assert!(
                ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
                "{ours}"
            );
            assert!(super::verify(b"correct horse", &ours).unwrap());
            assert!(!super::verify(b"correct horsf", &ours).unwrap());
            let parsed = argon2::password_hash::phc::PasswordHash::new(&ours).unwrap();
            assert!(argon2::Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok());
            let theirs: argon2::password_hash::phc::PasswordHash = argon2::Argon2::default()
                .hash_password(b"battery staple")
                .unwrap();
            let theirs = theirs.to_string();
            assert!(super::verify(b"battery staple", &theirs).unwrap());
            assert!(!super::verify(b"battery stapl", &theirs).unwrap());
            // Two hashes of one password differ (random salt).
            assert_ne!(super::hash(b"x").unwrap(), super::hash(b"x").unwrap());
            assert!(super::verify(b"x", "$argon2id$v=19$m=19456,t=2,p=1").is_err());
        }
    }
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

/// A password painrx accepts: at least [`MIN_PASSWORD`] characters, not only spaces (ten spaces
/// were accepted), at most [`MAX_PASSWORD`] (ASVS V2.1.2), never truncated (V2.1.3).
fn check_password(password: &str) -> Result<(), Problem> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(Problem::invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD} characters"
        )));
    }
    if n > MAX_PASSWORD {
        return Err(Problem::invalid(format!(
            "the password is too long: use at most {MAX_PASSWORD} characters"
        )));
    }
    if password.chars().all(char::is_whitespace) {
        return Err(Problem::invalid(
            "the password is only spaces: use letters, digits or other characters too",
        ));
    }
    Ok(())
}

/// What an anonymous registration answers, whether or not the address was free: no one learns
/// from it whether an account exists (OWASP Authentication Cheat Sheet, "authentication and error
/// messages": the same answer for a taken and a free address).
pub(crate) const REGISTERED: &str =
    "if this address was free, its account now exists: sign in with its password";

/// Create an account → {id, email, role} for an admin; → {email, role, detail} (202) otherwise
///
/// Anonymous registrations get the same answer (202) whether or not the address was taken, so
/// the answer does not tell whether an account exists; an admin (bearer token) gets 201 with the
/// new account, or 409 if the address is taken.
#[utoipa::path(post, path = "/api/v1/auth/register", request_body = Register, responses(Created))]
async fn register(
    State(state): State<AppState>,
    client: Client,
    by: Option<ApiUser>,
    ApiJson(r): ApiJson<Register>,
) -> ApiResult {
    let by = by.map(|caller| caller.user);
    let admin = by.as_ref().filter(|u| u.role == Role::Admin);
    let signed = NewAccount {
        email: &r.email,
        role: r.role,
        by: by.as_ref(),
        client: &client,
    };
    match (create_account(&state, signed, r.password).await, admin) {
        (Ok(user), Some(_)) => created(user_json(&user)),
        (Ok(_), None) | (Err(Taken), None) => Ok((
            StatusCode::ACCEPTED,
            axum::Json(
                json!({"email": fold_email(&r.email), "role": r.role, "detail": REGISTERED}),
            ),
        )
            .into_response()),
        (Err(Refused(problem)), _) => Err(problem),
        (Err(Taken), Some(_)) => Err(Problem::new(
            StatusCode::CONFLICT,
            format!("an account with email `{}` exists", fold_email(&r.email)),
        )),
    }
}

/// An account to create: its email and role, who asks (an admin, or nobody) and from where.
pub(crate) struct NewAccount<'a> {
    pub(crate) email: &'a str,
    pub(crate) role: Role,
    pub(crate) by: Option<&'a User>,
    pub(crate) client: &'a Client,
}

/// Why an account was not created: the address is taken (which only an admin may be told), or
/// the request is refused.
pub(crate) enum NotCreated {
    Taken,
    Refused(Problem),
}
use NotCreated::{Refused, Taken};

impl<E: Into<Problem>> From<E> for NotCreated {
    fn from(e: E) -> NotCreated {
        Refused(e.into())
    }
}

/// Create an account (shared by the API and the web app): a plausible email, an acceptable
/// password (hashed with Argon2id — also when the address is taken, so the time spent does not
/// tell), and `admin` only for the very first account, made atomically
/// (`Store::create_first_admin`), or when an admin asks. Logged as `account.create`.
pub(crate) async fn create_account(
    state: &AppState,
    new: NewAccount<'_>,
    password: String,
) -> Result<User, NotCreated> {
    let email = fold_email(new.email);
    check_email(&email)?;
    check_password(&password)?;
    let by_admin = new.by.filter(|u| u.role == Role::Admin);
    let hash = hash_password(state, password).await?;
    let created = if new.role == Role::Admin && by_admin.is_none() {
        state
            .store
            .create_first_admin(&email, &hash)
            .await?
            .ok_or_else(|| {
                Refused(Problem::new(
                    StatusCode::FORBIDDEN,
                    "only an admin can create an admin account (or the very first account)",
                ))
            })
    } else {
        state
            .store
            .create_user(&email, &hash, new.role)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(_) => Taken,
                other => Refused(other.into()),
            })
    };
    let mut event = SecurityLog::new(new.client, "account.create").email(&email);
    if let Some(admin) = by_admin {
        event = event.by(admin);
    }
    match &created {
        Ok(user) => {
            event
                .to(user)
                .detail(user.role.as_str())
                .write(state)
                .await?
        }
        Err(Taken) => {
            event
                .detail("refused: the address is taken")
                .write(state)
                .await?
        }
        Err(Refused(_)) => {}
    }
    created
}

/// How long a password reset link works: 24 hours (ASVS V2.3.1: a short time).
pub const RESET_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// A one-time password reset link, shown once to the admin who made it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ResetLink {
    pub(crate) user_id: i64,
    pub(crate) email: String,
    /// The page where the account's owner chooses a new password.
    pub(crate) reset_path: String,
    pub(crate) token: String,
    pub(crate) expires_at: i64,
}

/// An admin makes a one-time reset link for account `id` (API and web). The admin never sets
/// nor sees a password (ASVS V2.5.6: recovery by a one-time secret handed over out of band,
/// V2.3.1: random, short-lived): the owner opens the link and chooses one; until then the old
/// password still works, so a link cannot lock anyone out. Logged as `password.reset_issued`,
/// and shown to the owner on their account page (V2.5.5).
pub(crate) async fn issue_reset(
    state: &AppState,
    by: &User,
    client: &Client,
    id: i64,
) -> Result<ResetLink, Problem> {
    crate::diary_api::only(by, Role::Admin, "only an admin can reset a password")?;
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no account with id {id}")))?;
    let token = new_token();
    let expires_at = now_ms()?.saturating_add(RESET_TTL_MS);
    state
        .store
        .add_password_reset(&token_hash(&token), id, by.id, expires_at)
        .await?;
    let event = SecurityLog::new(client, "password.reset_issued").by(by);
    event.to(&user).write(state).await?;
    Ok(ResetLink {
        user_id: id,
        email: user.email,
        reset_path: format!("/reset?token={token}"),
        token,
        expires_at,
    })
}

/// The owner uses a reset link (API and web): the new password (same rules as registering)
/// replaces the old, every token, session and other link of the account ends, and the link is
/// spent — in one transaction. Logged as `password.reset_done`. 404 for a link that is
/// unknown, used or expired.
pub(crate) async fn use_reset(
    state: &AppState,
    client: &Client,
    token: &str,
    password: String,
) -> Result<User, Problem> {
    let gone = || {
        Problem::not_found(
            "this reset link is unknown, used or expired: ask an admin for a new one",
        )
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    check_password(&password)?;
    let hash = hash_password(state, password).await?;
    let used = state
        .store
        .use_password_reset(&token_hash(token), &hash, now_ms()?)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => gone(),
            other => other.into(),
        })?;
    let user = state
        .store
        .user_by_id(used.user_id)
        .await?
        .ok_or_else(gone)?;
    let detail = format!("link issued by account {}", used.issued_by);
    let event = SecurityLog::new(client, "password.reset_done").by(&user);
    event.to(&user).detail(&detail).write(state).await?;
    Ok(user)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseReset {
    token: String,
    password: String,
}

/// Choose a new password with a one-time reset link's token → 204
#[utoipa::path(post, path = "/api/v1/auth/reset", request_body = UseReset, responses(Done))]
async fn reset(
    State(state): State<AppState>,
    client: Client,
    ApiJson(r): ApiJson<UseReset>,
) -> ApiResult {
    use_reset(&state, &client, &r.token, r.password).await?;
    done()
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
    // ASVS V3.3.2 (re-authentication after a set time): a bearer token ends after `token_ttl_ms` (30 days by default).
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
