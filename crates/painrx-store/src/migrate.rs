//! Schema migrations: plain SQL files embedded in the binary, one folder per dialect, applied in
//! order and recorded in `schema_version`. Each migration runs in its own transaction together with
//! its `schema_version` row, so a crash leaves it either fully applied or not at all.

/// One migration of one dialect.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Both dialects' migrations from one list, oldest first, so the two cannot drift apart: each
/// entry names one file that must exist under `migrations/sqlite/` and `migrations/postgres/`
/// (same version, same meaning, each dialect's own SQL).
macro_rules! migrations {
    ($(($version:literal, $name:literal, $file:literal)),* $(,)?) => {
        /// SQLite migrations, oldest first.
        pub(crate) const SQLITE: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/sqlite/", $file)),
        }),*];

        /// PostgreSQL migrations, oldest first.
        pub(crate) const POSTGRES: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/postgres/", $file)),
        }),*];
    };
}

migrations! {
    (1, "diary", "0001_diary.sql"),
    (2, "accounts", "0002_accounts.sql"),
    (3, "web sessions", "0003_web_sessions.sql"),
    (4, "security", "0004_security.sql"),
}

/// The SQL text that differs between the dialects, outside the migrations themselves.
pub(crate) struct DialectSql {
    /// Create the `schema_version` table if it is missing.
    pub schema_version_table: &'static str,
    /// Taken inside each migration's transaction so that two processes opening the same
    /// database at once do not both migrate it. On PostgreSQL, a transaction-scoped advisory lock
    /// (the key is arbitrary but fixed: "painrx" in ASCII); on SQLite, `BEGIN IMMEDIATE` already
    /// holds the write lock.
    pub migration_lock: &'static str,
    /// Read the current version of an entry (patient `$1`, id `$2`), locking its row until the
    /// transaction ends (PostgreSQL `FOR UPDATE`; SQLite already holds the database write lock).
    pub lock_entry: &'static str,
    /// Taken inside a transaction that counts the accounts before adding one (the first account
    /// becomes the admin): PostgreSQL locks the table against other writers until the
    /// transaction ends; SQLite's `BEGIN IMMEDIATE` already holds the database's write lock.
    pub lock_users: &'static str,
    pub migrations: &'static [Migration],
}

pub(crate) const SQLITE_SQL: DialectSql = DialectSql {
    schema_version_table: "CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)",
    migration_lock: "SELECT 1",
    lock_entry: "SELECT version FROM entries WHERE patient = $1 AND id = $2",
    lock_users: "SELECT 1",
    migrations: SQLITE,
};

pub(crate) const POSTGRES_SQL: DialectSql = DialectSql {
    schema_version_table: "CREATE TABLE IF NOT EXISTS schema_version (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)",
    migration_lock: "SELECT pg_advisory_xact_lock(123563682984568)",
    lock_entry: "SELECT version FROM entries WHERE patient = $1 AND id = $2 FOR UPDATE",
    lock_users: "LOCK TABLE users IN EXCLUSIVE MODE",
    migrations: POSTGRES,
};
