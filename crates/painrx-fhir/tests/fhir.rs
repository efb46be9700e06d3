//! The diary as a FHIR Bundle: written bundles are valid R4(B) for fhir-model, carry LOINC
//! where it exists, read back to exactly the same entries, and bad bundles are errors that
//! say where and what.

// Test code may panic: clippy.toml's in-test allowances cover `#[test]` functions, not this
// file's helpers, so the workspace's no-panic lints are lifted for the whole file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fhir_model::r4b::codes::BundleType;
use fhir_model::r4b::resources::{Bundle, ObservationValue, Resource};
use painrx_engine::assess::Area;
use painrx_engine::diary::EntryData;
use painrx_engine::id::PatientId;
use painrx_engine::time::ClockTime;
use painrx_fhir::{diary_bundle, diary_from_bundle, FhirError, DIARY_SYSTEM, LOINC, LOINC_PAIN};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

#[path = "../../../tests/support/diary.rs"]
mod diary;
use diary::{bare, dose};

/// Three days, several entries a day (two at the same minute, two without a time), every
/// score, body-map areas, doses taken and missed, side effects, notes with unicode and quotes.
fn rich_diary() -> Vec<EntryData> {
    let mut morning = bare("2026-01-05", Some("07:30"), 7);
    morning.fatigue = Some(6);
    morning.sleep = Some(3);
    morning.stiffness = Some(8);
    morning.fog = Some(5);
    morning.mood = Some(4);
    morning.anxiety = Some(2);
    morning.areas = vec![Area::LowerBack, Area::LeftHip, Area::Neck, Area::RightJaw];
    morning.doses = vec![
        dose("pregabalin", 75.0, true),
        dose("duloxetine", 30.0, true),
    ];
    morning.side_effects = vec!["dizziness".into(), "somnolence \"mild\"".into()];
    morning.note = Some(
        "Réveil difficile — douleur « 7/10 »; said \"it's worse\" \\ 'again'\n<script>alert(1)</script> 😣"
            .into(),
    );
    morning.wpi = Some(11);
    morning.sss = Some(8);
    morning.fiqr = Some(54.3);

    let mut same_minute = bare("2026-01-05", Some("07:30"), 6);
    same_minute.note = Some("second entry at the same minute".into());
    let mut evening = bare("2026-01-05", Some("21:05"), 5);
    evening.doses = vec![
        dose("pregabalin", 75.0, false),
        dose("paracetamol", 0.1 + 0.2, true),
    ];
    evening.side_effects = vec!["dry mouth".into()];
    evening.sleep = Some(0);
    evening.mood = Some(10);

    let mut undated = bare("2026-01-06", None, 0);
    undated.areas = Area::ALL.to_vec();
    undated.fatigue = Some(10);
    undated.wpi = Some(19);
    undated.sss = Some(0);
    let mut also_undated = bare("2026-01-06", None, 10);
    also_undated.doses = vec![
        dose("amitriptyline", 12.5, true),
        dose("tramadol", 37.5, true),
    ];
    let mut leap = bare("2028-02-29", Some("00:00"), 3);
    leap.fiqr = Some(0.0);
    leap.note = Some("  leading and trailing spaces  ".into());
    let mut late = bare("2028-02-29", Some("23:59"), 4);
    late.anxiety = Some(9);
    late.side_effects = vec!["nausée".into(), "weight gain; 2 kg".into()];
    vec![
        morning,
        same_minute,
        evening,
        undated,
        also_undated,
        leap,
        late,
    ]
}

fn err_text(result: Result<(PatientId, Vec<EntryData>), FhirError>) -> String {
    match result {
        Ok((patient, entries)) => {
            panic!("expected an error, got patient {patient} with {entries:?}")
        }
        Err(e) => e.to_string(),
    }
}

fn pid(text: &str) -> PatientId {
    text.parse().unwrap()
}

fn bundle_of(patient: &str, entries: &[EntryData]) -> Value {
    diary_bundle(&pid(patient), entries).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_rich_diary_round_trips_exactly() {
    let diary = rich_diary();
    let bundle = bundle_of("pt-42_b", &diary);
    let (patient, back) = diary_from_bundle(&bundle).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(patient, "pt-42_b");
    assert_eq!(back, diary);
    // Through JSON text as well (what a file or an HTTP body carries).
    let text = serde_json::to_string_pretty(&bundle).unwrap_or_default();
    let reparsed: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(diary_from_bundle(&reparsed).map(|r| r.1).ok(), Some(diary));
    // Deterministic: the same diary gives the same bundle.
    assert_eq!(bundle_of("pt-42_b", &rich_diary()), bundle);
}

#[test]
fn the_bundle_is_an_r4b_collection_of_observations_for_fhir_model() {
    let diary = rich_diary();
    let json = bundle_of("p1", &diary);
    let bundle = Bundle::deserialize(&json).unwrap_or_else(|e| panic!("not a Bundle: {e}"));
    assert_eq!(bundle.r#type, BundleType::Collection);
    // One Observation per score per entry.
    let scores: usize = diary
        .iter()
        .map(|e| {
            1 + [
                e.fatigue,
                e.sleep,
                e.stiffness,
                e.fog,
                e.mood,
                e.anxiety,
                e.wpi,
                e.sss,
            ]
            .iter()
            .flatten()
            .count()
                + usize::from(e.fiqr.is_some())
        })
        .sum();
    assert_eq!(bundle.entry.len(), scores);
    let mut urls = std::collections::HashSet::new();
    for entry in bundle.entry.iter().flatten() {
        let Some(Resource::Observation(obs)) = &entry.resource else {
            panic!("not an Observation: {entry:?}")
        };
        assert_eq!(
            obs.subject.as_ref().and_then(|s| s.reference.as_deref()),
            Some("Patient/p1")
        );
        assert!(obs.effective.is_some());
        let url = entry.full_url.clone().unwrap_or_default();
        assert!(url.starts_with("urn:uuid:") && url.len() == 45, "{url}");
        assert!(urls.insert(url), "fullUrl repeated");
    }
    // Every value, component and extension of the JSON is one fhir-model knows: the JSON
    // pointer of the first entry's fields all parse into typed fields.
    assert_eq!(
        json.pointer("/entry/0/resource/effectiveDateTime"),
        Some(&json!("2026-01-05"))
    );
    assert_eq!(
        json.pointer("/entry/0/resource/extension/0/valueTime"),
        Some(&json!("07:30:00"))
    );
}

#[test]
fn the_pain_observation_carries_loinc_72514_3_and_the_others_the_painrx_system() {
    let json = bundle_of("p1", &rich_diary());
    let bundle = Bundle::deserialize(&json).unwrap_or_else(|e| panic!("{e}"));
    let mut pains = Vec::new();
    let mut others = 0;
    for entry in bundle.entry.iter().flatten() {
        let Some(Resource::Observation(obs)) = &entry.resource else {
            panic!("not an Observation")
        };
        let coding = obs.code.coding.first().cloned().flatten();
        let (system, code) = coding
            .map(|c| (c.system.clone(), c.code.clone()))
            .unwrap_or_default();
        if code.as_deref() == Some(LOINC_PAIN) {
            assert_eq!(system.as_deref(), Some(LOINC));
            match &obs.value {
                Some(ObservationValue::Integer(v)) => pains.push(*v),
                other => panic!("pain value is {other:?}"),
            }
        } else {
            assert_eq!(system.as_deref(), Some(DIARY_SYSTEM), "{code:?}");
            others += 1;
        }
    }
    let want: Vec<i32> = rich_diary().iter().map(|e| i32::from(e.pain)).collect();
    assert_eq!(pains, want);
    // Morning 9 (all but pain), evening 2, day two 3, the leap day 1 + 1.
    assert_eq!(others, 16);
    assert_eq!(
        json.pointer("/entry/0/resource/code/coding/0/display"),
        Some(&json!(
            "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
        ))
    );
}

#[test]
fn a_zoned_date_time_and_relative_member_references_are_read() {
    // What another system may send: a full dateTime with a zone, server URLs, relative refs.
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "https://ehr.example/fhir/Observation/a",
                "resource": {
                    "resourceType": "Observation", "id": "a", "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                    "subject": {"reference": "https://ehr.example/fhir/Patient/x9"},
                    "effectiveDateTime": "2026-03-02T18:45:00+01:00",
                    "valueInteger": 4,
                    "hasMember": [{"reference": "Observation/b"}]
                }
            },
            {
                "fullUrl": "https://ehr.example/fhir/Observation/b",
                "resource": {
                    "resourceType": "Observation", "id": "b", "status": "amended",
                    "code": {"coding": [{"system": DIARY_SYSTEM, "code": "fatigue"}]},
                    "subject": {"reference": "Patient/x9"},
                    "effectiveDateTime": "2026-03-02T18:45:00+01:00",
                    "valueInteger": 6
                }
            }
        ]
    });
    let (patient, entries) = diary_from_bundle(&bundle).unwrap_or_else(|e| panic!("{e}"));
    let mut want = bare("2026-03-02", Some("18:45"), 4);
    want.fatigue = Some(6);
    assert_eq!((patient.as_str(), entries), ("x9", vec![want]));
}

/// Change a good bundle with `edit`; reading must fail with a message containing `want`.
fn refused(name: &str, edit: impl Fn(&mut Value), want: &str) {
    let mut diary = vec![bare("2026-01-05", Some("08:00"), 5)];
    diary[0].fatigue = Some(4);
    diary[0].areas = vec![Area::Neck];
    diary[0].doses = vec![dose("pregabalin", 75.0, true)];
    diary.push(bare("2026-01-06", None, 6));
    let mut bundle = bundle_of("p1", &diary);
    edit(&mut bundle);
    let message = err_text(diary_from_bundle(&bundle));
    assert!(
        message.contains(want),
        "{name}: message `{message}` lacks `{want}`"
    );
}

/// Set (or add, in an object) the element at a JSON pointer.
fn set(bundle: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = bundle.pointer_mut(pointer) {
        *slot = value;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').unwrap_or_default();
    match bundle.pointer_mut(parent).and_then(Value::as_object_mut) {
        Some(object) => {
            object.insert(key.to_string(), value);
        }
        None => panic!("no {parent}"),
    }
}

#[test]
fn foreign_and_malformed_bundles_are_errors_that_say_what_is_wrong() {
    // Entry 0 is the pain observation of day 1, entry 1 its fatigue, entry 2 day 2's pain.
    refused("not an object", |b| *b = json!([1, 2]), "not an object");
    refused(
        "a patient",
        |b| *b = json!({"resourceType": "Patient", "id": "p1"}),
        "`resourceType` is `Patient`",
    );
    refused(
        "no type",
        |b| *b = json!({"type": "collection"}),
        "no `resourceType`",
    );
    refused(
        "searchset",
        |b| set(b, "/type", json!("searchset")),
        "a `searchset` bundle",
    );
    refused(
        "unknown bundle type",
        |b| set(b, "/type", json!("pile")),
        "not a FHIR R4 Bundle",
    );
    refused(
        "empty",
        |b| set(b, "/entry", json!([])),
        "no pain observation",
    );
    refused(
        "a blood pressure",
        |b| {
            set(
                b,
                "/entry/2/resource/code",
                json!({"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}),
            )
        },
        "`Bundle.entry[2].resource`: the observation code (`http://loinc.org|8480-6`) is not a painrx diary score",
    );
    refused(
        "a patient among the observations",
        |b| {
            set(
                b,
                "/entry/2/resource",
                json!({"resourceType": "Patient", "id": "p1"}),
            )
        },
        "a `Patient`; a painrx diary bundle holds only Observations",
    );
    refused(
        "an unknown resource type",
        |b| set(b, "/entry/1/resource/resourceType", json!("Obsrvation")),
        "`Bundle.entry[1].resource`: not a valid FHIR R4 resource",
    );
    refused(
        "pain out of range",
        |b| set(b, "/entry/0/resource/valueInteger", json!(11)),
        "pain must be a whole number from 0 to 10 (got `11`)",
    );
    refused(
        "negative fatigue",
        |b| set(b, "/entry/1/resource/valueInteger", json!(-2)),
        "fatigue must be a whole number from 0 to 10 (got `-2`)",
    );
    refused(
        "fatigue as a string of digits",
        |b| set(b, "/entry/1/resource/valueInteger", json!("4")),
        "`valueInteger` `4` is not valid: the fatigue score must be a `valueInteger`",
    );
    refused(
        "pain as text",
        |b| {
            let obs = b
                .pointer_mut("/entry/0/resource")
                .and_then(Value::as_object_mut);
            if let Some(obs) = obs {
                obs.remove("valueInteger");
                obs.insert("valueString".into(), json!("bad"));
            }
        },
        "the pain score must be a `valueInteger`",
    );
    refused(
        "a bad date",
        |b| {
            set(
                b,
                "/entry/0/resource/effectiveDateTime",
                json!("2026-13-45"),
            )
        },
        "`Bundle.entry[0].resource`: `effectiveDateTime` `2026-13-45` is not valid",
    );
    refused(
        "a time without a zone",
        |b| {
            set(
                b,
                "/entry/2/resource/effectiveDateTime",
                json!("2026-01-06T08:00:00"),
            )
        },
        "`effectiveDateTime` `2026-01-06T08:00:00` is not valid: a diary entry needs",
    );
    refused(
        "a month only",
        |b| set(b, "/entry/2/resource/effectiveDateTime", json!("2026-01")),
        "needs a day",
    );
    refused(
        "a leap day that is not",
        |b| {
            set(
                b,
                "/entry/2/resource/effectiveDateTime",
                json!("2027-02-29"),
            )
        },
        "`effectiveDateTime` `2027-02-29` is not valid",
    );
    refused(
        "another patient",
        |b| {
            set(
                b,
                "/entry/2/resource/subject/reference",
                json!("Patient/p2"),
            )
        },
        "about patient `p2`, the diary about `p1`",
    );
    refused(
        "a group as subject",
        |b| set(b, "/entry/0/resource/subject/reference", json!("Group/g1")),
        "a diary belongs to a `Patient/<id>`",
    );
    refused(
        "a member of another day",
        |b| {
            set(
                b,
                "/entry/1/resource/effectiveDateTime",
                json!("2026-01-04"),
            )
        },
        "differ from its pain observation",
    );
    refused(
        "an orphan member",
        |b| set(b, "/entry/0/resource/hasMember", json!([])),
        "`Bundle.entry[1].resource`: the fatigue observation is no pain observation's member",
    );
    refused(
        "a dangling member",
        |b| {
            set(
                b,
                "/entry/0/resource/hasMember/0/reference",
                json!("urn:uuid:nowhere"),
            )
        },
        "`urn:uuid:nowhere` is not the `fullUrl` of an entry",
    );
    refused(
        "a member listed twice",
        |b| {
            let member = b.pointer("/entry/0/resource/hasMember/0").cloned();
            set(b, "/entry/2/resource/hasMember", json!([member]));
        },
        "a member of two diary entries",
    );
    refused(
        "a repeated fullUrl",
        |b| {
            let url = b.pointer("/entry/0/fullUrl").cloned().unwrap_or_default();
            set(b, "/entry/2/fullUrl", url);
        },
        "is used by two bundle entries",
    );
    refused(
        "an unknown area",
        |b| {
            set(
                b,
                "/entry/0/resource/component/0/valueCodeableConcept/coding/0/code",
                json!("left-elbow"),
            )
        },
        "`Bundle.entry[0].resource.component[0]`: unknown pain area `left-elbow`",
    );
    refused(
        "a foreign component",
        |b| {
            set(
                b,
                "/entry/0/resource/component/0/code/coding/0/code",
                json!("colour"),
            )
        },
        "is not a painrx `pain-area`",
    );
    refused(
        "a dose in grams",
        |b| {
            set(
                b,
                "/entry/0/resource/extension/1/extension/1/valueQuantity/code",
                json!("g"),
            )
        },
        "a dose is in `g`",
    );
    refused(
        "a negative dose",
        |b| {
            set(
                b,
                "/entry/0/resource/extension/1/extension/1/valueQuantity/value",
                json!(-75),
            )
        },
        "`Bundle.entry[0].resource`: a dose of `-75` mg is impossible",
    );
    refused(
        "a dose without a drug",
        |b| {
            let parts = b
                .pointer_mut("/entry/0/resource/extension/1/extension")
                .and_then(Value::as_array_mut);
            if let Some(parts) = parts {
                parts.remove(0);
            }
        },
        "needs both `drug` and `dose`",
    );
    refused(
        "entered in error",
        |b| set(b, "/entry/2/resource/status", json!("entered-in-error")),
        "status `entered-in-error`",
    );
    refused(
        "a modifier extension",
        |b| {
            set(
                b,
                "/entry/2/resource/modifierExtension",
                json!([{"url": "https://x.example/negated", "valueBoolean": true}]),
            )
        },
        "`modifierExtension`",
    );
    refused(
        "a local time that is not a time",
        |b| {
            let ext = b
                .pointer_mut("/entry/0/resource/extension/0")
                .and_then(Value::as_object_mut);
            if let Some(ext) = ext {
                ext.remove("valueTime");
                ext.insert("valueString".into(), json!("morning"));
            }
        },
        "must hold a `valueTime`",
    );
    refused(
        "a bad patient id",
        |b| {
            set(
                b,
                "/entry/0/resource/subject/reference",
                json!("Patient/p 1"),
            );
        },
        "patient id `p 1` is not valid",
    );
}

#[test]
fn writing_refuses_invalid_entries_and_patient_ids() {
    let good = bare("2026-01-05", None, 5);
    let message = |r: Result<Value, FhirError>| r.err().map(|e| e.to_string()).unwrap_or_default();
    // A patient id that is not cannot reach the writer: `PatientId` refuses it.
    assert_eq!(
        "p 1".parse::<PatientId>().unwrap_err().to_string(),
        "patient id `p 1` is not valid: use 1–64 letters, digits, `-` or `_`"
    );
    // A time such as `7:30` cannot be in an entry at all (`ClockTime` refuses it).
    assert!("7:30".parse::<ClockTime>().is_err());
    let mut bad = good.clone();
    bad.pain = 11;
    assert_eq!(
        message(diary_bundle(&pid("p1"), &[good.clone(), bad])),
        "diary entry 1: pain must be a whole number from 0 to 10 (got `11`)"
    );
    let mut impossible = good;
    impossible.doses = vec![dose("pregabalin", f64::NAN, true)];
    assert!(
        message(diary_bundle(&pid("p1"), &[impossible])).starts_with("diary entry 0: a dose of")
    );
}

#[test]
fn an_empty_note_is_written_as_no_note() {
    let mut e = bare("2026-01-05", None, 5);
    e.note = Some(String::new());
    let back = diary_from_bundle(&bundle_of("p1", &[e])).map(|r| r.1).ok();
    assert_eq!(back, Some(vec![bare("2026-01-05", None, 5)]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_valid_diary_round_trips(entries in proptest::collection::vec(diary::arb_entry(), 0..12)) {
        let bundle = diary_bundle(&pid("prop"), &entries).unwrap_or_else(|e| panic!("{e}"));
        // Through JSON text, as a file or an HTTP body carries it.
        let text = serde_json::to_string(&bundle).unwrap_or_default();
        let bundle: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        match diary_from_bundle(&bundle) {
            Ok((patient, back)) => {
                prop_assert_eq!(patient, "prop");
                prop_assert_eq!(back, entries);
            }
            // A diary without entries has no pain observation, so no patient to read back.
            Err(FhirError::Empty) => prop_assert!(entries.is_empty()),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
