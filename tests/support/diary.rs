//! Diary entries for the exporters' tests (`#[path = …] mod diary;` in the FHIR and render
//! crates' tests): short constructors and a proptest strategy for any valid entry.

use painrx_engine::assess::Area;
use painrx_engine::diary::{DoseTaken, EntryData};
use painrx_engine::time::{ClockTime, Date};
use proptest::prelude::*;

/// An entry with only a date, a time if given, and a pain score.
pub fn bare(date: &str, time: Option<&str>, pain: u8) -> EntryData {
    EntryData {
        time: time.map(|t| t.parse().unwrap_or_else(|e| panic!("{e}"))),
        ..EntryData::new(date.parse().unwrap_or_else(|e| panic!("{e}")), pain)
    }
}

/// A dose taken (or missed).
pub fn dose(drug: &str, mg: f64, taken: bool) -> DoseTaken {
    DoseTaken {
        drug: drug.parse().unwrap_or_else(|e| panic!("{e}")),
        mg,
        taken,
    }
}

/// Any valid entry (a dose's drug is a drug id).
pub fn arb_entry() -> impl Strategy<Value = EntryData> {
    let score = || prop::option::of(0u8..=10);
    (
        (
            1900u32..2200,
            1u32..=12,
            1u32..=28,
            prop::option::of((0u32..24, 0u32..60)),
        ),
        (
            0u8..=10,
            score(),
            score(),
            score(),
            score(),
            score(),
            score(),
        ),
        (
            prop::sample::subsequence(Area::ALL.to_vec(), 0..5),
            prop::collection::vec(
                (
                    "[a-z0-9]{1,6}(-[a-z0-9]{1,5})?",
                    0.0f64..5000.0,
                    any::<bool>(),
                ),
                0..4,
            ),
            prop::collection::vec("\\PC{0,20}", 0..3),
            prop::option::of("\\PC{1,60}"),
        ),
        (
            prop::option::of(0u8..=19),
            prop::option::of(0u8..=12),
            prop::option::of(0.0f64..=100.0),
        ),
    )
        .prop_map(
            |(
                (y, m, d, t),
                (pain, fatigue, sleep, stiffness, fog, mood, anxiety),
                (areas, doses, side_effects, note),
                (wpi, sss, fiqr),
            )| EntryData {
                date: Date::from_ymd(y as i32, m, d).unwrap_or_else(|e| panic!("{e}")),
                time: t.map(|(h, mi)| ClockTime::new(h, mi).unwrap_or_else(|e| panic!("{e}"))),
                pain,
                fatigue,
                sleep,
                stiffness,
                fog,
                mood,
                anxiety,
                areas,
                doses: doses
                    .into_iter()
                    .map(|(drug, mg, taken)| DoseTaken {
                        drug: drug.parse().unwrap_or_else(|e| panic!("{e}")),
                        mg,
                        taken,
                    })
                    .collect(),
                side_effects,
                note,
                wpi,
                sss,
                fiqr,
            },
        )
}
