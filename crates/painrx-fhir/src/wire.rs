//! The few FHIR elements painrx writes, as plain serde structs.
//!
//! Why not fhir-model's types for writing: its resources can only be built through its
//! `builders` feature (a private `resourceType` field), which brings derive_builder and a
//! much longer build of an already large crate. These structs write the same JSON; the
//! integration tests parse every bundle written here with fhir-model's R4B `Bundle`.

use painrx_engine::time::{ClockTime, Date};
use serde::{Serialize, Serializer};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bundle {
    pub resource_type: &'static str,
    pub r#type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BundleEntry {
    pub full_url: String,
    pub resource: Observation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Observation {
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    /// A day is a FHIR `dateTime` as written (`YYYY-MM-DD`).
    pub effective_date_time: Date,
    #[serde(flatten)]
    pub value: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub has_member: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub component: Vec<Component>,
}

/// `value[x]` of an Observation, a component or an extension.
#[derive(Serialize)]
pub(crate) enum Value {
    #[serde(rename = "valueInteger")]
    Integer(u8),
    #[serde(rename = "valueQuantity")]
    Quantity(Quantity),
    #[serde(rename = "valueString")]
    String(String),
    #[serde(rename = "valueBoolean")]
    Boolean(bool),
    #[serde(rename = "valueTime", serialize_with = "fhir_time")]
    Time(ClockTime),
    #[serde(rename = "valueCodeableConcept")]
    CodeableConcept(CodeableConcept),
}

#[derive(Serialize)]
pub(crate) struct Extension {
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(flatten)]
    pub value: Option<Value>,
}

#[derive(Serialize)]
pub(crate) struct Component {
    pub code: CodeableConcept,
    #[serde(flatten)]
    pub value: Value,
}

#[derive(Serialize)]
pub(crate) struct CodeableConcept {
    pub coding: Vec<Coding>,
}

impl CodeableConcept {
    pub fn one(system: &str, code: &str, display: Option<&str>) -> Self {
        CodeableConcept {
            coding: vec![Coding {
                system: system.to_string(),
                code: code.to_string(),
                display: display.map(str::to_string),
            }],
        }
    }
}

#[derive(Serialize)]
pub(crate) struct Coding {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct Reference {
    pub reference: String,
}

#[derive(Serialize)]
pub(crate) struct Quantity {
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

#[derive(Serialize)]
pub(crate) struct Annotation {
    pub text: String,
}

/// A FHIR `time` has seconds: `HH:MM:00`.
fn fhir_time<S: Serializer>(time: &ClockTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{time}:00"))
}
