//! The diary's orchestration shared by `painrx diary …`, the diary API and the diary pages:
//! reading an export back, a patient's courses with their sessions, what the chart marks.

use painrx_engine::diary::EntryData;
use painrx_engine::id::PatientId;
use painrx_engine::time::Date;
use painrx_render::chart::ChartMark;
use painrx_store::{Course, CourseKind, NewCourse, Session, Store, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::values::Name;

/// The formats a diary is exported in and read back from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Fhir,
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Fhir => "fhir",
        })
    }
}

impl painrx_engine::words::Vocabulary for ExportFormat {
    const ALL: &'static [ExportFormat] = &[ExportFormat::Csv, ExportFormat::Fhir];
}

impl std::str::FromStr for ExportFormat {
    type Err = crate::values::ValueError;
    fn from_str(text: &str) -> Result<ExportFormat, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "fhir" => Ok(ExportFormat::Fhir),
            other => Err(crate::values::ValueError(format!(
                "unknown format `{other}`: use csv or fhir"
            ))),
        }
    }
}

/// The largest diary export painrx imports, in bytes (8 MiB: years of daily entries with notes):
/// the API's import route takes bodies up to this size and `painrx diary import` reads no more.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// Entries read from an export (`csv` or `fhir`), all or nothing.
pub fn import(format: &str, text: &str) -> AppResult<Vec<EntryData>> {
    let format: ExportFormat = format
        .parse()
        .map_err(|e| AppError::field(format!("{e}")))?;
    match format {
        ExportFormat::Csv => {
            painrx_render::csv::diary_from_csv(text).map_err(|e| AppError::field(e.to_string()))
        }
        ExportFormat::Fhir => {
            let value: Value = serde_json::from_str(text)
                .map_err(|e| AppError::field(format!("the bundle is not JSON: {e}")))?;
            painrx_fhir::diary_from_bundle(&value)
                .map(|(_, entries)| entries)
                .map_err(|e| AppError::field(e.to_string()))
        }
    }
}

/// A course as a user writes it — the API's body, the course form, `diary course-add` — with
/// the drug by any of its names ("Ketamine", "Ketalar").
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseRequest {
    pub kind: CourseKind,
    /// The drug's name (for a switch, the drug switched to).
    pub drug: Name,
    pub started: Date,
    /// The plan as JSON: a titration/taper/switch schedule, or an infusion series.
    #[serde(default)]
    pub plan: Value,
    #[serde(default)]
    pub note: Option<String>,
}

/// The course to store, its drug resolved to the drug's id ("Ketamine", "Ketalar" →
/// `ketamine`): an unknown name or one that is not a drug is refused, as the CLI, the API and
/// the web form all do through this one function.
pub fn resolve_course(kb: &painrx_kb::Kb, course: CourseRequest) -> AppResult<NewCourse> {
    let found = kb.resolve(&course.drug)?;
    if found.kind != painrx_kb::vocab::Kind::Drug {
        return Err(AppError::WrongKind {
            name: course.drug.to_string(),
            kind: found.kind,
            wanted: "a drug",
        });
    }
    Ok(NewCourse {
        kind: course.kind,
        drug: found.id,
        started: course.started,
        plan: course.plan,
        note: course.note,
    })
}

/// Every course of a patient with its sessions, in order.
pub async fn courses_of(
    store: &Store,
    patient: &PatientId,
) -> Result<Vec<(Course, Vec<Session>)>, StoreError> {
    let mut listed = Vec::new();
    for course in store.list_courses(patient).await? {
        let sessions = store.list_sessions(patient, course.id).await?;
        listed.push((course, sessions));
    }
    Ok(listed)
}

/// `{"courses":[{"course","sessions"}]}`, as `painrx diary course-list --json` prints it.
pub fn courses_json(courses: &[(Course, Vec<Session>)]) -> Value {
    let listed: Vec<Value> = courses
        .iter()
        .map(|(course, sessions)| json!({ "course": course, "sessions": sessions }))
        .collect();
    json!({ "courses": listed })
}

/// What the diary chart marks besides the symptoms: the report's dose changes and the infusion
/// sessions of the patient's courses.
pub async fn chart_marks(
    store: &Store,
    patient: &PatientId,
    report: &painrx_engine::diary::Report,
) -> Result<Vec<ChartMark>, StoreError> {
    let mut marks: Vec<ChartMark> = report
        .dose_changes
        .iter()
        .map(|d| ChartMark {
            date: d.date,
            label: format!(
                "{} {}→{} mg",
                d.drug,
                painrx_kb::quantity::format_number(d.from_mg),
                painrx_kb::quantity::format_number(d.to_mg)
            ),
        })
        .collect();
    for course in store.list_courses(patient).await? {
        if course.kind == CourseKind::Infusion {
            for session in store.list_sessions(patient, course.id).await? {
                marks.push(ChartMark {
                    date: session.data.date,
                    label: format!("{} infusion", course.drug),
                });
            }
        }
    }
    Ok(marks)
}
