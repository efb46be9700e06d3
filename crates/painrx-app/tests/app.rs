//! The application layer over the content compiled in: requests from JSON, their checks, and
//! the answers every edge shares.

// Test code may panic: the workspace's no-panic lints are lifted for the whole file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, OnceLock};

#[path = "app/ansm_english.rs"]
mod ansm_english;
#[path = "../../../tests/support/ansm_golden.rs"]
mod ansm_golden;
#[path = "app/invariants.rs"]
mod invariants;

use painrx_app::{
    App, DoseCheckRequest, DoseRangeRequest, ErrorKind, SwitchRequest, TitrateRequest,
};
use painrx_kb::Kb;

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let kb = Kb::embedded().expect("the content compiled in is valid");
        App::new(
            Arc::new(kb),
            std::env::temp_dir().join("painrx-app-test-no-data"),
        )
    })
}

/// The scenario corpus: each `tests/scenarios/app/*.json` is one operation; its answer (or its
/// refusal, with the kind an edge maps to a status) is compared with the reviewed snapshot in
/// `tests/snapshots/`. A new or changed answer fails until `cargo insta review` accepts it.
#[test]
fn scenarios() {
    insta::glob!("../../../tests/scenarios/app", "*.json", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let answer = match serde_json::from_str::<painrx_app::Operation>(&text) {
            Err(e) => serde_json::json!({"refused": {"kind": "Invalid", "message": e.to_string()}}),
            Ok(operation) => match app().run(&operation) {
                Ok(answer) => answer,
                Err(e) => serde_json::json!({"refused": {
                    "kind": format!("{:?}", e.kind()),
                    "message": e.to_string().replace(&app().data_dir().display().to_string(), "<data-dir>"),
                }}),
            },
        };
        insta::assert_json_snapshot!(answer);
    });
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

#[test]
fn an_unknown_key_beside_the_kidney_fields_is_refused_by_name() {
    // Regression: `#[serde(flatten)]` without `deny_unknown_fields` let `crcl_ml_min` through,
    // and a dose above the renal maximum passed.
    let body =
        r#"{"drug":"pregabalin","indication":"fibromyalgia","dose":"150 mg BID","crcl_ml_min":20}"#;
    let err = json::<DoseCheckRequest>(body).unwrap_err();
    assert!(err.contains("crcl_ml_min"), "{err}");
    for body in [
        r#"{"drug":"pregabalin","crcl":30,"hemodyalisis":true}"#,
        r#"{"drug":"pregabalin","indication":"fibromyalgia","crcl":30,"wieght_kg":70}"#,
    ] {
        let err = json::<DoseRangeRequest>(body).unwrap_err();
        assert!(err.contains("unknown field"), "{err}");
    }
    let err = json::<TitrateRequest>(
        r#"{"drug":"pregabalin","indication":"fibromyalgia","target_mg":300}"#,
    )
    .unwrap_err();
    assert!(err.contains("target_mg"), "{err}");
    let err = json::<SwitchRequest>(
        r#"{"drug":"gabapentin","from":"300 mg TID","to":"pregabalin","egfr":40}"#,
    )
    .unwrap_err();
    assert!(err.contains("egfr"), "{err}");
}

#[test]
fn the_kidney_value_given_is_the_one_used() {
    let r: DoseCheckRequest =
        json(r#"{"drug":"pregabalin","indication":"fibromyalgia","dose":"150 mg BID","crcl":20}"#)
            .unwrap();
    let check = app().dose_check(&r).unwrap();
    assert!(
        !check.ok,
        "300 mg/day at CrCl 20 is above the label's 25–150 mg/day band"
    );
}

#[test]
fn an_impossible_age_is_refused_wherever_it_is_given() {
    for body in [
        r#"{"drug":"pregabalin","indication":"fibromyalgia","age":300}"#,
        r#"{"drug":"pregabalin","indication":"fibromyalgia","age":-1}"#,
    ] {
        let err = json::<TitrateRequest>(body).unwrap_err();
        assert!(err.contains("is impossible"), "{err}");
    }
}

#[test]
fn numbers_from_forms_and_json_mean_the_same() {
    let a: DoseRangeRequest =
        json(r#"{"drug":"gabapentin","crcl":"45","hemodialysis":"true"}"#).unwrap();
    let b: DoseRangeRequest =
        json(r#"{"drug":"gabapentin","crcl":45,"hemodialysis":true}"#).unwrap();
    assert_eq!(a.kidneys.crcl, b.kidneys.crcl);
    assert!(a.kidneys.hemodialysis && b.kidneys.hemodialysis);
}

#[test]
fn half_a_set_of_estimation_values_is_refused() {
    let r: DoseRangeRequest = json(r#"{"drug":"gabapentin","scr":1.2,"age":70}"#).unwrap();
    let err = app().dose_range(&r).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(
        err.to_string()
            .contains("needs `age`, `sex` and `weight_kg`"),
        "{err}"
    );
    let r: DoseRangeRequest = json(r#"{"drug":"gabapentin","crcl":50,"scr":1.2}"#).unwrap();
    assert!(app()
        .dose_range(&r)
        .unwrap_err()
        .to_string()
        .contains("not both"));
    let r: DoseRangeRequest = json(r#"{"drug":"gabapentin","weight_kg":70}"#).unwrap();
    assert!(app().dose_range(&r).is_err());
}

#[test]
fn a_huge_name_is_refused_before_any_work_on_every_path() {
    // Regression (outside probe): a 60 KB medication name took 4.5 s in name resolution; it is
    // now refused by its length (the time is measured by bench/, not asserted here).
    let huge = "pregabalin ".repeat(6_000);
    let err = app().monograph(&huge).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    let err = app().resolve(&huge).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    let body = serde_json::json!({"medications": [huge]}).to_string();
    let err = json::<painrx_app::CheckRequest>(&body).unwrap_err();
    assert!(err.contains("too long"), "{err}");
}
