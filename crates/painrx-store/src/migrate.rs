//! Schema migrations: plain SQL files embedded in the binary, one folder per dialect, applied in
//! order and recorded in `schema_version`. Each migration runs in its own transaction together with
//! its `schema_version` row, so a crash leaves it either fully applied or not at all.

/// One migration of one dialect.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// SQLite migrations, oldest first. Keep in step with [`POSTGRES`]: same versions, same meaning.
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "diary",
        sql: include_str!("../migrations/sqlite/0001_diary.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../migrations/sqlite/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "web sessions",
        sql: include_str!("../migrations/sqlite/0003_web_sessions.sql"),
    },
];

/// PostgreSQL migrations, oldest first.
pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "diary",
        sql: include_str!("../migrations/postgres/0001_diary.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../migrations/postgres/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "web sessions",
        sql: include_str!("../migrations/postgres/0003_web_sessions.sql"),
    },
];

pub(crate) const SQLITE_SCHEMA_VERSION: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)";

pub(crate) const POSTGRES_SCHEMA_VERSION: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// On PostgreSQL, a transaction-scoped advisory lock so that two processes opening the same
/// database at once do not both migrate it (the key is arbitrary but fixed: "painrx" in ASCII).
/// On SQLite, `BEGIN IMMEDIATE` already holds the write lock.
pub(crate) const POSTGRES_LOCK: &str = "SELECT pg_advisory_xact_lock(123563682984568)";
pub(crate) const SQLITE_LOCK: &str = "SELECT 1";
