//! The API in memory: every endpoint answers, bad input gets problem+json with a 4xx.

// Test code may panic: clippy.toml's in-test allowances cover `#[test]` functions, not this
// file's helpers, so the workspace's no-panic lints are lifted for the whole file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use painrx_kb::Kb;
use painrx_server::throttle::pair_key;
use painrx_server::{app, AppState, BODY_LIMIT};
use painrx_store::{Role, Store};
use serde_json::{json, Value};
use tower::ServiceExt;

#[path = "../../../tests/support/in_process.rs"]
mod in_process;
use in_process::{json_request, respond};
#[path = "server/hardening.rs"]
mod hardening;
#[path = "../../../tests/support/postgres.rs"]
mod postgres;

fn kb() -> Arc<Kb> {
    static KB: OnceLock<Arc<Kb>> = OnceLock::new();
    KB.get_or_init(|| Arc::new(Kb::embedded().unwrap_or_else(|e| panic!("{e}"))))
        .clone()
}

/// A state on a fresh SQLite store in a temporary folder (kept alive by the returned guard).
async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&dir.path().join("server.db").display().to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = AppState::new(kb(), std::env::temp_dir(), store);
    (state, dir)
}

async fn call(
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String, Value, Option<String>) {
    let (st, _dir) = state().await;
    let (status, headers, bytes) = respond(app(st), json_request(method, uri, None, body)).await;
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let value = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (
        status,
        header_of(&headers, "content-type").to_string(),
        value,
        request_id,
    )
}

/// Every public endpoint with a good request, and a field its answer must carry.
fn public_cases() -> Vec<(&'static str, &'static str, Option<Value>, &'static str)> {
    vec![
        ("GET", "/healthz", None, ""),
        ("GET", "/readyz", None, "status"),
        ("GET", "/api/v1/drugs/Lyrica", None, "id"),
        (
            "GET",
            "/api/v1/drugs/pregabalin?section=adults",
            None,
            "section",
        ),
        (
            "GET",
            "/api/v1/search?q=Lyrica%20weight%20gain",
            None,
            "results",
        ),
        (
            "GET",
            "/api/v1/compare?drugs=gabapentin,pregabalin",
            None,
            "rows",
        ),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medications": ["Lyrica", "oxycodone 20 mg q6h"], "age": 72})),
            "findings",
        ),
        (
            "POST",
            "/api/v1/renal",
            Some(json!({"age": 60, "sex": "male", "weight_kg": 72, "scr": 1.0})),
            "crcl_ml_min",
        ),
        (
            "POST",
            "/api/v1/dose/range",
            Some(json!({"drug": "pregabalin", "indication": "fibromyalgia", "crcl": 45})),
            "max_daily_mg",
        ),
        (
            "POST",
            "/api/v1/dose/check",
            Some(json!({"drug": "pregabalin", "dose": "300 mg BID", "indication": "fibromyalgia"})),
            "ok",
        ),
        (
            "POST",
            "/api/v1/titrate",
            Some(json!({"drug": "gabapentin", "indication": "postherpetic-neuralgia"})),
            "steps",
        ),
        (
            "POST",
            "/api/v1/taper",
            Some(json!({"drug": "pregabalin", "from": "150 mg BID"})),
            "steps",
        ),
        (
            "POST",
            "/api/v1/switch",
            Some(json!({"drug": "gabapentin", "from": "600 mg TID", "to": "pregabalin"})),
            "target_daily_mg",
        ),
        (
            "POST",
            "/api/v1/equiv",
            Some(json!({"drug": "lorazepam", "dose": "2mg", "to": "diazepam"})),
            "to",
        ),
        (
            "POST",
            "/api/v1/assess/acr2016",
            Some(
                json!({"pain_areas": "neck,lower-back", "fatigue": 1, "unrefreshed": 1, "cognitive": 1, "months": 4}),
            ),
            "wpi",
        ),
        (
            "POST",
            "/api/v1/assess/fiqr",
            Some(json!({"answers": "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4"})),
            "total",
        ),
    ]
}

#[tokio::test]
async fn every_endpoint_answers() {
    let cases = public_cases();
    for (method, uri, body, key) in cases {
        let (status, _, value, request_id) = call(method, uri, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {uri}: {value}");
        assert!(request_id.is_some(), "{uri} has a request id");
        if !key.is_empty() {
            assert!(!value[key].is_null(), "{uri} answers `{key}`: {value}");
        }
    }
    let (_, _, value, _) = call(
        "POST",
        "/api/v1/check",
        Some(json!({"medications": ["Lyrica", "oxycodone 20 mg q6h"]})),
    )
    .await;
    assert_eq!(value["burden"]["mme_per_day"], 120.0);
    assert_eq!(value["findings"][0]["severity"], "major");
    let (_, _, value, _) = call(
        "POST",
        "/api/v1/dose/range",
        Some(json!({"drug": "pregabalin", "indication": "fibromyalgia", "crcl": 45})),
    )
    .await;
    assert_eq!(
        (
            value["min_daily_mg"].as_f64(),
            value["max_daily_mg"].as_f64()
        ),
        (Some(75.0), Some(225.0))
    );
}

/// Bad requests to public endpoints and the status each must get.
fn bad_cases() -> Vec<(&'static str, &'static str, Option<Value>, u16)> {
    vec![
        ("GET", "/api/v1/drugs/pregablin", None, 404),
        ("GET", "/api/v1/nothing", None, 404),
        ("GET", "/api/v1/search?q=", None, 422),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medications": ["pregablin"]})),
            422,
        ),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medications": []})),
            422,
        ),
        (
            "POST",
            "/api/v1/check",
            // JSON that does not fit the request: 422 naming the key (issue 10; was 400).
            Some(json!({"medication": ["pregabalin"]})),
            422,
        ),
        (
            "POST",
            "/api/v1/dose/check",
            // Regression: the kidney value under a wrong key was dropped and the dose passed.
            Some(
                json!({"drug": "pregabalin", "indication": "fibromyalgia", "dose": "150 mg BID", "crcl_ml_min": 20}),
            ),
            422,
        ),
        (
            "POST",
            "/api/v1/renal",
            Some(json!({"age": 17, "sex": "male", "weight_kg": 70, "scr": 1})),
            422,
        ),
        (
            "POST",
            "/api/v1/dose/check",
            Some(json!({"drug": "gabapentin", "dose": "300 mgg"})),
            422,
        ),
        (
            "POST",
            "/api/v1/titrate",
            Some(json!({"drug": "pregabalin", "indication": "fibromyalgia", "target": 900})),
            422,
        ),
        (
            "POST",
            "/api/v1/taper",
            Some(json!({"drug": "gabapentin", "from": "300 mg BIDD"})),
            422,
        ),
        (
            "POST",
            "/api/v1/assess/fiqr",
            Some(json!({"answers": "1,2"})),
            422,
        ),
    ]
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_a_4xx() {
    let cases = bad_cases();
    for (method, uri, body, want) in cases {
        let (status, content_type, value, _) = call(method, uri, body).await;
        assert_eq!(status.as_u16(), want, "{method} {uri}: {value}");
        assert_eq!(content_type, "application/problem+json", "{uri}");
        assert!(
            value["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{uri}: {value}"
        );
        assert_eq!(value["status"], want);
    }
    // Not JSON at all, and a body over the limit.
    let huge = format!("{{\"medications\":[\"{}\"]}}", "x".repeat(BODY_LIMIT + 10));
    for (body, want) in [
        ("{not json".to_string(), StatusCode::BAD_REQUEST),
        (huge, StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let request = Request::builder()
            .method("POST")
            .uri("/api/v1/check")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        let (st, _dir) = state().await;
        let (status, _, _) = respond(app(st), request).await;
        assert_eq!(status, want);
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts and access control, on SQLite and PostgreSQL

/// Send one request to `app`, with a bearer token if given: status, content type and JSON body.
async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String, Value) {
    let (status, headers, bytes) =
        respond(app.clone(), json_request(method, uri, token, body)).await;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (
        status,
        header_of(&headers, "content-type").to_string(),
        value,
    )
}

/// `send` a POST with a JSON body.
async fn post(
    app: &axum::Router,
    uri: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, String, Value) {
    send(app, "POST", uri, token, Some(body)).await
}

/// `POST /api/v1/auth/login`.
async fn login(app: &axum::Router, email: &str, password: &str) -> (StatusCode, String, Value) {
    post(
        app,
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

fn entry_json(date: &str, pain: u8) -> Value {
    json!({"date": date, "pain": pain, "areas": [], "doses": [], "side_effects": []})
}

/// Register and log in: (user id, token).
async fn account(
    app: &axum::Router,
    email: &str,
    role: &str,
    admin: Option<&str>,
) -> (i64, String) {
    let (status, _, value) = post(
        app,
        "/api/v1/auth/register",
        admin,
        json!({"email": email, "password": "correct horse battery", "role": role}),
    )
    .await;
    // An admin is told what was created (201); anyone else gets the same answer whether or not
    // the address was free (202), and learns their id after signing in.
    let want = if admin.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    assert_eq!(status, want, "register {email}: {value}");
    assert_eq!(value["role"], role);
    let (status, _, value) = login(app, email, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "login {email}: {value}");
    let token = value["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64, "32 random bytes in hex");
    let (_, _, me) = send(app, "GET", "/api/v1/me", Some(&token), None).await;
    let id = me["id"].as_i64().unwrap();
    (id, token)
}

fn problem(status: StatusCode, content_type: &str, value: &Value, code: StatusCode) {
    assert_eq!(status, code, "{value}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(value["status"], code.as_u16());
}

/// Registering a taken address (whatever its case) answers what a free address gets (no
/// enumeration); only an admin is told it is taken (409).
async fn a_taken_address_gets_the_free_answer(app: &axum::Router, admin: &str) {
    async fn register(
        app: &axum::Router,
        email: &str,
        by: Option<&str>,
    ) -> (StatusCode, String, Value) {
        let body = json!({"email": email, "password": "0123456789", "role": "patient"});
        post(app, "/api/v1/auth/register", by, body).await
    }
    let (s, _, taken) = register(app, "PAT@Example.org", None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{taken}");
    let (_, _, free) = register(app, "free@Example.org", None).await;
    let shape = |v: &Value| {
        (
            v["role"].clone(),
            v["detail"].clone(),
            v.get("id").is_none(),
        )
    };
    assert_eq!(shape(&taken), shape(&free));
    let (s, ct, v) = register(app, "PAT@Example.org", Some(admin)).await;
    problem(s, &ct, &v, StatusCode::CONFLICT);
}

/// Register, log in, me, log out; duplicates, weak passwords, admin creation, rate limiting.
async fn accounts_suite(store: &Store) {
    let st = AppState::new(kb(), std::env::temp_dir(), store.clone());
    let app = app(st);

    // The first account may be an admin; later ones only by an admin.
    let (admin_id, admin) = account(&app, "root@example.org", "admin", None).await;
    let (s, ct, v) = post(
        &app,
        "/api/v1/auth/register",
        None,
        json!({"email": "sneaky@example.org", "password": "0123456789", "role": "admin"}),
    )
    .await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    let (_, pat) = account(&app, "pat@example.org", "patient", None).await;
    let (s, ct, v) = post(
        &app,
        "/api/v1/auth/register",
        Some(&pat),
        json!({"email": "sneaky@example.org", "password": "0123456789", "role": "admin"}),
    )
    .await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    account(&app, "second-admin@example.org", "admin", Some(&admin)).await;

    // me.
    let (s, _, v) = send(&app, "GET", "/api/v1/me", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"id": admin_id, "email": "root@example.org", "role": "admin"})
    );
    for token in [None, Some("not-a-token")] {
        let (s, ct, v) = send(&app, "GET", "/api/v1/me", token, None).await;
        problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
    }

    // Duplicates get the answer a free address gets; bad emails, short passwords, unknown roles
    // are refused.
    a_taken_address_gets_the_free_answer(&app, &admin).await;
    for (email, password, role, code) in [
        (
            "x@example.org",
            "short",
            "patient",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "not-an-email",
            "0123456789",
            "patient",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "y@example.org",
            "0123456789",
            "nurse",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, ct, v) = post(
            &app,
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": password, "role": role}),
        )
        .await;
        assert!(s.is_client_error(), "{email}/{role}: {s} {v}");
        assert_eq!(ct, "application/problem+json");
        if role != "nurse" {
            assert_eq!(s, code, "{v}");
        }
    }
    assert!(store
        .user_by_email("x@example.org")
        .await
        .unwrap()
        .is_none());

    // Logout forgets that token only.
    let (s, _, v) = login(&app, "Pat@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK, "login folds the email: {v}");
    let pat2 = v["token"].as_str().unwrap().to_string();
    assert_ne!(pat, pat2);
    let (s, _, _) = send(&app, "POST", "/api/v1/auth/logout", Some(&pat), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, ct, v) = send(&app, "GET", "/api/v1/me", Some(&pat), None).await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
    let (s, _, v) = send(&app, "GET", "/api/v1/me", Some(&pat2), None).await;
    assert_eq!(
        (s, v["email"].clone()),
        (StatusCode::OK, json!("pat@example.org"))
    );
    let (s, ct, v) = send(&app, "POST", "/api/v1/auth/logout", None, None).await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);

    // Rate limiting: five failures, then 429 even with the right password; others unaffected.
    let wrong = json!({"email": "pat@example.org", "password": "wrong password!"});
    for n in 1..=5 {
        let (s, ct, v) = post(&app, "/api/v1/auth/login", None, wrong.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "failure {n}: {v}");
        assert_eq!(ct, "application/problem+json");
    }
    let right = json!({"email": "PAT@example.org", "password": "correct horse battery"});
    let (s, ct, v) = post(&app, "/api/v1/auth/login", None, right).await;
    problem(s, &ct, &v, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("too many failed logins"),
        "{v}"
    );
    assert!(v.get("token").is_none());
    let (s, _, v) = login(&app, "root@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK, "another email still logs in: {v}");
    // Unknown emails fail like wrong passwords.
    let (s, ct, v) = login(&app, "ghost@example.org", "whatever123").await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
    assert_eq!(v["detail"], "wrong email or password");

    // Regression: a stored hash that cannot be checked (argon2 parameters below the minimum)
    // was taken for a wrong password — 401 and a failure counted against the user. It is a
    // server failure: 500, logged, and nothing counted.
    let (broken, _) = account(&app, "broken@example.org", "patient", None).await;
    store
        .reset_password(
            broken,
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
        )
        .await
        .unwrap();
    let (s, ct, v) = login(&app, "broken@example.org", "correct horse battery").await;
    problem(s, &ct, &v, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        store
            .login_failures(&pair_key("unknown", "broken@example.org"))
            .await
            .unwrap(),
        0
    );
}

/// Every diary endpoint × every kind of caller × read and write: the exact status of each cell,
/// and the audit log holds exactly the allowed accesses.
async fn matrix_suite(store: &Store) {
    let st = AppState::new(kb(), std::env::temp_dir(), store.clone());
    let app = app(st);
    // The accounts suite ran first: its admin creates this one.
    let (s, _, v) = login(&app, "root@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, admin) = account(&app, "m-admin@example.org", "admin", v["token"].as_str()).await;
    let (pat_id, pat) = account(&app, "m-pat@example.org", "patient", None).await;
    let (_, other_pat) = account(&app, "m-other-pat@example.org", "patient", None).await;
    let (doc_id, doc) = account(&app, "m-doc@example.org", "clinician", None).await;
    let (_, stranger) = account(&app, "m-stranger@example.org", "clinician", None).await;

    // Only a patient links, only a clinician can be linked.
    let (s, ct, v) = post(
        &app,
        "/api/v1/links",
        Some(&doc),
        json!({"clinician_email": "m-stranger@example.org"}),
    )
    .await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    // A patient's address (not a clinician) gets the answer a clinician's gets, and links nothing.
    let (s, _, v) = post(
        &app,
        "/api/v1/links",
        Some(&pat),
        json!({"clinician_email": "m-other-pat@example.org"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(store.linked_clinicians(pat_id).await.unwrap().is_empty());
    let (s, ct, v) = post(
        &app,
        "/api/v1/links",
        None,
        json!({"clinician_email": "m-doc@example.org"}),
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
    let (s, _, v) = post(
        &app,
        "/api/v1/links",
        Some(&pat),
        json!({"clinician_email": "M-Doc@example.org"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["clinician"]["email"], "m-doc@example.org");
    assert!(store.is_linked(pat_id, doc_id).await.unwrap());

    let patient = format!("user-{pat_id}");
    let own = "/api/v1/diary/entries".to_string();
    let theirs = format!("/api/v1/patients/{patient}/diary/entries");
    let callers: [(&str, Option<&str>); 6] = [
        ("own", Some(&pat)),
        ("linked clinician", Some(&doc)),
        ("unlinked clinician", Some(&stranger)),
        ("other patient", Some(&other_pat)),
        ("admin", Some(&admin)),
        ("anonymous", None),
    ];
    use StatusCode as S;
    // (caller, GET own, POST own, GET patient's, POST patient's)
    let expected: [(S, S, S, S); 6] = [
        (S::OK, S::CREATED, S::OK, S::CREATED),
        (S::FORBIDDEN, S::FORBIDDEN, S::OK, S::CREATED),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (S::OK, S::CREATED, S::FORBIDDEN, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (
            S::UNAUTHORIZED,
            S::UNAUTHORIZED,
            S::UNAUTHORIZED,
            S::UNAUTHORIZED,
        ),
    ];
    // What each allowed access on `patient`'s diary must leave in the audit log:
    // (actor token, action, created entry id or None).
    let mut expected_audit: Vec<(String, &str, Option<i64>)> = Vec::new();
    let mut written: Vec<i64> = Vec::new();
    let mut day = 1;
    for ((who, token), cells) in callers.iter().zip(expected) {
        let cells = [cells.0, cells.1, cells.2, cells.3];
        let requests = [
            ("GET", own.as_str(), false),
            ("POST", own.as_str(), false),
            ("GET", theirs.as_str(), true),
            ("POST", theirs.as_str(), true),
        ];
        for ((method, uri, on_patient), want) in requests.into_iter().zip(cells) {
            day += 1;
            let body = (method == "POST").then(|| entry_json(&format!("2024-05-{day:02}"), 4));
            let uri = if method == "GET" {
                format!("{uri}?from=2024-01-01&limit=50")
            } else {
                uri.to_string()
            };
            let (s, ct, v) = send(&app, method, &uri, *token, body).await;
            assert_eq!(s, want, "{who} {method} {uri}: {v}");
            if !want.is_success() {
                assert_eq!(ct, "application/problem+json", "{who} {method} {uri}");
                assert!(v.get("entries").is_none() && v.get("id").is_none());
                continue;
            }
            // Own-diary calls by the patient land in the same diary as the patient's path.
            let hits_patient = on_patient || *who == "own";
            if method == "POST" {
                let id = v["id"].as_i64().unwrap();
                let expected_patient = if hits_patient {
                    patient.clone()
                } else {
                    v["patient"].as_str().unwrap().to_string()
                };
                assert_eq!(v["patient"], json!(expected_patient));
                if hits_patient {
                    written.push(id);
                    expected_audit.push((
                        token.unwrap_or("").to_string(),
                        "diary.create",
                        Some(id),
                    ));
                }
            } else {
                let entries = v["entries"].as_array().unwrap();
                if hits_patient {
                    let got: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
                    assert_eq!(got, written, "{who} reads every entry written so far");
                    expected_audit.push((token.unwrap_or("").to_string(), "diary.list", None));
                } else {
                    assert!(
                        entries.iter().all(|e| e["patient"] != json!(patient)),
                        "{who} sees only their own diary"
                    );
                }
            }
        }
    }
    assert_eq!(written.len(), 3, "own ×2 paths + linked clinician wrote");

    // Unknown and malformed patient ids are 403 too (no existence oracle), even when linked.
    for bad in ["user-999999", "user-x", "pat", "user-"] {
        let uri = format!("/api/v1/patients/{bad}/diary/entries");
        let (s, ct, v) = send(&app, "GET", &uri, Some(&doc), None).await;
        problem(s, &ct, &v, StatusCode::FORBIDDEN);
    }
    // Bad input from an allowed caller: 422, nothing written or audited.
    let (s, ct, v) = post(&app, &own, Some(&pat), entry_json("2024-02-30", 4)).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ct, v) = send(&app, "GET", &format!("{own}?limit=5000"), Some(&pat), None).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    // The diary report (as `painrx diary report --json`): the same access rules, audited.
    let own_report = "/api/v1/diary/report?from=2024-01-01".to_string();
    let their_report = format!("/api/v1/patients/{patient}/diary/report?from=2024-01-01");
    // (caller, GET own report, GET patient's report)
    let report_cells: [(S, S); 6] = [
        (S::OK, S::OK),
        (S::FORBIDDEN, S::OK),
        (S::FORBIDDEN, S::FORBIDDEN),
        (S::OK, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN),
        (S::UNAUTHORIZED, S::UNAUTHORIZED),
    ];
    for ((who, token), (own_want, their_want)) in callers.iter().zip(report_cells) {
        for (uri, want, on_patient) in [
            (own_report.as_str(), own_want, false),
            (their_report.as_str(), their_want, true),
        ] {
            let (s, ct, v) = send(&app, "GET", uri, *token, None).await;
            assert_eq!(s, want, "{who} GET {uri}: {v}");
            if !want.is_success() {
                assert_eq!(ct, "application/problem+json", "{who} {uri}");
                assert!(v.get("entries").is_none());
                continue;
            }
            if on_patient || *who == "own" {
                assert_eq!(v["patient"], json!(patient), "{who}");
                assert_eq!(v["entries"], json!(written.len()), "{who}: {v}");
                assert_eq!(v["baseline_pain"], json!(4.0), "{who}: {v}");
                expected_audit.push((token.unwrap_or("").to_string(), "diary.report", None));
            } else {
                assert_ne!(
                    v["patient"],
                    json!(patient),
                    "{who} reports on their own diary"
                );
            }
            // The export (FHIR here, CSV below) follows exactly the same access rules.
            let export = uri.replace("report?from=2024-01-01", "export?format=fhir");
            let (s, ct, v) = send(&app, "GET", &export, *token, None).await;
            assert_eq!(s, want, "{who} GET {export}: {v}");
            if !want.is_success() {
                assert_eq!(ct, "application/problem+json", "{who} {export}");
                assert!(v.get("resourceType").is_none());
                continue;
            }
            assert_eq!(ct, "application/fhir+json");
            assert_eq!(v["resourceType"], json!("Bundle"));
            if on_patient || *who == "own" {
                assert_eq!(
                    v["entry"].as_array().map(Vec::len),
                    Some(written.len()),
                    "{who}: {v}"
                );
                expected_audit.push((token.unwrap_or("").to_string(), "diary.export", None));
            }
        }
    }
    let (s, ct, v) = send(
        &app,
        "GET",
        &format!("/api/v1/patients/{patient}/diary/export"),
        Some(&doc),
        None,
    )
    .await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8"),
        "{v}"
    );
    expected_audit.push((doc.clone(), "diary.export", None));
    let (s, ct, v) = send(
        &app,
        "GET",
        "/api/v1/diary/export?format=pdf",
        Some(&pat),
        None,
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ct, v) = send(
        &app,
        "GET",
        "/api/v1/diary/report?from=2024-13-01",
        Some(&pat),
        None,
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);

    // Paging.
    let (s, _, v) = send(
        &app,
        "GET",
        &format!("{theirs}?limit=1&offset=1"),
        Some(&doc),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["entries"][0]["id"], json!(written[1]));
    expected_audit.push((doc.clone(), "diary.list", None));

    // The audit log of the patient: exactly the allowed accesses, in order, by the right actors.
    let mut actor_of = std::collections::HashMap::new();
    for (token, id) in [(&pat, pat_id), (&doc, doc_id)] {
        actor_of.insert(token.clone(), id);
    }
    let log = store.list_audit(&patient.parse().unwrap()).await.unwrap();
    let got: Vec<(i64, String, Option<i64>)> = log
        .iter()
        .map(|r| (r.actor_user_id, r.action.clone(), r.entry_id))
        .collect();
    let want: Vec<(i64, String, Option<i64>)> = expected_audit
        .iter()
        .map(|(token, action, id)| (actor_of[token], action.to_string(), *id))
        .collect();
    assert_eq!(got, want);
    assert!(log.iter().all(|r| r.patient == patient));
    assert!(
        log.last().unwrap().detail.contains(&written[1].to_string()),
        "list records name the entries read: {:?}",
        log.last()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_access_matrix_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("auth.db").display().to_string())
        .await
        .unwrap();
    assert_eq!(store.dialect(), "sqlite");
    accounts_suite(&store).await;
    matrix_suite(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_access_matrix_on_postgres() {
    postgres::with_fresh_database("painrx_server_test", |url| async move {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.dialect(), "postgres");
        public_suite(&store).await;
        accounts_suite(&store).await;
        matrix_suite(&store).await;
        diary_ops_suite(&store).await;
        web_suite(&store).await;
        store.close().await;
    })
    .await;
}

#[test]
fn roles_are_lowercase_on_the_wire() {
    assert_eq!(
        serde_json::to_value(Role::Clinician).unwrap(),
        json!("clinician")
    );
}

// ---------------------------------------------------------------------------------------------
// The web app: pages in memory, then in a real browser (headless Chromium over WebDriver).
// ---------------------------------------------------------------------------------------------

/// GET a page in memory: status, headers and body text.
async fn ui_get(uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let request = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let (state, _dir) = state().await;
    let (status, headers, bytes) = respond(app(state), request).await;
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn header_of<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_page_renders_with_the_notice_and_security_headers() {
    let cases = [
        ("/", "Pregabalin"),
        ("/drugs/pregabalin", "Lyrica"),
        ("/drugs/Lyrica", "Pregabalin"),
        ("/classes/gabapentinoids", "Sources"),
        ("/conditions/fibromyalgia", "Sources"),
        ("/search", "Words to search for"),
        ("/search?q=Lyrica+weight+gain", "Pregabalin"),
        ("/compare", "Drugs, separated by commas"),
        ("/compare?drugs=gabapentin,pregabalin", "Half-life"),
        ("/check", "drug-names"),
        ("/check?med=pregabalin&med=oxycodone&age=70", "Severity: major"),
        ("/renal", "Serum creatinine"),
        (
            "/renal?age=70&sex=female&weight_kg=60&scr=1.2&drug=pregabalin",
            "mL/min",
        ),
        ("/dose-range?drug=pregabalin&indication=fibromyalgia&crcl=45", "a day"),
        ("/plan/titrate", "Make the plan"),
        (
            "/plan/titrate?drug=pregabalin&indication=fibromyalgia&start=2025-01-06",
            "id=\"ics-link\"",
        ),
        (
            "/plan/titrate/print?drug=pregabalin&indication=fibromyalgia&start=2025-01-06",
            "Tick each box",
        ),
        ("/plan/taper", "Current dose"),
        (
            "/dose-range?drug=pregabalin&indication=fibromyalgia&crcl=45&dose=300+mg+BID",
            "needs attention",
        ),
        ("/equiv", "Benzodiazepine table"),
        ("/equiv?drug=lorazepam&dose=2+mg&to=diazepam", "2 mg Lorazepam ≈ 20 mg Diazepam"),
        ("/plan/switch", "Switch to"),
        (
            "/plan/switch?drug=gabapentin&from=600+mg+TID&to=pregabalin&start=2025-01-06",
            "Switch from Gabapentin to Pregabalin",
        ),
        (
            "/plan/switch/print?drug=gabapentin&from=600+mg+TID&to=pregabalin&start=2025-01-06",
            "Tick each box",
        ),
        ("/login", "Sign in"),
        ("/register", "Create the account"),
        ("/assess/acr2016", "Widespread Pain Index"),
        (
            "/assess/acr2016?area=neck&area=left-hip&area=right-hip&area=upper-back&area=left-upper-arm&area=right-upper-arm&area=lower-back&fatigue=3&unrefreshed=2&cognitive=2&headaches=1&months=6",
            "Result: criteria met",
        ),
        ("/assess/fiqr", "Question 21"),
    ];
    for (uri, expected) in cases {
        let (status, headers, body) = ui_get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(
            header_of(&headers, "content-type").starts_with("text/html"),
            "{uri}"
        );
        assert!(body.contains(expected), "{uri} lacks `{expected}`");
        assert!(
            body.contains("not a substitute for clinical judgement"),
            "{uri} lacks the notice"
        );
        let csp = header_of(&headers, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: csp `{csp}`");
        assert!(!csp.contains("script-src 'unsafe-inline'"), "{uri}");
        assert_eq!(header_of(&headers, "x-content-type-options"), "nosniff");
    }
    // The app pages (not the painrx-render print page) carry the strict policy and no inline script.
    let (_, headers, body) = ui_get("/check").await;
    assert!(header_of(&headers, "content-security-policy").starts_with("default-src 'self'"));
    assert!(!body.contains("<script>"), "inline script on /check");
    assert!(body.contains("<meta name=\"viewport\""));
}

#[tokio::test]
async fn monograph_page_follows_the_seed_layout_with_sources() {
    let (status, _, body) = ui_get("/drugs/pregabalin").await;
    assert_eq!(status, StatusCode::OK);
    let title = body
        .find("<h1>Pregabalin</h1>")
        .unwrap_or_else(|| panic!("no title"));
    let faqs = body
        .find("<h2>FAQs</h2>")
        .unwrap_or_else(|| panic!("no FAQs"));
    let sources = body
        .find("id=\"sources-h\"")
        .unwrap_or_else(|| panic!("no sources"));
    assert!(
        title < faqs && faqs < sources,
        "title, sections, FAQs, sources in order"
    );
    assert!(body.contains("lyrica-uspi"), "cites the label");
    // Sections are Markdown rendered: paragraphs, not raw `##`.
    assert!(body.contains("<p>") && !body.contains("\n## "));
}

#[tokio::test]
async fn user_input_is_escaped() {
    let (status, _, body) = ui_get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("&lt;script&gt;alert(1)&lt;"), "{body}");
    assert!(!body.contains("<script>alert(1)"));
    let (status, _, body) = ui_get("/check?med=%3Cb%3Ebold%3C%2Fb%3E").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("&lt;b&gt;bold&lt;") && !body.contains("<b>bold"));
}

#[tokio::test]
async fn unknown_names_get_a_friendly_page_with_did_you_mean() {
    let (status, headers, body) = ui_get("/drugs/pregabalinn").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(header_of(&headers, "content-type").starts_with("text/html"));
    assert!(body.contains("Did you mean"), "{body}");
    assert!(
        body.replace("&#x2f;", "/")
            .contains("href=\"/drugs/pregabalin\""),
        "{body}"
    );
    assert!(body.contains("not a substitute for clinical judgement"));
    let (status, _, body) = ui_get("/check?med=oxycodone&med=pregabalinn").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_lowercase().contains("did you mean"), "{body}");
    let (status, _, _) = ui_get("/renal?age=abc&sex=male&weight_kg=70&scr=1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn static_assets_are_cached_a_day() {
    for (uri, kind) in [
        ("/static/app.css", "text/css"),
        ("/static/app.js", "text/javascript"),
    ] {
        let (status, headers, body) = ui_get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(
            header_of(&headers, "content-type").starts_with(kind),
            "{uri}"
        );
        assert_eq!(
            header_of(&headers, "cache-control"),
            "public, max-age=86400"
        );
        assert!(!body.is_empty());
    }
}

/// Every (DTSTART, SUMMARY) of an iCalendar text, parsed with the icalendar crate.
fn ics_events(text: &str) -> Vec<(String, String)> {
    use icalendar::{Calendar, CalendarComponent, Component};
    let calendar: Calendar = text.parse().unwrap_or_else(|e| panic!("bad ics: {e}"));
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.property_value("DTSTART").unwrap_or_default().to_string(),
                e.get_summary().unwrap_or_default().to_string(),
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn plans_download_as_icalendar() {
    let (status, headers, body) =
        ui_get("/plan/titrate.ics?drug=pregabalin&indication=fibromyalgia&start=2025-01-06").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(header_of(&headers, "content-type").starts_with("text/calendar"));
    assert!(header_of(&headers, "content-disposition").starts_with("attachment"));
    let events = ics_events(&body);
    assert!(!events.is_empty());
    assert!(events.iter().all(|(_, s)| s.contains("Pregabalin")));
    assert!(events
        .iter()
        .any(|(start, _)| start.starts_with("20250106")));
    let (status, _, body) =
        ui_get("/plan/taper.ics?drug=pregabalin&from=150+mg+BID&start=2025-01-06").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!ics_events(&body).is_empty());
    // A switch names both drugs: the last gabapentin doses, then pregabalin.
    let (status, _, body) =
        ui_get("/plan/switch.ics?drug=gabapentin&from=600+mg+TID&to=pregabalin&start=2025-01-06")
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events = ics_events(&body);
    assert!(
        events.iter().any(|(_, s)| s.contains("Gabapentin")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|(_, s)| s.contains("Pregabalin")),
        "{events:?}"
    );
}

// --- browser ---------------------------------------------------------------------------------

/// Kills chromedriver when the test ends, passing or failing.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Start chromedriver; FAIL (never skip) when it is missing.
async fn start_driver() -> (Driver, u16) {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: install chromium and chromium-driver (CI does: apt-get install chromium chromium-driver)"
    );
    let port = free_port();
    let child = std::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
    let driver = Driver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (driver, port);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port} within 10 s");
}

/// The app on a real socket; returns its base URL (the store's folder lives as long as the test).
async fn serve() -> (String, tempfile::TempDir) {
    let (state, dir) = state().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app(state)).await;
    });
    (format!("http://{addr}"), dir)
}

async fn browser(driver_port: u16, profile: &std::path::Path) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    fantoccini::ClientBuilder::rustls()
        .unwrap_or_else(|e| panic!("{e}"))
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot open a browser session: {e}"))
}

/// GET over plain HTTP/1.1 (the app answers with a Content-Length and closes).
async fn http_get(base: &str, href: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let path = href.strip_prefix(base).unwrap_or(href);
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (head.to_string(), body.to_string())
}

/// Fill the register or sign-in form on the page as browser@example.org and send it.
async fn sign_in_form(client: &fantoccini::Client) -> Result<(), fantoccini::error::CmdError> {
    for (id, text) in [
        ("email", "browser@example.org"),
        ("password", "correct horse battery"),
    ] {
        client
            .find(fantoccini::Locator::Id(id))
            .await?
            .send_keys(text)
            .await?;
    }
    client
        .find(fantoccini::Locator::Css("form.panel button[type=submit]"))
        .await?
        .click()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_checker_plans_and_diary_work() {
    use fantoccini::Locator;
    let (_driver, port) = start_driver().await;
    let (base, _dir) = serve().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(port, profile.path()).await;
    let outcome = async {
        // (1) Enter two medications with the mouse and submit.
        client.goto(&format!("{base}/check")).await?;
        client
            .find(Locator::Id("med-1"))
            .await?
            .send_keys("pregabalin")
            .await?;
        client
            .find(Locator::Id("med-2"))
            .await?
            .send_keys("oxycodone")
            .await?;
        client
            .find(Locator::Css("#check-form button[type=submit]"))
            .await?
            .click()
            .await?;
        let findings = client.wait().for_element(Locator::Id("findings")).await?;
        let text = findings.text().await?;
        let text = text.to_lowercase();
        assert!(text.contains("major"), "{text}");
        assert!(
            text.contains("gabapentinoids") && text.contains("opioids"),
            "{text}"
        );

        // (2) The keyboard alone: focus, type, Tab, type, Enter.
        client.goto(&format!("{base}/check")).await?;
        client.find(Locator::Id("med-1")).await?.click().await?;
        client
            .active_element()
            .await?
            .send_keys("pregabalin")
            .await?;
        client.active_element().await?.send_keys("\u{E004}").await?; // Tab
        let second = client.active_element().await?;
        assert_eq!(
            second.attr("id").await?.as_deref(),
            Some("med-2"),
            "Tab reaches the second box"
        );
        second.send_keys("oxycodone").await?;
        client.active_element().await?.send_keys("\u{E007}").await?; // Enter
        let findings = client.wait().for_element(Locator::Id("findings")).await?;
        let text = findings.text().await?;
        assert!(text.to_lowercase().contains("severity: major"), "{text}");

        // (3) A titration page shows the schedule and its .ics link, which parses.
        client
            .goto(&format!(
                "{base}/plan/titrate?drug=pregabalin&indication=fibromyalgia&start=2025-01-06"
            ))
            .await?;
        let table = client
            .find(Locator::Css("table.schedule"))
            .await?
            .text()
            .await?;
        assert!(
            table.contains("Day 1") || table.contains("Days 1"),
            "{table}"
        );
        let href = client
            .find(Locator::Id("ics-link"))
            .await?
            .attr("href")
            .await?
            .unwrap_or_default();
        assert!(href.contains("/plan/titrate.ics?"), "{href}");
        let (head, body) = http_get(&base, &href).await;
        assert!(
            head.to_lowercase().contains("content-type: text/calendar"),
            "{head}"
        );
        let events = ics_events(&body);
        assert!(
            events
                .iter()
                .any(|(start, _)| start.starts_with("20250106")),
            "{events:?}"
        );

        // (4) The diary: register, add an entry whose note holds a script; the entry appears
        // in the chart and the script is shown as text, never run.
        client.goto(&format!("{base}/register")).await?;
        sign_in_form(&client).await?;
        // Registering answers "sign in" whether or not the address was free: sign in.
        client.wait().for_element(Locator::Id("notice")).await?;
        sign_in_form(&client).await?;
        client.wait().for_element(Locator::Id("entry-form")).await?;
        assert!(
            client.find(Locator::Id("no-entries")).await.is_ok(),
            "no chart before the first entry"
        );
        client
            .execute(
                "document.getElementById('date').value = '2025-03-10';",
                vec![],
            )
            .await?;
        client
            .find(Locator::Id("pain"))
            .await?
            .send_keys("7")
            .await?;
        client
            .find(Locator::Id("note"))
            .await?
            .send_keys("<script>window.pwned = 1</script> bad night")
            .await?;
        client
            .find(Locator::Css("#entry-form button[type=submit]"))
            .await?
            .click()
            .await?;
        let chart = client
            .wait()
            .for_element(Locator::Css("#chart svg"))
            .await?;
        let svg = chart.html(false).await?;
        assert!(
            svg.contains("10 Mar 2025"),
            "the entry's day is on the chart's axis"
        );
        // Pain is drawn as circles: one in the legend, one for the entry.
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "the entry is plotted: {svg}"
        );
        let entries = client.find(Locator::Id("entries")).await?.text().await?;
        assert!(
            entries.contains("<script>window.pwned = 1</script> bad night"),
            "{entries}"
        );
        let ran = client
            .execute("return typeof window.pwned;", vec![])
            .await?;
        assert_eq!(ran, json!("undefined"), "the note's script never ran");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("browser: {e}"));
}

#[tokio::test]
async fn responses_are_compressed_and_readiness_checks_the_database() {
    let (state, _dir) = state().await;
    let request = Request::builder()
        .uri("/api/v1/drugs/Lyrica")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app(state.clone())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let request = Request::builder()
        .uri("/readyz")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, bytes) = respond(app(state.clone()), request).await;
    assert_eq!(status, StatusCode::OK);
    let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    assert_eq!(value["database"], "sqlite");
    // A closed database is not ready.
    state.store.close().await;
    let request = Request::builder()
        .uri("/readyz")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app(state)
        .oneshot(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// A 401 says which scheme would succeed (RFC 9110 §15.5.2); other problems do not.
#[tokio::test]
async fn unauthorized_names_the_bearer_scheme() {
    let (st, _dir) = state().await;
    let app = app(st);
    let challenge = |uri: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::builder()
                .method("GET")
                .uri(uri)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}"));
            let response = app.oneshot(request).await.unwrap_or_else(|e| panic!("{e}"));
            (
                response.status(),
                response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            )
        }
    };
    assert_eq!(
        challenge("/api/v1/me").await,
        (
            StatusCode::UNAUTHORIZED,
            Some("Bearer realm=\"painrx\"".to_string())
        )
    );
    assert_eq!(
        challenge("/api/v1/drugs/no-such-drug-xyz").await,
        (StatusCode::NOT_FOUND, None)
    );
}

// ---------------------------------------------------------------------------------------------
// The same public suite on any store; diary operations beyond list/add; the web app's accounts

/// The public endpoints (knowledge and calculators) and the OpenAPI document, on this store.
async fn public_suite(store: &Store) {
    let app = app(AppState::new(kb(), std::env::temp_dir(), store.clone()));
    for (method, uri, body, key) in public_cases() {
        let (s, _, v) = send(&app, method, uri, None, body).await;
        assert_eq!(s, StatusCode::OK, "{method} {uri}: {v}");
        if !key.is_empty() {
            assert!(!v[key].is_null(), "{uri} answers `{key}`: {v}");
        }
    }
    for (method, uri, body, want) in bad_cases() {
        let (s, ct, v) = send(&app, method, uri, None, body).await;
        assert_eq!(s.as_u16(), want, "{method} {uri}: {v}");
        assert_eq!(ct, "application/problem+json", "{uri}");
    }
    let (s, _, doc) = send(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    // Every route the document lists answers (never 404 or 405 for its method); those that
    // need a token are exactly those that answer 401 without one; every path parameter is
    // declared; every operation answers problem+json; the request schemas come from the
    // request types.
    let endpoints = painrx_server::openapi::endpoints();
    assert!(endpoints.len() > 50, "{} routes", endpoints.len());
    for route in &endpoints {
        let (path, method) = (&route.path, route.method.to_uppercase());
        let op = &doc["paths"][path.as_str()][route.method.as_str()];
        assert!(op.is_object(), "{method} {path} missing from the document");
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let in_path: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, in_path, "{method} {path}: path parameters");
        assert_eq!(
            op["responses"]["4XX"]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{method} {path}"
        );
        let uri = path
            .replace("{name}", "pregabalin")
            .replace("{patient_id}", "user-1")
            .replace("{id}", "1")
            .replace("{course_id}", "1")
            .replace("{user_id}", "1");
        let (s, _, v) = send(&app, &method, &uri, None, None).await;
        assert!(
            s != StatusCode::NOT_FOUND || uri.contains("/drugs/") || route.auth,
            "{method} {uri} is documented but not routed: {v}"
        );
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(
            s == StatusCode::UNAUTHORIZED,
            route.auth,
            "{method} {uri}: documented as needing a token iff it answers 401 without one ({v})"
        );
        if route.auth {
            assert!(
                !op["responses"]["401"].is_null(),
                "{method} {path} documents its 401"
            );
            assert_eq!(op["security"][0]["bearer"], json!([]), "{method} {path}");
        }
    }
    // Regression: the hand-kept document referred to eight schemas it did not hold (`Age`,
    // `Name`, …); derived from the handlers, every reference names a component.
    let text = doc.to_string();
    for name in text.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "`{name}` is referenced but not in the document"
        );
    }
    let check = &doc["components"]["schemas"]["CheckRequest"]["properties"];
    assert!(
        check["medications"].is_object() && check["allergies"].is_object(),
        "{check}"
    );
}

/// An admin makes a one-time reset link (never a password they know); the owner opens it and
/// chooses the password; then the old one and every token of the account stop working.
async fn reset_by_one_time_link(app: &axum::Router, store: &Store, root: &str, doc: &str) {
    let (victim_id, victim) = account(app, "o-reset@example.org", "patient", None).await;
    let reset = format!("/api/v1/users/{victim_id}/password");
    let (s, ct, v) = post(app, &reset, Some(doc), json!({})).await;
    problem(s, &ct, &v, StatusCode::FORBIDDEN);
    let (s, ct, v) = post(
        app,
        &reset,
        Some(root),
        json!({"password": "a brand new passphrase"}),
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ct, v) = post(app, "/api/v1/users/999999/password", Some(root), json!({})).await;
    problem(s, &ct, &v, StatusCode::NOT_FOUND);
    let (s, _, link) = post(app, &reset, Some(root), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_string();
    assert_eq!(link["reset_path"], format!("/reset?token={token}"));
    let (s, _, v) = send(app, "GET", "/api/v1/me", Some(&victim), None).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the old password works until the link is used: {v}"
    );
    let use_it = |password: &str| {
        let body = json!({"token": token, "password": password});
        post(app, "/api/v1/auth/reset", None, body)
    };
    let (s, ct, v) = use_it("short").await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, v) = use_it("a brand new passphrase").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, ct, v) = use_it("yet another passphrase").await;
    problem(s, &ct, &v, StatusCode::NOT_FOUND);
    assert!(
        v["detail"].as_str().unwrap().contains("used or expired"),
        "works once: {v}"
    );
    let (s, ct, v) = send(app, "GET", "/api/v1/me", Some(&victim), None).await;
    problem(s, &ct, &v, StatusCode::UNAUTHORIZED);
    let (s, _, _) = login(app, "o-reset@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (s, _, v) = login(app, "o-reset@example.org", "a brand new passphrase").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let events: Vec<String> = store
        .security_events(Some(victim_id), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    for event in ["password.reset_issued", "password.reset_done"] {
        assert!(events.iter().any(|e| e == event), "{event} in {events:?}");
    }
}

/// Edit and history, import, courses and sessions, links and patients, accounts: the access
/// rules of the matrix, and the audit trail of each.
async fn diary_ops_suite(store: &Store) {
    let app = app(AppState::new(kb(), std::env::temp_dir(), store.clone()));
    let (s, _, v) = login(&app, "root@example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let root = v["token"].as_str().unwrap().to_string();
    let (pat_id, pat) = account(&app, "o-pat@example.org", "patient", None).await;
    let (doc_id, doc) = account(&app, "o-doc@example.org", "clinician", None).await;
    let (_, stranger) = account(&app, "o-stranger@example.org", "clinician", None).await;
    let patient = format!("user-{pat_id}");
    let (s, _, v) = post(
        &app,
        "/api/v1/links",
        Some(&pat),
        json!({"clinician_email": "o-doc@example.org"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Links and patients, each from its own side only.
    let (s, _, v) = send(&app, "GET", "/api/v1/links", Some(&pat), None).await;
    assert_eq!(
        (s, v["clinicians"][0]["id"].as_i64()),
        (StatusCode::OK, Some(doc_id)),
        "{v}"
    );
    let (s, _, v) = send(&app, "GET", "/api/v1/patients", Some(&doc), None).await;
    assert_eq!(
        (s, v["patients"].clone()),
        (
            StatusCode::OK,
            json!([{"patient_id": patient, "email": "o-pat@example.org"}])
        )
    );
    let (s, _, v) = send(&app, "GET", "/api/v1/patients", Some(&stranger), None).await;
    assert_eq!((s, v["patients"].clone()), (StatusCode::OK, json!([])));
    for (uri, token) in [
        ("/api/v1/links", &doc),
        ("/api/v1/patients", &pat),
        ("/api/v1/users", &doc),
        ("/api/v1/users", &pat),
    ] {
        let (s, ct, v) = send(&app, "GET", uri, Some(token), None).await;
        problem(s, &ct, &v, StatusCode::FORBIDDEN);
    }
    let (s, _, v) = send(&app, "GET", "/api/v1/users", Some(&root), None).await;
    assert_eq!(s, StatusCode::OK);
    let emails: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(
        emails.contains(&"o-pat@example.org") && emails.contains(&"root@example.org"),
        "{v}"
    );
    assert!(
        v["users"][0].get("password_hash").is_none(),
        "no hashes on the wire"
    );

    reset_by_one_time_link(&app, store, &root, &doc).await;

    // Edit: fields laid over the current entry, a new version, history kept; stale is 409.
    let (s, _, e) = post(
        &app,
        "/api/v1/diary/entries",
        Some(&pat),
        json!({"date": "2024-06-01", "pain": 6, "note": "before"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let id = e["id"].as_i64().unwrap();
    let own = format!("/api/v1/diary/entries/{id}");
    let theirs = format!("/api/v1/patients/{patient}/diary/entries/{id}");
    let (s, _, v) = send(
        &app,
        "PATCH",
        &own,
        Some(&pat),
        Some(json!({"version": 1, "pain": 3})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["version"].as_i64(),
            v["pain"].as_i64(),
            v["note"].as_str()
        ),
        (Some(2), Some(3), Some("before")),
        "{v}"
    );
    let (s, ct, v) = send(
        &app,
        "PATCH",
        &own,
        Some(&pat),
        Some(json!({"version": 1, "pain": 9})),
    )
    .await;
    problem(s, &ct, &v, StatusCode::CONFLICT);
    assert!(v["detail"].as_str().unwrap().contains("version 2"), "{v}");
    let (s, ct, v) = send(&app, "PATCH", &own, Some(&pat), Some(json!({"pain": 9}))).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ct, v) = send(
        &app,
        "PATCH",
        &own,
        Some(&pat),
        Some(json!({"version": 2, "pain": 11})),
    )
    .await;
    assert!(s.is_client_error(), "{v}");
    assert_eq!(ct, "application/problem+json");
    let (s, ct, v) = send(
        &app,
        "PATCH",
        &own,
        Some(&pat),
        Some(json!({"version": 2, "colour": "red"})),
    )
    .await;
    // A change that does not fit an entry: 422 naming the key, like every body (issue 10; was 400).
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["detail"].as_str().is_some_and(|d| d.contains("colour")),
        "{v}"
    );
    let (s, _, v) = send(
        &app,
        "PATCH",
        &theirs,
        Some(&doc),
        Some(json!({"version": 2, "note": null})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "a linked clinician edits: {v}");
    assert!(v.get("note").is_none(), "null clears: {v}");
    for (token, want) in [
        (Some(&stranger), StatusCode::FORBIDDEN),
        (Some(&root), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (s, ct, v) = send(
            &app,
            "PATCH",
            &theirs,
            token.map(String::as_str),
            Some(json!({"version": 3, "pain": 1})),
        )
        .await;
        problem(s, &ct, &v, want);
        let (s, ct, v) = send(
            &app,
            "GET",
            &format!("{theirs}/history"),
            token.map(String::as_str),
            None,
        )
        .await;
        problem(s, &ct, &v, want);
    }
    let (s, _, v) = send(&app, "GET", &format!("{own}/history"), Some(&pat), None).await;
    assert_eq!(s, StatusCode::OK);
    let versions: Vec<i64> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["version"].as_i64())
        .collect();
    assert_eq!(versions.len(), 3, "{v}");
    let (s, ct, v) = send(
        &app,
        "GET",
        "/api/v1/diary/entries/999999",
        Some(&pat),
        None,
    )
    .await;
    problem(s, &ct, &v, StatusCode::NOT_FOUND);
    let (s, _, v) = send(&app, "GET", &own, Some(&pat), None).await;
    assert_eq!((s, v["version"].as_i64()), (StatusCode::OK, Some(3)));

    // Import: the export of a diary imports into another, all or nothing.
    let (_, other) = account(&app, "o-other@example.org", "patient", None).await;
    let csv = "date,time,pain,fatigue,sleep,stiffness,fog,mood,anxiety,areas,doses,side_effects,note,wpi,sss,fiqr\n";
    let (s, ct, v) = post(
        &app,
        "/api/v1/diary/import?format=csv",
        Some(&other),
        Value::String(format!("{csv}2024-13-40,,5,,,,,,,,,,,,,\n")),
    )
    .await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let export = |token: String, format: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::builder()
                .uri(format!("/api/v1/diary/export?format={format}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            String::from_utf8(
                response
                    .into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
            )
            .unwrap()
        }
    };
    for format in ["csv", "fhir"] {
        let text = export(pat.clone(), format).await;
        let request = Request::builder()
            .method("POST")
            .uri(format!("/api/v1/diary/import?format={format}"))
            .header("authorization", format!("Bearer {other}"))
            .header("content-type", "text/plain")
            .body(Body::from(text))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let v: Value =
            serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes())
                .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{format}: {v}");
        assert_eq!(v["imported"], json!(1), "{format}: {v}");
    }
    let (_, _, v) = send(&app, "GET", "/api/v1/diary/entries", Some(&other), None).await;
    let pains: Vec<i64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["pain"].as_i64())
        .collect();
    assert_eq!(pains, [3, 3], "both imports carried the edited entry: {v}");

    // Courses and infusion sessions.
    let courses = format!("/api/v1/patients/{patient}/diary/courses");
    let (s, _, c) = post(
        &app,
        &courses,
        Some(&doc),
        json!({"kind": "infusion", "drug": "Ketamine", "started": "2024-06-03"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(
        (c["drug"].as_str(), c["kind"].as_str()),
        (Some("ketamine"), Some("infusion"))
    );
    let course = c["id"].as_i64().unwrap();
    let (s, ct, v) = post(
        &app,
        &courses,
        Some(&doc),
        json!({"kind": "massage", "drug": "ketamine", "started": "2024-06-03"}),
    )
    .await;
    // JSON that does not fit a course: 422, as ApiJson answers every body (issue 10; was 400).
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let session = json!({"date": "2024-06-03", "start_time": "09:30", "infusion_minutes": 240, "observation_minutes": 30, "escort_confirmed": true, "screening": ["not pregnant"], "pain_before": 7, "pain_after": 4});
    let sessions = format!("/api/v1/diary/courses/{course}/sessions");
    let (s, _, v) = post(&app, &sessions, Some(&pat), session.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["course_id"].as_i64(), v["pain_after"].as_i64()),
        (Some(course), Some(4))
    );
    let mut bad = session.clone();
    bad["infusion_minutes"] = json!(0);
    let (s, ct, v) = post(&app, &sessions, Some(&pat), bad).await;
    problem(s, &ct, &v, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ct, v) = post(
        &app,
        "/api/v1/diary/courses/999999/sessions",
        Some(&pat),
        session.clone(),
    )
    .await;
    problem(s, &ct, &v, StatusCode::NOT_FOUND);
    for (token, want) in [
        (Some(&stranger), StatusCode::FORBIDDEN),
        (Some(&other), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (s, ct, v) = send(&app, "GET", &courses, token.map(String::as_str), None).await;
        problem(s, &ct, &v, want);
        let uri = format!("{courses}/{course}/sessions");
        let (s, ct, v) = post(&app, &uri, token.map(String::as_str), session.clone()).await;
        problem(s, &ct, &v, want);
    }
    let (s, _, v) = send(&app, "GET", "/api/v1/diary/courses", Some(&pat), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["courses"][0]["course"]["id"].as_i64(),
        Some(course),
        "{v}"
    );
    assert_eq!(
        v["courses"][0]["sessions"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    let (s, _, v) = send(&app, "GET", &sessions, Some(&pat), None).await;
    assert_eq!(
        (s, v["sessions"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );

    // Every allowed access above is in the patient's audit log, by the right actor.
    let log = store.list_audit(&patient.parse().unwrap()).await.unwrap();
    let actions: Vec<(i64, &str)> = log
        .iter()
        .map(|r| (r.actor_user_id, r.action.as_str()))
        .collect();
    for want in [
        (pat_id, "diary.create"),
        (pat_id, "diary.edit"),
        (doc_id, "diary.edit"),
        (pat_id, "diary.history"),
        (pat_id, "diary.read"),
        (pat_id, "diary.export"),
        (doc_id, "course.create"),
        (pat_id, "session.create"),
        (pat_id, "course.list"),
        (pat_id, "session.list"),
    ] {
        assert!(actions.contains(&want), "{want:?} missing from {actions:?}");
    }
    assert_eq!(
        actions.iter().filter(|(_, a)| *a == "diary.edit").count(),
        2,
        "refused edits are not audited as edits"
    );
}

/// A request from a browser: form body, cookies, and what came back.
async fn web(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "painrx.test");
    if let Some(c) = cookie {
        request = request.header("cookie", format!("painrx_session={c}"));
    }
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    let body = if method == "POST" {
        request = request.header("content-type", "application/x-www-form-urlencoded");
        form.iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    } else {
        String::new()
    };
    let (status, headers, bytes) =
        respond(app.clone(), request.body(Body::from(body)).unwrap()).await;
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// A browser's form POST with no extra header.
async fn web_post(
    app: &axum::Router,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    web(app, "POST", uri, cookie, form, &[]).await
}

/// Sign in through the web form (no `next`, no extra header).
async fn web_login(
    app: &axum::Router,
    email: &str,
    password: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    web_post(
        app,
        "/login",
        None,
        &[("email", email), ("password", password)],
    )
    .await
}

/// Register on the web form (which answers "sign in" whether or not the address was free),
/// then sign in: the sign-in's response (its session cookie and where it goes).
async fn web_register(
    app: &axum::Router,
    email: &str,
    role: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let form = [
        ("email", email),
        ("password", "correct horse battery"),
        ("role", role),
    ];
    let (s, h, body) = web_post(app, "/register", None, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(h["location"], "/login?registered=1");
    web_login(app, email, "correct horse battery").await
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The session token a response set, checking the cookie's attributes.
fn session_from(headers: &axum::http::HeaderMap, secure: bool) -> String {
    let cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(cookie.starts_with("painrx_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
    cookie["painrx_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn csrf_in(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {page}"));
    page[at + 19..].split('"').next().unwrap().to_string()
}

/// On the web too, a taken address gets the free address's answer (no enumeration) and signs no
/// one in; a password of spaces is refused with the form kept.
async fn web_register_does_not_enumerate(app: &axum::Router) {
    let register = [
        ("email", "w-pat@example.org"),
        ("password", "another long passphrase"),
        ("role", "patient"),
    ];
    let (s, h, _) = web_post(app, "/register", None, &register).await;
    assert_eq!(
        (s, &h["location"]),
        (
            StatusCode::SEE_OTHER,
            &"/login?registered=1".parse().unwrap()
        )
    );
    assert!(!h.contains_key("set-cookie"));
    let (_, _, page) = web(app, "GET", "/login?registered=1", None, &[], &[]).await;
    assert!(page.contains("if this address was free"), "{page}");
    let (s, _, page) = web_post(
        app,
        "/register",
        None,
        &[
            ("email", "x@example.org"),
            ("password", "          "),
            ("role", "patient"),
        ],
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ten spaces are no password"
    );
    assert!(
        page.contains("x@example.org") && page.contains("only spaces"),
        "the form keeps the email and says why: {page}"
    );
}

/// An admin's one-time reset link on the web: shown once, opened by the owner, who chooses the
/// password; it works once and ends the account's sessions; only an admin makes one.
async fn web_reset_by_one_time_link(
    app: &axum::Router,
    store: &Store,
    (admin, admin_csrf): (&str, &str),
    (pat, csrf): (&str, &str),
) {
    let new_user = store
        .user_by_email("w-new@example.org")
        .await
        .unwrap()
        .unwrap();
    let (_, h, _) = web_login(app, "w-new@example.org", "correct horse battery").await;
    let new_session = session_from(&h, false);
    let reset = format!("/admin/users/{}/password", new_user.id);
    let (s, _, page) = web_post(app, &reset, Some(admin), &[("csrf", admin_csrf)]).await;
    assert_eq!(s, StatusCode::CREATED, "{page}");
    assert!(
        page.contains("One-time link for w-new@example.org"),
        "{page}"
    );
    let token: String = page
        .split("reset?token=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{page}");
    let (s, _, _) = web(app, "GET", "/patients", Some(&new_session), &[], &[]).await;
    assert_eq!(s, StatusCode::OK, "the link alone ends nothing");
    let (s, _, form) = web(app, "GET", &format!("/reset?token={token}"), None, &[], &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("Choose a new password"), "{form}");
    let chosen = [
        ("token", token.as_str()),
        ("password", "another long passphrase"),
    ];
    let (s, h, _) = web_post(app, "/reset", None, &chosen).await;
    assert_eq!(
        (s, &h["location"]),
        (StatusCode::SEE_OTHER, &"/login?reset=1".parse().unwrap())
    );
    let (s, _, page) = web_post(app, "/reset", None, &chosen).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the link works once: {page}");
    let (s, _, _) = web(app, "GET", "/patients", Some(&new_session), &[], &[]).await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "using the link ended the account's sessions"
    );
    let (s, _, _) = web_login(app, "w-new@example.org", "another long passphrase").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "the owner's new password");
    let (s, _, _) = web_post(app, &reset, Some(pat), &[("csrf", csrf)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only an admin resets passwords");
}

/// The web app's signed-in part: sessions, CSRF, the diary, courses, patients, accounts.
async fn web_suite(store: &Store) {
    let app = app(AppState::new(kb(), std::env::temp_dir(), store.clone()));
    // A second server on the same database: sessions live in the database, not in memory.
    let other_server = painrx_server::app(AppState::new(kb(), std::env::temp_dir(), store.clone()));

    let (s, h, _) = web(&app, "GET", "/diary", None, &[], &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/login?next=%2Fdiary");
    // Each page comes back to itself after signing in; a download comes back to its diary.
    for (uri, next) in [
        ("/diary/report", "%2Fdiary%2Freport"),
        ("/diary/courses", "%2Fdiary%2Fcourses"),
        ("/diary/export?format=csv", "%2Fdiary"),
        (
            "/patients/user-2/diary/export",
            "%2Fpatients%2Fuser-2%2Fdiary",
        ),
        ("/admin/users", "%2Fadmin%2Fusers"),
    ] {
        let (s, h, _) = web(&app, "GET", uri, None, &[], &[]).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(h["location"], format!("/login?next={next}"), "{uri}");
    }
    let (s, _, page) = web(&app, "GET", "/login?next=/diary", None, &[], &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("name=\"next\" value=\"&#x2f;diary\""),
        "{page}"
    );

    let (s, h, body) = web_register(&app, "w-pat@example.org", "patient").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(h["location"], "/diary");
    let pat = session_from(&h, false);
    web_register_does_not_enumerate(&app).await;
    // Cross-site form posts are refused before anything else.
    let good_login = [
        ("email", "w-pat@example.org"),
        ("password", "correct horse battery"),
    ];
    for cross_site in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let (s, _, _) = web(&app, "POST", "/login", None, &good_login, &[cross_site]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // Behind TLS the cookie is Secure; a wrong password is 401 and sets nothing.
    let (s, h, _) = web(
        &app,
        "POST",
        "/login",
        None,
        &[
            ("email", "w-pat@example.org"),
            ("password", "correct horse battery"),
            ("next", "//evil.example/"),
        ],
        &[
            ("x-forwarded-proto", "https"),
            ("origin", "https://painrx.test"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/diary", "no open redirect");
    session_from(&h, true);
    // Regression (outside probe): browsers drop tabs and newlines from a URL, so `/\t/evil`
    // was `//evil` (another site), and a newline made the redirect a 500 with the cookie set.
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "/\\evil.example",
    ] {
        let (s, h, _) = web(
            &app,
            "POST",
            "/login",
            None,
            &[
                ("email", "w-pat@example.org"),
                ("password", "correct horse battery"),
                ("next", next),
            ],
            &[
                ("x-forwarded-proto", "https"),
                ("origin", "https://painrx.test"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(h["location"], "/diary", "no open redirect for {next:?}");
    }
    let (s, h, _) = web_login(&app, "w-pat@example.org", "wrong password!").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(h.get("set-cookie").is_none());

    // The diary page: private, with a CSRF token that the entry form must carry.
    let (s, h, page) = web(&other_server, "GET", "/diary", Some(&pat), &[], &[]).await;
    assert_eq!(s, StatusCode::OK, "the other server knows the session");
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(page.contains("id=\"no-entries\""));
    let csrf = csrf_in(&page);
    let note = "<script>alert('x')</script> slept badly";
    let entry = [
        ("date", "2024-07-01"),
        ("pain", "7"),
        ("fatigue", "6"),
        ("area", "neck"),
        ("area", "left-hip"),
        ("doses", "pregabalin 75\npregabalin 75"),
        ("side_effects", "dizziness"),
        ("note", note),
    ];
    let (s, _, _) = web_post(&app, "/diary/entries", Some(&pat), &entry).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token");
    let mut with_bad = entry.to_vec();
    with_bad.push(("csrf", "0000"));
    let (s, _, _) = web_post(&app, "/diary/entries", Some(&pat), &with_bad).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a wrong CSRF token");
    let mut good = entry.to_vec();
    good.push(("csrf", &csrf));
    let (s, _, _) = web_post(&app, "/diary/entries", Some("not-a-session"), &good).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, _) = web_post(&app, "/diary/entries", Some(&pat), &good).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h["location"].to_str().unwrap().starts_with("/diary#entry-"));
    let (_, _, page) = web(&app, "GET", "/diary", Some(&pat), &[], &[]).await;
    assert!(
        page.contains("<svg"),
        "the chart appears with the first entry"
    );
    assert!(
        page.contains("&lt;script&gt;alert(") && !page.contains("<script>alert("),
        "the note is text"
    );
    assert!(
        page.contains("pregabalin 75 mg") && page.contains("neck, left-hip"),
        "{page}"
    );
    // Bad input: 422, nothing saved, and what was typed is still in the form.
    let mut bad = good.clone();
    bad[1] = ("pain", "11");
    let (s, _, page) = web_post(&app, "/diary/entries", Some(&pat), &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"entry-error\"") && page.contains("slept badly</textarea>"),
        "{page}"
    );
    let patient_id = {
        let (_, _, page) = web(&app, "GET", "/account", Some(&pat), &[], &[]).await;
        let at = page.find("<code>user-").unwrap();
        page[at + 6..].split('<').next().unwrap().to_string()
    };
    let entries = store
        .all_entries(&patient_id.parse().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "one entry saved");
    assert_eq!(entries[0].data.note.as_deref(), Some(note));
    assert_eq!(entries[0].data.doses.len(), 2);

    // Report and export from the browser.
    let (s, h, report) = web(&app, "GET", "/diary/report", Some(&pat), &[], &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        report.contains("<svg")
            && h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
    );
    let (s, h, csv) = web(
        &app,
        "GET",
        "/diary/export?format=csv",
        Some(&pat),
        &[],
        &[],
    )
    .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(csv.contains("2024-07-01"));

    // Courses: an infusion course, then a session with its timeline.
    let (s, h, _) = web_post(
        &app,
        "/diary/courses",
        Some(&pat),
        &[
            ("csrf", &csrf),
            ("kind", "infusion"),
            ("drug", "Ketalar"),
            ("started", "2024-07-02"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let course: String = h["location"]
        .to_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .to_string();
    let (s, _, page) = web_post(
        &app,
        "/diary/courses",
        Some(&pat),
        &[
            ("csrf", &csrf),
            ("kind", "infusion"),
            ("drug", "ketamime"),
            ("started", "2024-07-02"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("ketamine"), "did you mean");
    let (_, _, page) = web(&app, "GET", "/diary/courses", Some(&pat), &[], &[]).await;
    assert!(
        page.contains("responsible adult arranged"),
        "the screening checklist comes from the procedure monograph"
    );
    let uri = format!("/diary/courses/{course}/sessions");
    let (s, _, _) = web_post(
        &app,
        &uri,
        Some(&pat),
        &[
            ("csrf", &csrf),
            ("date", "2024-07-02"),
            ("start", "09:30"),
            ("infusion_minutes", "240"),
            ("observation_minutes", "30"),
            ("screened", "not pregnant"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = web(&app, "GET", "/diary/courses", Some(&pat), &[], &[]).await;
    assert!(
        page.contains("<strong>13:30</strong> infusion ends"),
        "{page}"
    );
    assert!(
        page.contains("no escort confirmed"),
        "the missing escort is a warning"
    );
    let (_, _, page) = web(&app, "GET", "/diary", Some(&pat), &[], &[]).await;
    assert!(
        page.contains("ketamine infusion"),
        "the session is marked on the chart"
    );

    // A clinician: linked by the patient from their account page, then sees the diary.
    let (_, h, _) = web_register(&app, "w-doc@example.org", "clinician").await;
    assert_eq!(h["location"], "/patients");
    let doc = session_from(&h, false);
    let (_, h, _) = web_register(&app, "w-stranger@example.org", "clinician").await;
    let stranger = session_from(&h, false);
    let their = format!("/patients/{patient_id}/diary");
    let (s, _, _) = web(&app, "GET", &their, Some(&doc), &[], &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not linked yet");
    // An address no clinician has gets the answer a clinician's gets (no enumeration).
    let (s, _, nobody) = web_post(
        &app,
        "/account/links",
        Some(&pat),
        &[("csrf", &csrf), ("clinician_email", "nobody@example.org")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, page) = web_post(
        &app,
        "/account/links",
        Some(&pat),
        &[("csrf", &csrf), ("clinician_email", "w-doc@example.org")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let said = |p: &str| p.contains("if a clinician has this address");
    assert!(said(&nobody) && said(&page), "{nobody}");
    let (_, _, page) = web(&app, "GET", "/patients", Some(&doc), &[], &[]).await;
    assert!(page.contains(&format!("href=\"{their}\"")), "{page}");
    let (s, _, page) = web(&app, "GET", &their, Some(&doc), &[], &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Diary of w-pat@example.org") && page.contains("&lt;script&gt;"));
    let doc_csrf = csrf_in(&page);
    let (s, _, _) = web_post(
        &app,
        &format!("{their}/entries"),
        Some(&doc),
        &[("csrf", &doc_csrf), ("date", "2024-07-03"), ("pain", "5")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "a linked clinician adds an entry");
    let (s, _, _) = web_post(
        &app,
        &format!("{their}/entries"),
        Some(&doc),
        &[("csrf", &csrf), ("date", "2024-07-03"), ("pain", "5")],
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "another session's token does not work"
    );
    for uri in [
        their.clone(),
        format!("{their}/report"),
        format!("{their}/courses"),
        format!("{their}/export"),
    ] {
        let (s, _, _) = web(&app, "GET", &uri, Some(&stranger), &[], &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "unlinked clinician {uri}");
        let (s, _, _) = web(&app, "GET", &uri, None, &[], &[]).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "anonymous {uri}");
    }
    let (s, _, _) = web(&app, "GET", "/diary", Some(&doc), &[], &[]).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "clinicians have no diary of their own"
    );

    // The admin manages accounts and reads no diary.
    let (_, h, _) = web_login(&app, "root@example.org", "correct horse battery").await;
    assert_eq!(h["location"], "/admin/users");
    let admin = session_from(&h, false);
    let (s, _, page) = web(&app, "GET", "/admin/users", Some(&admin), &[], &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("w-doc@example.org") && !page.contains("argon2"),
        "no hashes shown"
    );
    let admin_csrf = csrf_in(&page);
    let (s, _, page) = web_post(
        &app,
        "/admin/users",
        Some(&admin),
        &[
            ("csrf", &admin_csrf),
            ("email", "w-new@example.org"),
            ("password", "correct horse battery"),
            ("role", "clinician"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{page}");
    assert!(store
        .user_by_email("w-new@example.org")
        .await
        .unwrap()
        .is_some_and(|u| u.role == Role::Clinician));
    for uri in [their.clone(), "/diary".to_string()] {
        let (s, _, _) = web(&app, "GET", &uri, Some(&admin), &[], &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "admin {uri}");
    }
    let (s, _, _) = web(&app, "GET", "/admin/users", Some(&pat), &[], &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    web_reset_by_one_time_link(&app, store, (&admin, &admin_csrf), (&pat, &csrf)).await;

    // Web access is audited like API access.
    let log = store
        .list_audit(&patient_id.parse().unwrap())
        .await
        .unwrap();
    let doc_user = store
        .user_by_email("w-doc@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(log
        .iter()
        .any(|r| r.actor_user_id == doc_user.id && r.action == "diary.list"));
    assert!(log
        .iter()
        .any(|r| r.actor_user_id == doc_user.id && r.action == "diary.create"));
    assert!(log.iter().any(|r| r.action == "session.create"));

    // Signing out ends the session on every server.
    let (s, h, _) = web_post(&app, "/logout", Some(&pat), &[("csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (s, _, _) = web(&other_server, "GET", "/diary", Some(&pat), &[], &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diary_operations_and_web_accounts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("web.db").display().to_string())
        .await
        .unwrap();
    public_suite(&store).await;
    accounts_suite(&store).await;
    diary_ops_suite(&store).await;
    web_suite(&store).await;
    store.close().await;
}
