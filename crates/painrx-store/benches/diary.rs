//! Two years of daily entries for one patient on SQLite: the report with its chart (issue 5
//! target ≤ 50 ms), and one page of 50 entries (target ≤ 5 ms).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use painrx_engine::diary::{DoseTaken, EntryData};
use painrx_store::Store;

fn entry(day: i64) -> EntryData {
    // A plausible course: pain falls from 8 towards 4, with weekly wobble; a dose change at day 60.
    let date = {
        let base = painrx_engine::diary::day_number("2024-01-01").unwrap_or(0) + day;
        civil(base)
    };
    let pain = (8.0 - 4.0 * (day as f64 / 731.0) + ((day % 7) as f64 - 3.0) * 0.3)
        .round()
        .clamp(0.0, 10.0) as u8;
    EntryData {
        time: Some("20:00".into()),
        fatigue: Some(((day * 7) % 11) as u8),
        sleep: Some(((day * 3) % 11) as u8),
        fog: Some(((day * 5) % 11) as u8),
        doses: vec![DoseTaken {
            drug: "pregabalin".into(),
            mg: if day < 60 { 150.0 } else { 300.0 },
            taken: day % 13 != 0,
        }],
        side_effects: if day % 9 == 0 {
            vec!["dizziness".into()]
        } else {
            vec![]
        },
        ..EntryData::new(date, pain)
    }
}

/// The date of a day number (inverse of `day_number`, Howard Hinnant's civil_from_days).
fn civil(z: i64) -> String {
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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
    let store = match runtime.block_on(async {
        let store = Store::open(&url).await?;
        let entries: Vec<EntryData> = (0..731).map(entry).collect();
        store.add_entries("p1", &entries).await?;
        Ok::<_, painrx_store::StoreError>(store)
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
                        .list_entries("p1", None, None, 10_000, 0)
                        .await
                        .unwrap_or_default();
                    let report = painrx_engine::diary::report("p1", &entries, None, None);
                    let chart = painrx_render::chart::diary_chart(&entries, &[]);
                    black_box((report, chart))
                })
            })
        },
    );
    c.bench_function("diary page of 50 entries (SQLite)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    store
                        .list_entries("p1", Some("2025-06-01"), None, 50, 0)
                        .await,
                )
            })
        })
    });
}

criterion_group!(benches, diary);
criterion_main!(benches);
