//! painrx plans and diaries for people: iCalendar files (one event per dose), printable HTML
//! schedules, the diary as CSV, its chart (SVG) and the clinician's report.
//!
//! Architecture Invariant: no HTML in Rust strings — pages come from `templates/`.

pub mod chart;
pub mod csv;
pub mod html;
pub mod ics;
pub mod report;

use chrono::NaiveDate;

/// Why a plan could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("bad start date `{0}`: write it as YYYY-MM-DD")]
    Date(String),
    #[error("cannot render the page: {0}")]
    Template(String),
    #[error("`{0}` is not a date: write it as YYYY-MM-DD")]
    DiaryDate(String),
    #[error("CSV header: {0}")]
    CsvHeader(String),
    /// `row` counts as a spreadsheet does: the header is row 1.
    #[error("CSV row {row}: {problem}")]
    CsvRow { row: usize, problem: String },
    #[error("no diary entries to chart")]
    NoEntries,
    #[error("cannot draw the chart: {0}")]
    Chart(String),
}

/// Parse `YYYY-MM-DD`, or today when absent.
pub fn start_date(text: Option<&str>) -> Result<NaiveDate, RenderError> {
    match text {
        Some(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| RenderError::Date(t.to_string())),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

/// "Day 3" or "Days 3–9": the days a plan step covers, as every schedule prints them.
pub fn days_label(start_day: u32, end_day: u32) -> String {
    if start_day == end_day {
        format!("Day {start_day}")
    } else {
        format!("Days {start_day}–{end_day}")
    }
}

/// The calendar date of plan day `day` (day 1 is the start date).
pub fn date_of(start: NaiveDate, day: u32) -> NaiveDate {
    start
        .checked_add_days(chrono::Days::new(u64::from(day.saturating_sub(1))))
        .unwrap_or(start)
}
