//! Accounts and access control: users, bearer tokens (stored hashed), patient–clinician links,
//! the audit log of diary access. The store keeps what it is given: hashing
//! passwords and tokens and deciding who may do what belong to the caller (painrx-server).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use painrx_engine::id::PatientId;

use crate::row::{Columns, Record};
use crate::{Backend, Dialect, Store, StoreError};

/// What an account may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Patient,
    Clinician,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Clinician => "clinician",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "patient" => Some(Role::Patient),
            "clinician" => Some(Role::Clinician),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An account. `email` is folded to lower case; `password_hash` is whatever the caller stored
/// (a PHC string).
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    /// Unix time in milliseconds.
    pub at: i64,
    pub actor_user_id: i64,
    pub action: String,
    pub patient: PatientId,
    pub entry_id: Option<i64>,
    pub detail: String,
}

/// An access to a diary to append to the audit log in the same transaction as the write it
/// records (the patient and the entry come from the write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditNote<'a> {
    pub actor_user_id: i64,
    pub action: &'a str,
    pub detail: &'a str,
}

/// The audit log's insert for `note` about `patient` (and entry `entry_id`), timestamped now, to
/// run in a write's transaction.
pub(crate) fn audit_query<'q, DB: sqlx::Database>(
    note: &'q AuditNote<'q>,
    patient: &'q str,
    entry_id: Option<i64>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(INSERT_AUDIT)
        .bind(now_ms())
        .bind(note.actor_user_id)
        .bind(note.action)
        .bind(patient)
        .bind(entry_id)
        .bind(note.detail)
}

/// The current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}

/// An email as stored and looked up: trimmed, NFKC-normalised, then folded to lower case, so
/// look-alikes that Unicode says are the same text (fullwidth `ｐａｔ＠ｅｘａｍｐｌｅ．ｏｒｇ`,
/// ligatures) are one account, not two.
pub fn fold_email(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    email
        .trim()
        .nfkc()
        .collect::<String>()
        .trim()
        .to_lowercase()
}

const INSERT_USER: &str =
    "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id";
const USER_BY_EMAIL: &str = "SELECT id, email, password_hash, role FROM users WHERE email = $1";
const USER_BY_ID: &str = "SELECT id, email, password_hash, role FROM users WHERE id = $1";
const USER_BY_TOKEN: &str = "SELECT u.id, u.email, u.password_hash, u.role FROM api_tokens t \
     JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2";
const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";
const LIST_USERS: &str = "SELECT id, email, password_hash, role FROM users ORDER BY id";
const INSERT_TOKEN: &str =
    "INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)";
const DELETE_EXPIRED_TOKENS: &str = "DELETE FROM api_tokens WHERE expires_at <= $1";
const DELETE_TOKEN: &str = "DELETE FROM api_tokens WHERE token_hash = $1";
const INSERT_LINK: &str = "INSERT INTO links (patient_user_id, clinician_user_id) VALUES ($1, $2) \
     ON CONFLICT (patient_user_id, clinician_user_id) DO NOTHING";
const DELETE_LINK: &str = "DELETE FROM links WHERE patient_user_id = $1 AND clinician_user_id = $2";
const IS_LINKED: &str =
    "SELECT COUNT(*) FROM links WHERE patient_user_id = $1 AND clinician_user_id = $2";
const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor_user_id, action, patient, entry_id, \
     detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
const LIST_AUDIT: &str = "SELECT id, at, actor_user_id, action, patient, entry_id, detail \
     FROM audit_log WHERE patient = $1 ORDER BY id";
const LINKED_PATIENTS: &str = "SELECT u.id, u.email, u.password_hash, u.role FROM links l \
     JOIN users u ON u.id = l.patient_user_id WHERE l.clinician_user_id = $1 ORDER BY u.id";
const LINKED_CLINICIANS: &str = "SELECT u.id, u.email, u.password_hash, u.role FROM links l \
     JOIN users u ON u.id = l.clinician_user_id WHERE l.patient_user_id = $1 ORDER BY u.id";
const INSERT_WEB_SESSION: &str =
    "INSERT INTO web_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)";
const USER_BY_WEB_SESSION: &str = "SELECT u.id, u.email, u.password_hash, u.role \
     FROM web_sessions s JOIN users u ON u.id = s.user_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2";
const DELETE_WEB_SESSION: &str = "DELETE FROM web_sessions WHERE token_hash = $1";
const DELETE_EXPIRED_WEB_SESSIONS: &str = "DELETE FROM web_sessions WHERE expires_at <= $1";
pub(crate) const SET_PASSWORD: &str = "UPDATE users SET password_hash = $1 WHERE id = $2";
pub(crate) const DELETE_USER_TOKENS: &str = "DELETE FROM api_tokens WHERE user_id = $1";
pub(crate) const DELETE_USER_WEB_SESSIONS: &str = "DELETE FROM web_sessions WHERE user_id = $1";

fn user_from_row(row: &impl Columns) -> Result<User, StoreError> {
    let r = Record::new(row, "users")?;
    Ok(User {
        id: r.id,
        email: r.text("email")?,
        role: r.word("role", Role::parse)?,
        password_hash: r.text("password_hash")?,
    })
}

fn audit_from_row(row: &impl Columns) -> Result<AuditRecord, StoreError> {
    let r = Record::new(row, "audit_log")?;
    Ok(AuditRecord {
        id: r.id,
        at: r.int("at")?,
        actor_user_id: r.int("actor_user_id")?,
        action: r.text("action")?,
        patient: r.parsed("patient")?,
        entry_id: r.int_opt("entry_id")?,
        detail: r.text("detail")?,
    })
}

/// A unique-constraint violation becomes [`StoreError::Duplicate`] with `what`.
fn unique(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate(what()),
        _ => StoreError::from(e),
    }
}

impl Store {
    /// Create an account. The email is folded to lower case;
    /// [`StoreError::Duplicate`] if it is taken (whatever its case).
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let email = fold_email(email);
        if email.is_empty() {
            return Err(StoreError::Invalid("the email is empty".to_string()));
        }
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(INSERT_USER)
                .bind(&email)
                .bind(password_hash)
                .bind(role.as_str())
                .fetch_one(pool)
                .await
                .map_err(|e| unique(e, || format!("an account with email `{email}` exists")))?
        });
        Ok(User {
            id,
            email,
            role,
            password_hash: password_hash.to_string(),
        })
    }

    /// Create the very first account, as an admin, atomically: the accounts are counted and the
    /// admin inserted in one transaction that holds the table's write lock, so of ten parallel
    /// first registrations exactly one becomes the admin (ASVS V11.1.6: no time-of-check to
    /// time-of-use race). `None` when an account exists.
    pub async fn create_first_admin(
        &self,
        email: &str,
        password_hash: &str,
    ) -> Result<Option<User>, StoreError> {
        let email = fold_email(email);
        if email.is_empty() {
            return Err(StoreError::Invalid("the email is empty".to_string()));
        }
        let id: Option<i64> = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(pool.sql().lock_users).execute(&mut *tx).await?;
            let n: i64 = sqlx::query_scalar(COUNT_USERS).fetch_one(&mut *tx).await?;
            if n > 0 {
                tx.rollback().await?;
                None
            } else {
                let id: i64 = sqlx::query_scalar(INSERT_USER)
                    .bind(&email)
                    .bind(password_hash)
                    .bind(Role::Admin.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Some(id)
            }
        });
        Ok(id.map(|id| User {
            id,
            email,
            role: Role::Admin,
            password_hash: password_hash.to_string(),
        }))
    }

    /// The account with this email (compared case-insensitively).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = fold_email(email);
        on_pool!(self, pool => {
            sqlx::query(USER_BY_EMAIL)
                .bind(&email)
                .fetch_optional(pool)
                .await?
                .map(|row| user_from_row(&row))
                .transpose()
        })
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(USER_BY_ID)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|row| user_from_row(&row))
                .transpose()
        })
    }

    /// Every account, by id.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(LIST_USERS)
                .fetch_all(pool)
                .await?
                .iter()
                .map(user_from_row)
                .collect()
        })
    }

    /// Record a token (by its hash) for a user, valid until `expires_at` (Unix ms); expired
    /// tokens are swept at the same time. [`StoreError::NotFound`] if there is no such user,
    /// [`StoreError::Duplicate`] if the hash is already recorded.
    pub async fn add_token(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if self.user_by_id(user_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let now = now_ms();
        on_pool!(self, pool => {
            sqlx::query(DELETE_EXPIRED_TOKENS).bind(now).execute(pool).await?;
            sqlx::query(INSERT_TOKEN)
                .bind(token_hash)
                .bind(user_id)
                .bind(expires_at)
                .execute(pool)
                .await
                .map_err(|e| unique(e, || "the token exists".to_string()))?
                .rows_affected()
        });
        Ok(())
    }

    /// The user a token (by its hash) belongs to, if the token has not expired.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(USER_BY_TOKEN)
                .bind(token_hash)
                .bind(now_ms())
                .fetch_optional(pool)
                .await?
                .map(|row| user_from_row(&row))
                .transpose()
        })
    }

    /// Forget a token; `true` if it existed.
    pub async fn delete_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query(DELETE_TOKEN)
                .bind(token_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Let a clinician reach a patient's diary (idempotent). The store only checks that both
    /// accounts exist with those roles ([`StoreError::NotFound`] / [`StoreError::Invalid`]).
    pub async fn link(
        &self,
        patient_user_id: i64,
        clinician_user_id: i64,
    ) -> Result<(), StoreError> {
        for (id, role) in [
            (patient_user_id, Role::Patient),
            (clinician_user_id, Role::Clinician),
        ] {
            let user = self.user_by_id(id).await?.ok_or(StoreError::NotFound)?;
            if user.role != role {
                return Err(StoreError::Invalid(format!(
                    "account {id} is a {}, not a {}",
                    user.role.as_str(),
                    role.as_str()
                )));
            }
        }
        on_pool!(self, pool => {
            sqlx::query(INSERT_LINK)
                .bind(patient_user_id)
                .bind(clinician_user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// End a clinician's access to a patient's diary; `true` if they were linked.
    pub async fn unlink(
        &self,
        patient_user_id: i64,
        clinician_user_id: i64,
    ) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query(DELETE_LINK)
                .bind(patient_user_id)
                .bind(clinician_user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Whether the patient linked this clinician.
    pub async fn is_linked(
        &self,
        patient_user_id: i64,
        clinician_user_id: i64,
    ) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(IS_LINKED)
                .bind(patient_user_id)
                .bind(clinician_user_id)
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }

    /// The patients who linked this clinician, by id.
    pub async fn linked_patients(&self, clinician_user_id: i64) -> Result<Vec<User>, StoreError> {
        self.users_by(LINKED_PATIENTS, clinician_user_id).await
    }

    /// The clinicians this patient linked, by id.
    pub async fn linked_clinicians(&self, patient_user_id: i64) -> Result<Vec<User>, StoreError> {
        self.users_by(LINKED_CLINICIANS, patient_user_id).await
    }

    async fn users_by(&self, sql: &'static str, id: i64) -> Result<Vec<User>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(user_from_row)
                .collect()
        })
    }

    /// Replace a user's password hash and end every token and browser session of theirs, in
    /// one transaction. [`StoreError::NotFound`] if there is no such user.
    pub async fn reset_password(
        &self,
        user_id: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let updated = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(SET_PASSWORD)
                .bind(password_hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for sql in [DELETE_USER_TOKENS, DELETE_USER_WEB_SESSIONS] {
                sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            updated
        });
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Record a browser session (by its token's hash) valid until `expires_at` (Unix ms);
    /// expired sessions are swept at the same time. [`StoreError::NotFound`] if there is no
    /// such user.
    pub async fn add_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if self.user_by_id(user_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let now = now_ms();
        on_pool!(self, pool => {
            sqlx::query(DELETE_EXPIRED_WEB_SESSIONS)
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query(INSERT_WEB_SESSION)
                .bind(token_hash)
                .bind(user_id)
                .bind(expires_at)
                .execute(pool)
                .await
                .map_err(|e| unique(e, || "the session exists".to_string()))?
                .rows_affected()
        });
        Ok(())
    }

    /// The user of a browser session that has not expired at `now` (Unix ms).
    pub async fn user_by_web_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(USER_BY_WEB_SESSION)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(pool)
                .await?
                .map(|row| user_from_row(&row))
                .transpose()
        })
    }

    /// End a browser session; `true` if it existed.
    pub async fn delete_web_session(&self, token_hash: &str) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query(DELETE_WEB_SESSION)
                .bind(token_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Append to the audit log (timestamped now); returns the record.
    pub async fn audit(
        &self,
        actor_user_id: i64,
        action: &str,
        patient: &PatientId,
        entry_id: Option<i64>,
        detail: &str,
    ) -> Result<AuditRecord, StoreError> {
        let at = now_ms();
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(INSERT_AUDIT)
                .bind(at)
                .bind(actor_user_id)
                .bind(action)
                .bind(patient.as_str())
                .bind(entry_id)
                .bind(detail)
                .fetch_one(pool)
                .await?
        });
        Ok(AuditRecord {
            id,
            at,
            actor_user_id,
            action: action.to_string(),
            patient: patient.clone(),
            entry_id,
            detail: detail.to_string(),
        })
    }

    /// The audit log of one patient's diary, oldest first.
    pub async fn list_audit(&self, patient: &PatientId) -> Result<Vec<AuditRecord>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(LIST_AUDIT)
                .bind(patient.as_str())
                .fetch_all(pool)
                .await?
                .iter()
                .map(audit_from_row)
                .collect()
        })
    }
}
