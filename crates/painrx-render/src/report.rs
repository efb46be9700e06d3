//! The clinician's diary report: a printable page with the analysis `painrx-engine` made
//! (baseline, current, change, responder category, trends, adherence, side effects, windows
//! around dose changes, associations), the chart and the entries.
//!
//! Every value is HTML-escaped by minijinja; the chart is the one piece of markup let through,
//! and only an SVG without scripts, event handlers or foreign objects (what [`diary_chart`]
//! draws) is accepted.
//!
//! [`diary_chart`]: crate::chart::diary_chart

use minijinja::{context, Environment, Value};
use painrx_engine::diary::{Entry, Report, Responder};
use painrx_engine::id::MonographId;
use painrx_engine::time::Date;
use painrx_kb::quantity::format_number;
use serde::Serialize;

use crate::RenderError;

const TEMPLATE: &str = include_str!("../templates/report.html");

#[derive(Serialize)]
struct Trend {
    symptom: String,
    per_week: String,
    entries: usize,
}

#[derive(Serialize)]
struct DoseChange {
    date: Date,
    drug: MonographId,
    from_mg: String,
    to_mg: String,
    pain_before: String,
    pain_after: String,
}

#[derive(Serialize)]
struct Association {
    factor: String,
    r: String,
    entries: usize,
}

#[derive(Serialize)]
struct Row {
    date: Date,
    time: String,
    pain: u8,
    fatigue: String,
    sleep: String,
    doses: String,
    side_effects: String,
    note: String,
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

fn small<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

fn responder(report: &Report) -> &'static str {
    match (report.responder, report.change_pct) {
        (_, None) => "not assessable: no baseline or current pain yet",
        (Responder::Substantial, _) => "substantial (pain down by 50 % or more)",
        (Responder::Moderate, _) => "moderate (pain down by 30 % or more)",
        (Responder::None, _) => "below the 30 % threshold",
    }
}

/// Markup painrx drew: an `<svg>` whose tags hold no script, event handler or foreign object.
fn trusted_svg(svg: &str) -> bool {
    let svg = svg.trim_start();
    if !svg.starts_with("<svg") {
        return false;
    }
    svg.split('<').skip(1).all(|tag| {
        let inside = tag.split('>').next().unwrap_or("").to_ascii_lowercase();
        let name = inside
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        !matches!(
            name,
            "script" | "foreignobject" | "iframe" | "object" | "embed" | "a" | "use" | "image"
        ) && !inside
            .split_whitespace()
            .skip(1)
            .any(|attribute| attribute.starts_with("on"))
            && !inside.contains("javascript:")
    })
}

/// The report as a printable HTML page. `chart_svg` must be the SVG [`crate::chart`] drew
/// (anything else is refused); `entries` are listed in date order under the analysis.
pub fn clinician_report(
    patient: &str,
    report: &Report,
    chart_svg: &str,
    entries: &[Entry],
) -> Result<String, RenderError> {
    if !trusted_svg(chart_svg) {
        return Err(RenderError::Template(
            "the chart is not an SVG drawn by painrx".into(),
        ));
    }
    let period = match (&report.from, &report.to) {
        (Some(from), Some(to)) => format!("{from} to {to}"),
        (Some(from), None) => format!("from {from}"),
        (None, Some(to)) => format!("up to {to}"),
        (None, None) => "all entries".to_string(),
    };
    let trends: Vec<Trend> = report
        .trends
        .iter()
        .map(|t| Trend {
            symptom: t.symptom.clone(),
            per_week: format!("{:+.2}", t.per_week),
            entries: t.entries,
        })
        .collect();
    let dose_changes: Vec<DoseChange> = report
        .dose_changes
        .iter()
        .map(|d| DoseChange {
            date: d.date,
            drug: d.drug.clone(),
            from_mg: format_number(d.from_mg),
            to_mg: format_number(d.to_mg),
            pain_before: number(d.pain_before),
            pain_after: number(d.pain_after),
        })
        .collect();
    let associations: Vec<Association> = report
        .associations
        .iter()
        .map(|a| Association {
            factor: a.factor.clone(),
            r: format!("{:+.2}", a.r),
            entries: a.entries,
        })
        .collect();
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.data.date, &a.data.time, a.id).cmp(&(&b.data.date, &b.data.time, b.id))
    });
    let rows: Vec<Row> = sorted
        .iter()
        .map(|e| Row {
            date: e.data.date,
            time: small(e.data.time),
            pain: e.data.pain,
            fatigue: small(e.data.fatigue),
            sleep: small(e.data.sleep),
            doses: e
                .data
                .doses
                .iter()
                .map(|d| {
                    let missed = if d.taken { "" } else { " (missed)" };
                    format!("{} {} mg{missed}", d.drug, format_number(d.mg))
                })
                .collect::<Vec<_>>()
                .join(", "),
            side_effects: e.data.side_effects.join(", "),
            note: small(e.data.note.as_deref()),
        })
        .collect();
    let side_effects: Vec<(&String, &usize)> = report.side_effects.iter().collect();

    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| RenderError::Template(e.to_string()))?;
    let template = env
        .get_template("report.html")
        .map_err(|e| RenderError::Template(e.to_string()))?;
    template
        .render(context! {
            patient => patient,
            period => period,
            entries_count => report.entries,
            baseline => number(report.baseline_pain),
            current => number(report.current_pain),
            change => report.change_pct.map(|c| format!("{c:+.1} %")),
            responder => responder(report),
            trends => trends,
            adherence => report.adherence.map(|a| format!("{:.0} %", a * 100.0)),
            side_effects => side_effects,
            dose_changes => dose_changes,
            associations => associations,
            association_note => &report.association_note,
            sources => &report.sources,
            // Trusted: checked above to be an SVG without active content, drawn by painrx.
            chart => Value::from_safe_string(chart_svg.to_string()),
            rows => rows,
        })
        .map_err(|e| RenderError::Template(e.to_string()))
}
