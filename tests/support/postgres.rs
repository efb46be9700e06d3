//! A fresh PostgreSQL database per test run, dropped afterwards even when the test fails. The
//! store's and the server's tests include this file with `#[path = …] mod postgres;`.
//!
//! PostgreSQL is required, never skipped: a server that cannot be reached fails the test with a
//! message that says how to start one (`PAINRX_TEST_PG_URL` names another admin URL).

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use sqlx::Connection;

/// The admin URL: `PAINRX_TEST_PG_URL`, else the local server's `postgres` database.
pub fn admin_url() -> String {
    std::env::var("PAINRX_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// The admin URL with its database replaced by `db`.
pub fn with_database(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let (scheme, rest) = base
        .split_once("://")
        .unwrap_or_else(|| panic!("not a URL: {admin}"));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{db}{query}")
}

/// A name no other run will use.
pub fn unique_suffix() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// Create a database named `{prefix}_{unique}`, run `test` with its URL in its own task, drop the
/// database, then fail the way `test` failed, if it did.
pub async fn with_fresh_database<F, Fut>(prefix: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = admin_url();
    let mut admin = tokio::time::timeout(
        Duration::from_secs(15),
        sqlx::PgConnection::connect(&admin_url),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "PostgreSQL is required for these tests and did not answer within 15 s at \
             {admin_url}. Start a server on 127.0.0.1:5432 or set PAINRX_TEST_PG_URL"
        )
    })
    .unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for these tests and cannot be reached at {admin_url}: {e}. \
             Start a server (user postgres, trust auth) on 127.0.0.1:5432 or set \
             PAINRX_TEST_PG_URL to an admin URL"
        )
    });
    let db = format!("{prefix}_{}", unique_suffix());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {db}: {e}"));
    let run = tokio::spawn(test(with_database(&admin_url, &db))).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap_or_else(|e| panic!("DROP DATABASE {db}: {e}"));
    admin
        .close()
        .await
        .unwrap_or_else(|e| panic!("closing the admin connection: {e}"));
    if let Err(e) = run {
        std::panic::resume_unwind(e.into_panic());
    }
}
