//! painrx FHIR mapping: the only crate that knows FHIR JSON.
//!
//! Today: the symptom diary as a FHIR R4 `collection` Bundle of Observations
//! ([`diary_bundle`]) and back ([`diary_from_bundle`]).
//!
//! The types come from `fhir-model`'s `r4b` module (fhir-model has no R4 module). FHIR R4B
//! changed none of the Bundle, Observation or data-type elements used here, so the JSON
//! written and read is exactly FHIR R4 (4.0.1) JSON as well.
//!
//! Architecture Invariant: reading never panics; a foreign or malformed bundle is a
//! [`FhirError`] that says where (a FHIRPath such as `Bundle.entry[3].resource`) and what.

mod diary;
mod wire;

pub use diary::{diary_bundle, diary_from_bundle};

use painrx_engine::diary::DiaryError;

/// LOINC, for the pain score.
pub const LOINC: &str = "http://loinc.org";
/// LOINC 72514-3, the pain score's code.
pub const LOINC_PAIN: &str = "72514-3";
/// LOINC 72514-3's display name.
pub const LOINC_PAIN_DISPLAY: &str =
    "Pain severity - 0-10 verbal numeric rating [Score] - Reported";
/// painrx's code system for the diary scores that have no LOINC code painrx is sure of
/// (`fatigue`, `sleep`, `stiffness`, `fog`, `mood`, `anxiety`, `wpi`, `sss`, `fiqr`) and for
/// the parts of an entry (`pain-area`, `side-effect`).
pub const DIARY_SYSTEM: &str = "https://painrx.org/fhir/CodeSystem/diary";
/// painrx's code system for the 19 Widespread Pain Index areas (`left-jaw`, …, `abdomen`).
pub const AREA_SYSTEM: &str = "https://painrx.org/fhir/CodeSystem/wpi-area";
/// Extension: the local wall-clock time of an entry (`valueTime`), see [`diary_bundle`].
pub const LOCAL_TIME_EXTENSION: &str =
    "https://painrx.org/fhir/StructureDefinition/diary-local-time";
/// Complex extension: a dose taken or missed, with `drug` (`valueString`), `dose`
/// (`valueQuantity` in UCUM `mg`) and `taken` (`valueBoolean`).
pub const DOSE_EXTENSION: &str = "https://painrx.org/fhir/StructureDefinition/diary-dose";

/// Why a diary could not be written as, or read from, FHIR.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The JSON is not a FHIR R4 Bundle at all.
    #[error("not a FHIR R4 Bundle: {0}")]
    NotABundle(String),
    /// A Bundle, but not of the kind a diary is.
    #[error("the bundle is a `{0}` bundle; a painrx diary is a `collection` bundle")]
    BundleType(String),
    /// The bundle holds no pain Observation, so neither entries nor a patient.
    #[error(
        "the bundle holds no pain observation (LOINC 72514-3), so no diary entry and no patient"
    )]
    Empty,
    /// One element of the bundle is wrong: `at` is a FHIRPath such as `Bundle.entry[2].resource`.
    #[error("`{at}`: {problem}")]
    Element { at: String, problem: String },
    /// A diary entry to write is not valid (`index` counts from 0).
    #[error("diary entry {index}: {source}")]
    Entry {
        index: usize,
        #[source]
        source: DiaryError,
    },
    /// serde_json could not write the bundle (cannot happen with valid entries).
    #[error("cannot write the bundle: {0}")]
    Write(String),
}
