//! Regressions for the defects an outside probe found (issue 13): each test fails on the code
//! the probe ran against. `docs/BAD-INPUT.md` names them per class of bad input.

use super::*;

use painrx_server::Work;
use sqlx::Connection;

/// A state on a fresh SQLite store whose pools have `permits` permits each.
async fn bounded_state(permits: usize) -> (AppState, tempfile::TempDir) {
    let (mut st, dir) = state().await;
    st.work = Work::new(permits);
    (st, dir)
}

// ---- 1. bounded hashing and knowledge work ---------------------------------------------------

/// Probe: 128 parallel logins took the server from 23 MiB to 3 GB (19 MiB per Argon2 hash, no
/// bound). Now hashes run in a pool of N permits: never more at once, whatever arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_logins_never_hash_more_than_the_permits() {
    let (st, _dir) = bounded_state(2).await;
    let app = app(st.clone());
    account(&app, "many@example.org", "patient", None).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let app = app.clone();
        calls.spawn(async move { login(&app, "many@example.org", "correct horse battery").await });
    }
    while let Some(answer) = calls.join_next().await {
        let (status, _, v) = answer.unwrap();
        assert!(matches!(status.as_u16(), 200 | 401 | 429), "{status} {v}");
    }
    assert!(st.work.hashing_peak() >= 1);
    assert!(
        st.work.hashing_peak() <= 2,
        "at most 2 hashes at once, saw {}",
        st.work.hashing_peak()
    );
}

/// Probe: CPU work ran on the async workers, so four long names made a 4 ms request take
/// 15.7 s. Now it runs on blocking threads: on a one-thread runtime, `/healthz` answers while a
/// content check is still being computed.
#[tokio::test(flavor = "current_thread")]
async fn healthz_answers_while_knowledge_work_runs() {
    let (st, _dir) = bounded_state(1).await;
    let app = app(st.clone());
    let heavy = tokio::spawn({
        let app = app.clone();
        async move { respond(app, json_request("GET", "/api/v1/kb/check", None, None)).await }
    });
    tokio::task::yield_now().await;
    let (status, _, _) = respond(app, json_request("GET", "/healthz", None, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !heavy.is_finished(),
        "the content check blocked the only async worker until it was done"
    );
    let (status, _, _) = heavy.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(st.work.compute_peak() == 1);
}

// ---- 12. the content check is computed once per process --------------------------------------

/// Probe: `GET /api/v1/kb/check` is public and cost 68 ms of CPU per call. The knowledge base
/// does not change while the server runs, so the answer is computed once: a file added to the
/// content folder afterwards changes nothing.
#[tokio::test]
async fn kb_check_is_computed_once_per_process() {
    let content = tempfile::tempdir().unwrap();
    let (mut st, _dir) = state().await;
    st.content_dir = Some(content.path().to_path_buf());
    let app = app(st);
    let (s, _, first) = send(&app, "GET", "/api/v1/kb/check", None, None).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    std::fs::create_dir_all(content.path().join("drugs")).unwrap();
    std::fs::write(content.path().join("drugs/broken.md"), "---\nnot: [yaml\n").unwrap();
    let (s, _, second) = send(&app, "GET", "/api/v1/kb/check", None, None).await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(first, second, "the second call is the first call's answer");
}

// ---- 2. login throttling: atomic, per (client, account) pair, progressive ----------------------

/// A request from a client at `ip` (as `axum::serve` with connect info records it).
fn from_client(mut request: Request<Body>, ip: &str) -> Request<Body> {
    let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    request
}

/// `POST /api/v1/auth/login` from the client at `ip`: status, headers, JSON body.
async fn login_from(
    app: &axum::Router,
    ip: &str,
    email: &str,
    password: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let body = json!({"email": email, "password": password});
    let request = json_request("POST", "/api/v1/auth/login", None, Some(body));
    let (status, headers, bytes) = respond(app.clone(), from_client(request, ip)).await;
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Probe: the failure was counted before it was recorded, so 30 parallel wrong passwords were
/// all checked. Now each attempt takes its turn atomically: five are checked, the rest are 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_parallel_wrong_passwords_check_at_most_five() {
    let (st, _dir) = state().await;
    let app = app(st);
    account(&app, "target@example.org", "patient", None).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let app = app.clone();
        calls.spawn(async move {
            login_from(&app, "203.0.113.9", "target@example.org", "wrong guess 123").await
        });
    }
    let (mut checked, mut refused) = (0, 0);
    while let Some(answer) = calls.join_next().await {
        let (status, headers, v) = answer.unwrap();
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                assert!(headers.contains_key("retry-after"), "{v}");
            }
            other => panic!("{other}: {v}"),
        }
    }
    assert_eq!((checked, refused), (5, 25));
}

/// Probe: anyone could lock any account for 15 minutes (failures were counted per email). Now
/// they are counted per (client, account): the guesser waits, the owner signs in from home.
#[tokio::test]
async fn a_guesser_elsewhere_cannot_lock_the_owner_out() {
    let (st, _dir) = state().await;
    let app = app(st.clone());
    account(&app, "owner@example.org", "patient", None).await;
    for _ in 0..5 {
        let (s, _, v) = login_from(&app, "203.0.113.9", "owner@example.org", "guess 12345").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    let (s, headers, v) = login_from(
        &app,
        "203.0.113.9",
        "owner@example.org",
        "correct horse battery",
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let wait: u64 = header_of(&headers, "retry-after").parse().unwrap();
    assert!((1..=30).contains(&wait), "a progressive delay: {wait}");
    let (s, _, v) = login_from(
        &app,
        "198.51.100.7",
        "owner@example.org",
        "correct horse battery",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the owner, from their own client: {v}");
    // Every outcome is in the security log, with the client and never the password.
    let events = st.store.security_events(None, 100).await.unwrap();
    let seen = |event: &str, client: &str| {
        events
            .iter()
            .filter(|e| e.event == event && e.client == client)
            .count()
    };
    assert_eq!(seen("login.failure", "203.0.113.9"), 5);
    assert_eq!(seen("login.throttled", "203.0.113.9"), 1);
    assert_eq!(seen("login.success", "198.51.100.7"), 1);
    assert_eq!(seen("token.create", "198.51.100.7"), 1);
    assert!(events
        .iter()
        .all(|e| !e.detail.contains("guess") && !e.detail.contains("horse")));
}

/// One client spraying passwords over many accounts is slowed too (credential stuffing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_spray_many_accounts() {
    let (st, _dir) = state().await;
    let app = app(st);
    for n in 0..painrx_server::throttle::MAX_CLIENT_FAILURES {
        let email = format!("victim{n}@example.org");
        let (s, _, v) = login_from(&app, "192.0.2.1", &email, "Summer2025!!").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{n}: {v}");
    }
    let (s, _, v) = login_from(&app, "192.0.2.1", "fresh@example.org", "Summer2025!!").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("from this network"),
        "{v}"
    );
    let (s, _, v) = login_from(&app, "192.0.2.2", "fresh@example.org", "Summer2025!!").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "another client is not slowed: {v}"
    );
}

// ---- 13. tokens expire; HSTS behind TLS -------------------------------------------------------

/// Probe: API tokens never expired. Now they last `token_ttl_ms` (30 days by default).
#[tokio::test]
async fn api_tokens_expire() {
    let (mut st, _dir) = state().await;
    let app_30_days = app(st.clone());
    st.token_ttl_ms = 1;
    let app_1_ms = app(st);
    account(&app_30_days, "brief@example.org", "patient", None).await;
    let (s, _, v) = login(&app_30_days, "brief@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK);
    let expires = v["expires_at"].as_i64().unwrap();
    let in_30_days = painrx_store::now_ms() + painrx_server::TOKEN_TTL_MS;
    assert!((in_30_days - 60_000..=in_30_days).contains(&expires), "{v}");
    let (s, _, v) = login(&app_1_ms, "brief@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK);
    let token = v["token"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (s, ct, v) = send(&app_1_ms, "GET", "/api/v1/me", Some(&token), None).await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
}

/// Probe: no HSTS header. Behind TLS every response asks browsers to use HTTPS only.
#[tokio::test]
async fn hsts_behind_tls_only() {
    let (mut st, _dir) = state().await;
    let (_, plain, _) = respond(app(st.clone()), json_request("GET", "/healthz", None, None)).await;
    assert!(!plain.contains_key("strict-transport-security"));
    st.secure_cookies = true;
    for uri in ["/healthz", "/", "/api/v1/nothing"] {
        let (_, headers, _) = respond(app(st.clone()), json_request("GET", uri, None, None)).await;
        assert_eq!(
            header_of(&headers, "strict-transport-security"),
            painrx_server::HSTS,
            "{uri}"
        );
    }
}

// ---- 3. password resets: a one-time link, never a password the admin knows --------------------

/// Probe: an admin read a diary without a link by resetting the patient's password and signing
/// in as the patient; the reset was not audited. Now an admin cannot choose a password: they get
/// a one-time link for the owner, the old password keeps working until it is used, and both
/// steps are in the security log.
#[tokio::test]
async fn an_admin_reset_never_sets_a_password_the_admin_knows() {
    let (st, _dir) = state().await;
    let app = app(st.clone());
    let (admin_id, admin) = account(&app, "boss@example.org", "admin", None).await;
    let (pat_id, pat) = account(&app, "kept@example.org", "patient", None).await;
    let (s, _, _) = post(
        &app,
        "/api/v1/diary/entries",
        Some(&pat),
        entry_json("2025-01-02", 4),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let reset = format!("/api/v1/users/{pat_id}/password");
    let (s, ct, v) = post(
        &app,
        &reset,
        Some(&admin),
        json!({"password": "admin knows this"}),
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, v) = login(&app, "kept@example.org", "admin knows this").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, _, link) = post(&app, &reset, Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    assert!(link.get("password").is_none());
    let expires = link["expires_at"].as_i64().unwrap();
    let in_a_day = painrx_store::now_ms() + painrx_server::auth::RESET_TTL_MS;
    assert!((in_a_day - 60_000..=in_a_day).contains(&expires), "{link}");
    // The patient, unaware, still signs in; their diary stays closed to the admin.
    let (s, _, _) = login(&app, "kept@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK);
    let theirs = format!("/api/v1/patients/user-{pat_id}/diary/entries");
    let (s, ct, v) = send(&app, "GET", &theirs, Some(&admin), None).await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    let events = st.store.security_events(Some(pat_id), 50).await.unwrap();
    let issued = events
        .iter()
        .find(|e| e.event == "password.reset_issued")
        .unwrap();
    assert_eq!(issued.actor_user_id, Some(admin_id));
    assert!(
        !issued.detail.contains(link["token"].as_str().unwrap()),
        "no token in the log"
    );
    // A forged or malformed token is refused before any hashing.
    for token in ["", "zz", &"a".repeat(64), &"0".repeat(10_000)] {
        let body = json!({"token": token, "password": "a brand new passphrase"});
        let (s, ct, v) = post(&app, "/api/v1/auth/reset", None, body).await;
        problem(s, &ct, &v, StatusCode::NOT_FOUND);
    }
}

// ---- 4. a patient ends a clinician's link --------------------------------------------------------

/// Probe: a patient could not revoke a clinician's link. `DELETE /api/v1/links/{clinician_id}`
/// (and the "Stop sharing" button on /account) ends it; both are logged.
#[tokio::test]
async fn a_patient_revokes_a_clinician_link() {
    let (st, _dir) = state().await;
    let app = app(st.clone());
    let (pat_id, pat) = account(&app, "revoker@example.org", "patient", None).await;
    let (doc_id, doc) = account(&app, "revoked@example.org", "clinician", None).await;
    let body = json!({"clinician_email": "revoked@example.org"});
    let (s, _, v) = post(&app, "/api/v1/links", Some(&pat), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let theirs = format!("/api/v1/patients/user-{pat_id}/diary/entries");
    let (s, _, _) = send(&app, "GET", &theirs, Some(&doc), None).await;
    assert_eq!(s, StatusCode::OK);
    let link = format!("/api/v1/links/{doc_id}");
    let (s, ct, v) = send(&app, "DELETE", &link, Some(&doc), None).await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    let (s, ct, v) = send(&app, "DELETE", &link, None, None).await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
    let (s, _, v) = send(&app, "DELETE", &link, Some(&pat), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, ct, v) = send(&app, "GET", &theirs, Some(&doc), None).await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    let (s, ct, v) = send(&app, "DELETE", &link, Some(&pat), None).await;
    problem(s, &ct, &v, StatusCode::NOT_FOUND);
    let (s, ct, v) = send(&app, "DELETE", "/api/v1/links/abc", Some(&pat), None).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let events: Vec<String> = st
        .store
        .security_events(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    for event in [
        "account.create",
        "link.grant",
        "link.revoke",
        "token.create",
    ] {
        assert!(events.iter().any(|e| e == event), "{event} in {events:?}");
    }

    // The web: a "Stop sharing" button beside each clinician on /account.
    let (s, _, v) = post(
        &app,
        "/api/v1/links",
        Some(&pat),
        json!({"clinician_email": "revoked@example.org"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, h, _) = web_login(&app, "revoker@example.org", "correct horse battery").await;
    let session = session_from(&h, false);
    let (_, _, page) = web(&app, "GET", "/account", Some(&session), &[], &[]).await;
    assert!(
        page.contains("Recent activity on your account")
            && page.contains("link.grant")
            && page.contains(" UTC"),
        "the owner sees what happened to the account: {page}"
    );
    let button = format!("/account/links/{doc_id}/delete");
    assert!(
        page.contains(&button.replace('/', "&#x2f;")) || page.contains(&button),
        "{page}"
    );
    let csrf = csrf_in(&page);
    let (s, h, _) = web_post(&app, &button, Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(
        (s, &h["location"]),
        (StatusCode::SEE_OTHER, &"/account".parse().unwrap())
    );
    assert!(!st.store.is_linked(pat_id, doc_id).await.unwrap());
    let (s, _, _) = web_post(&app, &button, Some(&session), &[("csrf", "stale")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "CSRF token checked");
}

// ---- 6. the bootstrap admin is atomic ------------------------------------------------------------

/// Ten registrations as `admin` at once on an empty store: exactly one admin.
async fn ten_first_registrations(store: &Store) {
    let app = app(AppState::new(kb(), std::env::temp_dir(), store.clone()));
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..10 {
        let app = app.clone();
        calls.spawn(async move {
            let body = json!({"email": format!("first{n}@example.org"), "password": "correct horse battery", "role": "admin"});
            post(&app, "/api/v1/auth/register", None, body).await.0
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = calls.join_next().await {
        statuses.push(s.unwrap());
    }
    let admins = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Admin)
        .count();
    assert_eq!(admins, 1, "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count(),
        1,
        "{statuses:?}"
    );
    // The others are refused (403), or 503 if the hashing queue was full.
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s.as_u16(), 202 | 403 | 503)),
        "{statuses:?}"
    );
}

/// Probe: ten concurrent first registrations made ten admins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_first_registrations_make_one_admin_on_sqlite() {
    let (st, _dir) = state().await;
    ten_first_registrations(&st.store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_first_registrations_make_one_admin_on_postgres() {
    postgres::with_fresh_database("painrx_bootstrap", |url| async move {
        let store = Store::open(&url).await.unwrap();
        ten_first_registrations(&store).await;
        store.close().await;
    })
    .await;
}

// ---- 13. no account enumeration, no blank passwords, one account per look-alike email ----------

/// Probe: a password of ten spaces was accepted; fullwidth look-alike emails made two accounts.
#[tokio::test]
async fn blank_passwords_and_look_alike_emails_are_refused() {
    let (st, _dir) = state().await;
    let app = app(st.clone());
    for password in [
        "          ",
        "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}",
        "\t\t\t\t\t\n\n\n\n\n",
    ] {
        let body = json!({"email": "blank@example.org", "password": password, "role": "patient"});
        let (s, ct, v) = post(&app, "/api/v1/auth/register", None, body).await;
        problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let long = "x".repeat(painrx_server::auth::MAX_PASSWORD + 1);
    let body = json!({"email": "long@example.org", "password": long, "role": "patient"});
    let (s, ct, v) = post(&app, "/api/v1/auth/register", None, body).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (id, _) = account(&app, "pat@example.org", "patient", None).await;
    let fullwidth = "ｐａｔ＠ｅｘａｍｐｌｅ．ｏｒｇ";
    let body =
        json!({"email": fullwidth, "password": "another long passphrase", "role": "patient"});
    let (s, _, v) = post(&app, "/api/v1/auth/register", None, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(st.store.list_users().await.unwrap().len(), 1, "one account");
    let (s, _, v) = login(&app, fullwidth, "correct horse battery").await;
    assert_eq!(s, StatusCode::OK, "the look-alike is the same account: {v}");
    let (_, _, me) = send(&app, "GET", "/api/v1/me", v["token"].as_str(), None).await;
    assert_eq!(me["id"], id);
}

// ---- 5. an unreachable database is a 503 with Retry-After ---------------------------------------

/// The API and the web while the store cannot be reached: problem+json 503 with `Retry-After`,
/// and the web's 503 page with it (not a 500).
async fn unavailable_answers(app: &axum::Router, token: &str, session: &str) {
    for (uri, bearer) in [
        ("/api/v1/me", Some(token)),
        ("/api/v1/diary/entries", Some(token)),
        ("/api/v1/links", Some(token)),
    ] {
        let request = json_request("GET", uri, bearer, None);
        let (s, headers, bytes) = respond(app.clone(), request).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        problem(
            s,
            header_of(&headers, "content-type"),
            &v,
            StatusCode::SERVICE_UNAVAILABLE,
        );
        assert_eq!(header_of(&headers, "retry-after"), "5", "{uri}");
        assert!(
            !v["detail"].as_str().unwrap().contains("sqlx"),
            "internals not echoed: {v}"
        );
    }
    let body = json!({"email": "late@example.org", "password": "correct horse battery"});
    let (s, _, v) = post(app, "/api/v1/auth/login", None, body).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let (s, headers, page) = web(app, "GET", "/diary", Some(session), &[], &[]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert_eq!(header_of(&headers, "retry-after"), "5");
    assert!(page.contains("Temporarily unavailable"), "{page}");
}

/// Probe: a database outage answered 500. A store whose pool is closed answers 503.
#[tokio::test]
async fn a_closed_database_answers_503_with_retry_after() {
    let (st, _dir) = state().await;
    let app = app(st.clone());
    let (_, token) = account(&app, "outage@example.org", "patient", None).await;
    let (_, h, _) = web_login(&app, "outage@example.org", "correct horse battery").await;
    let session = session_from(&h, false);
    st.store.close().await;
    unavailable_answers(&app, &token, &session).await;
}

/// A PostgreSQL database dropped under a running server: 503 with `Retry-After`, not 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_database_answers_503_on_postgres() {
    postgres::with_fresh_database("painrx_outage", |url| async move {
        let store = Store::open(&url).await.unwrap();
        let app = app(AppState::new(kb(), std::env::temp_dir(), store));
        let (_, token) = account(&app, "outage@example.org", "patient", None).await;
        let (_, h, _) = web_login(&app, "outage@example.org", "correct horse battery").await;
        let session = session_from(&h, false);
        let db = url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let mut admin = sqlx::PgConnection::connect(&postgres::admin_url())
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {db} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
        unavailable_answers(&app, &token, &session).await;
    })
    .await;
}

// ---- 9. one validation for entries; exports of any size import back ------------------------------

/// Probe: entries took values that import refuses (`wpi` 255, `fiqr` 1e308, time "+1:30"), so
/// an exported diary could not be restored. Add and edit now refuse what import refuses.
#[tokio::test]
async fn entries_refuse_what_import_refuses() {
    let (st, _dir) = state().await;
    let app = app(st);
    let (_, pat) = account(&app, "strict@example.org", "patient", None).await;
    let with = |key: &str, value: Value| {
        let mut entry = entry_json("2025-03-01", 4);
        entry[key] = value;
        entry
    };
    let bad = [
        with("wpi", json!(255)),
        with("wpi", json!(20)),
        with("sss", json!(13)),
        with("fiqr", json!(1e308)),
        with("fiqr", json!(-0.5)),
        with("fiqr", json!(100.01)),
        with("time", json!("+1:30")),
        with("time", json!("1:30")),
        with("time", json!("24:00")),
        with(
            "doses",
            json!([{"drug": "pregabalin", "mg": 1_000_000.0, "taken": true}]),
        ),
        with(
            "doses",
            json!([{"drug": "x".repeat(201), "mg": 75.0, "taken": true}]),
        ),
        with("side_effects", json!(vec!["dizzy"; 51])),
        with("side_effects", json!(["nausea\u{0}"])),
        with("note", json!("x".repeat(4001))),
    ];
    for entry in bad {
        let (s, ct, v) = post(&app, "/api/v1/diary/entries", Some(&pat), entry.clone()).await;
        problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!v["detail"].as_str().unwrap().is_empty(), "{entry}");
    }
    // The edges of each range are accepted, and an edit refuses what an add refuses.
    let good = json!({"date": "2025-03-01", "time": "23:59", "pain": 10, "wpi": 19, "sss": 12, "fiqr": 100.0,
        "doses": [{"drug": "pregabalin", "mg": 10000.0, "taken": true}]});
    let (s, _, saved) = post(&app, "/api/v1/diary/entries", Some(&pat), good).await;
    assert_eq!(s, StatusCode::CREATED, "{saved}");
    let uri = format!("/api/v1/diary/entries/{}", saved["id"]);
    let (s, ct, v) = send(
        &app,
        "PATCH",
        &uri,
        Some(&pat),
        Some(json!({"version": 1, "wpi": 255})),
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Probe: exports over 64 KB could not be imported back (the import took the API's 64 KB
/// limit). The import route takes up to 8 MiB: a diary of 700 entries round-trips as CSV and as
/// FHIR; more than 8 MiB is a 413 problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_over_64_kb_import_back() {
    let (st, _dir) = state().await;
    let app = app(st.clone());
    let (from_id, from) = account(&app, "big-diary@example.org", "patient", None).await;
    let note = "slept badly, walked 20 minutes, pain worse in the evening; ".repeat(2);
    let entries: Vec<painrx_engine::diary::EntryData> = (0..700)
        .map(|n| {
            let day = painrx_engine::time::Date::from_ymd(2020, 1, 1)
                .unwrap()
                .plus_days(n)
                .unwrap();
            painrx_engine::diary::EntryData {
                note: Some(note.clone()),
                ..painrx_engine::diary::EntryData::new(day, (n % 11) as u8)
            }
        })
        .collect();
    st.store
        .add_entries(
            &format!("user-{from_id}")
                .parse::<painrx_engine::id::PatientId>()
                .unwrap(),
            &entries,
        )
        .await
        .unwrap();
    for format in ["csv", "fhir"] {
        let (_, into) = account(
            &app,
            &format!("restored-{format}@example.org"),
            "patient",
            None,
        )
        .await;
        let request = json_request(
            "GET",
            &format!("/api/v1/diary/export?format={format}"),
            Some(&from),
            None,
        );
        let (s, _, bytes) = respond(app.clone(), request).await;
        assert_eq!(s, StatusCode::OK);
        assert!(bytes.len() > 64 * 1024, "{format}: {} bytes", bytes.len());
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let uri = format!("/api/v1/diary/import?format={format}");
        let (s, _, v) = post(&app, &uri, Some(&into), Value::String(text)).await;
        assert_eq!(s, StatusCode::CREATED, "{format}: {v}");
        assert_eq!(v["imported"], 700, "{format}");
    }
    let huge = "date,pain\n".to_string() + &"2025-01-01,3\n".repeat(800_000);
    assert!(huge.len() > painrx_app::diary::MAX_IMPORT_BYTES);
    let (s, ct, v) = post(
        &app,
        "/api/v1/diary/import?format=csv",
        Some(&from),
        Value::String(huge),
    )
    .await;
    problem(s, &ct, &v, StatusCode::PAYLOAD_TOO_LARGE);
}

// ---- 10. plausibility ranges for every clinical input --------------------------------------------

/// Probe: a creatinine of 1e-300 gave a CrCl of 6e301, 0.9 µmol/L gave 6,262 mL/min, and plans
/// were built for 1,000,000 mg TID. Every such value is refused (422) with the range it left.
#[tokio::test]
async fn implausible_clinical_values_are_refused_with_their_range() {
    let (st, _dir) = state().await;
    let app = app(st);
    #[rustfmt::skip]
    let cases = [
        ("/api/v1/renal", json!({"age": 60, "sex": "male", "weight_kg": 72, "scr": 1e-300}), "from 0.1 to 20"),
        ("/api/v1/renal", json!({"age": 60, "sex": "male", "weight_kg": 72, "scr": 0.9, "scr_unit": "umol/L"}), "from 8.8 to 1768"),
        ("/api/v1/renal", json!({"age": 18, "sex": "male", "weight_kg": 400, "scr": 0.1}), "above the 250 mL/min"),
        ("/api/v1/dose/range", json!({"drug": "pregabalin", "indication": "fibromyalgia", "age": 18, "sex": "male", "weight_kg": 400, "scr": 0.1}), "above the 250 mL/min"),
        ("/api/v1/dose/range", json!({"drug": "pregabalin", "indication": "fibromyalgia", "crcl": 1e6}), "from 0 to 250"),
        ("/api/v1/taper", json!({"drug": "pregabalin", "from": "1000000 mg TID"}), "to 10000 mg"),
        ("/api/v1/switch", json!({"drug": "gabapentin", "from": "1000000 mg TID", "to": "pregabalin"}), "to 10000 mg"),
        ("/api/v1/dose/check", json!({"drug": "pregabalin", "dose": "1000000 mg TID"}), "to 10000 mg"),
        ("/api/v1/equiv", json!({"drug": "lorazepam", "dose": "1000000 mg", "to": "diazepam"}), "to 10000 mg"),
        ("/api/v1/check", json!({"medications": ["oxycodone 1000000 mg q6h"]}), "to 10000 mg"),
        ("/api/v1/taper", json!({"drug": "fentanyl", "from": "5000 mcg/h q72h"}), "to 1000 mcg/h"),
        ("/api/v1/taper", json!({"drug": "pregabalin", "from": "500 tab TID"}), "to 20 units"),
        ("/api/v1/titrate", json!({"drug": "pregabalin", "indication": "fibromyalgia", "target": 1e6}), "at most 100000 mg"),
        ("/api/v1/titrate", json!({"drug": "pregabalin", "indication": "fibromyalgia", "age": 300}), "from 0 to 120"),
        ("/api/v1/taper", json!({"drug": "pregabalin", "from": "150 mg BID", "percent": 10, "interval_days": 100000}), "from 1 to 365 days"),
        ("/api/v1/assess/acr2016", json!({"pain_areas": "neck", "fatigue": 1, "unrefreshed": 1, "cognitive": 1, "months": 1e300}), "from 0 to 1440 months"),
        ("/api/v1/taper", json!({"drug": "pregabalin", "from": format!("150{} mg BID", "0".repeat(250))}), "too long"),
    ];
    for (uri, body, range) in cases {
        let (s, ct, v) = post(&app, uri, None, body.clone()).await;
        problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.contains(range),
            "{uri} {body}: `{detail}` names `{range}`"
        );
    }
    let meds: Vec<String> = vec!["pregabalin".to_string(); 129];
    let (s, ct, v) = post(&app, "/api/v1/check", None, json!({"medications": meds})).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
}

// ---- 11. problem+json for every API error ----------------------------------------------------------

/// A raw request: method, path, content type and body.
fn raw(method: &str, uri: &str, content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

/// Probe: query-string errors, 405 and 413 on text bodies were text/plain; a wrong Content-Type
/// was 400, not 415; a duplicate `version` in a PATCH kept the last value. Every API error is
/// problem+json now, with the right status.
#[tokio::test]
async fn every_api_error_is_problem_json() {
    let (st, _dir) = state().await;
    let app = app(st);
    let (_, pat) = account(&app, "problems@example.org", "patient", None).await;
    let big = "x".repeat(BODY_LIMIT + 1);
    let check = r#"{"medications": ["pregabalin"]}"#;
    #[rustfmt::skip]
    let cases: Vec<(Request<Body>, StatusCode)> = vec![
        (raw("GET", "/api/v1/no/such/path", None, ""), StatusCode::NOT_FOUND),
        (raw("DELETE", "/api/v1/check", None, ""), StatusCode::METHOD_NOT_ALLOWED),
        (raw("PUT", "/api/v1/drugs/pregabalin", None, ""), StatusCode::METHOD_NOT_ALLOWED),
        (raw("POST", "/api/v1/check", Some("text/plain"), check), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (raw("POST", "/api/v1/check", None, check), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (raw("POST", "/api/v1/check", Some("application/json"), "{not json"), StatusCode::BAD_REQUEST),
        (raw("POST", "/api/v1/check", Some("application/json"), &big), StatusCode::PAYLOAD_TOO_LARGE),
        (raw("POST", "/api/v1/kb/import-page", Some("text/plain"), &big), StatusCode::PAYLOAD_TOO_LARGE),
        (raw("POST", "/api/v1/check", Some("application/json"), r#"{"medications": ["pregabalin"], "medications": ["oxycodone"]}"#), StatusCode::UNPROCESSABLE_ENTITY),
        (raw("POST", "/api/v1/renal", Some("application/json"), r#"{"age": 60, "sex": "male", "weight_kg": 72, "scr": 1, "policy": {"a": 1, "a": 2}}"#), StatusCode::UNPROCESSABLE_ENTITY),
        (raw("GET", "/api/v1/search?q=pain&limit=lots", None, ""), StatusCode::UNPROCESSABLE_ENTITY),
        (raw("GET", "/api/v1/search?q=pain&colour=red", None, ""), StatusCode::UNPROCESSABLE_ENTITY),
        (raw("GET", "/api/v1/drugs/pregabalin?section=adults&section=faqs&x=1", None, ""), StatusCode::UNPROCESSABLE_ENTITY),
        (raw("GET", "/api/v1/compare", None, ""), StatusCode::UNPROCESSABLE_ENTITY),
        (raw("GET", "/api/v1/drugs/%FF%FE", None, ""), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (request, want) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let (s, headers, bytes) = respond(app.clone(), request).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(s, want, "{what}: {v}");
        assert_eq!(
            header_of(&headers, "content-type"),
            "application/problem+json",
            "{what}"
        );
        assert_eq!(v["status"], want.as_u16(), "{what}: {v}");
        if want == StatusCode::METHOD_NOT_ALLOWED {
            assert!(
                headers.contains_key("allow"),
                "{what}: 405 names the methods"
            );
        }
    }
    // A duplicate `version` in a PATCH is refused, not read as the last one.
    let (_, _, e) = post(
        &app,
        "/api/v1/diary/entries",
        Some(&pat),
        entry_json("2025-04-01", 3),
    )
    .await;
    let mut request = raw(
        "PATCH",
        &format!("/api/v1/diary/entries/{}", e["id"]),
        Some("application/json"),
        r#"{"version": 99, "version": 1, "pain": 9}"#,
    );
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {pat}").parse().unwrap());
    let (s, headers, bytes) = respond(app.clone(), request).await;
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    problem(
        s,
        header_of(&headers, "content-type"),
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("`version` appears twice"),
        "{v}"
    );
    // The import route's text body: the wrong query is a 422 problem too.
    let uri = "/api/v1/diary/import?format=csv&sheet=2";
    let (s, ct, v) = post(&app, uri, Some(&pat), Value::String("date,pain\n".into())).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
}

// ---- headers and credentials -------------------------------------------------------------------

/// `X-Forwarded-For` is the client's own word unless a TLS proxy (`--behind-tls`) appended to it:
/// without the proxy it is ignored (a guesser cannot pick a fresh throttle key per attempt); behind
/// it, the last entry (the one the proxy added) is the client.
#[tokio::test]
async fn forwarded_for_is_trusted_only_behind_a_tls_proxy() {
    let (mut st, _dir) = state().await;
    let guess = |app: axum::Router, forwarded: &'static str| async move {
        let body = json!({"email": "xff@example.org", "password": "wrong guess 123"});
        let mut request = json_request("POST", "/api/v1/auth/login", None, Some(body));
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        respond(app, from_client(request, "203.0.113.50")).await.0
    };
    let direct = app(st.clone());
    for n in 0..5 {
        let spoofed: &'static str = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"][n];
        assert_eq!(
            guess(direct.clone(), spoofed).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        guess(direct, "10.0.0.6").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed header does not make a new client"
    );
    st.secure_cookies = true;
    let proxied = app(st.clone());
    assert_eq!(
        guess(proxied.clone(), "203.0.113.50, 198.51.100.20").await,
        StatusCode::UNAUTHORIZED,
        "behind the proxy, the address it appended is the client"
    );
    let events = st.store.security_events(None, 20).await.unwrap();
    assert_eq!(
        events.first().map(|e| e.client.as_str()),
        Some("198.51.100.20")
    );
}

/// Credentials that are not credentials: each a 401 problem naming the bearer scheme, never a
/// 500; a session cookie that is not a session is a visitor.
#[tokio::test]
async fn malformed_credentials_are_401_problems() {
    let (st, _dir) = state().await;
    let app = app(st);
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer    ",
        "bearer not-a-token",
        &format!("Bearer {}", "f".repeat(64)),
        &format!("Bearer {}", "x".repeat(10_000)),
    ] {
        let mut request = json_request("GET", "/api/v1/me", None, None);
        request
            .headers_mut()
            .insert("authorization", header.parse().unwrap());
        let (s, headers, bytes) = respond(app.clone(), request).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        problem(
            s,
            header_of(&headers, "content-type"),
            &v,
            StatusCode::UNAUTHORIZED,
        );
        assert!(headers.contains_key("www-authenticate"), "{header}");
    }
    for cookie in ["", "not-a-session", &"z".repeat(4000)] {
        let (s, h, _) = web(&app, "GET", "/diary", Some(cookie), &[], &[]).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{cookie:.20}");
        assert_eq!(h["location"], "/login?next=%2Fdiary");
    }
}
