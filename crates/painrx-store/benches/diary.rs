//! Two years of daily entries for one patient on SQLite: the report with its chart (issue 5
//! target ≤ 50 ms), and one page of 50 entries (target ≤ 5 ms).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use painrx_engine::diary::{DoseTaken, EntryData};
use painrx_engine::id::{IdError, MonographId, PatientId};
use painrx_engine::time::{ClockTime, Date, DateError};
use painrx_store::{Store, StoreError};

/// The first day of the two years.
const FIRST: &str = "2024-01-01";

fn entry(first: Date, day: i64, drug: &MonographId) -> Option<EntryData> {
    // A plausible course: pain falls from 8 towards 4, with weekly wobble; a dose change at day 60.
    let date = first.plus_days(day)?;
    let pain = (8.0 - 4.0 * (day as f64 / 731.0) + ((day % 7) as f64 - 3.0) * 0.3)
        .round()
        .clamp(0.0, 10.0) as u8;
    Some(EntryData {
        time: Some(ClockTime::on_the_hour(20)),
        fatigue: Some(((day * 7) % 11) as u8),
        sleep: Some(((day * 3) % 11) as u8),
        fog: Some(((day * 5) % 11) as u8),
        doses: vec![DoseTaken {
            drug: drug.clone(),
            mg: if day < 60 { 150.0 } else { 300.0 },
            taken: day % 13 != 0,
        }],
        side_effects: if day % 9 == 0 {
            vec!["dizziness".into()]
        } else {
            vec![]
        },
        ..EntryData::new(date, pain)
    })
}

fn diary(c: &mut Criterion) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let url = dir.path().join("bench.db").display().to_string();
    let Ok(patient) = "p1".parse::<PatientId>() else {
        return;
    };
    let store = match runtime.block_on(async {
        let store = Store::open(&url).await?;
        let first: Date = FIRST
            .parse()
            .map_err(|e: DateError| StoreError::Invalid(e.to_string()))?;
        let drug: MonographId = "pregabalin"
            .parse()
            .map_err(|e: IdError| StoreError::Invalid(e.to_string()))?;
        let entries: Vec<EntryData> = (0..731).filter_map(|d| entry(first, d, &drug)).collect();
        store.add_entries(&patient, &entries).await?;
        Ok::<_, StoreError>(store)
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    c.bench_function(
        "diary report + chart, 2 years of daily entries (SQLite)",
        |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let entries = store
                        .list_entries(&patient, None, None, 10_000, 0)
                        .await
                        .unwrap_or_default();
                    let report = painrx_engine::diary::report(&patient, &entries, None, None);
                    let chart = painrx_render::chart::diary_chart(&entries, &[]);
                    black_box((report, chart))
                })
            })
        },
    );
    let Ok(page_from) = "2025-06-01".parse::<Date>() else {
        return;
    };
    c.bench_function("diary page of 50 entries (SQLite)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    store
                        .list_entries(&patient, Some(page_from), None, 50, 0)
                        .await,
                )
            })
        })
    });
}

criterion_group!(benches, diary);
criterion_main!(benches);
