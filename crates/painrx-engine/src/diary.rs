//! The symptom diary: entries (valid by construction) and their analysis — baseline versus
//! current, IMMPACT responder category, trends, adherence, side effects, windows around dose
//! changes, and associations with pain. Pure: storage lives in `painrx-store`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assess::Area;

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
    pub drug: String,
    pub mg: f64,
    #[serde(default = "yes")]
    pub taken: bool,
}

fn yes() -> bool {
    true
}

impl DoseTaken {
    /// A dose written as "DRUG MG" ("pregabalin 75", "pregabalin 75 mg", "pregabalin 75mg");
    /// the drug is kept lower-cased.
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
        Ok(DoseTaken {
            drug: words.join(" ").to_lowercase(),
            mg,
            taken,
        })
    }
}

/// One diary entry, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryData {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, optional (several entries a day are allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
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
    pub patient: String,
    pub version: i64,
    #[serde(flatten)]
    pub data: EntryData,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DiaryError {
    #[error("`{0}` is not a date: write it as YYYY-MM-DD")]
    Date(String),
    #[error("`{0}` is not a time: write it as HH:MM")]
    Time(String),
    #[error("{name} must be a whole number from 0 to 10 (got `{value}`)")]
    Score { name: &'static str, value: String },
    #[error("a note may hold at most 4000 characters ({0} given)")]
    Note(usize),
    #[error("a dose of `{0}` mg is impossible")]
    Dose(f64),
    #[error("patient id `{0}` is not valid: use 1–64 letters, digits, `-` or `_`")]
    Patient(String),
}

/// Check a patient id.
pub fn check_patient(id: &str) -> Result<(), DiaryError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(())
        .ok_or_else(|| DiaryError::Patient(id.to_string()))
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

/// Days since 0000-03-01 of a `YYYY-MM-DD` date (civil calendar), for arithmetic on dates.
pub fn day_number(date: &str) -> Result<i64, DiaryError> {
    let bad = || DiaryError::Date(date.to_string());
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1900..=2200).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in_month
            .get(usize::try_from(m - 1).unwrap_or(0))
            .copied()
            .unwrap_or(0)
    {
        return Err(bad());
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe)
}

impl EntryData {
    /// An entry of the day (and time) with only its pain score; every other field empty.
    pub fn new(date: String, time: Option<String>, pain: u8) -> EntryData {
        EntryData {
            date,
            time,
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

    /// Check every field: dates, times, 0–10 scores, note length, doses.
    pub fn validate(&self) -> Result<(), DiaryError> {
        day_number(&self.date)?;
        if let Some(t) = &self.time {
            let ok = t.len() == 5
                && t.as_bytes().get(2) == Some(&b':')
                && t.get(..2)
                    .and_then(|h| h.parse::<u8>().ok())
                    .is_some_and(|h| h < 24)
                && t.get(3..)
                    .and_then(|m| m.parse::<u8>().ok())
                    .is_some_and(|m| m < 60);
            if !ok {
                return Err(DiaryError::Time(t.clone()));
            }
        }
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
        }
        for d in &self.doses {
            if !(d.mg.is_finite() && d.mg >= 0.0) {
                return Err(DiaryError::Dose(d.mg));
            }
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
    pub date: String,
    pub drug: String,
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
    pub patient: String,
    pub from: Option<String>,
    pub to: Option<String>,
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
    pub sources: Vec<String>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Mean pain over the first (or last) 7 distinct days that have entries.
fn window_mean(entries: &[&Entry], last: bool) -> Option<f64> {
    let mut days: Vec<&str> = entries.iter().map(|e| e.data.date.as_str()).collect();
    days.dedup();
    let chosen: Vec<&str> = if last {
        days.iter().rev().take(7).copied().collect()
    } else {
        days.iter().take(7).copied().collect()
    };
    let values: Vec<f64> = entries
        .iter()
        .filter(|e| chosen.contains(&e.data.date.as_str()))
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
    patient: &str,
    entries: &[Entry],
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Report, DiaryError> {
    let lo = from.map(day_number).transpose()?;
    let hi = to.map(day_number).transpose()?;
    let mut chosen: Vec<(i64, &Entry)> = Vec::with_capacity(entries.len());
    for e in entries {
        let day = day_number(&e.data.date)?;
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
    Ok(Report {
        patient: patient.to_string(),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
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
        sources: vec![IMMPACT_SOURCE.to_string()],
    })
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
    let mut daily: BTreeMap<(String, i64), f64> = BTreeMap::new();
    for (d, e) in chosen {
        for dose in e.data.doses.iter().filter(|x| x.taken) {
            *daily.entry((dose.drug.clone(), *d)).or_default() += dose.mg;
        }
    }
    let mut dose_changes = Vec::new();
    let mut last: BTreeMap<String, f64> = BTreeMap::new();
    for ((drug, day), mg) in &daily {
        if let Some(prev) = last.get(drug) {
            if (prev - mg).abs() > 1e-9 {
                let before = pain_within(chosen, day - 7..*day);
                let after = pain_within(chosen, *day..day + 7);
                let date = chosen
                    .iter()
                    .find(|(d, _)| d == day)
                    .map(|(_, e)| e.data.date.clone())
                    .unwrap_or_default();
                dose_changes.push(DoseChangeWindow {
                    date,
                    drug: drug.clone(),
                    from_mg: *prev,
                    to_mg: *mg,
                    pain_before: mean(&before).map(round2),
                    pain_after: mean(&after).map(round2),
                });
            }
        }
        last.insert(drug.clone(), *mg);
    }
    dose_changes.sort_by(|a, b| a.date.cmp(&b.date));
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

    fn entry(id: i64, date: &str, pain: u8) -> Entry {
        Entry {
            id,
            patient: "p1".into(),
            version: 1,
            data: EntryData::new(date.into(), None, pain),
        }
    }

    #[test]
    fn dates_count_days() {
        assert_eq!(
            day_number("2026-03-01").unwrap() - day_number("2026-02-28").unwrap(),
            1
        );
        assert_eq!(
            day_number("2024-03-01").unwrap() - day_number("2024-02-28").unwrap(),
            2
        );
        assert!(day_number("2026-02-29").is_err());
        assert!(day_number("26-1-1").is_err());
    }

    #[test]
    fn responder_categories_follow_immpact() {
        // Baseline 8 for 7 days, current 4 for 7 days: −50 % → substantial.
        let mut entries: Vec<Entry> = (1..=7)
            .map(|d| entry(d, &format!("2026-01-{d:02}"), 8))
            .collect();
        entries.extend((1..=7).map(|d| entry(100 + d, &format!("2026-03-{d:02}"), 4)));
        let r = report("p1", &entries, None, None).unwrap();
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
            assert_eq!(
                report("p1", &e2, None, None).unwrap().responder,
                want,
                "{a} {b}"
            );
        }
    }

    #[test]
    fn validation_refuses_nonsense() {
        let mut e = entry(1, "2026-01-01", 5).data;
        assert!(e.validate().is_ok());
        e.time = Some("25:00".into());
        assert!(e.validate().is_err());
        e.time = None;
        e.pain = 11;
        assert!(e.validate().is_err());
        assert!(score("pain", -1).is_err());
        assert!(check_patient("p 1").is_err() && check_patient("p-1").is_ok());
    }
}
