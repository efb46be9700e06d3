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
use painrx_engine::time::{Date, DateError};

/// Why a plan could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Today, by this computer's clock, is not a date painrx takes.
    #[error("today's date: {0}")]
    Today(DateError),
    #[error("cannot render the page: {0}")]
    Template(String),
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

/// Today's date by this computer's clock.
pub fn today() -> Result<Date, RenderError> {
    Date::from_naive(chrono::Local::now().date_naive()).map_err(RenderError::Today)
}

/// The first day of a plan: `start`, or today when absent.
pub fn start_date(start: Option<Date>) -> Result<Date, RenderError> {
    start.map_or_else(today, Ok)
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
pub fn date_of(start: Date, day: u32) -> NaiveDate {
    let start = start.naive();
    start
        .checked_add_days(chrono::Days::new(u64::from(day.saturating_sub(1))))
        .unwrap_or(start)
}
