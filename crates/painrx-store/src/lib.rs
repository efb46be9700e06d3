//! painrx persistence: the symptom diary (with the history of every edit), treatment courses and
//! infusion sessions, on SQLite (an embedded file, the default) or PostgreSQL, behind one type,
//! [`Store`].
//!
//! Architecture Invariant: this crate holds no clinical logic — what makes an entry valid is
//! `painrx_engine::diary`; the store checks it before every write and keeps what it is given. Both
//! dialects have the same tables and columns (`migrations/sqlite`, `migrations/postgres`) and run
//! the same SQL text (`$1` placeholders); only transaction start, row locking and the migration
//! lock differ. No `unwrap`, `expect`, `panic!` or indexing outside tests: database trouble is a
//! [`StoreError::Database`].
//!
//! Durability: SQLite runs in WAL mode with `synchronous=FULL`, so the log is synced to disk before
//! a write returns: an acknowledged write survives a crash of the process (tested by killing a
//! writer with SIGKILL) and, as far as the disk honours fsync, of the machine (not tested).

mod migrate;
mod model;
mod row;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use painrx_engine::assess::Area;
use painrx_engine::diary::{DiaryError, DoseTaken, Entry, EntryData};
use painrx_engine::id::PatientId;
use painrx_engine::time::Date;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, Transaction};

use row::{Columns, Record};

pub use model::{Course, CourseKind, NewCourse, NewSession, Session};

/// How long a SQLite writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a connection from the pool (or for PostgreSQL to answer).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for PostgreSQL when it cannot be reached (sqlx retries the connect
/// until then): an outage answers 503 within this time instead of holding every request for
/// [`ACQUIRE_TIMEOUT`] (`bench/reliability.sh outage`).
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// Bounds used when a date range is open (valid dates are 1900–2200).
const FIRST_DAY: &str = "0000-01-01";
const LAST_DAY: &str = "9999-12-31";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The input was refused before anything was written.
    #[error("{0}")]
    Invalid(String),
    /// No such entry, course or session for this patient.
    #[error("not found")]
    NotFound,
    /// An edit was based on a version that is no longer the current one.
    #[error(
        "the entry was changed meanwhile: it is now at version {current}, reload it and edit again"
    )]
    Conflict { current: i64 },
    #[error("database error: {0}")]
    Database(String),
    /// The database cannot be reached now (connection refused or lost, the database gone, the
    /// pool exhausted, SQLite busy past its timeout): a temporary condition, worth retrying.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("bad database url: {0}")]
    Url(String),
    /// A unique value (an email, a token) is taken.
    #[error("{0}")]
    Duplicate(String),
}

impl From<DiaryError> for StoreError {
    fn from(e: DiaryError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if unavailable(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Database(e.to_string())
        }
    }
}

/// Whether an error means the database cannot be reached now, rather than that a statement
/// failed: IO and TLS failures, the pool timed out or closed, PostgreSQL's connection exceptions
/// (class 08), shutdowns (57P01–57P03), too many connections (53300) and a database that does not
/// exist (3D000, e.g. dropped under a running server); SQLite busy or locked past the timeout.
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // The primary result code is the low byte: SQLITE_BUSY (5), SQLITE_LOCKED (6).
                code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                code.starts_with("08")
                    || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300" | "3D000")
            }
        }
        _ => false,
    }
}

/// The diary store, on SQLite or PostgreSQL. Cheap to clone (clones share one connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What differs between the dialects; everything else is the same SQL text.
pub(crate) trait Dialect {
    type Db: Database;
    /// Start a transaction that will write. SQLite: `BEGIN IMMEDIATE`, taking the write lock at
    /// once (a deferred transaction that reads first can fail with `SQLITE_BUSY` when it upgrades).
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
    /// The dialect's own SQL text.
    fn sql(&self) -> &'static migrate::DialectSql;
}

impl Dialect for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
    fn sql(&self) -> &'static migrate::DialectSql {
        &migrate::SQLITE_SQL
    }
}

impl Dialect for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
    fn sql(&self) -> &'static migrate::DialectSql {
        &migrate::POSTGRES_SQL
    }
}

/// Run `$body` with `$pool` bound to the store's pool, whichever the dialect: the body is written
/// once and type-checked for each.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

mod accounts;
mod security;

use accounts::audit_query;
pub use accounts::{fold_email, now_ms, AuditNote, AuditRecord, Role, User};
pub use security::{NewSecurityEvent, ResetUsed, SecurityEvent, ThrottleRule, Turn};

/// The data columns of `entries` and `entry_history`, in the order `bind_entry!` binds them.
macro_rules! data_cols {
    () => {
        "date, time, pain, fatigue, sleep, stiffness, fog, mood, anxiety, \
         areas, doses, side_effects, note, wpi, sss, fiqr"
    };
}

/// Bind the 16 data columns of an entry (see `data_cols!`).
macro_rules! bind_entry {
    ($query:expr, $c:expr) => {
        $query
            .bind(&$c.date)
            .bind(&$c.time)
            .bind($c.pain)
            .bind($c.fatigue)
            .bind($c.sleep)
            .bind($c.stiffness)
            .bind($c.fog)
            .bind($c.mood)
            .bind($c.anxiety)
            .bind(&$c.areas)
            .bind(&$c.doses)
            .bind(&$c.side_effects)
            .bind(&$c.note)
            .bind($c.wpi)
            .bind($c.sss)
            .bind($c.fiqr)
    };
}

const INSERT_ENTRY: &str = concat!(
    "INSERT INTO entries (patient, version, ",
    data_cols!(),
    ") VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
     RETURNING id"
);
const SELECT_ENTRY: &str = concat!(
    "SELECT id, patient, version, ",
    data_cols!(),
    " FROM entries WHERE patient = $1 AND id = $2"
);
const LIST_ENTRIES: &str = concat!(
    "SELECT id, patient, version, ",
    data_cols!(),
    " FROM entries WHERE patient = $1 AND date >= $2 AND date <= $3 \
     ORDER BY date, time NULLS FIRST, id LIMIT $4 OFFSET $5"
);
const ARCHIVE_ENTRY: &str = concat!(
    "INSERT INTO entry_history (entry_id, patient, version, ",
    data_cols!(),
    ") SELECT id, patient, version, ",
    data_cols!(),
    " FROM entries WHERE patient = $1 AND id = $2"
);
const UPDATE_ENTRY: &str = "UPDATE entries SET version = version + 1, \
     date = $3, time = $4, pain = $5, fatigue = $6, sleep = $7, stiffness = $8, fog = $9, \
     mood = $10, anxiety = $11, areas = $12, doses = $13, side_effects = $14, note = $15, \
     wpi = $16, sss = $17, fiqr = $18 \
     WHERE patient = $1 AND id = $2 AND version = $19";
const ENTRY_HISTORY: &str = concat!(
    "SELECT entry_id AS id, patient, version, ",
    data_cols!(),
    " FROM entry_history WHERE patient = $1 AND entry_id = $2 \
     UNION ALL SELECT id, patient, version, ",
    data_cols!(),
    " FROM entries WHERE patient = $1 AND id = $2 ORDER BY version"
);

const INSERT_COURSE: &str = "INSERT INTO courses (patient, kind, drug, started, plan, note) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
const LIST_COURSES: &str = "SELECT id, patient, kind, drug, started, plan, note FROM courses \
     WHERE patient = $1 ORDER BY started, id";
const COURSE_KIND: &str = "SELECT kind FROM courses WHERE patient = $1 AND id = $2";

const SESSION_COLS_INSERT: &str = "INSERT INTO sessions (course_id, patient, date, start_time, \
     infusion_minutes, observation_minutes, escort_confirmed, screening, adverse_effects, \
     pain_before, pain_after, note) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
const LIST_SESSIONS: &str = "SELECT id, course_id, patient, date, start_time, infusion_minutes, \
     observation_minutes, escort_confirmed, screening, adverse_effects, pain_before, pain_after, \
     note FROM sessions WHERE patient = $1 AND course_id = $2 ORDER BY date, start_time, id";

/// An entry's data as column values.
struct Cols {
    date: String,
    time: Option<String>,
    pain: i64,
    fatigue: Option<i64>,
    sleep: Option<i64>,
    stiffness: Option<i64>,
    fog: Option<i64>,
    mood: Option<i64>,
    anxiety: Option<i64>,
    areas: String,
    doses: String,
    side_effects: String,
    note: Option<String>,
    wpi: Option<i64>,
    sss: Option<i64>,
    fiqr: Option<f64>,
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("cannot encode: {e}")))
}

impl Cols {
    /// Validate `data` and turn it into column values.
    fn of(data: &EntryData) -> Result<Cols, StoreError> {
        data.validate()?;
        let n = |v: Option<u8>| v.map(i64::from);
        Ok(Cols {
            date: data.date.to_string(),
            time: data.time.map(|t| t.to_string()),
            pain: i64::from(data.pain),
            fatigue: n(data.fatigue),
            sleep: n(data.sleep),
            stiffness: n(data.stiffness),
            fog: n(data.fog),
            mood: n(data.mood),
            anxiety: n(data.anxiety),
            areas: to_json(&data.areas)?,
            doses: to_json(&data.doses)?,
            side_effects: to_json(&data.side_effects)?,
            note: data.note.clone(),
            wpi: n(data.wpi),
            sss: n(data.sss),
            fiqr: data.fiqr,
        })
    }
}

fn entry_from_row(row: &impl Columns) -> Result<Entry, StoreError> {
    let r = Record::new(row, "entries")?;
    let score = |column: &'static str| r.small_opt(column, 10);
    let data = EntryData {
        date: r.parsed("date")?,
        time: r.parsed_opt("time")?,
        pain: r.small("pain", 10)?,
        fatigue: score("fatigue")?,
        sleep: score("sleep")?,
        stiffness: score("stiffness")?,
        fog: score("fog")?,
        mood: score("mood")?,
        anxiety: score("anxiety")?,
        areas: r.json::<Vec<Area>>("areas")?,
        doses: r.json::<Vec<DoseTaken>>("doses")?,
        side_effects: r.json("side_effects")?,
        note: r.text_opt("note")?,
        wpi: r.small_opt("wpi", u8::MAX)?,
        sss: r.small_opt("sss", u8::MAX)?,
        fiqr: r.real_opt("fiqr")?,
    };
    Ok(Entry {
        id: r.id,
        patient: r.parsed("patient")?,
        version: r.int("version")?,
        data,
    })
}

fn course_from_row(row: &impl Columns) -> Result<Course, StoreError> {
    let r = Record::new(row, "courses")?;
    Ok(Course {
        id: r.id,
        patient: r.parsed("patient")?,
        kind: r.word("kind", CourseKind::parse)?,
        drug: r.parsed("drug")?,
        started: r.parsed("started")?,
        plan: r.json("plan")?,
        note: r.text_opt("note")?,
    })
}

fn session_from_row(row: &impl Columns) -> Result<Session, StoreError> {
    let r = Record::new(row, "sessions")?;
    Ok(Session {
        id: r.id,
        course_id: r.int("course_id")?,
        patient: r.parsed("patient")?,
        data: NewSession {
            date: r.parsed("date")?,
            start_time: r.parsed("start_time")?,
            infusion_minutes: r.minutes("infusion_minutes")?,
            observation_minutes: r.minutes("observation_minutes")?,
            escort_confirmed: r.flag("escort_confirmed")?,
            screening: r.json("screening")?,
            adverse_effects: r.json("adverse_effects")?,
            pain_before: r.small_opt("pain_before", 10)?,
            pain_after: r.small_opt("pain_after", 10)?,
            note: r.text_opt("note")?,
        },
    })
}

/// The name of a URL's scheme, for messages (never the whole URL: it may hold a password).
fn scheme(url: &str) -> &str {
    url.split_once("://").map_or(url, |(s, _)| s)
}

impl Store {
    /// Open (and migrate) a store. `postgres://…` (or `postgresql://…`) is PostgreSQL;
    /// `sqlite://PATH`, `sqlite:PATH` or a plain file path is SQLite, the file created if missing.
    ///
    /// SQLite connections use WAL, `synchronous=FULL`, foreign keys and a 5 s busy timeout.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options =
                PgConnectOptions::from_str(url).map_err(|e| StoreError::Url(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            Backend::Postgres(pool)
        } else {
            let options = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Url(e.to_string()))?
            } else if url.contains("://") {
                return Err(StoreError::Url(format!(
                    "unknown scheme `{}`: use postgres://, sqlite:// or a file path",
                    scheme(url)
                )));
            } else if url.trim().is_empty() {
                return Err(StoreError::Url(
                    "empty: use postgres://, sqlite:// or a file path".to_string(),
                ));
            } else {
                SqliteConnectOptions::new().filename(url)
            };
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT);
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            Backend::Sqlite(pool)
        };
        let store = Store { backend };
        store.migrate().await?;
        Ok(store)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn dialect(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// One round trip to the database (for readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()).map_err(StoreError::from))
    }

    /// Close every connection (waiting for those in use to be returned).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Apply the migrations not yet recorded in `schema_version`, each in its own transaction.
    async fn migrate(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(pool.sql().migration_lock).execute(&mut *tx).await?;
            sqlx::raw_sql(pool.sql().schema_version_table).execute(&mut *tx).await?;
            let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            let known = pool.sql().migrations.iter().map(|m| m.version).max().unwrap_or(0);
            if let Some(newest) = newest.filter(|n| *n > known) {
                return Err(StoreError::Database(format!(
                    "the database schema is at version {newest}, newer than this painrx \
                     knows (up to {known}): upgrade painrx"
                )));
            }
            for m in pool.sql().migrations {
                let mut tx = pool.begin_write().await?;
                sqlx::query(pool.sql().migration_lock).execute(&mut *tx).await?;
                let applied: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM schema_version WHERE version = $1")
                        .bind(m.version)
                        .fetch_one(&mut *tx)
                        .await?;
                if applied == 0 {
                    sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(|e| {
                        StoreError::Database(format!("migration {} ({}): {e}", m.version, m.name))
                    })?;
                    sqlx::query("INSERT INTO schema_version (version, name) VALUES ($1, $2)")
                        .bind(m.version)
                        .bind(m.name)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Ok(())
        })
    }

    /// Add a diary entry (validated first); it starts at version 1.
    pub async fn add_entry(
        &self,
        patient: &PatientId,
        data: &EntryData,
    ) -> Result<Entry, StoreError> {
        self.add_entry_with(patient, data, None).await
    }

    /// Add a diary entry and its audit row (whose entry id is the new entry's) in one
    /// transaction: both are written, or neither.
    pub async fn add_entry_audited(
        &self,
        patient: &PatientId,
        data: &EntryData,
        audit: &AuditNote<'_>,
    ) -> Result<Entry, StoreError> {
        self.add_entry_with(patient, data, Some(audit)).await
    }

    async fn add_entry_with(
        &self,
        patient: &PatientId,
        data: &EntryData,
        audit: Option<&AuditNote<'_>>,
    ) -> Result<Entry, StoreError> {
        let c = Cols::of(data)?;
        let id: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = bind_entry!(sqlx::query_scalar(INSERT_ENTRY).bind(patient.as_str()), c)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(a) = audit {
                audit_query(a, patient.as_str(), Some(id)).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        Ok(Entry {
            id,
            patient: patient.clone(),
            version: 1,
            data: data.clone(),
        })
    }

    /// Add many entries in one transaction (an import): all are written, or none. Every entry is
    /// validated before anything is written; the error names the first bad one (counting from 1).
    pub async fn add_entries(
        &self,
        patient: &PatientId,
        data: &[EntryData],
    ) -> Result<Vec<Entry>, StoreError> {
        self.add_entries_with(patient, data, None).await
    }

    /// [`Store::add_entries`] with the import's audit row in the same transaction.
    pub async fn add_entries_audited(
        &self,
        patient: &PatientId,
        data: &[EntryData],
        audit: &AuditNote<'_>,
    ) -> Result<Vec<Entry>, StoreError> {
        self.add_entries_with(patient, data, Some(audit)).await
    }

    async fn add_entries_with(
        &self,
        patient: &PatientId,
        data: &[EntryData],
        audit: Option<&AuditNote<'_>>,
    ) -> Result<Vec<Entry>, StoreError> {
        let cols = data
            .iter()
            .enumerate()
            .map(|(i, d)| {
                Cols::of(d).map_err(|e| StoreError::Invalid(format!("entry {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<Cols>, StoreError>>()?;
        let ids: Vec<i64> = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ids = Vec::with_capacity(cols.len());
            for c in &cols {
                let id: i64 = bind_entry!(sqlx::query_scalar(INSERT_ENTRY).bind(patient.as_str()), c)
                    .fetch_one(&mut *tx)
                    .await?;
                ids.push(id);
            }
            if let Some(a) = audit {
                audit_query(a, patient.as_str(), None).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            ids
        });
        Ok(ids
            .into_iter()
            .zip(data)
            .map(|(id, d)| Entry {
                id,
                patient: patient.clone(),
                version: 1,
                data: d.clone(),
            })
            .collect())
    }

    /// The current version of an entry of this patient (`None` if there is none, including when
    /// the id belongs to another patient).
    pub async fn get_entry(
        &self,
        patient: &PatientId,
        id: i64,
    ) -> Result<Option<Entry>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(SELECT_ENTRY)
                .bind(patient.as_str())
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|row| entry_from_row(&row))
                .transpose()
        })
    }

    /// Every current entry of a patient within `[from, to]`, oldest first, read in pages of
    /// 1000 (for reports and exports).
    pub async fn all_entries(
        &self,
        patient: &PatientId,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<Entry>, StoreError> {
        const PAGE: i64 = 1000;
        let mut out = Vec::new();
        loop {
            let offset = i64::try_from(out.len()).unwrap_or(i64::MAX);
            let page = self.list_entries(patient, from, to, PAGE, offset).await?;
            let done = i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// A patient's entries ordered by date, time (entries without a time first) and id, with an
    /// optional inclusive date range, at most `limit` from `offset`.
    pub async fn list_entries(
        &self,
        patient: &PatientId,
        from: Option<Date>,
        to: Option<Date>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Entry>, StoreError> {
        if limit < 0 || offset < 0 {
            return Err(StoreError::Invalid(format!(
                "limit and offset must not be negative (got `{limit}` and `{offset}`)"
            )));
        }
        on_pool!(self, pool => {
            sqlx::query(LIST_ENTRIES)
                .bind(patient.as_str())
                .bind(from.map_or_else(|| FIRST_DAY.to_string(), |d| d.to_string()))
                .bind(to.map_or_else(|| LAST_DAY.to_string(), |d| d.to_string()))
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?
                .iter()
                .map(entry_from_row)
                .collect()
        })
    }

    /// Replace an entry's data. The version replaced goes to the history; the edit is refused with
    /// [`StoreError::Conflict`] unless `expected_version` is the current version, so an edit made
    /// on a stale copy never overwrites a newer one. Returns the entry at its new version.
    pub async fn edit_entry(
        &self,
        patient: &PatientId,
        id: i64,
        expected_version: i64,
        data: &EntryData,
    ) -> Result<Entry, StoreError> {
        self.edit_entry_with(patient, (id, expected_version), data, None)
            .await
    }

    /// [`Store::edit_entry`] with its audit row in the same transaction.
    pub async fn edit_entry_audited(
        &self,
        patient: &PatientId,
        (id, expected_version): (i64, i64),
        data: &EntryData,
        audit: &AuditNote<'_>,
    ) -> Result<Entry, StoreError> {
        self.edit_entry_with(patient, (id, expected_version), data, Some(audit))
            .await
    }

    async fn edit_entry_with(
        &self,
        patient: &PatientId,
        (id, expected_version): (i64, i64),
        data: &EntryData,
        audit: Option<&AuditNote<'_>>,
    ) -> Result<Entry, StoreError> {
        let c = Cols::of(data)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let current: Option<i64> = sqlx::query_scalar(pool.sql().lock_entry)
                .bind(patient.as_str())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            match current {
                None => {
                    tx.rollback().await?;
                    return Err(StoreError::NotFound);
                }
                Some(current) if current != expected_version => {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict { current });
                }
                Some(_) => {}
            }
            sqlx::query(ARCHIVE_ENTRY)
                .bind(patient.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let updated = bind_entry!(sqlx::query(UPDATE_ENTRY).bind(patient.as_str()).bind(id), c)
                .bind(expected_version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                tx.rollback().await?;
                return Err(StoreError::Database(format!(
                    "entry {id} changed under a row lock ({} rows updated)",
                    updated.rows_affected()
                )));
            }
            if let Some(a) = audit {
                audit_query(a, patient.as_str(), Some(id)).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(Entry {
            id,
            patient: patient.clone(),
            version: expected_version + 1,
            data: data.clone(),
        })
    }

    /// Every version of an entry, oldest first: the history, then the current version.
    /// [`StoreError::NotFound`] if the patient has no such entry.
    pub async fn history(&self, patient: &PatientId, id: i64) -> Result<Vec<Entry>, StoreError> {
        let versions: Vec<Entry> = on_pool!(self, pool => {
            sqlx::query(ENTRY_HISTORY)
                .bind(patient.as_str())
                .bind(id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(entry_from_row)
                .collect::<Result<_, _>>()?
        });
        if versions.is_empty() {
            return Err(StoreError::NotFound);
        }
        Ok(versions)
    }

    /// Add a treatment course (validated first).
    pub async fn add_course(
        &self,
        patient: &PatientId,
        course: &NewCourse,
    ) -> Result<Course, StoreError> {
        course.validate()?;
        let plan = to_json(&course.plan)?;
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(INSERT_COURSE)
                .bind(patient.as_str())
                .bind(course.kind.as_str())
                .bind(course.drug.as_str())
                .bind(course.started.to_string())
                .bind(&plan)
                .bind(&course.note)
                .fetch_one(pool)
                .await?
        });
        Ok(Course {
            id,
            patient: patient.clone(),
            kind: course.kind,
            drug: course.drug.clone(),
            started: course.started,
            plan: course.plan.clone(),
            note: course.note.clone(),
        })
    }

    /// A patient's courses, by start date then id.
    pub async fn list_courses(&self, patient: &PatientId) -> Result<Vec<Course>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(LIST_COURSES)
                .bind(patient.as_str())
                .fetch_all(pool)
                .await?
                .iter()
                .map(course_from_row)
                .collect()
        })
    }

    /// The kind of a course of this patient ([`StoreError::NotFound`] if none).
    async fn course_kind(
        &self,
        patient: &PatientId,
        course_id: i64,
    ) -> Result<CourseKind, StoreError> {
        let kind: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar(COURSE_KIND)
                .bind(patient.as_str())
                .bind(course_id)
                .fetch_optional(pool)
                .await?
        });
        let kind = kind.ok_or(StoreError::NotFound)?;
        CourseKind::parse(&kind).ok_or_else(|| row::corrupt("courses", course_id, "kind", &kind))
    }

    /// Add an infusion session to an infusion course of this patient (validated first).
    pub async fn add_session(
        &self,
        patient: &PatientId,
        course_id: i64,
        session: &NewSession,
    ) -> Result<Session, StoreError> {
        session.validate()?;
        let kind = self.course_kind(patient, course_id).await?;
        if kind != CourseKind::Infusion {
            return Err(StoreError::Invalid(format!(
                "course {course_id} is a {} course: sessions belong to infusion courses",
                kind.as_str()
            )));
        }
        let screening = to_json(&session.screening)?;
        let adverse = to_json(&session.adverse_effects)?;
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(SESSION_COLS_INSERT)
                .bind(course_id)
                .bind(patient.as_str())
                .bind(session.date.to_string())
                .bind(session.start_time.to_string())
                .bind(i64::from(session.infusion_minutes))
                .bind(i64::from(session.observation_minutes))
                .bind(session.escort_confirmed)
                .bind(&screening)
                .bind(&adverse)
                .bind(session.pain_before.map(i64::from))
                .bind(session.pain_after.map(i64::from))
                .bind(&session.note)
                .fetch_one(pool)
                .await?
        });
        Ok(Session {
            id,
            course_id,
            patient: patient.clone(),
            data: session.clone(),
        })
    }

    /// The sessions of a course of this patient, by date, start time and id
    /// ([`StoreError::NotFound`] if the patient has no such course).
    pub async fn list_sessions(
        &self,
        patient: &PatientId,
        course_id: i64,
    ) -> Result<Vec<Session>, StoreError> {
        self.course_kind(patient, course_id).await?;
        on_pool!(self, pool => {
            sqlx::query(LIST_SESSIONS)
                .bind(patient.as_str())
                .bind(course_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(session_from_row)
                .collect()
        })
    }
}
