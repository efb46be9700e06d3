//! Login throttling and the security log.
//!
//! OWASP ASVS 4 V2.2.1 (anti-automation that does not become account lockout):
//! - failures are counted per **(client, account) pair** ([`PAIR_RULE`]): five, then a
//!   progressive delay (30 s more per further failure, at most 15 minutes). Someone guessing from
//!   elsewhere slows only themselves: the owner, from their own client, is never locked out;
//! - and per **client** across all accounts ([`CLIENT_RULE`]), so one client cannot spray
//!   passwords over many accounts (credential stuffing);
//! - the count is **atomic**: an attempt takes its turn — counted as a failure — in the same
//!   statement that decides whether it may go ahead, before its password is hashed
//!   (`Store::take_login_turn`); a successful login gives the turn back. Thirty parallel wrong
//!   passwords cannot all be checked: at most [`MAX_FAILURES`] are (ASVS V11.1.6: no time-of-check
//!   to time-of-use race);
//! - a refused attempt costs no hash and changes nothing; the answer is 429 with `Retry-After`.
//!
//! ASVS V7.1.3 / V7.2.1: every sign-in, failure and refusal goes to the security log, with the
//! client and never the password.

use axum::http::StatusCode;
use painrx_store::{NewSecurityEvent, ThrottleRule, Turn, User};

use crate::extract::Client;
use crate::{AppState, Problem};

/// Failed logins allowed per (client, account) pair before the delay starts.
pub const MAX_FAILURES: i64 = 5;
/// Failures are forgotten 15 minutes after a key's last attempt.
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Each failure past the allowance adds this much delay.
pub const DELAY_STEP_MS: i64 = 30 * 1000;
/// Failed logins allowed per client over all accounts before the delay starts.
pub const MAX_CLIENT_FAILURES: i64 = 50;

/// Per (client, account) pair: 5 failures, then 30 s, 60 s, … up to 15 minutes.
pub const PAIR_RULE: ThrottleRule = ThrottleRule {
    max_failures: MAX_FAILURES,
    window_ms: FAILURE_WINDOW_MS,
    delay_ms: DELAY_STEP_MS,
    max_steps: FAILURE_WINDOW_MS / DELAY_STEP_MS,
};

/// Per client over every account: 50 failures, then the same progressive delay.
pub const CLIENT_RULE: ThrottleRule = ThrottleRule {
    max_failures: MAX_CLIENT_FAILURES,
    ..PAIR_RULE
};

/// The throttle keys of one login attempt, whose turns are taken.
pub(crate) struct Turns {
    client: String,
    pair: String,
}

/// The throttle key of a (client, account) pair.
pub fn pair_key(client: &str, email: &str) -> String {
    format!("pair:{client}|{email}")
}

/// The throttle key of a client.
pub fn client_key(client: &str) -> String {
    format!("client:{client}")
}

fn too_many(who: &str, retry_at: i64, now: i64) -> Problem {
    let wait_ms = retry_at.saturating_sub(now).max(0);
    let seconds = u32::try_from((wait_ms + 999) / 1000).map_or(u32::MAX, |s| s.max(1));
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many failed logins {who}: wait {seconds} seconds and try again"),
    )
    .retry_after(seconds)
}

impl Turns {
    /// Take the client's turn and the pair's, or answer 429 (logged) when either is blocked.
    pub(crate) async fn take(
        state: &AppState,
        client: &Client,
        email: &str,
        now: i64,
    ) -> Result<Turns, Problem> {
        let turns = Turns {
            client: client_key(&client.0),
            pair: pair_key(&client.0, email),
        };
        let store = &state.store;
        let refused = match store
            .take_login_turn(&turns.client, now, &CLIENT_RULE)
            .await?
        {
            Turn::Refused { retry_at } => Some(too_many("from this network", retry_at, now)),
            Turn::Admitted => match store.take_login_turn(&turns.pair, now, &PAIR_RULE).await? {
                Turn::Admitted => None,
                Turn::Refused { retry_at } => {
                    store
                        .give_back_login_turn(&turns.client, &CLIENT_RULE)
                        .await?;
                    Some(too_many(&format!("for `{email}`"), retry_at, now))
                }
            },
        };
        match refused {
            None => Ok(turns),
            Some(problem) => {
                let event = SecurityLog::new(client, "login.throttled").email(email);
                event.detail(&problem.detail).write(state).await?;
                Err(problem)
            }
        }
    }

    /// The password was right: forget the pair's failures, give the client's turn back.
    pub(crate) async fn succeeded(self, state: &AppState) -> Result<(), Problem> {
        state.store.clear_login_key(&self.pair).await?;
        state
            .store
            .give_back_login_turn(&self.client, &CLIENT_RULE)
            .await?;
        Ok(())
    }

    /// The password could not be checked (our failure): count nothing.
    pub(crate) async fn give_back(self, state: &AppState) -> Result<(), Problem> {
        state
            .store
            .give_back_login_turn(&self.pair, &PAIR_RULE)
            .await?;
        state
            .store
            .give_back_login_turn(&self.client, &CLIENT_RULE)
            .await?;
        Ok(())
    }
}

/// A security event being written: what happened, who did it to whom, from where.
pub(crate) struct SecurityLog<'a> {
    event: NewSecurityEvent<'a>,
}

impl<'a> SecurityLog<'a> {
    pub(crate) fn new(client: &'a Client, event: &'a str) -> SecurityLog<'a> {
        SecurityLog {
            event: NewSecurityEvent {
                event,
                client: &client.0,
                ..NewSecurityEvent::default()
            },
        }
    }

    /// Done by `actor`.
    pub(crate) fn by(mut self, actor: &User) -> SecurityLog<'a> {
        self.event.actor_user_id = Some(actor.id);
        self
    }

    /// Done to account `subject` (whose email is recorded if none was named).
    pub(crate) fn to(mut self, subject: &'a User) -> SecurityLog<'a> {
        self.event.subject_user_id = Some(subject.id);
        if self.event.email.is_empty() {
            self.event.email = &subject.email;
        }
        self
    }

    /// The email the request named.
    pub(crate) fn email(mut self, email: &'a str) -> SecurityLog<'a> {
        self.event.email = email;
        self
    }

    pub(crate) fn detail(mut self, detail: &'a str) -> SecurityLog<'a> {
        self.event.detail = detail;
        self
    }

    /// Append it to the security log; if it cannot be written the request fails (500).
    pub(crate) async fn write(self, state: &AppState) -> Result<(), Problem> {
        state.store.log_security(&self.event).await?;
        Ok(())
    }
}
