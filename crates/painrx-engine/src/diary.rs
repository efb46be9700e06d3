//! The symptom diary: entries (valid by construction) and their analysis — baseline versus
//! current, IMMPACT responder category, trends, adherence, side effects, windows around dose
//! changes, and associations with pain. Pure: storage lives in `painrx-store`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use painrx_kb::id::{MonographId, PatientId, SourceId};

use crate::assess::Area;
use crate::time::{ClockTime, Date};

/// The registry source of the responder thresholds (IMMPACT 2008).
pub const IMMPACT_SOURCE: &str = "immpact-2008";

/// The 0–10 scores an entry may carry, by name (`pain` is required).
pub const SCORES: [&str; 7] = [
    "pain",
    "fatigue",
    "sleep",
    "stiffness",
    "fog",
    "mood",
    "anxiety",
];

/// A dose taken (or missed) on the day of an entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseTaken {
    /// Drug id.
    pub drug: MonographId,
    pub mg: f64,
    #[serde(default = "yes")]
    pub taken: bool,
}

fn yes() -> bool {
    true
}

impl DoseTaken {
    /// A dose written as "DRUG MG" ("pregabalin 75", "pregabalin 75 mg", "pregabalin 75mg");
    /// the drug is its id, read lower-cased ("Pregabalin 75" is pregabalin).
    pub fn parse(text: &str, taken: bool) -> Result<DoseTaken, String> {
        let mut words = text.split_whitespace().collect::<Vec<_>>();
        if words.last().is_some_and(|w| w.eq_ignore_ascii_case("mg")) {
            words.pop();
        }
        let mg_text = words
            .pop()
            .ok_or_else(|| format!("dose `{text}`: write it as \"DRUG MG\""))?;
        let mg: f64 = mg_text
            .trim_end_matches("mg")
            .parse()
            .ok()
            .filter(|mg: &f64| mg.is_finite() && *mg >= 0.0)
            .ok_or_else(|| format!("dose `{text}`: `{mg_text}` is not a number of mg"))?;
        if words.is_empty() {
            return Err(format!("dose `{text}`: name the drug"));
        }
        let drug = MonographId::try_from(words.join(" ").to_lowercase())
            .map_err(|e| format!("dose `{text}`: {e}"))?;
        Ok(DoseTaken { drug, mg, taken })
    }
}

/// One diary entry, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryData {
    pub date: Date,
    /// Optional (several entries a day are allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<ClockTime>,
    pub pain: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fatigue: Option<u8>,
    /// Sleep quality, 0 (worst) – 10 (best).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stiffness: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fog: Option<u8>,
    /// Mood, 0 (worst) – 10 (best).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mood: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anxiety: Option<u8>,
    /// Painful WPI areas (a body map).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<Area>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doses: Vec<DoseTaken>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub side_effects: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wpi: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sss: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiqr: Option<f64>,
}

/// A stored entry: its data, id and version (every edit adds a version; history is kept).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub patient: PatientId,
    pub version: i64,
    #[serde(flatten)]
    pub data: EntryData,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DiaryError {
    #[error("{name} must be a whole number from 0 to 10 (got `{value}`)")]
    Score { name: &'static str, value: String },
    #[error("a note may hold at most 4000 characters ({0} given)")]
    Note(usize),
    #[error("a dose of `{0}` mg is impossible: give a dose from 0 to {max} mg", max = crate::dose::MAX_DOSE_MG)]
    Dose(f64),
    #[error("{name} must be a whole number from 0 to {max} (got `{value}`)")]
    Total {
        name: &'static str,
        max: u8,
        value: u8,
    },
    #[error("fiqr must be a number from 0 to 100 (got `{0}`)")]
    Fiqr(f64),
    #[error("an entry holds at most {max} {what} ({count} given)", max = MAX_LIST)]
    TooMany { what: &'static str, count: usize },
    #[error("a {what} holds at most {max} characters ({count} given)", max = MAX_TEXT)]
    TooLong { what: &'static str, count: usize },
    /// A control character (NUL and the like): PostgreSQL refuses NUL in text and SQLite stores
    /// it, so both refuse it here, before the database.
    #[error("the {field} holds a control character (U+{code:04X}): remove it")]
    Control { field: &'static str, code: u32 },
}

/// The most doses, or side effects, one entry holds.
pub const MAX_LIST: usize = 50;
/// The longest drug name or side effect in an entry, in characters.
pub const MAX_TEXT: usize = 200;
/// The highest Widespread Pain Index (19 areas) and Symptom Severity Scale (12) scores.
pub const MAX_WPI: u8 = 19;
pub const MAX_SSS: u8 = 12;

/// At most [`MAX_TEXT`] characters, no control character.
fn short_text(what: &'static str, text: &str) -> Result<(), DiaryError> {
    let count = text.chars().count();
    if count > MAX_TEXT {
        return Err(DiaryError::TooLong { what, count });
    }
    control_in(what, text, false)
}

/// The first control character of `text`, if any; a note may hold line breaks and tabs.
fn control_in(field: &'static str, text: &str, multiline: bool) -> Result<(), DiaryError> {
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    match text.chars().find(|c| c.is_control() && !allowed(*c)) {
        Some(c) => Err(DiaryError::Control {
            field,
            code: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// Parse a 0–10 score.
pub fn score(name: &'static str, value: i64) -> Result<u8, DiaryError> {
    u8::try_from(value)
        .ok()
        .filter(|v| *v <= 10)
        .ok_or(DiaryError::Score {
            name,
            value: value.to_string(),
        })
}

impl EntryData {
    /// An entry with a date and a pain score and nothing else: no time, no other score, no areas,
    /// doses, side effects or note. Set more fields with struct update syntax
    /// (`EntryData { time: …, ..EntryData::new(date, pain) }`). Nothing is checked here;
    /// [`EntryData::validate`] does that (the store calls it before every write).
    pub fn new(date: Date, pain: u8) -> Self {
        Self {
            date,
            time: None,
            pain,
            fatigue: None,
            sleep: None,
            stiffness: None,
            fog: None,
            mood: None,
            anxiety: None,
            areas: Vec::new(),
            doses: Vec::new(),
            side_effects: Vec::new(),
            note: None,
            wpi: None,
            sss: None,
            fiqr: None,
        }
    }

    /// Check what the field types leave open: 0–10 scores, note length, doses (the date and
    /// time are valid by construction).
    pub fn validate(&self) -> Result<(), DiaryError> {
        let scores = [
            ("pain", Some(self.pain)),
            ("fatigue", self.fatigue),
            ("sleep", self.sleep),
            ("stiffness", self.stiffness),
            ("fog", self.fog),
            ("mood", self.mood),
            ("anxiety", self.anxiety),
        ];
        for (name, value) in scores {
            if let Some(v) = value {
                if v > 10 {
                    return Err(DiaryError::Score {
                        name,
                        value: v.to_string(),
                    });
                }
            }
        }
        if let Some(n) = &self.note {
            if n.chars().count() > 4000 {
                return Err(DiaryError::Note(n.chars().count()));
            }
            control_in("note", n, true)?;
        }
        for (name, value, max) in [("wpi", self.wpi, MAX_WPI), ("sss", self.sss, MAX_SSS)] {
            if let Some(value) = value.filter(|v| *v > max) {
                return Err(DiaryError::Total { name, max, value });
            }
        }
        if let Some(f) = self
            .fiqr
            .filter(|f| !(f.is_finite() && (0.0..=100.0).contains(f)))
        {
            return Err(DiaryError::Fiqr(f));
        }
        for (what, count) in [
            ("doses", self.doses.len()),
            ("side effects", self.side_effects.len()),
        ] {
            if count > MAX_LIST {
                return Err(DiaryError::TooMany { what, count });
            }
        }
        for d in &self.doses {
            if !(d.mg.is_finite() && (0.0..=crate::dose::MAX_DOSE_MG).contains(&d.mg)) {
                return Err(DiaryError::Dose(d.mg));
            }
        }
        for effect in &self.side_effects {
            short_text("side effect", effect)?;
        }
        Ok(())
    }

    /// A score by name.
    pub fn score(&self, name: &str) -> Option<f64> {
        let v = match name {
            "pain" => Some(self.pain),
            "fatigue" => self.fatigue,
            "sleep" => self.sleep,
            "stiffness" => self.stiffness,
            "fog" => self.fog,
            "mood" => self.mood,
            "anxiety" => self.anxiety,
            _ => None,
        };
        v.map(f64::from)
    }
}

/// Responder category by the IMMPACT thresholds on the pain change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Responder {
    None,
    Moderate,
    Substantial,
}

/// Trend of one symptom: least-squares slope per week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    pub symptom: String,
    pub per_week: f64,
    pub entries: usize,
}

/// Symptom change around a dose change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DoseChangeWindow {
    pub date: Date,
    pub drug: MonographId,
    pub from_mg: f64,
    pub to_mg: f64,
    /// Mean pain in the 7 days before and after.
    pub pain_before: Option<f64>,
    pub pain_after: Option<f64>,
}

/// Association of a recorded factor with pain (Pearson r), labelled as association.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Association {
    pub factor: String,
    pub r: f64,
    pub entries: usize,
}

/// The answer of `painrx diary report`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub patient: PatientId,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub entries: usize,
    /// Mean pain over the first 7 days that have entries.
    pub baseline_pain: Option<f64>,
    /// Mean pain over the last 7 days that have entries.
    pub current_pain: Option<f64>,
    /// Change from baseline, percent (negative is better).
    pub change_pct: Option<f64>,
    pub responder: Responder,
    pub trends: Vec<Trend>,
    /// Doses taken out of doses recorded.
    pub adherence: Option<f64>,
    pub side_effects: BTreeMap<String, usize>,
    pub dose_changes: Vec<DoseChangeWindow>,
    /// Associations with pain; not causes.
    pub associations: Vec<Association>,
    pub association_note: String,
    pub sources: Vec<SourceId>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Mean pain over the first (or last) 7 distinct days that have entries.
fn window_mean(entries: &[&Entry], last: bool) -> Option<f64> {
    let mut days: Vec<Date> = entries.iter().map(|e| e.data.date).collect();
    days.dedup();
    let chosen: Vec<Date> = if last {
        days.iter().rev().take(7).copied().collect()
    } else {
        days.iter().take(7).copied().collect()
    };
    let values: Vec<f64> = entries
        .iter()
        .filter(|e| chosen.contains(&e.data.date))
        .map(|e| f64::from(e.data.pain))
        .collect();
    mean(&values)
}

fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len();
    if n < 5 || n != ys.len() {
        return None;
    }
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Analyse entries (any order) of one patient, optionally within `[from, to]`.
pub fn report(
    patient: &PatientId,
    entries: &[Entry],
    from: Option<Date>,
    to: Option<Date>,
) -> Report {
    let lo = from.map(Date::day_number);
    let hi = to.map(Date::day_number);
    let mut chosen: Vec<(i64, &Entry)> = Vec::with_capacity(entries.len());
    for e in entries {
        let day = e.data.date.day_number();
        if lo.is_none_or(|l| day >= l) && hi.is_none_or(|h| day <= h) {
            chosen.push((day, e));
        }
    }
    chosen.sort_by(|a, b| (a.0, &a.1.data.time, a.1.id).cmp(&(b.0, &b.1.data.time, b.1.id)));
    let list: Vec<&Entry> = chosen.iter().map(|(_, e)| *e).collect();
    let baseline = window_mean(&list, false);
    let current = window_mean(&list, true);
    let change = match (baseline, current) {
        (Some(b), Some(c)) if b > 0.0 => Some(round2((c - b) / b * 100.0)),
        _ => None,
    };
    let responder = match change {
        Some(c) if c <= -50.0 => Responder::Substantial,
        Some(c) if c <= -30.0 => Responder::Moderate,
        _ => Responder::None,
    };
    let doses: Vec<&DoseTaken> = list.iter().flat_map(|e| e.data.doses.iter()).collect();
    let adherence = (!doses.is_empty())
        .then(|| round2(doses.iter().filter(|d| d.taken).count() as f64 / doses.len() as f64));
    let mut side_effects = BTreeMap::new();
    for e in &list {
        for s in &e.data.side_effects {
            *side_effects.entry(s.trim().to_lowercase()).or_insert(0) += 1;
        }
    }
    Report {
        patient: patient.clone(),
        from,
        to,
        entries: list.len(),
        baseline_pain: baseline.map(round2),
        current_pain: current.map(round2),
        change_pct: change,
        responder,
        trends: trends(&chosen),
        adherence,
        side_effects,
        dose_changes: dose_changes(&chosen),
        associations: associations(&list),
        association_note: "these are associations in this diary, not causes".into(),
        sources: SourceId::cite(&[IMMPACT_SOURCE]),
    }
}

/// The least-squares slope per week of each score recorded at least 3 times.
fn trends(chosen: &[(i64, &Entry)]) -> Vec<Trend> {
    SCORES
        .iter()
        .filter_map(|name| {
            let points: Vec<(f64, f64)> = chosen
                .iter()
                .filter_map(|(d, e)| e.data.score(name).map(|v| (*d as f64, v)))
                .collect();
            if points.len() < 3 {
                return None;
            }
            let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
            let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
            let (mx, my) = (mean(&xs)?, mean(&ys)?);
            let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
            if sxx == 0.0 {
                return None;
            }
            let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
            Some(Trend {
                symptom: (*name).to_string(),
                per_week: round2(sxy / sxx * 7.0),
                entries: points.len(),
            })
        })
        .collect()
}

/// Dose changes: the daily total of a drug differs from the previous day that recorded it;
/// each with the mean pain of the 7 days before and after.
fn dose_changes(chosen: &[(i64, &Entry)]) -> Vec<DoseChangeWindow> {
    let mut daily: BTreeMap<(MonographId, Date), f64> = BTreeMap::new();
    for (_, e) in chosen {
        for dose in e.data.doses.iter().filter(|x| x.taken) {
            *daily.entry((dose.drug.clone(), e.data.date)).or_default() += dose.mg;
        }
    }
    let mut dose_changes = Vec::new();
    let mut last: BTreeMap<&MonographId, f64> = BTreeMap::new();
    for ((drug, date), mg) in &daily {
        let day = date.day_number();
        if let Some(prev) = last.get(drug) {
            if (prev - mg).abs() > 1e-9 {
                let before = pain_within(chosen, day - 7..day);
                let after = pain_within(chosen, day..day + 7);
                dose_changes.push(DoseChangeWindow {
                    date: *date,
                    drug: drug.clone(),
                    from_mg: *prev,
                    to_mg: *mg,
                    pain_before: mean(&before).map(round2),
                    pain_after: mean(&after).map(round2),
                });
            }
        }
        last.insert(drug, *mg);
    }
    dose_changes.sort_by_key(|d| d.date);
    dose_changes
}

/// The pain scores of the entries on the given days.
fn pain_within(chosen: &[(i64, &Entry)], days: std::ops::Range<i64>) -> Vec<f64> {
    chosen
        .iter()
        .filter(|(d, _)| days.contains(d))
        .map(|(_, e)| f64::from(e.data.pain))
        .collect()
}

/// Pearson r of each other score with pain, strongest first.
fn associations(list: &[&Entry]) -> Vec<Association> {
    let mut associations: Vec<Association> = SCORES
        .iter()
        .skip(1)
        .filter_map(|name| {
            let pairs: Vec<(f64, f64)> = list
                .iter()
                .filter_map(|e| e.data.score(name).map(|v| (v, f64::from(e.data.pain))))
                .collect();
            let (xs, ys): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
            pearson(&xs, &ys).map(|r| Association {
                factor: (*name).to_string(),
                r: round2(r),
                entries: pairs.len(),
            })
        })
        .collect();
    associations.sort_by(|a, b| b.r.abs().total_cmp(&a.r.abs()));
    associations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p1() -> PatientId {
        "p1".parse().unwrap()
    }

    fn entry(id: i64, date: &str, pain: u8) -> Entry {
        Entry {
            id,
            patient: p1(),
            version: 1,
            data: EntryData::new(date.parse().unwrap(), pain),
        }
    }

    /// An entry as the API, the CSV and the FHIR reader receive it: JSON.
    fn read(json: &str) -> Result<EntryData, String> {
        serde_json::from_str::<EntryData>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn nul_and_control_characters_are_refused_before_either_database() {
        // Regression (outside probe): a NUL in a note was a 500 on PostgreSQL and stored on SQLite.
        let nul = read(r#"{"date": "2026-01-05", "pain": 5, "note": "a\u0000b"}"#).unwrap();
        assert_eq!(
            nul.validate().unwrap_err().to_string(),
            "the note holds a control character (U+0000): remove it"
        );
        let bell =
            read(r#"{"date": "2026-01-05", "pain": 5, "side_effects": ["dizzy\u0007"]}"#).unwrap();
        assert!(bell.validate().is_err());
        // A dose's drug is an id, which cannot hold one.
        let dose = read(
            r#"{"date": "2026-01-05", "pain": 5, "doses": [{"drug": "pre\u001bgabalin", "mg": 75, "taken": true}]}"#,
        );
        assert!(dose.unwrap_err().contains("monograph id"));
        let lines =
            read(r#"{"date": "2026-01-05", "pain": 5, "note": "slept badly\n\tthen better"}"#)
                .unwrap();
        assert!(
            lines.validate().is_ok(),
            "a note keeps its line breaks and tabs"
        );
    }

    #[test]
    fn thirty_first_of_february_is_refused() {
        // Four date checks once disagreed (the content validator's accepted 31 February); now
        // one parser reads every date, and an entry cannot hold a day the calendar lacks.
        let refused = read(r#"{"date": "2026-02-31", "pain": 5}"#).unwrap_err();
        assert!(
            refused.contains("`2026-02-31` is not a date: February 2026 has 28 days"),
            "{refused}"
        );
        assert!(read(r#"{"date": "2026-02-29", "pain": 5}"#).is_err());
        assert!(read(r#"{"date": "2026-13-01", "pain": 5}"#).is_err());
        assert!(read(r#"{"date": "26-1-1", "pain": 5}"#).is_err());
        let leap = read(r#"{"date": "2024-02-29", "time": "23:59", "pain": 5}"#).unwrap();
        assert!(leap.validate().is_ok());
        for time in ["24:00", "25:00", "7:5", "7:30"] {
            let refused = read(&format!(
                r#"{{"date": "2026-01-05", "time": "{time}", "pain": 5}}"#
            ))
            .unwrap_err();
            assert!(
                refused.contains(&format!("`{time}` is not a time")),
                "{refused}"
            );
        }
    }

    #[test]
    fn entries_write_their_date_and_time_as_read() {
        let text = r#"{"date":"2024-02-29","time":"07:05","pain":5}"#;
        let e = read(text).unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), text);
    }

    #[test]
    fn responder_categories_follow_immpact() {
        // Baseline 8 for 7 days, current 4 for 7 days: −50 % → substantial.
        let mut entries: Vec<Entry> = (1..=7)
            .map(|d| entry(d, &format!("2026-01-{d:02}"), 8))
            .collect();
        entries.extend((1..=7).map(|d| entry(100 + d, &format!("2026-03-{d:02}"), 4)));
        let r = report(&p1(), &entries, None, None);
        assert_eq!(
            (r.baseline_pain, r.current_pain, r.change_pct, r.responder),
            (Some(8.0), Some(4.0), Some(-50.0), Responder::Substantial)
        );
        // Two entries a day: 5 and 6 average 5.5 (−31.25 %): moderate; 6 and 6 (−25 %): none.
        for ((a, b), want) in [((5u8, 6u8), Responder::Moderate), ((6, 6), Responder::None)] {
            let mut e2: Vec<Entry> = (1..=7)
                .map(|d| entry(d, &format!("2026-01-{d:02}"), 8))
                .collect();
            for d in 1..=7 {
                e2.push(entry(200 + d, &format!("2026-03-{d:02}"), a));
                e2.push(entry(300 + d, &format!("2026-03-{d:02}"), b));
            }
            assert_eq!(report(&p1(), &e2, None, None).responder, want, "{a} {b}");
        }
    }

    #[test]
    fn validation_refuses_nonsense() {
        let mut e = entry(1, "2026-01-01", 5).data;
        assert!(e.validate().is_ok());
        e.pain = 11;
        assert!(e.validate().is_err());
        assert!(score("pain", -1).is_err());
        assert!(PatientId::parse("p 1").is_err() && PatientId::parse("p-1").is_ok());
        assert_eq!(
            DoseTaken::parse("Lyrica CR 165", true).unwrap_err(),
            "dose `Lyrica CR 165`: monograph id `lyrica cr` is not valid: use lowercase ASCII \
             letters and digits, words joined by single `-`, at most 100 characters"
        );
        assert_eq!(
            DoseTaken::parse("Pregabalin 75 mg", true).map(|d| d.drug.to_string()),
            Ok("pregabalin".to_string())
        );
    }
}
