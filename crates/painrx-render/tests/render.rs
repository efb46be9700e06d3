//! Rendered plans read back: the iCalendar file parses to the same doses; the page escapes text.

use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use icalendar::{Calendar, Component};
use painrx_engine::range::Kidneys;
use painrx_engine::schedule::{taper, titrate, Plan, Step, TaperPace, TitrateOptions};
use painrx_kb::vocab::Frequency;
use painrx_kb::Kb;
use proptest::prelude::*;

fn kb() -> &'static Kb {
    static KB: OnceLock<Kb> = OnceLock::new();
    KB.get_or_init(|| {
        Kb::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content"))
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
}

/// (date-time, mg) of every dose, as planned.
fn planned(steps: &[Step]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for step in steps {
        for day in step.start_day..=step.end_day {
            let date = painrx_render::date_of(start(), day);
            for dose in &step.doses {
                out.push((
                    format!("{}T{}00", date.format("%Y%m%d"), dose.time.replace(':', "")),
                    painrx_kb::quantity::format_number(dose.mg),
                ));
            }
        }
    }
    out.sort();
    out
}

/// (date-time, mg) of every event, read back from the iCalendar text.
fn parsed(text: &str) -> Vec<(String, String)> {
    let calendar: Calendar = text
        .parse()
        .unwrap_or_else(|e| panic!("the .ics does not parse: {e}"));
    let mut out: Vec<(String, String)> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .map(|e| {
            let start = e.property_value("DTSTART").unwrap_or_default().to_string();
            let summary = e.get_summary().unwrap_or_default();
            // "Pregabalin 75 mg — 1 × 75 mg capsule"
            let mg = summary
                .split(" mg")
                .next()
                .and_then(|s| s.rsplit(' ').next())
                .unwrap_or_default()
                .to_string();
            (start, mg)
        })
        .collect();
    out.sort();
    out
}

fn ics(plan: &Plan) -> String {
    painrx_render::ics::calendar("plan", &plan.drug, &plan.steps, start(), &|id| {
        id.to_string()
    })
    .to_string()
}

#[test]
fn titration_calendar_parses_back_to_the_same_doses() {
    let options = TitrateOptions {
        indication: Some("fibromyalgia"),
        ..Default::default()
    };
    let plan = titrate(kb(), "pregabalin", &options).unwrap_or_else(|e| panic!("{e}"));
    let text = ics(&plan);
    let back = parsed(&text);
    assert_eq!(back, planned(&plan.steps));
    assert_eq!(
        back.first().map(|(t, mg)| (t.as_str(), mg.as_str())),
        Some(("20261201T080000", "75"))
    );
}

#[test]
fn page_escapes_text_and_has_the_parts_people_need() {
    let options = TitrateOptions {
        indication: Some("fibromyalgia"),
        ..Default::default()
    };
    let plan = titrate(kb(), "pregabalin", &options).unwrap_or_else(|e| panic!("{e}"));
    let warnings = vec!["<script>alert(1)</script>".to_string()];
    let page = painrx_render::html::Page {
        title: "Pregabalin <b>titration</b>",
        subtitle: "For fibromyalgia",
        default_drug: "pregabalin",
        warnings: &warnings,
        sources: &[],
    };
    let html = painrx_render::html::schedule(&page, &plan.steps, start(), &|id| id.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;"));
    assert!(!html.contains("<b>titration</b>"));
    let days = plan.steps.last().map(|s| s.end_day).unwrap_or(0) as usize;
    assert_eq!(
        html.matches("<tr>").count(),
        days + 1,
        "one row per day plus the header"
    );
    assert!(html.contains("class=\"box\""), "tick boxes");
    assert!(html.contains("If you miss a dose"));
}

#[test]
fn bad_start_dates_are_refused() {
    assert!(painrx_render::start_date(Some("2026-02-30")).is_err());
    assert!(painrx_render::start_date(Some("tomorrow")).is_err());
    assert_eq!(
        painrx_render::start_date(Some("2026-12-01")).ok(),
        Some(start())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_plan_calendar_parses_back(choice in 0usize..5, crcl in prop::option::of(10.0f64..120.0)) {
        let plan = match choice {
            0 => titrate(kb(), "gabapentin", &TitrateOptions { indication: Some("postherpetic-neuralgia"), kidneys: Kidneys { crcl_ml_min: crcl, hemodialysis: false }, ..Default::default() }),
            1 => titrate(kb(), "pregabalin", &TitrateOptions { indication: Some("postherpetic-neuralgia"), kidneys: Kidneys { crcl_ml_min: crcl, hemodialysis: false }, ..Default::default() }),
            2 => titrate(kb(), "milnacipran", &TitrateOptions { indication: Some("fibromyalgia"), ..Default::default() }),
            3 => taper(kb(), "gabapentin", None, 600.0, Some(Frequency::Tid), &TaperPace::Standard),
            _ => taper(kb(), "lorazepam", None, 1.0, Some(Frequency::Tid), &TaperPace::Fast),
        };
        if let Ok(plan) = plan {
            prop_assert_eq!(parsed(&ics(&plan)), planned(&plan.steps));
        }
    }
}
