//! Regressions for the defects an outside probe found (issue 13): each test fails on the code
//! the probe ran against. `docs/BAD-INPUT.md` names them per class of bad input.

use super::*;

use painrx_server::Work;

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
