//! The diary as CSV for spreadsheets: a header row, then one row per entry.
//!
//! Columns (see [`CSV_COLUMNS`]): the fields of an entry by their JSON names. An empty cell is
//! an absent value. Lists are written so that no text can break them:
//! - `areas`: WPI area ids separated by `;` (ids never contain `;`), e.g. `lower-back;neck`;
//! - `side_effects`: a JSON list of strings, e.g. `["dizziness","dry mouth"]`;
//! - `doses`: a JSON list of doses, e.g. `[{"drug":"pregabalin","mg":75.0,"taken":true}]`
//!   (`taken` may be left out: it means taken).
//!
//! A cell that a spreadsheet could read as a formula (starting with `=`, `+`, `-`, `@`, a tab or
//! a carriage return) is written with a leading `'`, as OWASP recommends against CSV injection;
//! so is a cell that starts with `'`. Reading takes exactly one leading `'` off, so an export
//! reads back as it was written.
//!
//! Reading takes the columns in any order, needs `date` and `pain`, refuses unknown columns
//! (a typo would otherwise drop data) and names the spreadsheet row of any error (the header
//! is row 1). An empty note reads back as no note.

use std::collections::HashMap;
use std::str::FromStr;

use painrx_engine::assess::Area;
use painrx_engine::diary::{score, DoseTaken, EntryData};
use painrx_engine::time::{ClockTimeError, DateError};

use crate::RenderError;

/// The columns, in the order [`diary_csv`] writes them.
pub const CSV_COLUMNS: [&str; 16] = [
    "date",
    "time",
    "pain",
    "fatigue",
    "sleep",
    "stiffness",
    "fog",
    "mood",
    "anxiety",
    "wpi",
    "sss",
    "fiqr",
    "areas",
    "side_effects",
    "doses",
    "note",
];

/// What a spreadsheet may read as the start of a formula (OWASP "CSV injection"): `=`, `+`,
/// `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// The guard OWASP recommends: a leading single quote makes the cell text.
const GUARD: char = '\'';

/// A cell as written: one that could start a formula gets the guard in front (a note of
/// `=HYPERLINK(…)` is written `'=HYPERLINK(…)`); so does one that starts with the guard itself,
/// so that reading can take exactly one guard off and give back the text that was written.
fn guarded(text: String) -> String {
    if text.starts_with(|c| FORMULA_STARTS.contains(&c) || c == GUARD) {
        format!("{GUARD}{text}")
    } else {
        text
    }
}

/// A cell as read: the guard [`guarded`] put in front, taken off (a hand-written cell that
/// starts with `'` loses that one quote).
fn unguarded(text: &str) -> &str {
    text.strip_prefix(GUARD).unwrap_or(text)
}

fn cell<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn json_list<T: serde::Serialize>(list: &[T]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        // A list of strings or of doses always serialises.
        serde_json::to_string(list).unwrap_or_default()
    }
}

fn row(e: &EntryData) -> [String; 16] {
    [
        e.date.to_string(),
        cell(e.time),
        e.pain.to_string(),
        cell(e.fatigue),
        cell(e.sleep),
        cell(e.stiffness),
        cell(e.fog),
        cell(e.mood),
        cell(e.anxiety),
        cell(e.wpi),
        cell(e.sss),
        // `Display` of an f64 is the shortest text that parses back to the same number.
        cell(e.fiqr),
        e.areas.iter().map(|a| a.id()).collect::<Vec<_>>().join(";"),
        json_list(&e.side_effects),
        json_list(&e.doses),
        cell(e.note.as_deref()),
    ]
}

/// The diary as CSV text, or why it could not be written (what an export answers with).
pub fn write(entries: &[EntryData]) -> Result<String, String> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer
        .write_record(CSV_COLUMNS)
        .map_err(|e| e.to_string())?;
    for e in entries {
        writer
            .write_record(row(e).map(guarded))
            .map_err(|e| e.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// The diary as CSV text (UTF-8, `\n` line ends, quoted where needed).
pub fn diary_csv(entries: &[EntryData]) -> String {
    // Writing UTF-8 strings into memory cannot fail.
    write(entries).unwrap_or_default()
}

/// One row being read: its cells by column name.
struct Row<'a> {
    number: usize,
    record: &'a ::csv::StringRecord,
    columns: &'a HashMap<&'static str, usize>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|i| self.record.get(*i))
            .map_or("", unguarded)
    }

    fn error(&self, problem: impl Into<String>) -> RenderError {
        RenderError::CsvRow {
            row: self.number,
            problem: problem.into(),
        }
    }

    fn score(&self, name: &'static str) -> Result<Option<u8>, RenderError> {
        self.whole(name, 10)
    }

    fn whole(&self, name: &'static str, max: i64) -> Result<Option<u8>, RenderError> {
        let text = self.get(name).trim();
        if text.is_empty() {
            return Ok(None);
        }
        let value: i64 = text.parse().map_err(|_| {
            self.error(format!(
                "{name} must be a whole number from 0 to {max} (got `{text}`)"
            ))
        })?;
        if max == 10 {
            return score(name, value)
                .map(Some)
                .map_err(|e| self.error(e.to_string()));
        }
        u8::try_from(value)
            .ok()
            .filter(|v| i64::from(*v) <= max)
            .map(Some)
            .ok_or_else(|| {
                self.error(format!(
                    "{name} must be a whole number from 0 to {max} (got `{text}`)"
                ))
            })
    }

    fn text(&self, name: &str) -> Option<String> {
        let text = self.get(name);
        (!text.is_empty()).then(|| text.to_string())
    }

    fn entry(&self) -> Result<EntryData, RenderError> {
        let fiqr = match self.get("fiqr").trim() {
            "" => None,
            text => Some(
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && (0.0..=100.0).contains(v))
                    .ok_or_else(|| {
                        self.error(format!(
                            "fiqr must be a number from 0 to 100 (got `{text}`)"
                        ))
                    })?,
            ),
        };
        let areas = self
            .get("areas")
            .split(';')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| Area::from_str(a).map_err(|e| self.error(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let side_effects: Vec<String> = match self.get("side_effects").trim() {
            "" => vec![],
            text => serde_json::from_str(text).map_err(|e| {
                self.error(format!(
                    "side_effects must be a JSON list of strings such as [\"dizziness\"]: {e}"
                ))
            })?,
        };
        let doses: Vec<DoseTaken> = match self.get("doses").trim() {
            "" => vec![],
            text => serde_json::from_str(text).map_err(|e| {
                self.error(format!(
                    "doses must be a JSON list such as \
                     [{{\"drug\":\"pregabalin\",\"mg\":75,\"taken\":true}}]: {e}"
                ))
            })?,
        };
        let pain = self
            .score("pain")?
            .ok_or_else(|| self.error("pain is empty: every entry needs a pain score"))?;
        let entry = EntryData {
            date: self
                .get("date")
                .trim()
                .parse()
                .map_err(|e: DateError| self.error(e.to_string()))?,
            time: self
                .text("time")
                .map(|t| t.trim().parse())
                .transpose()
                .map_err(|e: ClockTimeError| self.error(e.to_string()))?,
            pain,
            fatigue: self.score("fatigue")?,
            sleep: self.score("sleep")?,
            stiffness: self.score("stiffness")?,
            fog: self.score("fog")?,
            mood: self.score("mood")?,
            anxiety: self.score("anxiety")?,
            areas,
            doses,
            side_effects,
            note: self.text("note"),
            wpi: self.whole("wpi", 19)?,
            sss: self.whole("sss", 12)?,
            fiqr,
        };
        entry.validate().map_err(|e| self.error(e.to_string()))?;
        Ok(entry)
    }
}

/// Read a diary written by [`diary_csv`] (or by hand in the same layout).
pub fn diary_from_csv(text: &str) -> Result<Vec<EntryData>, RenderError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| RenderError::CsvHeader(e.to_string()))?
        .clone();
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        let Some(known) = CSV_COLUMNS.iter().find(|c| **c == name) else {
            return Err(RenderError::CsvHeader(format!(
                "unknown column `{name}`; the columns are {}",
                CSV_COLUMNS.join(", ")
            )));
        };
        if columns.insert(known, i).is_some() {
            return Err(RenderError::CsvHeader(format!(
                "column `{name}` appears twice"
            )));
        }
    }
    for needed in ["date", "pain"] {
        if !columns.contains_key(needed) {
            return Err(RenderError::CsvHeader(format!(
                "no `{needed}` column; the columns are {}",
                CSV_COLUMNS.join(", ")
            )));
        }
    }
    let mut entries = Vec::new();
    let mut record = ::csv::StringRecord::new();
    for number in 2.. {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(RenderError::CsvRow {
                    row: number,
                    problem: e.to_string(),
                })
            }
        }
        let row = Row {
            number,
            record: &record,
            columns: &columns,
        };
        entries.push(row.entry()?);
    }
    Ok(entries)
}
