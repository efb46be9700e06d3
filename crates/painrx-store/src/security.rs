//! Security state (migration 0004): login throttling, the security log and one-time password
//! reset links. As in `accounts.rs`, the store keeps what it is given; the rules (how many
//! failures, how long a delay, who may reset) belong to the caller (painrx-server).

use serde::Serialize;

use crate::accounts::{DELETE_USER_TOKENS, DELETE_USER_WEB_SESSIONS, SET_PASSWORD};
use crate::row::{Columns, Record};
use crate::{Backend, Dialect, Store, StoreError};

/// How the attempts under one throttle key are limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures allowed before the delay starts (at least 1).
    pub max_failures: i64,
    /// Failures are forgotten when the last attempt is older than this (ms).
    pub window_ms: i64,
    /// The delay after the `max_failures`-th failure (ms); each further failure adds as much
    /// again (a progressive delay).
    pub delay_ms: i64,
    /// The longest delay, in steps of `delay_ms`.
    pub max_steps: i64,
}

/// Whether an attempt may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Go ahead: the attempt is already counted as a failure until it is given back.
    Admitted,
    /// Not before `retry_at` (Unix ms); nothing was counted.
    Refused { retry_at: i64 },
}

/// One line of the security log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityEvent {
    pub id: i64,
    /// Unix time in milliseconds.
    pub at: i64,
    /// `login.success`, `login.failure`, `login.throttled`, `account.create`,
    /// `password.reset_issued`, `password.reset_done`, `link.grant`, `link.revoke`,
    /// `token.create`, …
    pub event: String,
    /// Who acted, if known (a failed login has no actor).
    pub actor_user_id: Option<i64>,
    /// The account acted on, if known.
    pub subject_user_id: Option<i64>,
    /// The email the request named (folded), or empty.
    pub email: String,
    /// The client (an IP address or network), or empty.
    pub client: String,
    pub detail: String,
}

/// A security event to record (the store adds the id and the time).
#[derive(Clone, Copy, Debug, Default)]
pub struct NewSecurityEvent<'a> {
    pub event: &'a str,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub email: &'a str,
    pub client: &'a str,
    pub detail: &'a str,
}

/// Take a turn under a key, in one statement: refused (nothing changes) while the key is
/// blocked; otherwise counted as a failure — reset to 1 when the last attempt is older than the
/// window — and, from the `max_failures`-th failure on, blocked for `steps × delay` where steps
/// grow by one per failure up to `max_steps`. `$1` key, `$2` now, `$3` now − window,
/// `$4` max_failures, `$5` delay, `$6` max_steps.
const TAKE_TURN: &str =
    "INSERT INTO login_throttle (key, failures, last_at, blocked_until, refused) \
     VALUES ($1, 1, $2, CASE WHEN $4 <= 1 THEN $2 + $5 ELSE 0 END, 0) \
     ON CONFLICT (key) DO UPDATE SET \
     refused = CASE WHEN login_throttle.blocked_until > $2 THEN 1 ELSE 0 END, \
     failures = CASE WHEN login_throttle.blocked_until > $2 THEN login_throttle.failures \
         WHEN login_throttle.last_at < $3 THEN 1 \
         ELSE login_throttle.failures + 1 END, \
     last_at = CASE WHEN login_throttle.blocked_until > $2 THEN login_throttle.last_at \
         ELSE $2 END, \
     blocked_until = CASE WHEN login_throttle.blocked_until > $2 THEN login_throttle.blocked_until \
         WHEN login_throttle.last_at < $3 THEN CASE WHEN $4 <= 1 THEN $2 + $5 ELSE 0 END \
         WHEN login_throttle.failures + 1 < $4 THEN 0 \
         WHEN login_throttle.failures + 2 - $4 > $6 THEN $2 + $5 * $6 \
         ELSE $2 + $5 * (login_throttle.failures + 2 - $4) END \
     RETURNING refused, blocked_until";
/// Give one failure back (an attempt that succeeded or could not be checked); the block goes
/// when the failures fall below `$2` (max_failures).
const GIVE_BACK: &str = "UPDATE login_throttle SET failures = failures - 1, \
     blocked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE blocked_until END \
     WHERE key = $1 AND failures > 0";
const CLEAR_KEY: &str = "DELETE FROM login_throttle WHERE key = $1";
const SWEEP: &str = "DELETE FROM login_throttle WHERE last_at < $1 AND blocked_until < $2";
const FAILURES: &str = "SELECT failures FROM login_throttle WHERE key = $1";

const INSERT_EVENT: &str = "INSERT INTO security_log (at, event, actor_user_id, subject_user_id, \
     email, client, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)";
const LIST_EVENTS: &str = "SELECT id, at, event, actor_user_id, subject_user_id, email, client, \
     detail FROM security_log ORDER BY id DESC LIMIT $1";
const EVENTS_OF: &str = "SELECT id, at, event, actor_user_id, subject_user_id, email, client, \
     detail FROM security_log WHERE subject_user_id = $1 OR actor_user_id = $1 \
     ORDER BY id DESC LIMIT $2";

const INSERT_RESET: &str =
    "INSERT INTO password_resets (token_hash, user_id, created_by, expires_at) \
     VALUES ($1, $2, $3, $4)";
/// Use a reset link: it is deleted in the same statement that finds it, so it works once.
const TAKE_RESET: &str = "DELETE FROM password_resets WHERE token_hash = $1 AND expires_at > $2 \
     RETURNING user_id, created_by";
const DELETE_USER_RESETS: &str = "DELETE FROM password_resets WHERE user_id = $1";

fn event_from_row(row: &impl Columns) -> Result<SecurityEvent, StoreError> {
    let r = Record::new(row, "security_log")?;
    Ok(SecurityEvent {
        id: r.id,
        at: r.int("at")?,
        event: r.text("event")?,
        actor_user_id: r.int_opt("actor_user_id")?,
        subject_user_id: r.int_opt("subject_user_id")?,
        email: r.text("email")?,
        client: r.text("client")?,
        detail: r.text("detail")?,
    })
}

/// Who used a reset link: the account whose password it set and the admin who issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResetUsed {
    pub user_id: i64,
    pub issued_by: i64,
}

impl Store {
    /// Take a turn under `key` at `now` (Unix ms) by `rule`, atomically: parallel attempts each
    /// see the failures of those before them, so no more than the rule allows get through.
    /// Keys whose window has passed are swept first.
    pub async fn take_login_turn(
        &self,
        key: &str,
        now: i64,
        rule: &ThrottleRule,
    ) -> Result<Turn, StoreError> {
        let since = now.saturating_sub(rule.window_ms);
        let (refused, blocked_until): (i64, i64) = on_pool!(self, pool => {
            // Housekeeping: a sweep that fails (say, a deadlock with a parallel sweep on
            // PostgreSQL) must not fail the login; the next one sweeps.
            let _swept = sqlx::query(SWEEP).bind(since).bind(now).execute(pool).await.is_ok();
            sqlx::query_as(TAKE_TURN)
                .bind(key)
                .bind(now)
                .bind(since)
                .bind(rule.max_failures)
                .bind(rule.delay_ms)
                .bind(rule.max_steps)
                .fetch_one(pool)
                .await?
        });
        Ok(if refused == 0 {
            Turn::Admitted
        } else {
            Turn::Refused {
                retry_at: blocked_until,
            }
        })
    }

    /// Give back the failure an admitted turn counted (the attempt succeeded, or could not be
    /// checked).
    pub async fn give_back_login_turn(
        &self,
        key: &str,
        rule: &ThrottleRule,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(GIVE_BACK)
                .bind(key)
                .bind(rule.max_failures)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Forget every failure under `key` (a successful login clears its own pair).
    pub async fn clear_login_key(&self, key: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(CLEAR_KEY).bind(key).execute(pool).await?;
        });
        Ok(())
    }

    /// The failures counted under `key` now (0 when none).
    pub async fn login_failures(&self, key: &str) -> Result<i64, StoreError> {
        let n: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(FAILURES).bind(key).fetch_optional(pool).await?
        });
        Ok(n.unwrap_or(0))
    }

    /// Append a security event (timestamped now).
    pub async fn log_security(&self, e: &NewSecurityEvent<'_>) -> Result<(), StoreError> {
        let at = crate::now_ms();
        on_pool!(self, pool => {
            sqlx::query(INSERT_EVENT)
                .bind(at)
                .bind(e.event)
                .bind(e.actor_user_id)
                .bind(e.subject_user_id)
                .bind(e.email)
                .bind(e.client)
                .bind(e.detail)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The latest `limit` security events, newest first; only those done by or to account
    /// `subject` when given.
    pub async fn security_events(
        &self,
        subject: Option<i64>,
        limit: i64,
    ) -> Result<Vec<SecurityEvent>, StoreError> {
        on_pool!(self, pool => {
            let query = match subject {
                Some(id) => sqlx::query(EVENTS_OF).bind(id).bind(limit),
                None => sqlx::query(LIST_EVENTS).bind(limit),
            };
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(event_from_row)
                .collect()
        })
    }

    /// Record a one-time reset link (by its token's hash) for account `user_id`, issued by
    /// `created_by`, valid until `expires_at` (Unix ms). [`StoreError::NotFound`] if there is no
    /// such account.
    pub async fn add_password_reset(
        &self,
        token_hash: &str,
        user_id: i64,
        created_by: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if self.user_by_id(user_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        on_pool!(self, pool => {
            sqlx::query(INSERT_RESET)
                .bind(token_hash)
                .bind(user_id)
                .bind(created_by)
                .bind(expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Use a reset link at `now`: set the account's password hash, end its tokens, browser
    /// sessions and other reset links, all in one transaction. The link works once;
    /// [`StoreError::NotFound`] if it is unknown, used or expired.
    pub async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<ResetUsed, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let taken: Option<(i64, i64)> = sqlx::query_as(TAKE_RESET)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((user_id, issued_by)) = taken else {
                tx.rollback().await?;
                return Err(StoreError::NotFound);
            };
            sqlx::query(SET_PASSWORD)
                .bind(password_hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for sql in [DELETE_USER_TOKENS, DELETE_USER_WEB_SESSIONS, DELETE_USER_RESETS] {
                sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(ResetUsed { user_id, issued_by })
        })
    }
}
