//! What painrx understood of a medication line (`painrx resolve`, `GET /api/v1/resolve`), and the
//! names that begin with a prefix for type-ahead (`GET /api/v1/names`).

use painrx_engine::ansm::AnsmIndex;
use painrx_engine::dose::Dose;
use painrx_engine::list::{Line, Listed};
use painrx_kb::lexicon::{lexicon, NameType};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::values::{Name, Whole};
use crate::App;

/// The most lines one resolve request may hold.
pub const MAX_RESOLVE: usize = 100;
/// The most names one type-ahead answer gives.
pub const MAX_NAMES: i64 = 50;

/// `painrx resolve TEXT…`, `GET /api/v1/resolve?q=…&q=…`.
#[derive(Clone, Debug, Default, Deserialize, clap::Args, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResolveRequest {
    /// Medication lines as written: names, brands, RxNorm strings, with or without a dose.
    #[arg(required = true, num_args = 1.., value_name = "TEXT")]
    #[serde(rename = "q")]
    #[param(value_type = Vec<String>)]
    pub texts: Vec<Name>,
}

/// `GET /api/v1/names?prefix=…&limit=…`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NamesRequest {
    /// The start of a drug name (two characters at least).
    #[param(value_type = String)]
    pub prefix: Name,
    /// How many names, 1–50 (default 10).
    #[arg(long)]
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    pub limit: Option<Whole>,
}

/// One substance of a line.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResolvedSubstance {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unii: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rxcui: Option<String>,
    /// painrx's monograph of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monograph: Option<String>,
    /// The ANSM thesaurus substance it is, as the thesaurus writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ansm: Option<String>,
    /// The strength written for it, in mg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength_mg: Option<f64>,
}

/// What one line was understood as.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Resolved {
    pub input: String,
    pub substances: Vec<ResolvedSubstance>,
    /// The strength written, in mg, for a single-substance line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength_mg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The dose written ("20 mg"), never guessed from a strength.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// The rule sources that screen it: `painrx`, `ansm:2020_01`.
    pub covered_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Resolution {
    pub results: Vec<Resolved>,
}

/// A name for type-ahead.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NameHit {
    pub name: String,
    /// How the name names its substances: official, salt, brand, combination, common, ….
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: NameType,
    /// The substances' English names.
    pub substances: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Names {
    pub names: Vec<NameHit>,
}

impl App {
    /// What painrx understands of each line, and which rule sources cover it.
    pub fn understand(&self, r: &ResolveRequest) -> AppResult<Resolution> {
        if r.texts.is_empty() {
            return Err(AppError::field("give at least one name (`q`)"));
        }
        if r.texts.len() > MAX_RESOLVE {
            return Err(AppError::field(format!(
                "{} names: at most {MAX_RESOLVE} at once",
                r.texts.len()
            )));
        }
        let index = self.ansm(None)?;
        let mut results = Vec::with_capacity(r.texts.len());
        for (input, text) in r.texts.iter().enumerate() {
            let line = self.read_line(Some(&index), input, text)?;
            results.push(self.resolved(&index, text, line));
        }
        Ok(Resolution { results })
    }

    fn resolved(&self, index: &AnsmIndex, text: &str, line: Line) -> Resolved {
        let edition = format!("ansm:{}", index.edition);
        let mut covered_by = Vec::new();
        let mut substances = Vec::new();
        for listed in &line.drugs {
            let ansm = self.thesaurus_name(index, listed);
            if listed.in_kb && !covered_by.iter().any(|c| c == "painrx") {
                covered_by.push("painrx".to_string());
            }
            if ansm.is_some() && !covered_by.contains(&edition) {
                covered_by.push(edition.clone());
            }
            substances.push(ResolvedSubstance {
                name: listed
                    .substance
                    .map_or_else(|| listed.medication.id.to_string(), |s| s.name.to_string()),
                unii: listed.substance.map(|s| s.unii.to_string()),
                rxcui: listed
                    .substance
                    .and_then(|s| s.rxcui.first())
                    .map(|c| c.to_string()),
                monograph: listed.in_kb.then(|| listed.medication.id.to_string()),
                ansm: ansm.map(|a| index.label(&a).unwrap_or(&a).to_string()),
                strength_mg: mg(listed),
            });
        }
        let dose = line.drugs.first().and_then(|l| l.medication.dose);
        Resolved {
            input: text.to_string(),
            strength_mg: match substances.as_slice() {
                [one] => one.strength_mg,
                _ => None,
            },
            substances,
            form: line.form,
            release: line.release,
            dose: dose.map(|d| amount_text(&d)),
            frequency: dose.and_then(|d| d.frequency).map(|f| f.to_string()),
            covered_by,
        }
    }

    /// Names that begin with `prefix` (case and accents as the vocabulary keys them).
    pub fn names(&self, r: &NamesRequest) -> AppResult<Names> {
        let limit = r.limit.map_or(10, Whole::get);
        if !(1..=MAX_NAMES).contains(&limit) {
            return Err(AppError::field(format!(
                "`limit` {limit}: use 1–{MAX_NAMES}"
            )));
        }
        if r.prefix.chars().count() < 2 {
            return Err(AppError::field("`prefix`: type two characters at least"));
        }
        let hits = lexicon().starting_with(&r.prefix, usize::try_from(limit).unwrap_or(10));
        Ok(Names {
            names: hits
                .into_iter()
                .map(|(name, kind, substances)| NameHit {
                    name,
                    kind,
                    substances: substances.iter().map(|s| s.name.to_string()).collect(),
                })
                .collect(),
        })
    }
}

fn mg(listed: &Listed) -> Option<f64> {
    match &listed.strength {
        Some((value, unit)) if unit == "mg" => Some(*value),
        Some((value, unit)) if unit == "mcg" => Some(value / 1000.0),
        Some((value, unit)) if unit == "g" => Some(value * 1000.0),
        _ => None,
    }
}

/// "20 mg", "25 mcg/h", "1 tablet": the amount of a dose, without its frequency.
fn amount_text(dose: &Dose) -> String {
    Dose {
        frequency: None,
        ..*dose
    }
    .to_string()
}
