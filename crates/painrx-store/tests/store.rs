//! The store contract — one suite of async checks taking `&Store` — run on SQLite (a temporary
//! file) and on PostgreSQL (a fresh database on a real server, dropped at the end), plus URL
//! handling, migrations and a crash test (a writer killed with SIGKILL loses no acknowledged entry).
//!
//! PostgreSQL: `PAINRX_TEST_PG_URL` is the admin URL if set, else
//! `postgres://postgres@127.0.0.1:5432/postgres`. If the server cannot be reached the test FAILS.

// Test code may panic: clippy.toml's in-test allowances cover `#[test]` functions, not this
// file's helpers, so the workspace's no-panic lints are lifted for the whole file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use painrx_engine::assess::Area;
use painrx_engine::diary::{DoseTaken, Entry, EntryData};
use painrx_engine::id::{MonographId, PatientId};
use painrx_engine::time::{ClockTime, Date};
use painrx_store::{
    now_ms, AuditNote, CourseKind, NewCourse, NewSession, Role, Store, StoreError, ThrottleRule,
    Turn,
};
use serde_json::json;
use sqlx::Connection;

#[path = "../../../tests/support/postgres.rs"]
mod postgres;

// ---------------------------------------------------------------------------------------------
// Helpers

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn clock(text: &str) -> ClockTime {
    text.parse().unwrap()
}

fn pid(text: &str) -> PatientId {
    text.parse().unwrap()
}

fn id(text: &str) -> MonographId {
    text.parse().unwrap()
}

fn entry(date: &str, time: Option<&str>, pain: u8) -> EntryData {
    EntryData {
        time: time.map(clock),
        ..EntryData::new(day(date), pain)
    }
}

/// An entry with every field set, including awkward text and a float that is not a short decimal.
fn full_entry() -> EntryData {
    EntryData {
        date: day("2024-03-05"),
        time: Some(clock("07:45")),
        pain: 7,
        fatigue: Some(8),
        sleep: Some(0),
        stiffness: Some(10),
        fog: Some(5),
        mood: Some(3),
        anxiety: Some(4),
        areas: vec![Area::LeftJaw, Area::LowerBack, Area::RightLowerLeg],
        doses: vec![
            DoseTaken {
                drug: id("pregabalin"),
                mg: 75.0,
                taken: true,
            },
            DoseTaken {
                drug: id("duloxetine"),
                mg: 30.5,
                taken: false,
            },
        ],
        side_effects: vec!["dizziness".to_string(), "dry mouth".to_string()],
        note: Some("bad night — « flare » after 'gardening'; \"ouch\" \\ 痛い".to_string()),
        wpi: Some(12),
        sss: Some(9),
        fiqr: Some(0.1 + 0.2),
    }
}

fn datas(entries: &[Entry]) -> Vec<EntryData> {
    entries.iter().map(|e| e.data.clone()).collect()
}

fn ids(entries: &[Entry]) -> Vec<i64> {
    entries.iter().map(|e| e.id).collect()
}

fn is_invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, needle: &str) {
    match r {
        Err(StoreError::Invalid(m)) => assert!(
            m.contains(needle),
            "message `{m}` should mention `{needle}`"
        ),
        other => panic!("expected Invalid mentioning `{needle}`, got {other:?}"),
    }
}

fn session(date: &str, start: &str) -> NewSession {
    NewSession {
        date: day(date),
        start_time: clock(start),
        infusion_minutes: 40,
        observation_minutes: 60,
        escort_confirmed: true,
        screening: json!({"pregnancy": false, "uncontrolled_hypertension": false, "bp": [128, 82]}),
        adverse_effects: vec!["dissociation".to_string(), "nausea".to_string()],
        pain_before: Some(8),
        pain_after: Some(4),
        note: Some("0.5 mg/kg over 40 min".to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// The contract

async fn add_get_list_ranges_and_paging(store: &Store) {
    let p = &pid("c-list");
    let full = store.add_entry(p, &full_entry()).await.unwrap();
    assert_eq!(full.version, 1);
    assert_eq!(full.patient, *p);
    let got = store.get_entry(p, full.id).await.unwrap().unwrap();
    assert_eq!(got, full, "every field round-trips");
    assert_eq!(got.data.fiqr, Some(0.1 + 0.2), "floats round-trip exactly");

    // Ten days written out of order.
    let mut written = vec![full];
    for day in [9, 2, 7, 1, 10, 4, 3, 8, 6] {
        let d = entry(&format!("2024-03-{day:02}"), Some("12:00"), day % 11);
        written.push(store.add_entry(p, &d).await.unwrap());
    }
    let all = store.list_entries(p, None, None, 100, 0).await.unwrap();
    let dates: Vec<String> = all.iter().map(|e| e.data.date.to_string()).collect();
    let expected: Vec<String> = (1..=10).map(|d| format!("2024-03-{d:02}")).collect();
    assert_eq!(dates, expected, "ordered by date");
    let mut sorted_written = written.clone();
    sorted_written.sort_by_key(|e| e.data.date);
    assert_eq!(all, sorted_written, "list returns what was written");

    // Inclusive ranges, open on either side.
    let mid = store
        .list_entries(p, Some(day("2024-03-03")), Some(day("2024-03-05")), 100, 0)
        .await
        .unwrap();
    assert_eq!(
        mid.iter()
            .map(|e| e.data.date.to_string())
            .collect::<Vec<_>>(),
        ["2024-03-03", "2024-03-04", "2024-03-05"]
    );
    let from = store
        .list_entries(p, Some(day("2024-03-09")), None, 100, 0)
        .await
        .unwrap();
    assert_eq!(datas(&from), datas(&all[8..]));
    let to = store
        .list_entries(p, None, Some(day("2024-03-02")), 100, 0)
        .await
        .unwrap();
    assert_eq!(datas(&to), datas(&all[..2]));
    let none = store
        .list_entries(p, Some(day("2024-04-01")), Some(day("2024-04-30")), 100, 0)
        .await
        .unwrap();
    assert!(none.is_empty());

    // Paging.
    let page = store.list_entries(p, None, None, 3, 3).await.unwrap();
    assert_eq!(page, all[3..6].to_vec());
    let last = store.list_entries(p, None, None, 3, 9).await.unwrap();
    assert_eq!(last, all[9..].to_vec());
    assert!(store
        .list_entries(p, None, None, 0, 0)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_entries(p, None, None, 5, 10)
        .await
        .unwrap()
        .is_empty());
    let mut pages = Vec::new();
    for offset in (0..10).step_by(4) {
        pages.extend(store.list_entries(p, None, None, 4, offset).await.unwrap());
    }
    assert_eq!(pages, all, "pages put together give the whole list");

    assert_eq!(store.get_entry(p, 987_654_321).await.unwrap(), None);
}

async fn several_entries_a_day(store: &Store) {
    let p = &pid("c-day");
    let evening = store
        .add_entry(p, &entry("2024-05-02", Some("20:00"), 6))
        .await
        .unwrap();
    let untimed = store
        .add_entry(p, &entry("2024-05-02", None, 5))
        .await
        .unwrap();
    let morning1 = store
        .add_entry(p, &entry("2024-05-02", Some("08:00"), 3))
        .await
        .unwrap();
    let morning2 = store
        .add_entry(p, &entry("2024-05-02", Some("08:00"), 4))
        .await
        .unwrap();
    let noon = store
        .add_entry(p, &entry("2024-05-02", Some("12:30"), 2))
        .await
        .unwrap();
    let day_before = store
        .add_entry(p, &entry("2024-05-01", Some("23:59"), 1))
        .await
        .unwrap();
    let all = store.list_entries(p, None, None, 100, 0).await.unwrap();
    assert_eq!(
        ids(&all),
        [
            day_before.id,
            untimed.id,
            morning1.id,
            morning2.id,
            noon.id,
            evening.id
        ],
        "by date, then time (no time first), then id — the same on both dialects"
    );
    let one_day = store
        .list_entries(p, Some(day("2024-05-02")), Some(day("2024-05-02")), 100, 0)
        .await
        .unwrap();
    assert_eq!(one_day.len(), 5);
}

async fn validation_errors(store: &Store) {
    let p = &pid("c-valid");
    // Dates and times that are not cannot reach the store: their types refuse them.
    for bad in [
        "2024-02-30",
        "03/04/2024",
        "2024-13-01",
        "2024-09-31",
        "soon",
    ] {
        assert!(bad.parse::<Date>().is_err(), "{bad}");
    }
    for bad in ["24:00", "9h00"] {
        assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
    }
    is_invalid(
        store.add_entry(p, &entry("2024-02-01", None, 11)).await,
        "pain",
    );
    let mut d = entry("2024-02-01", None, 1);
    d.sleep = Some(12);
    is_invalid(store.add_entry(p, &d).await, "sleep");
    let mut d = entry("2024-02-01", None, 1);
    d.note = Some("x".repeat(4001));
    is_invalid(store.add_entry(p, &d).await, "4001");
    let mut d = entry("2024-02-01", None, 1);
    d.doses = vec![DoseTaken {
        drug: id("tramadol"),
        mg: -50.0,
        taken: true,
    }];
    is_invalid(store.add_entry(p, &d).await, "-50");
    let ok = entry("2024-02-01", None, 1);
    // Patient ids that are not cannot reach the store either.
    for bad in ["bad patient", "", &"x".repeat(65), "a;drop"] {
        assert!(bad.parse::<PatientId>().is_err(), "{bad}");
    }
    assert!(ok.validate().is_ok());
    is_invalid(store.list_entries(p, None, None, -1, 0).await, "negative");
    is_invalid(store.list_entries(p, None, None, 10, -5).await, "negative");
    assert!(
        store
            .list_entries(p, None, None, 100, 0)
            .await
            .unwrap()
            .is_empty(),
        "nothing invalid was written"
    );

    // A batch is validated as a whole before anything is written, and names the bad entry.
    let batch = vec![
        entry("2024-02-01", None, 1),
        entry("2024-02-02", None, 99),
        entry("2024-02-03", None, 3),
    ];
    is_invalid(store.add_entries(p, &batch).await, "entry 2");
    assert!(store
        .list_entries(p, None, None, 100, 0)
        .await
        .unwrap()
        .is_empty());
}

async fn batch_import(store: &Store) {
    let p = &pid("c-batch");
    let batch: Vec<EntryData> = (1..=28)
        .map(|d| entry(&format!("2024-02-{d:02}"), Some("09:00"), d % 11))
        .collect();
    let added = store.add_entries(p, &batch).await.unwrap();
    assert_eq!(datas(&added), batch);
    assert!(added.iter().all(|e| e.version == 1 && e.patient == *p));
    let unique: BTreeSet<i64> = added.iter().map(|e| e.id).collect();
    assert_eq!(unique.len(), 28);
    let listed = store.list_entries(p, None, None, 100, 0).await.unwrap();
    assert_eq!(listed, added);
    assert!(store.add_entries(p, &[]).await.unwrap().is_empty());
}

async fn edit_keeps_history_and_refuses_stale_versions(store: &Store) {
    let p = &pid("c-edit");
    let v1 = entry("2024-06-01", Some("08:00"), 6);
    let added = store.add_entry(p, &v1).await.unwrap();
    let id = added.id;

    let mut v2 = v1.clone();
    v2.pain = 4;
    v2.note = Some("after physio".to_string());
    let edited = store.edit_entry(p, id, 1, &v2).await.unwrap();
    assert_eq!(edited.version, 2);
    assert_eq!(edited.data, v2);
    assert_eq!(store.get_entry(p, id).await.unwrap(), Some(edited.clone()));

    // Editing a stale copy (version 1) is refused and changes nothing.
    let mut stale = v1.clone();
    stale.pain = 9;
    assert_eq!(
        store.edit_entry(p, id, 1, &stale).await,
        Err(StoreError::Conflict { current: 2 })
    );
    assert_eq!(
        store.edit_entry(p, id, 3, &stale).await,
        Err(StoreError::Conflict { current: 2 }),
        "a version from the future is refused too"
    );
    assert_eq!(store.get_entry(p, id).await.unwrap(), Some(edited.clone()));

    // Invalid data is refused before anything is locked or written.
    is_invalid(
        store
            .edit_entry(p, id, 2, &entry("2024-06-01", None, 42))
            .await,
        "pain",
    );

    let mut v3 = full_entry();
    v3.date = day("2024-06-02");
    let third = store.edit_entry(p, id, 2, &v3).await.unwrap();
    assert_eq!(third.version, 3);

    let history = store.history(p, id).await.unwrap();
    assert_eq!(
        history.iter().map(|e| e.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(datas(&history), [v1, v2, v3.clone()]);
    assert!(history.iter().all(|e| e.id == id && e.patient == *p));

    // The list shows the current version only, at its new date.
    let listed = store.list_entries(p, None, None, 100, 0).await.unwrap();
    assert_eq!(listed, vec![third]);

    assert_eq!(
        store.edit_entry(p, 987_654_321, 1, &v3).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.history(p, 987_654_321).await,
        Err(StoreError::NotFound)
    );

    // An entry never edited has a history of one.
    let fresh = store
        .add_entry(p, &entry("2024-06-03", None, 1))
        .await
        .unwrap();
    assert_eq!(store.history(p, fresh.id).await.unwrap(), vec![fresh]);
}

async fn concurrent_edits_one_wins(store: &Store) {
    let p = &pid("c-race");
    let added = store
        .add_entry(p, &entry("2024-07-01", None, 5))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for pain in 0..8u8 {
        let (store, p) = (store.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            store
                .edit_entry(&p, added.id, 1, &entry("2024-07-01", None, pain))
                .await
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(e) => won.push(e),
            Err(StoreError::Conflict { current: 2 }) => {}
            Err(other) => panic!("a racing edit must win or conflict, got {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one of 8 edits on version 1 wins");
    let history = store.history(p, added.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history.first().map(|e| e.data.pain), Some(5));
    assert_eq!(history.get(1), won.first());
}

async fn concurrent_writers(store: &Store) {
    let p = &pid("c-concurrent");
    let mut tasks = Vec::new();
    for task in 0..8u8 {
        let (store, p) = (store.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..50u8 {
                let mut d = entry("2024-08-01", None, i % 11);
                d.note = Some(format!("task {task} entry {i}"));
                ids.push(store.add_entry(&p, &d).await.map(|e| e.id));
            }
            ids
        }));
    }
    let mut acked = BTreeSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(acked.insert(id.expect("no writer fails")), "ids are unique");
        }
    }
    assert_eq!(acked.len(), 400);
    let all = store.list_entries(p, None, None, 1000, 0).await.unwrap();
    assert_eq!(all.len(), 400, "exactly 400 rows");
    let listed: BTreeSet<i64> = all.iter().map(|e| e.id).collect();
    assert_eq!(listed, acked);
    let notes: BTreeSet<String> = all.iter().filter_map(|e| e.data.note.clone()).collect();
    assert_eq!(notes.len(), 400, "every write kept its own data");
}

async fn courses_and_sessions(store: &Store) {
    let p = &pid("c-course");
    let taper_plan = json!({
        "drug": "pregabalin",
        "steps": [
            {"from": "2024-09-01", "mg_per_day": 300, "rule": "taper-cut-25"},
            {"from": "2024-09-15", "mg_per_day": 225.5, "rule": "taper-cut-25"}
        ],
        "source": "ashton-2002"
    });
    let taper = store
        .add_course(
            p,
            &NewCourse {
                kind: CourseKind::Taper,
                drug: id("pregabalin"),
                started: day("2024-09-01"),
                plan: taper_plan.clone(),
                note: Some("patient asked to stop".to_string()),
            },
        )
        .await
        .unwrap();
    assert_eq!(taper.plan, taper_plan);
    let infusion = store
        .add_course(
            p,
            &NewCourse {
                kind: CourseKind::Infusion,
                drug: id("ketamine"),
                started: day("2024-08-20"),
                plan: json!({"sessions": 6, "mg_per_kg": 0.5, "minutes": 40}),
                note: None,
            },
        )
        .await
        .unwrap();
    let titration = store
        .add_course(
            p,
            &NewCourse {
                kind: CourseKind::Titration,
                drug: id("duloxetine"),
                started: day("2024-09-01"),
                plan: serde_json::Value::Null,
                note: None,
            },
        )
        .await
        .unwrap();
    let courses = store.list_courses(p).await.unwrap();
    assert_eq!(
        courses,
        vec![infusion.clone(), taper.clone(), titration],
        "by start date, then id; every field round-trips"
    );

    // A course's drug is an id: a blank one cannot reach the store.
    assert!(" ".parse::<MonographId>().is_err());

    // Sessions, written out of order.
    let second = session("2024-08-27", "09:30");
    let mut first = session("2024-08-20", "14:00");
    first.escort_confirmed = false;
    first.adverse_effects.clear();
    first.pain_after = None;
    first.screening = json!(null);
    first.note = None;
    let s2 = store.add_session(p, infusion.id, &second).await.unwrap();
    let s1 = store.add_session(p, infusion.id, &first).await.unwrap();
    assert_eq!(s1.course_id, infusion.id);
    let listed = store.list_sessions(p, infusion.id).await.unwrap();
    assert_eq!(listed, vec![s1, s2], "by date; every field round-trips");

    let mut bad = session("2024-08-21", "09:00");
    bad.infusion_minutes = 0;
    is_invalid(
        store.add_session(p, infusion.id, &bad).await,
        "infusion minutes",
    );
    let mut bad = session("2024-08-21", "09:00");
    bad.pain_before = Some(11);
    is_invalid(store.add_session(p, infusion.id, &bad).await, "pain before");
    let mut bad = session("2024-08-21", "09:00");
    bad.observation_minutes = 2000;
    is_invalid(store.add_session(p, infusion.id, &bad).await, "observation");
    is_invalid(
        store
            .add_session(p, taper.id, &session("2024-09-02", "10:00"))
            .await,
        "infusion courses",
    );
    assert_eq!(
        store
            .add_session(p, 987_654_321, &session("2024-09-02", "10:00"))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.list_sessions(p, 987_654_321).await,
        Err(StoreError::NotFound)
    );
    assert!(store.list_sessions(p, taper.id).await.unwrap().is_empty());
    assert_eq!(store.list_sessions(p, infusion.id).await.unwrap().len(), 2);
}

async fn patient_isolation(store: &Store) {
    let (alice, bob) = (&pid("c-alice"), &pid("c-bob"));
    let a = store
        .add_entry(alice, &entry("2024-10-01", None, 7))
        .await
        .unwrap();
    store
        .add_entry(bob, &entry("2024-10-01", None, 2))
        .await
        .unwrap();

    assert_eq!(store.get_entry(bob, a.id).await.unwrap(), None);
    assert_eq!(
        store
            .edit_entry(bob, a.id, 1, &entry("2024-10-01", None, 0))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(store.history(bob, a.id).await, Err(StoreError::NotFound));
    let bobs = store.list_entries(bob, None, None, 100, 0).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert!(bobs.iter().all(|e| e.patient == *bob && e.id != a.id));
    assert_eq!(
        store.get_entry(alice, a.id).await.unwrap(),
        Some(a),
        "alice's entry is untouched"
    );

    let course = store
        .add_course(
            alice,
            &NewCourse {
                kind: CourseKind::Infusion,
                drug: id("ketamine"),
                started: day("2024-10-01"),
                plan: json!({}),
                note: None,
            },
        )
        .await
        .unwrap();
    store
        .add_session(alice, course.id, &session("2024-10-02", "10:00"))
        .await
        .unwrap();
    assert!(store.list_courses(bob).await.unwrap().is_empty());
    assert_eq!(
        store.list_sessions(bob, course.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .add_session(bob, course.id, &session("2024-10-03", "10:00"))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.list_sessions(alice, course.id).await.unwrap().len(),
        1
    );
}

async fn accounts(store: &Store) {
    let n = store.list_users().await.unwrap().len();
    let pat = store
        .create_user("  Pat@Example.ORG ", "$argon2id$pat", Role::Patient)
        .await
        .unwrap();
    assert_eq!(
        pat.email, "pat@example.org",
        "emails are trimmed and folded"
    );
    assert_eq!(pat.role, Role::Patient);
    let doc = store
        .create_user("doc@example.org", "$argon2id$doc", Role::Clinician)
        .await
        .unwrap();
    let other = store
        .create_user("other@example.org", "$argon2id$other", Role::Clinician)
        .await
        .unwrap();
    assert!(doc.id != pat.id && other.id != doc.id);
    // Unique whatever the case, and the first account is unchanged.
    match store
        .create_user("PAT@example.org", "$argon2id$x", Role::Admin)
        .await
    {
        Err(StoreError::Duplicate(m)) => assert!(m.contains("`pat@example.org`"), "{m}"),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert!(matches!(
        store.create_user("   ", "h", Role::Patient).await,
        Err(StoreError::Invalid(_))
    ));
    let found = store
        .user_by_email("pAt@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, pat);
    assert_eq!(found.password_hash, "$argon2id$pat");
    assert_eq!(store.user_by_id(doc.id).await.unwrap(), Some(doc.clone()));
    assert_eq!(store.user_by_id(-5).await.unwrap(), None);
    assert_eq!(
        store.user_by_email("nobody@example.org").await.unwrap(),
        None
    );
    let users = store.list_users().await.unwrap();
    assert_eq!(users.len(), n + 3);
    assert_eq!(users.last(), Some(&other), "listed by id");
    assert!(
        !format!("{pat:?}").contains("argon2"),
        "Debug hides the hash"
    );

    // Tokens.
    let later = now_ms() + 60_000;
    store.add_token("hash-a", pat.id, later).await.unwrap();
    store.add_token("hash-b", pat.id, later).await.unwrap();
    store.add_token("hash-c", doc.id, later).await.unwrap();
    assert!(matches!(
        store.add_token("hash-a", doc.id, later).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store.add_token("hash-z", -1, later).await,
        Err(StoreError::NotFound)
    );
    // Regression (issue 13): tokens never expired. One past its time finds no one.
    store
        .add_token("hash-old", pat.id, now_ms() - 1)
        .await
        .unwrap();
    assert_eq!(store.user_by_token_hash("hash-old").await.unwrap(), None);
    assert_eq!(
        store.user_by_token_hash("hash-a").await.unwrap(),
        Some(pat.clone())
    );
    assert_eq!(
        store.user_by_token_hash("hash-c").await.unwrap(),
        Some(doc.clone())
    );
    assert_eq!(store.user_by_token_hash("hash-z").await.unwrap(), None);
    assert!(store.delete_token("hash-a").await.unwrap());
    assert!(!store.delete_token("hash-a").await.unwrap(), "already gone");
    assert_eq!(store.user_by_token_hash("hash-a").await.unwrap(), None);
    assert_eq!(
        store.user_by_token_hash("hash-b").await.unwrap(),
        Some(pat.clone()),
        "other tokens of the user stay"
    );

    // Links: directed, idempotent, roles checked.
    assert!(!store.is_linked(pat.id, doc.id).await.unwrap());
    store.link(pat.id, doc.id).await.unwrap();
    store.link(pat.id, doc.id).await.unwrap();
    assert!(store.is_linked(pat.id, doc.id).await.unwrap());
    assert!(!store.is_linked(doc.id, pat.id).await.unwrap());
    assert!(!store.is_linked(pat.id, other.id).await.unwrap());
    assert!(matches!(
        store.link(doc.id, other.id).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.link(pat.id, -7).await, Err(StoreError::NotFound));

    // Audit: per patient, in order, entry id optional.
    let patient = PatientId::of_user(pat.id);
    let a = store
        .audit(doc.id, "diary.read", &patient, None, "2 entries")
        .await
        .unwrap();
    let b = store
        .audit(pat.id, "diary.create", &patient, Some(42), "")
        .await
        .unwrap();
    store
        .audit(doc.id, "diary.read", &pid("user-elsewhere"), None, "")
        .await
        .unwrap();
    let log = store.list_audit(&patient).await.unwrap();
    assert_eq!(log, vec![a.clone(), b.clone()]);
    assert!(
        a.at > 1_600_000_000_000 && a.at <= b.at,
        "Unix milliseconds"
    );
    assert_eq!(log.get(1).map(|r| r.entry_id), Some(Some(42)));
    assert!(store
        .list_audit(&pid("user-none"))
        .await
        .unwrap()
        .is_empty());
}

/// The login throttle: a turn is counted in the statement that admits it, so thirty parallel
/// attempts under one key admit exactly `max_failures` (issue 13: all thirty were checked);
/// then a progressive delay; a turn given back or a key cleared admits again; other keys are
/// never affected.
async fn login_throttle(store: &Store) {
    let rule = ThrottleRule {
        max_failures: 5,
        window_ms: 60_000,
        delay_ms: 10_000,
        max_steps: 3,
    };
    let now = now_ms();
    let key = format!("pair:test|{now}@example.org");
    let mut turns = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let (store, key) = (store.clone(), key.clone());
        turns.spawn(async move { store.take_login_turn(&key, now, &rule).await });
    }
    let mut admitted = 0;
    while let Some(turn) = turns.join_next().await {
        match turn.unwrap().unwrap() {
            Turn::Admitted => admitted += 1,
            Turn::Refused { retry_at } => assert_eq!(retry_at, now + 10_000),
        }
    }
    assert_eq!(admitted, 5, "exactly the allowance goes ahead");
    assert_eq!(store.login_failures(&key).await.unwrap(), 5);
    // Another key is untouched.
    let other = format!("pair:elsewhere|{now}@example.org");
    assert_eq!(
        store.take_login_turn(&other, now, &rule).await.unwrap(),
        Turn::Admitted
    );
    // After the delay, one more attempt; its failure doubles the delay, capped at 3 steps.
    let t = now + 10_000;
    assert_eq!(
        store.take_login_turn(&key, t, &rule).await.unwrap(),
        Turn::Admitted
    );
    assert_eq!(
        store.take_login_turn(&key, t + 1, &rule).await.unwrap(),
        Turn::Refused {
            retry_at: t + 20_000
        }
    );
    for (at, until) in [(t + 20_000, t + 50_000), (t + 50_000, t + 80_000)] {
        assert_eq!(
            store.take_login_turn(&key, at, &rule).await.unwrap(),
            Turn::Admitted
        );
        assert_eq!(
            store.take_login_turn(&key, at + 1, &rule).await.unwrap(),
            Turn::Refused { retry_at: until },
            "30 s at 3 steps, never more"
        );
    }
    // Giving turns back below the allowance lifts the block; clearing forgets the key.
    for _ in 0..5 {
        store.give_back_login_turn(&key, &rule).await.unwrap();
    }
    assert_eq!(
        store
            .take_login_turn(&key, t + 50_002, &rule)
            .await
            .unwrap(),
        Turn::Admitted
    );
    store.clear_login_key(&key).await.unwrap();
    assert_eq!(store.login_failures(&key).await.unwrap(), 0);
    // A window without attempts forgets the failures (and the key is swept).
    let quiet = format!("pair:quiet|{now}");
    for _ in 0..5 {
        store.take_login_turn(&quiet, now, &rule).await.unwrap();
    }
    let much_later = now + 10_000 + 60_001;
    assert_eq!(
        store
            .take_login_turn(&quiet, much_later, &rule)
            .await
            .unwrap(),
        Turn::Admitted
    );
    assert_eq!(store.login_failures(&quiet).await.unwrap(), 1);
}

/// A diary write and its audit row are one transaction (issue 13: kill -9 between them left
/// entries with no audit record): when the audit row cannot be written — here an actor that does
/// not exist, refused by the foreign key — the write is undone too.
async fn writes_and_their_audit_rows_are_one_transaction(store: &Store) {
    let actor = store
        .create_user("auditor@example.org", "h", Role::Patient)
        .await
        .unwrap();
    let note = |actor_user_id, action| AuditNote {
        actor_user_id,
        action,
        detail: "test",
    };
    let kept = store
        .add_entry_audited(
            &pid("audited"),
            &entry("2025-01-01", None, 3),
            &note(actor.id, "diary.create"),
        )
        .await
        .unwrap();
    let edited = store
        .edit_entry_audited(
            &pid("audited"),
            (kept.id, 1),
            &entry("2025-01-01", None, 4),
            &note(actor.id, "diary.edit"),
        )
        .await
        .unwrap();
    store
        .add_entries_audited(
            &pid("audited"),
            &[entry("2025-01-02", None, 5)],
            &note(actor.id, "diary.import"),
        )
        .await
        .unwrap();
    let log: Vec<(String, Option<i64>)> = store
        .list_audit(&pid("audited"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.entry_id))
        .collect();
    assert_eq!(
        log,
        [
            ("diary.create".to_string(), Some(kept.id)),
            ("diary.edit".to_string(), Some(kept.id)),
            ("diary.import".to_string(), None)
        ]
    );
    let before = store
        .list_entries(&pid("audited"), None, None, 100, 0)
        .await
        .unwrap();
    let nobody = -1;
    assert!(store
        .add_entry_audited(
            &pid("audited"),
            &entry("2025-02-01", None, 1),
            &note(nobody, "diary.create")
        )
        .await
        .is_err());
    assert!(store
        .edit_entry_audited(
            &pid("audited"),
            (kept.id, edited.version),
            &entry("2025-01-01", None, 9),
            &note(nobody, "diary.edit")
        )
        .await
        .is_err());
    assert!(store
        .add_entries_audited(
            &pid("audited"),
            &[entry("2025-02-02", None, 1)],
            &note(nobody, "diary.import")
        )
        .await
        .is_err());
    assert_eq!(
        store
            .list_entries(&pid("audited"), None, None, 100, 0)
            .await
            .unwrap(),
        before,
        "no write without its audit row"
    );
    assert_eq!(store.list_audit(&pid("audited")).await.unwrap().len(), 3);
}

/// The whole contract, on one store. Each check uses its own patients.
async fn contract(store: &Store) {
    add_get_list_ranges_and_paging(store).await;
    several_entries_a_day(store).await;
    validation_errors(store).await;
    batch_import(store).await;
    edit_keeps_history_and_refuses_stale_versions(store).await;
    concurrent_edits_one_wins(store).await;
    concurrent_writers(store).await;
    courses_and_sessions(store).await;
    patient_isolation(store).await;
    accounts(store).await;
    login_throttle(store).await;
    writes_and_their_audit_rows_are_one_transaction(store).await;
    web_sessions_and_links(store).await;
}

/// Browser sessions expire, end on delete and belong to one user; links list both ways.
async fn web_sessions_and_links(store: &Store) {
    let now = painrx_store::now_ms();
    let pat = store
        .create_user("ws-pat@example.org", "h", Role::Patient)
        .await
        .unwrap();
    let doc = store
        .create_user("ws-doc@example.org", "h", Role::Clinician)
        .await
        .unwrap();
    store
        .add_web_session("live", pat.id, now + 60_000)
        .await
        .unwrap();
    store
        .add_web_session("stale", pat.id, now - 1)
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_web_session("live", now)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(pat.id)
    );
    assert_eq!(
        store
            .user_by_web_session("live", now + 60_000)
            .await
            .unwrap(),
        None,
        "expired at its time"
    );
    assert_eq!(store.user_by_web_session("stale", now).await.unwrap(), None);
    assert_eq!(
        store.user_by_web_session("nothing", now).await.unwrap(),
        None
    );
    assert_eq!(
        store.add_web_session("x", 999_999, now + 1).await,
        Err(StoreError::NotFound)
    );
    assert!(matches!(
        store.add_web_session("live", pat.id, now + 1).await,
        Err(StoreError::Duplicate(_))
    ));
    // A new session sweeps the expired ones.
    store
        .add_web_session("next", doc.id, now + 60_000)
        .await
        .unwrap();
    assert!(
        !store.delete_web_session("stale").await.unwrap(),
        "swept already"
    );
    assert!(store.delete_web_session("live").await.unwrap());
    assert_eq!(store.user_by_web_session("live", now).await.unwrap(), None);
    assert!(store
        .user_by_web_session("next", now)
        .await
        .unwrap()
        .is_some());
    // API tokens and web sessions are separate: one is no key to the other.
    assert_eq!(store.user_by_token_hash("next").await.unwrap(), None);

    assert!(store.linked_patients(doc.id).await.unwrap().is_empty());
    store.link(pat.id, doc.id).await.unwrap();
    store.link(pat.id, doc.id).await.unwrap();
    let patients: Vec<i64> = store
        .linked_patients(doc.id)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    let clinicians: Vec<i64> = store
        .linked_clinicians(pat.id)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!((patients, clinicians), (vec![pat.id], vec![doc.id]));
}

// ---------------------------------------------------------------------------------------------
// SQLite

async fn sqlite_pragma(path: &std::path::Path, pragma: &'static str) -> String {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let value: String = sqlx::query_scalar(pragma)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("diary.db");
    let url = path.to_str().unwrap().to_string();
    // Two stores opening (and migrating) the same new file at once.
    let (a, b) = tokio::join!(Store::open(&url), Store::open(&url));
    let store = a.unwrap();
    b.unwrap().close().await;
    assert_eq!(store.dialect(), "sqlite");
    assert!(path.exists(), "the file is created");
    contract(&store).await;
    store.close().await;

    assert_eq!(sqlite_pragma(&path, "PRAGMA journal_mode").await, "wal");
    assert_eq!(sqlite_pragma(&path, "PRAGMA integrity_check").await, "ok");
    // Reopening applies nothing twice and keeps the data.
    let again = Store::open(&format!("sqlite://{url}")).await.unwrap();
    assert_eq!(
        sqlite_pragma(&path, "SELECT group_concat(version) FROM schema_version").await,
        "1,2,3,4"
    );
    assert_eq!(
        again
            .list_entries(&pid("c-concurrent"), None, None, 1000, 0)
            .await
            .unwrap()
            .len(),
        400
    );
    again.close().await;
}

#[tokio::test]
async fn urls() {
    let dir = tempfile::tempdir().unwrap();
    for (url, file) in [
        (format!("sqlite://{}/a.db", dir.path().display()), "a.db"),
        (format!("sqlite:{}/b.db", dir.path().display()), "b.db"),
        (format!("{}/c.db", dir.path().display()), "c.db"),
    ] {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.dialect(), "sqlite");
        let added = store
            .add_entry(&pid("u"), &entry("2024-01-01", None, 3))
            .await
            .unwrap();
        store.close().await;
        assert!(dir.path().join(file).exists(), "{url} creates {file}");
        let reopened = Store::open(&url).await.unwrap();
        assert_eq!(
            reopened.get_entry(&pid("u"), added.id).await.unwrap(),
            Some(added)
        );
        reopened.close().await;
    }
    for bad in ["mysql://localhost/db", "", "postgres://user@[bad/db"] {
        match Store::open(bad).await {
            Err(StoreError::Url(m)) => assert!(!m.is_empty()),
            other => panic!("`{bad}` should be a Url error, got {other:?}"),
        }
    }
    match Store::open("mysql://root:secret@localhost/db").await {
        Err(StoreError::Url(m)) => {
            assert!(m.contains("`mysql`"), "{m}");
            assert!(!m.contains("secret"), "the password is not echoed: {m}");
        }
        other => panic!("expected a Url error, got {other:?}"),
    }
    // A directory that does not exist is a database error, not a panic.
    let missing = dir.path().join("no/such/dir/d.db");
    assert!(matches!(
        Store::open(missing.to_str().unwrap()).await,
        Err(StoreError::Database(_))
    ));
}

#[tokio::test]
async fn a_stored_date_that_is_not_a_date_is_a_database_error() {
    // Dates and times are read back with the one parser: a row changed behind the store's back
    // is reported with its table, row and column, not passed on.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("diary.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    let added = store
        .add_entry(&pid("u"), &entry("2024-01-01", Some("08:00"), 3))
        .await
        .unwrap();
    store.close().await;
    for (column, value, others) in [
        ("date", "2024-02-31", ""),
        ("time", "24:00", ", date = '2024-01-01'"),
    ] {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE entries SET {column} = '{value}'{others}"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        let store = Store::open(path.to_str().unwrap()).await.unwrap();
        match store.get_entry(&pid("u"), added.id).await {
            Err(StoreError::Database(m)) => assert!(
                m.contains(&format!("column `{column}` holds a bad value"))
                    && m.contains(&format!("`{value}`")),
                "{m}"
            ),
            other => panic!("expected a database error, got {other:?}"),
        }
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_on_postgres() {
    postgres::with_fresh_database("painrx_test", |url| async move {
        // Two stores opening (and migrating) the same new database at once.
        let (a, b) = tokio::join!(Store::open(&url), Store::open(&url));
        let store = a.unwrap();
        b.unwrap().close().await;
        assert_eq!(store.dialect(), "postgres");
        contract(&store).await;
        store.close().await;
        let again = Store::open(&url).await.unwrap();
        assert_eq!(
            again
                .list_entries(&pid("c-concurrent"), None, None, 1000, 0)
                .await
                .unwrap()
                .len(),
            400,
            "reopening applies nothing twice and keeps the data"
        );
        again.close().await;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(versions, [1, 2, 3, 4]);
        conn.close().await.unwrap();
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Crash

/// The entry `diary-writer` writes as its `n`-th (see src/bin/diary-writer.rs).
fn writer_entry(n: u64) -> EntryData {
    let mut d = entry(
        &format!("2024-01-{:02}", n % 28 + 1),
        Some(&format!("{:02}:{:02}", n / 60 % 24, n % 60)),
        u8::try_from(n % 11).unwrap(),
    );
    d.note = Some(format!("crash test entry {n}"));
    d
}

#[test]
fn sigkill_loses_no_acknowledged_entry() {
    const ACKS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let url = format!("sqlite://{}", path.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_diary-writer"))
        .args([url.as_str(), "crash", "1000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let id: i64 = line
            .strip_prefix("ack ")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("unexpected writer output `{line}`"));
        acked.push(id);
        if acked.len() == ACKS {
            break;
        }
    }
    if acked.len() < ACKS {
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        panic!(
            "the writer stopped after {} acks: {}",
            acked.len(),
            err.trim()
        );
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, no clean close
    let status = child.wait().unwrap();
    assert!(!status.success(), "the writer was killed, not finished");
    let wal = dir.path().join("crash.db-wal");
    assert!(
        wal.exists(),
        "the write-ahead log is still there: the writer died without closing"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open(&url)
            .await
            .expect("the file opens cleanly after the kill");
        for (n, id) in acked.iter().enumerate() {
            let got = store.get_entry(&pid("crash"), *id).await.unwrap();
            let got = got.unwrap_or_else(|| panic!("acknowledged entry {id} (#{n}) is lost"));
            assert_eq!(got.data, writer_entry(n as u64), "entry {id} kept its data");
            assert_eq!(got.version, 1);
        }
        let all = store
            .list_entries(&pid("crash"), None, None, 1_000_000, 0)
            .await
            .unwrap();
        assert!(all.len() >= ACKS, "{} rows for {ACKS} acks", all.len());
        // Writes after the last read ack may or may not have landed, but never half: every row
        // there is one the writer wrote, in order.
        let mut by_id = all.clone();
        by_id.sort_by_key(|e| e.id);
        for (n, e) in by_id.iter().enumerate() {
            assert_eq!(e.data, writer_entry(n as u64));
        }
        // Still writable.
        store
            .add_entry(&pid("crash"), &entry("2024-02-01", None, 1))
            .await
            .unwrap();
        store.close().await;
        assert_eq!(sqlite_pragma(&path, "PRAGMA integrity_check").await, "ok");
    });
}
