//! The symptom diary as a FHIR `collection` Bundle of Observations, and back.
//!
//! One diary entry is one *pain* Observation (LOINC 72514-3, `valueInteger`) that carries the
//! whole entry — body-map areas and side effects as components, doses as a complex
//! extension, the note as `Observation.note` — and lists the entry's other scores with
//! `hasMember`: one Observation each, coded in painrx's [`DIARY_SYSTEM`]. Every Observation
//! names the patient (`subject: Patient/<id>`) and the day.
//!
//! Time of day: an entry's `HH:MM` is local wall-clock time with no time zone, and FHIR
//! `dateTime` requires a zone once it has a time. Rather than invent a zone (which would
//! move the entry for any reader in another one), `effectiveDateTime` holds the day
//! (`YYYY-MM-DD`, a valid FHIR dateTime) and the [`LOCAL_TIME_EXTENSION`] holds the time
//! (`valueTime` `HH:MM:00`). Reading also accepts a full `effectiveDateTime` with a zone,
//! taking the date and time as written.

use std::collections::HashMap;
use std::str::FromStr;

use fhir_model::r4b::codes::{BundleType, ObservationStatus};
use fhir_model::r4b::resources::{
    Bundle, BundleEntry, Observation, ObservationComponentValue, ObservationEffective,
    ObservationValue, Resource,
};
use fhir_model::r4b::types::{CodeableConcept, Extension, ExtensionValue, Quantity};
use fhir_model::{Date, DateTime, Instant};
use painrx_engine::assess::Area;
use painrx_engine::diary::{DoseTaken, EntryData};
use painrx_engine::id::{IdError, MonographId, PatientId};
use painrx_engine::time::{ClockTime, Date as DiaryDate};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::wire::{self, CodeableConcept as Concept, Value};
use crate::{
    FhirError, AREA_SYSTEM, DIARY_SYSTEM, DOSE_EXTENSION, LOCAL_TIME_EXTENSION, LOINC, LOINC_PAIN,
    LOINC_PAIN_DISPLAY,
};

const UCUM: &str = "http://unitsofmeasure.org";
const CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// A score one Observation carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Score {
    Pain,
    Fatigue,
    Sleep,
    Stiffness,
    Fog,
    Mood,
    Anxiety,
    Wpi,
    Sss,
    Fiqr,
}

impl Score {
    const ALL: [Score; 10] = [
        Score::Pain,
        Score::Fatigue,
        Score::Sleep,
        Score::Stiffness,
        Score::Fog,
        Score::Mood,
        Score::Anxiety,
        Score::Wpi,
        Score::Sss,
        Score::Fiqr,
    ];

    fn name(self) -> &'static str {
        match self {
            Score::Pain => "pain",
            Score::Fatigue => "fatigue",
            Score::Sleep => "sleep",
            Score::Stiffness => "stiffness",
            Score::Fog => "fog",
            Score::Mood => "mood",
            Score::Anxiety => "anxiety",
            Score::Wpi => "wpi",
            Score::Sss => "sss",
            Score::Fiqr => "fiqr",
        }
    }

    fn display(self) -> &'static str {
        match self {
            Score::Pain => LOINC_PAIN_DISPLAY,
            Score::Fatigue => "Fatigue, 0-10 (self-reported)",
            Score::Sleep => "Sleep quality, 0 (worst) to 10 (best) (self-reported)",
            Score::Stiffness => "Stiffness, 0-10 (self-reported)",
            Score::Fog => "Cognitive difficulty (fibro fog), 0-10 (self-reported)",
            Score::Mood => "Mood, 0 (worst) to 10 (best) (self-reported)",
            Score::Anxiety => "Anxiety, 0-10 (self-reported)",
            Score::Wpi => "Widespread Pain Index (ACR fibromyalgia criteria), 0-19",
            Score::Sss => "Symptom Severity Scale (ACR fibromyalgia criteria), 0-12",
            Score::Fiqr => "Revised Fibromyalgia Impact Questionnaire (FIQR) total, 0-100",
        }
    }

    /// Largest value, for the scores that are whole numbers.
    fn max(self) -> i64 {
        match self {
            Score::Wpi => 19,
            Score::Sss => 12,
            Score::Fiqr => 100,
            _ => 10,
        }
    }

    fn from_code(code: &str) -> Option<Score> {
        Score::ALL.into_iter().find(|s| s.name() == code)
    }

    fn code(self) -> Concept {
        match self {
            Score::Pain => Concept::one(LOINC, LOINC_PAIN, Some(self.display())),
            _ => Concept::one(DIARY_SYSTEM, self.name(), Some(self.display())),
        }
    }

    /// The entry's value for this score, as FHIR `value[x]`.
    fn value(self, e: &EntryData) -> Option<Value> {
        let int = |v: Option<u8>| v.map(Value::Integer);
        match self {
            Score::Pain => Some(Value::Integer(e.pain)),
            Score::Fatigue => int(e.fatigue),
            Score::Sleep => int(e.sleep),
            Score::Stiffness => int(e.stiffness),
            Score::Fog => int(e.fog),
            Score::Mood => int(e.mood),
            Score::Anxiety => int(e.anxiety),
            Score::Wpi => int(e.wpi),
            Score::Sss => int(e.sss),
            Score::Fiqr => e.fiqr.map(|v| {
                Value::Quantity(wire::Quantity {
                    value: v,
                    unit: Some("score"),
                    system: Some(UCUM),
                    code: Some("{score}"),
                })
            }),
        }
    }
}

/// FNV-1a, to make the bundle's `urn:uuid` full URLs from the patient id (deterministic:
/// the same diary gives the same bundle).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A version-4-shaped UUID, unique within the bundle (entry index and score in the last
/// 60 bits).
fn full_url(seed: u64, entry: usize, score: Score) -> String {
    let slot = Score::ALL.iter().position(|s| *s == score).unwrap_or(0) as u64;
    let n = ((entry as u64) << 4) | slot;
    format!(
        "urn:uuid:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        seed >> 32,
        (seed >> 16) & 0xffff,
        seed & 0xfff,
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// The diary of `patient` as a FHIR R4 `collection` Bundle (see the module documentation for
/// the layout). Entries are validated first; an empty note is written as no note.
pub fn diary_bundle(patient: &PatientId, entries: &[EntryData]) -> Result<Json, FhirError> {
    let seed = fnv(patient);
    let mut out = Vec::new();
    for (index, e) in entries.iter().enumerate() {
        e.validate()
            .map_err(|source| FhirError::Entry { index, source })?;
        let time_extension = || {
            e.time.map(|t| wire::Extension {
                url: LOCAL_TIME_EXTENSION.to_string(),
                extension: vec![],
                value: Some(Value::Time(t)),
            })
        };
        let observation = |score: Score, value: Value| wire::Observation {
            resource_type: "Observation",
            extension: time_extension().into_iter().collect(),
            status: "final",
            category: vec![Concept::one(CATEGORY_SYSTEM, "survey", Some("Survey"))],
            code: score.code(),
            subject: wire::Reference {
                reference: format!("Patient/{patient}"),
            },
            effective_date_time: e.date,
            value,
            note: vec![],
            has_member: vec![],
            component: vec![],
        };
        let members: Vec<(Score, Value)> = Score::ALL
            .into_iter()
            .skip(1)
            .filter_map(|s| s.value(e).map(|v| (s, v)))
            .collect();
        let mut pain = observation(Score::Pain, Value::Integer(e.pain));
        pain.has_member = members
            .iter()
            .map(|(s, _)| wire::Reference {
                reference: full_url(seed, index, *s),
            })
            .collect();
        pain.extension.extend(e.doses.iter().map(dose_extension));
        pain.component = e
            .areas
            .iter()
            .map(|a| wire::Component {
                code: Concept::one(DIARY_SYSTEM, "pain-area", Some("Painful body area (WPI)")),
                value: Value::CodeableConcept(Concept::one(AREA_SYSTEM, a.id(), None)),
            })
            .chain(e.side_effects.iter().map(|s| wire::Component {
                code: Concept::one(DIARY_SYSTEM, "side-effect", Some("Side effect reported")),
                value: Value::String(s.clone()),
            }))
            .collect();
        pain.note = e
            .note
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| wire::Annotation { text: n.clone() })
            .collect();
        out.push(wire::BundleEntry {
            full_url: full_url(seed, index, Score::Pain),
            resource: pain,
        });
        for (score, value) in members {
            out.push(wire::BundleEntry {
                full_url: full_url(seed, index, score),
                resource: observation(score, value),
            });
        }
    }
    serde_json::to_value(wire::Bundle {
        resource_type: "Bundle",
        r#type: "collection",
        entry: out,
    })
    .map_err(|e| FhirError::Write(e.to_string()))
}

fn dose_extension(d: &DoseTaken) -> wire::Extension {
    let part = |url: &str, value: Value| wire::Extension {
        url: url.to_string(),
        extension: vec![],
        value: Some(value),
    };
    wire::Extension {
        url: DOSE_EXTENSION.to_string(),
        extension: vec![
            part("drug", Value::String(d.drug.to_string())),
            part(
                "dose",
                Value::Quantity(wire::Quantity {
                    value: d.mg,
                    unit: Some("mg"),
                    system: Some(UCUM),
                    code: Some("mg"),
                }),
            ),
            part("taken", Value::Boolean(d.taken)),
        ],
        value: None,
    }
}

fn problem(at: &str, text: impl Into<String>) -> FhirError {
    FhirError::Element {
        at: at.to_string(),
        problem: text.into(),
    }
}

/// Check the outline by hand (clearer messages), then parse with fhir-model; when that fails,
/// find the entry whose resource does not parse.
fn parse_bundle(json: &Json) -> Result<Bundle, FhirError> {
    let Some(object) = json.as_object() else {
        return Err(FhirError::NotABundle("the JSON is not an object".into()));
    };
    match object.get("resourceType").and_then(Json::as_str) {
        Some("Bundle") => {}
        Some(other) => {
            return Err(FhirError::NotABundle(format!(
                "`resourceType` is `{other}`"
            )))
        }
        None => return Err(FhirError::NotABundle("it has no `resourceType`".into())),
    }
    Bundle::deserialize(json).map_err(|e| {
        let entries = object.get("entry").and_then(Json::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            if let Some(resource) = entry.get("resource") {
                if let Err(inner) = Resource::deserialize(resource) {
                    return problem(
                        &format!("Bundle.entry[{i}].resource"),
                        format!("not a valid FHIR R4 resource: {inner}"),
                    );
                }
            }
        }
        FhirError::NotABundle(e.to_string())
    })
}

/// One Observation of the bundle, classified.
struct Found<'a> {
    at: String,
    /// The resource as JSON, for messages about values fhir-model could not read.
    raw: Option<&'a Json>,
    full_url: Option<&'a str>,
    obs: &'a Observation,
    score: Score,
}

fn codings(code: &CodeableConcept) -> String {
    let list: Vec<String> = code
        .coding
        .iter()
        .flatten()
        .map(|c| {
            format!(
                "`{}|{}`",
                c.system.as_deref().unwrap_or(""),
                c.code.as_deref().unwrap_or("")
            )
        })
        .collect();
    if list.is_empty() {
        "no coding".into()
    } else {
        list.join(", ")
    }
}

fn classify(code: &CodeableConcept) -> Option<Score> {
    code.coding
        .iter()
        .flatten()
        .find_map(|c| match (c.system.as_deref(), c.code.as_deref()) {
            (Some(LOINC), Some(LOINC_PAIN)) => Some(Score::Pain),
            (Some(DIARY_SYSTEM), Some(code)) => Score::from_code(code),
            _ => None,
        })
}

fn has_code(concept: &CodeableConcept, system: &str, code: &str) -> bool {
    concept
        .coding
        .iter()
        .flatten()
        .any(|c| c.system.as_deref() == Some(system) && c.code.as_deref() == Some(code))
}

/// A day read by fhir-model, as a [`DiaryDate`] (which may refuse it: years 1900–2200).
fn date_of(at: &str, d: fhir_model::time::Date) -> Result<DiaryDate, FhirError> {
    DiaryDate::from_ymd(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
        .map_err(|e| problem(at, e.to_string()))
}

/// A time read by fhir-model, to the minute.
fn clock_of(at: &str, t: fhir_model::time::Time) -> Result<ClockTime, FhirError> {
    ClockTime::new(u32::from(t.hour()), u32::from(t.minute()))
        .map_err(|e| problem(at, e.to_string()))
}

/// A `prefix[x]` element present in the JSON that fhir-model read as absent (it drops a
/// choice element whose value does not parse), described as "`key` `value` is not valid".
fn unreadable(found: &Found<'_>, prefix: &str) -> Option<String> {
    let object = found.raw?.as_object()?;
    object
        .iter()
        .find(|(key, _)| {
            key.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })
        .map(|(key, value)| {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            format!("`{key}` `{shown}` is not valid")
        })
}

/// The entry's day and local time.
fn when(found: &Found<'_>) -> Result<(DiaryDate, Option<ClockTime>), FhirError> {
    let at = &found.at;
    let (date, mut time) =
        match &found.obs.effective {
            Some(ObservationEffective::DateTime(DateTime::Date(Date::Date(d)))) => {
                (date_of(at, *d)?, None)
            }
            Some(ObservationEffective::DateTime(DateTime::DateTime(Instant(t))))
            | Some(ObservationEffective::Instant(Instant(t))) => {
                (date_of(at, t.date())?, Some(clock_of(at, t.time())?))
            }
            Some(ObservationEffective::DateTime(DateTime::Date(_))) => return Err(problem(
                at,
                "`effectiveDateTime` is a year or a month; a diary entry needs a day (YYYY-MM-DD)",
            )),
            Some(_) => {
                return Err(problem(
                    at,
                    "`effective[x]` is a Period or Timing; a diary entry needs `effectiveDateTime`",
                ))
            }
            None => {
                return Err(match unreadable(found, "effective") {
                    Some(bad) => problem(
                        at,
                        format!(
                        "{bad}: a diary entry needs `YYYY-MM-DD`, or a date and time with a zone"
                    ),
                    ),
                    None => problem(at, "the observation has no `effectiveDateTime`"),
                })
            }
        };
    for ext in found
        .obs
        .extension
        .iter()
        .filter(|x| x.url == LOCAL_TIME_EXTENSION)
    {
        match &ext.value {
            Some(ExtensionValue::Time(t)) => time = Some(clock_of(at, t.0)?),
            _ => {
                return Err(problem(
                    at,
                    format!("extension `{LOCAL_TIME_EXTENSION}` must hold a `valueTime`"),
                ))
            }
        }
    }
    Ok((date, time))
}

/// The patient id of `subject` (`Patient/<id>`, or an absolute URL ending so).
fn subject(found: &Found<'_>) -> Result<PatientId, FhirError> {
    let reference = found
        .obs
        .subject
        .as_ref()
        .and_then(|s| s.reference.as_deref())
        .ok_or_else(|| problem(&found.at, "the observation has no `subject` reference"))?;
    let id = match reference.rsplit_once("Patient/") {
        Some((base, id)) if base.is_empty() || base.ends_with('/') => id,
        _ => {
            return Err(problem(
                &found.at,
                format!("`subject` is `{reference}`; a diary belongs to a `Patient/<id>`"),
            ))
        }
    };
    id.parse()
        .map_err(|e: IdError| problem(&found.at, e.to_string()))
}

/// A whole-number score from `valueInteger`.
fn whole(found: &Found<'_>) -> Result<u8, FhirError> {
    let score = found.score;
    let value = match &found.obs.value {
        Some(ObservationValue::Integer(v)) => i64::from(*v),
        Some(_) => {
            return Err(problem(
                &found.at,
                format!("the {} score must be a `valueInteger`", score.name()),
            ))
        }
        None => {
            return Err(problem(
                &found.at,
                match unreadable(found, "value") {
                    Some(bad) => {
                        format!("{bad}: the {} score must be a `valueInteger`", score.name())
                    }
                    None => format!("the {} observation has no value", score.name()),
                },
            ))
        }
    };
    u8::try_from(value)
        .ok()
        .filter(|v| i64::from(*v) <= score.max())
        .ok_or_else(|| {
            problem(
                &found.at,
                format!(
                    "{} must be a whole number from 0 to {} (got `{value}`)",
                    score.name(),
                    score.max()
                ),
            )
        })
}

/// The FIQR total from `valueQuantity` (or `valueInteger`).
fn fiqr(found: &Found<'_>) -> Result<f64, FhirError> {
    let value = match &found.obs.value {
        Some(ObservationValue::Quantity(q)) => q.value,
        Some(ObservationValue::Integer(v)) => Some(f64::from(*v)),
        _ => None,
    };
    value
        .filter(|v| v.is_finite() && (0.0..=100.0).contains(v))
        .ok_or_else(|| {
            problem(
                &found.at,
                "the fiqr observation needs a `valueQuantity` from 0 to 100",
            )
        })
}

fn dose(at: &str, ext: &Extension) -> Result<DoseTaken, FhirError> {
    let (mut drug, mut mg, mut taken) = (None, None, true);
    for part in &ext.extension {
        match (part.url.as_str(), &part.value) {
            ("drug", Some(ExtensionValue::String(s) | ExtensionValue::Code(s))) => {
                drug = Some(
                    s.parse::<MonographId>()
                        .map_err(|e| problem(at, e.to_string()))?,
                );
            }
            ("dose", Some(ExtensionValue::Quantity(q))) => mg = Some(milligrams(at, q)?),
            ("taken", Some(ExtensionValue::Boolean(b))) => taken = *b,
            (url, _) => {
                return Err(problem(
                    at,
                    format!(
                        "dose extension part `{url}` is not one of `drug` (valueString), \
                         `dose` (valueQuantity) and `taken` (valueBoolean)"
                    ),
                ))
            }
        }
    }
    match (drug, mg) {
        (Some(drug), Some(mg)) => Ok(DoseTaken { drug, mg, taken }),
        _ => Err(problem(at, "a dose extension needs both `drug` and `dose`")),
    }
}

fn milligrams(at: &str, q: &Quantity) -> Result<f64, FhirError> {
    let unit = q.code.as_deref().or(q.unit.as_deref()).unwrap_or("mg");
    if unit != "mg" {
        return Err(problem(
            at,
            format!("a dose is in `{unit}`; painrx records doses in `mg`"),
        ));
    }
    q.value
        .ok_or_else(|| problem(at, "a dose quantity has no value"))
}

/// Areas, side effects, doses and note of a pain Observation.
fn entry_parts(found: &Found<'_>, e: &mut EntryData) -> Result<(), FhirError> {
    let at = &found.at;
    for (k, component) in found.obs.component.iter().flatten().enumerate() {
        let here = format!("{at}.component[{k}]");
        let code = &component.code;
        match &component.value {
            Some(ObservationComponentValue::CodeableConcept(v))
                if has_code(code, DIARY_SYSTEM, "pain-area") =>
            {
                let area = v
                    .coding
                    .iter()
                    .flatten()
                    .find(|c| c.system.as_deref() == Some(AREA_SYSTEM))
                    .and_then(|c| c.code.as_deref())
                    .ok_or_else(|| {
                        problem(
                            &here,
                            format!("a pain area needs a code from `{AREA_SYSTEM}`"),
                        )
                    })?;
                let area = Area::from_str(area).map_err(|x| problem(&here, x.to_string()))?;
                e.areas.push(area);
            }
            Some(ObservationComponentValue::String(s))
                if has_code(code, DIARY_SYSTEM, "side-effect") =>
            {
                e.side_effects.push(s.clone());
            }
            _ => {
                return Err(problem(
                    &here,
                    format!(
                        "component {} is not a painrx `pain-area` (valueCodeableConcept) or \
                         `side-effect` (valueString)",
                        codings(code)
                    ),
                ))
            }
        }
    }
    for (k, ext) in found.obs.extension.iter().enumerate() {
        if ext.url == DOSE_EXTENSION {
            e.doses.push(dose(&format!("{at}.extension[{k}]"), ext)?);
        }
    }
    let notes: Vec<&str> = found
        .obs
        .note
        .iter()
        .flatten()
        .map(|n| n.text.as_str())
        .collect();
    if !notes.is_empty() {
        e.note = Some(notes.join("\n"));
    }
    Ok(())
}

/// Put a member's score in the entry, refusing a second one.
fn set_member(found: &Found<'_>, e: &mut EntryData) -> Result<(), FhirError> {
    fn put<T>(slot: &mut Option<T>, value: T, found: &Found<'_>) -> Result<(), FhirError> {
        if slot.is_some() {
            return Err(problem(
                &found.at,
                format!(
                    "a second {} observation for the same diary entry",
                    found.score.name()
                ),
            ));
        }
        *slot = Some(value);
        Ok(())
    }
    match found.score {
        Score::Pain => Err(problem(
            &found.at,
            "a pain observation is listed as a member (`hasMember`) of another pain observation",
        )),
        Score::Fatigue => put(&mut e.fatigue, whole(found)?, found),
        Score::Sleep => put(&mut e.sleep, whole(found)?, found),
        Score::Stiffness => put(&mut e.stiffness, whole(found)?, found),
        Score::Fog => put(&mut e.fog, whole(found)?, found),
        Score::Mood => put(&mut e.mood, whole(found)?, found),
        Score::Anxiety => put(&mut e.anxiety, whole(found)?, found),
        Score::Wpi => put(&mut e.wpi, whole(found)?, found),
        Score::Sss => put(&mut e.sss, whole(found)?, found),
        Score::Fiqr => put(&mut e.fiqr, fiqr(found)?, found),
    }
}

/// Find the Observation a `hasMember` reference points to: the entry whose `fullUrl` is the
/// reference, or (a relative `Observation/<id>`) ends with `/<reference>`.
fn resolve(reference: &str, urls: &HashMap<&str, usize>, found: &[Found<'_>]) -> Option<usize> {
    urls.get(reference).copied().or_else(|| {
        let tail = format!("/{reference}");
        found
            .iter()
            .position(|f| f.full_url.is_some_and(|u| u.ends_with(&tail)))
    })
}

/// Read a diary back from a FHIR R4 `collection` Bundle written by [`diary_bundle`] (or laid
/// out the same way): the patient id and the entries in the order of their pain
/// Observations. Anything painrx cannot represent exactly is an error naming the element.
pub fn diary_from_bundle(bundle: &Json) -> Result<(PatientId, Vec<EntryData>), FhirError> {
    let parsed = parse_bundle(bundle)?;
    if parsed.r#type != BundleType::Collection {
        return Err(FhirError::BundleType(parsed.r#type.as_ref().to_string()));
    }
    let mut found: Vec<Found<'_>> = Vec::new();
    for (i, entry) in parsed.entry.iter().enumerate() {
        found.push(observation(bundle, i, entry.as_ref())?);
    }
    let mut members = Members {
        urls: full_urls(&found)?,
        claimed: vec![false; found.len()],
        found: &found,
    };
    let mut patient: Option<PatientId> = None;
    let mut entries = Vec::new();
    for anchor in found.iter().filter(|f| f.score == Score::Pain) {
        let (date, time) = when(anchor)?;
        let who = subject(anchor)?;
        match &patient {
            Some(p) if *p != who => {
                return Err(problem(
                    &anchor.at,
                    format!("the observation is about patient `{who}`, the diary about `{p}`"),
                ))
            }
            Some(_) => {}
            None => patient = Some(who.clone()),
        }
        let mut e = EntryData {
            time,
            ..EntryData::new(date, whole(anchor)?)
        };
        entry_parts(anchor, &mut e)?;
        members.read(anchor, &who, &mut e)?;
        e.validate()
            .map_err(|x| problem(&anchor.at, x.to_string()))?;
        entries.push(e);
    }
    members.refuse_orphans()?;
    let patient = patient.ok_or(FhirError::Empty)?;
    Ok((patient, entries))
}

/// Bundle entry `i`: a final (or amended, corrected) Observation of a painrx diary score.
fn observation<'a>(
    bundle: &'a Json,
    i: usize,
    entry: Option<&'a BundleEntry>,
) -> Result<Found<'a>, FhirError> {
    let at = format!("Bundle.entry[{i}].resource");
    let Some(entry) = entry else {
        return Err(problem(&at, "the bundle entry is empty"));
    };
    let obs = match &entry.resource {
        Some(Resource::Observation(obs)) => obs,
        Some(_) => {
            let kind = bundle
                .pointer(&format!("/entry/{i}/resource/resourceType"))
                .and_then(Json::as_str)
                .unwrap_or("resource");
            return Err(problem(
                &at,
                format!("a `{kind}`; a painrx diary bundle holds only Observations"),
            ));
        }
        None => return Err(problem(&at, "the bundle entry has no resource")),
    };
    if !obs.modifier_extension.is_empty() {
        return Err(problem(
            &at,
            "the observation has a `modifierExtension`, which painrx does not understand",
        ));
    }
    if !matches!(
        obs.status,
        ObservationStatus::Final | ObservationStatus::Amended | ObservationStatus::Corrected
    ) {
        return Err(problem(
            &at,
            format!(
                "status `{}`: painrx reads only `final`, `amended` or `corrected` observations",
                obs.status.as_ref()
            ),
        ));
    }
    let score = classify(&obs.code).ok_or_else(|| {
        problem(
            &at,
            format!(
                "the observation code ({}) is not a painrx diary score",
                codings(&obs.code)
            ),
        )
    })?;
    Ok(Found {
        at,
        raw: bundle.pointer(&format!("/entry/{i}/resource")),
        full_url: entry.full_url.as_deref(),
        obs,
        score,
    })
}

/// Each entry's `fullUrl`, refusing one used twice.
fn full_urls<'a>(found: &[Found<'a>]) -> Result<HashMap<&'a str, usize>, FhirError> {
    let mut urls: HashMap<&str, usize> = HashMap::new();
    for (k, f) in found.iter().enumerate() {
        if let Some(url) = f.full_url {
            if urls.insert(url, k).is_some() {
                return Err(problem(
                    &f.at,
                    format!("`fullUrl` `{url}` is used by two bundle entries"),
                ));
            }
        }
    }
    Ok(urls)
}

/// The observations of a bundle as members (`hasMember`) of pain observations: each belongs to
/// exactly one.
struct Members<'f, 'a> {
    found: &'f [Found<'a>],
    urls: HashMap<&'a str, usize>,
    claimed: Vec<bool>,
}

impl Members<'_, '_> {
    /// Put the scores of the pain observation's members in its entry; each member must be of the
    /// same patient, date and time, and of no other entry.
    fn read(&mut self, anchor: &Found<'_>, who: &str, e: &mut EntryData) -> Result<(), FhirError> {
        for (k, member) in anchor.obs.has_member.iter().flatten().enumerate() {
            let here = format!("{}.hasMember[{k}]", anchor.at);
            let reference = member
                .reference
                .as_deref()
                .ok_or_else(|| problem(&here, "the member has no `reference`"))?;
            let index = resolve(reference, &self.urls, self.found).ok_or_else(|| {
                problem(
                    &here,
                    format!("`{reference}` is not the `fullUrl` of an entry of this bundle"),
                )
            })?;
            let (Some(target), Some(seen)) = (self.found.get(index), self.claimed.get_mut(index))
            else {
                return Err(problem(&here, format!("`{reference}` cannot be resolved")));
            };
            if *seen {
                return Err(problem(
                    &target.at,
                    "the observation is a member of two diary entries",
                ));
            }
            *seen = true;
            if when(target)? != (e.date, e.time) || subject(target)? != who {
                return Err(problem(
                    &target.at,
                    format!(
                        "the observation's patient, date or time differ from its pain \
                         observation `{}`",
                        anchor.at
                    ),
                ));
            }
            set_member(target, e)?;
        }
        Ok(())
    }

    /// An observation other than pain that no pain observation claims belongs to no entry.
    fn refuse_orphans(&self) -> Result<(), FhirError> {
        match self
            .found
            .iter()
            .zip(&self.claimed)
            .find(|(f, seen)| f.score != Score::Pain && !**seen)
        {
            Some((orphan, _)) => Err(problem(
                &orphan.at,
                format!(
                    "the {} observation is no pain observation's member (`hasMember`), so it \
                     belongs to no diary entry",
                    orphan.score.name()
                ),
            )),
            None => Ok(()),
        }
    }
}
