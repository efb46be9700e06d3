//! A printable schedule: large type, one row per day, a tick box per dose.

use minijinja::{context, Environment};
use painrx_engine::id::MonographId;
use painrx_engine::schedule::Step;
use painrx_engine::time::{ClockTime, Date};
use painrx_kb::quantity::format_number;
use serde::Serialize;

use crate::ics::units_text;
use crate::{date_of, RenderError};

const TEMPLATE: &str = include_str!("../templates/schedule.html");

#[derive(Serialize)]
struct Row {
    day: u32,
    date: String,
    change: Option<String>,
    doses: Vec<DoseRow>,
}

#[derive(Serialize)]
struct DoseRow {
    time: ClockTime,
    name: String,
    mg: String,
    units: String,
}

/// What the page says around the table.
pub struct Page<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    /// The plan's drug: doses that name none are of this one.
    pub default_drug: &'a MonographId,
    pub warnings: &'a [String],
    /// Citations as "[id] title".
    pub sources: &'a [String],
}

/// Render a plan as a printable page. HTML escaping is the template engine's (auto-escape).
pub fn schedule(
    page: &Page<'_>,
    steps: &[Step],
    start: Date,
    name_of: &dyn Fn(&MonographId) -> String,
) -> Result<String, RenderError> {
    let mut rows = Vec::new();
    for step in steps {
        for day in step.start_day..=step.end_day {
            let change = (day == step.start_day)
                .then(|| format!("From today: {} mg a day. ", format_number(step.daily_mg)));
            rows.push(Row {
                day,
                date: date_of(start, day).format("%a %d %b %Y").to_string(),
                change,
                doses: step
                    .doses
                    .iter()
                    .map(|d| DoseRow {
                        time: d.time,
                        name: name_of(d.drug.as_ref().unwrap_or(page.default_drug)),
                        mg: format_number(d.mg),
                        units: units_text(&d.units),
                    })
                    .collect(),
            });
        }
    }
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("schedule.html", TEMPLATE)
        .map_err(|e| RenderError::Template(e.to_string()))?;
    let template = env
        .get_template("schedule.html")
        .map_err(|e| RenderError::Template(e.to_string()))?;
    template
        .render(context! {
            title => page.title,
            subtitle => page.subtitle,
            start => start.naive().format("%A %d %B %Y").to_string(),
            rows => rows,
            warnings => page.warnings,
            sources => page.sources,
        })
        .map_err(|e| RenderError::Template(e.to_string()))
}
