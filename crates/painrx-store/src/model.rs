//! Treatment courses and infusion sessions: what the store keeps beside the diary, and the checks
//! a course or session must pass before it is written.

use painrx_engine::diary::{score, DiaryError};
use painrx_engine::id::{MonographId, PatientId};
use painrx_engine::time::{ClockTime, Date};
use painrx_engine::words::{UnknownWord, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Longest note on a course or session, as for diary entries.
const NOTE_MAX: usize = 4000;
/// Longest infusion or observation: a day.
const MINUTES_MAX: u32 = 1440;

/// What a course is: a plan made by the engine's schedules, or an infusion series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CourseKind {
    Titration,
    Taper,
    Switch,
    Infusion,
}

impl CourseKind {
    pub const ALL: [CourseKind; 4] = [
        CourseKind::Titration,
        CourseKind::Taper,
        CourseKind::Switch,
        CourseKind::Infusion,
    ];

    /// The name stored in the database and written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CourseKind::Titration => "titration",
            CourseKind::Taper => "taper",
            CourseKind::Switch => "switch",
            CourseKind::Infusion => "infusion",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<CourseKind> {
        CourseKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for CourseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CourseKind {
    type Err = UnknownWord;
    /// A kind as a person writes it: case and surrounding spaces do not matter.
    fn from_str(text: &str) -> Result<CourseKind, UnknownWord> {
        let wanted = text.trim().to_ascii_lowercase();
        CourseKind::parse(&wanted).ok_or_else(|| UnknownWord {
            what: "course kind",
            word: text.trim().to_string(),
            allowed: "titration, taper, switch or infusion",
        })
    }
}

impl Vocabulary for CourseKind {
    const ALL: &'static [CourseKind] = &CourseKind::ALL;
}

/// A treatment course as written: it links a plan to the diary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCourse {
    pub kind: CourseKind,
    /// Drug id (for a switch, the drug switched to).
    pub drug: MonographId,
    pub started: Date,
    /// The plan as JSON: a titration/taper/switch schedule, or an infusion series.
    #[serde(default)]
    pub plan: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A stored course.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub id: i64,
    pub patient: PatientId,
    pub kind: CourseKind,
    pub drug: MonographId,
    pub started: Date,
    pub plan: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An infusion session of an infusion course (ketamine, lidocaine, …), as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub date: Date,
    pub start_time: ClockTime,
    /// 1–1440.
    pub infusion_minutes: u32,
    /// 0–1440: monitored time after the infusion ends.
    pub observation_minutes: u32,
    /// Someone confirmed to take the patient home.
    pub escort_confirmed: bool,
    /// The pre-session screening checklist answers, as JSON.
    #[serde(default)]
    pub screening: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adverse_effects: Vec<String>,
    /// 0–10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pain_before: Option<u8>,
    /// 0–10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pain_after: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A stored session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: i64,
    pub course_id: i64,
    pub patient: PatientId,
    #[serde(flatten)]
    pub data: NewSession,
}

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

fn check_note(note: Option<&String>) -> Result<(), StoreError> {
    match note.map(|n| n.chars().count()) {
        Some(n) if n > NOTE_MAX => Err(DiaryError::Note(n).into()),
        _ => Ok(()),
    }
}

impl NewCourse {
    /// Check the note (the drug is an id by its type).
    pub fn validate(&self) -> Result<(), StoreError> {
        check_note(self.note.as_ref())
    }
}

impl NewSession {
    /// Check minutes, pain scores and note.
    pub fn validate(&self) -> Result<(), StoreError> {
        if !(1..=MINUTES_MAX).contains(&self.infusion_minutes) {
            return Err(invalid(format!(
                "infusion minutes must be from 1 to {MINUTES_MAX} (got `{}`)",
                self.infusion_minutes
            )));
        }
        if self.observation_minutes > MINUTES_MAX {
            return Err(invalid(format!(
                "observation minutes must be from 0 to {MINUTES_MAX} (got `{}`)",
                self.observation_minutes
            )));
        }
        if let Some(p) = self.pain_before {
            score("pain before", i64::from(p))?;
        }
        if let Some(p) = self.pain_after {
            score("pain after", i64::from(p))?;
        }
        if self.adverse_effects.iter().any(|e| e.trim().is_empty()) {
            return Err(invalid("an adverse effect must be named".to_string()));
        }
        check_note(self.note.as_ref())
    }
}
