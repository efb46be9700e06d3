//! An infusion session's timeline (infusion, observation, going home, no driving) from the
//! procedure monograph's `session` facts, with warnings where a planned session falls short of
//! them (too short or too long a drip, too short an observation, no escort).

use painrx_kb::id::{MonographId, SourceId};
use painrx_kb::vocab::Kind;
use painrx_kb::{Kb, Monograph};
use serde::Serialize;

use crate::time::{ClockTime, DayTime};

/// One moment of a session day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineEvent {
    /// `HH:MM` on the wire, with `+1d` when it falls on the next day.
    pub time: DayTime,
    /// Minutes after the infusion starts.
    pub minute: u32,
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceId>,
}

/// The session timeline with the checks against the procedure's facts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeline {
    pub procedure: MonographId,
    pub events: Vec<TimelineEvent>,
    pub warnings: Vec<String>,
    pub sources: Vec<SourceId>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TimelineError {
    #[error("`{0}` is not a procedure with session facts")]
    NoSession(String),
    #[error("an infusion of {0} minutes is impossible: give 1–1440")]
    Minutes(u32),
}

/// The procedure that infuses `drug` and has session facts (ketamine → ketamine infusion
/// therapy), as the content says; `None` when no procedure monograph names the drug.
pub fn procedure_for<'k>(kb: &'k Kb, drug: &str) -> Option<&'k Monograph> {
    kb.monographs().iter().find(|m| {
        m.front.kind.value == Kind::Procedure
            && m.front.session.is_some()
            && m.front.drugs.iter().any(|d| d.value == drug)
    })
}

/// The timeline of one session of `procedure` starting at `start`.
pub fn timeline(
    kb: &Kb,
    procedure: &str,
    start: ClockTime,
    infusion_minutes: u32,
    observation_minutes: u32,
    escort_confirmed: bool,
) -> Result<Timeline, TimelineError> {
    let monograph = kb
        .get(procedure)
        .ok_or_else(|| TimelineError::NoSession(procedure.to_string()))?;
    let session = monograph
        .front
        .session
        .as_ref()
        .map(|s| &s.value)
        .ok_or_else(|| TimelineError::NoSession(procedure.to_string()))?;
    if infusion_minutes == 0 || infusion_minutes > 1440 {
        return Err(TimelineError::Minutes(infusion_minutes));
    }
    let source = session.source.as_ref().map(|s| s.value.clone());
    let mut warnings = Vec::new();
    let (lo, hi) = (
        session.infusion_minutes_min.get(),
        session.infusion_minutes_max.get(),
    );
    let minutes = f64::from(infusion_minutes);
    if minutes < lo || minutes > hi {
        warnings.push(format!(
            "an infusion of {infusion_minutes} minutes is outside the usual {lo}–{hi} minutes for chronic pain"
        ));
    }
    let min_observation = session.observation_minutes.get();
    if f64::from(observation_minutes) < min_observation {
        warnings.push(format!(
            "observe for at least {min_observation} minutes after the drip stops (planned: {observation_minutes})"
        ));
    }
    if session.escort_required && !escort_confirmed {
        warnings.push(
            "no escort confirmed: the patient must not drive or travel home alone after an infusion"
                .to_string(),
        );
    }
    let home = infusion_minutes + observation_minutes;
    let mut events = vec![
        TimelineEvent {
            time: start.plus_minutes(0),
            minute: 0,
            what: "infusion starts (monitor blood pressure, heart rate and oxygen saturation)"
                .into(),
            source: source.clone(),
        },
        TimelineEvent {
            time: start.plus_minutes(infusion_minutes),
            minute: infusion_minutes,
            what: "infusion ends; observation begins".into(),
            source: source.clone(),
        },
        TimelineEvent {
            time: start.plus_minutes(home),
            minute: home,
            what: if session.escort_required {
                "earliest discharge, once fully recovered, with a responsible adult".into()
            } else {
                "earliest discharge, once fully recovered".into()
            },
            source: source.clone(),
        },
    ];
    if let Some(hours) = session.driving_restriction_hours {
        // Whole minutes: restriction hours in content are small whole or half numbers.
        let until = home + (hours.get() * 60.0).round().clamp(0.0, 14_400.0) as u32;
        events.push(TimelineEvent {
            time: start.plus_minutes(until),
            minute: until,
            what: format!(
                "no driving, machinery or important decisions until now ({} h after discharge)",
                painrx_kb::quantity::format_number(hours.get())
            ),
            source: source.clone(),
        });
    }
    let mut sources: Vec<SourceId> = source.into_iter().collect();
    sources.sort();
    sources.dedup();
    Ok(Timeline {
        procedure: monograph.front.id.value.clone(),
        events,
        warnings,
        sources,
    })
}
