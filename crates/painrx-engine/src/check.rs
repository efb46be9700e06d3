//! Dose checks: a written dose against the label's range for the indication and kidney
//! function, the strengths that exist, and the frequencies the renal band allows.

use painrx_kb::id::{MonographId, SourceId};
use painrx_kb::model::Indication;
use painrx_kb::monograph::Monograph;
use painrx_kb::names::Strength;
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::{Frequency, Kind, LabelStatus};
use painrx_kb::Kb;
use serde::Serialize;

use crate::dose::{Amount, Dose};
use crate::range::{dose_range, DoseRange, Kidneys, RangeError};
use crate::units::Formulary;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
}

/// One problem with a dose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DoseFinding {
    /// above-max-daily, above-max-single, frequency-not-allowed, below-start,
    /// strength-unavailable, unmakeable, avoid, no-indication
    pub kind: String,
    pub level: Level,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceId>,
}

/// The answer of `painrx dose check`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DoseCheck {
    pub ok: bool,
    pub drug: MonographId,
    pub indication: Option<MonographId>,
    pub per_dose_mg: f64,
    pub frequency: Option<Frequency>,
    pub daily_mg: Option<f64>,
    pub renal_band: Option<String>,
    pub range: DoseRange,
    pub findings: Vec<DoseFinding>,
    pub sources: Vec<SourceId>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("`{0}` is not a drug")]
    NotADrug(String),
    /// The field is an example of a name with a strength of this drug ("gabapentin 100 mg").
    #[error(
        "the dose is in tablets or capsules: name the strength too, e.g. `{0}` with `1 tab TID`"
    )]
    NeedsStrength(String),
    #[error("painrx checks doses in mg; this dose is per kg or per hour")]
    NotMg,
}

fn finding(kind: &str, level: Level, message: String, source: Option<&SourceId>) -> DoseFinding {
    DoseFinding {
        kind: kind.into(),
        level,
        message,
        source: source.cloned(),
    }
}

/// Check a dose. `strength` is the strength typed with the name ("gabapentin 450 mg").
pub fn check_dose(
    kb: &Kb,
    drug_id: &str,
    product: Option<&str>,
    strength: Option<&Strength>,
    dose: &Dose,
    indication: Option<&str>,
    kidneys: Kidneys,
) -> Result<DoseCheck, CheckError> {
    let m = kb
        .get(drug_id)
        .filter(|m| m.kind() == Kind::Drug)
        .ok_or_else(|| CheckError::NotADrug(drug_id.to_string()))?;
    let per_dose = per_dose_mg(dose, strength).ok_or_else(|| match dose.amount {
        Amount::Units { .. } => CheckError::NeedsStrength(strength_example(m, product)),
        _ => CheckError::NotMg,
    })?;
    let mut findings = Vec::new();
    let range = match dose_range(kb, drug_id, product, indication, kidneys) {
        Ok(r) => r,
        Err(RangeError::WhichIndication { .. }) => {
            let (r, finding) = widest_range(kb, m, product, kidneys)?;
            findings.push(finding);
            r
        }
        Err(e) => return Err(e.into()),
    };
    let daily = dose
        .frequency
        .and_then(Frequency::doses_per_day)
        .map(|n| per_dose * n);
    let against = Against::new(m, &range);
    findings.extend(against.avoid());
    findings.extend(daily.and_then(|d| against.above_max_daily(d)));
    findings.extend(against.above_max_single(per_dose));
    findings.extend(dose.frequency.and_then(|f| against.frequency(f)));
    findings.extend(daily.and_then(|d| against.below_start(d)));
    findings.extend(strength.and_then(|s| strength_unavailable(m, s)));
    let formulary = Formulary::for_product(m, product);
    if !formulary.is_empty() && formulary.make(per_dose).is_none() {
        findings.push(finding(
            "unmakeable",
            Level::Warning,
            format!(
                "no combination of the strengths that exist makes {} mg in one dose",
                format_number(per_dose)
            ),
            None,
        ));
    }
    findings.sort_by_key(|f| f.level);
    let ok = !findings.iter().any(|f| f.level == Level::Error);
    Ok(DoseCheck {
        ok,
        drug: m.id().clone(),
        indication: range.indication.clone(),
        per_dose_mg: per_dose,
        frequency: dose.frequency,
        daily_mg: daily,
        renal_band: range.renal_band.clone(),
        sources: range.sources.clone(),
        range,
        findings,
    })
}

/// The mg of one dose: written in mg, or a count of units of the strength typed with the name.
fn per_dose_mg(dose: &Dose, strength: Option<&Strength>) -> Option<f64> {
    match dose.amount {
        Amount::Mg { mg } => Some(mg),
        Amount::Units { count, .. } => match strength {
            Some(s) if s.unit == "mg" => Some(count * s.value),
            _ => None,
        },
        _ => None,
    }
}

/// The drug's name with one of its real strengths ("gabapentin 100 mg"; the named product's
/// first, else the first product's), for the message that asks for a strength.
fn strength_example(m: &Monograph, product: Option<&str>) -> String {
    let first_of = |named_only: bool| {
        m.front
            .products
            .iter()
            .filter(|p| !named_only || product.is_some_and(|id| p.id == id))
            .find_map(|p| p.strengths_mg.first())
    };
    let strength = first_of(true)
        .or_else(|| first_of(false))
        .map(|s| format_number(s.get()));
    format!("{} {} mg", m.id(), strength.unwrap_or_else(|| "N".into()))
}

/// No indication named: the range of the most permissive labelled maximum (approved first on a
/// tie), and a finding that says so.
fn widest_range(
    kb: &Kb,
    m: &Monograph,
    product: Option<&str>,
    kidneys: Kidneys,
) -> Result<(DoseRange, DoseFinding), CheckError> {
    let widest = m
        .front
        .indications
        .iter()
        .filter(|i| i.regimen.as_ref().is_some_and(|r| r.max_daily.is_some()))
        .filter(|i| {
            product.is_none_or(|p| i.products.is_empty() || i.products.iter().any(|x| x.value == p))
        })
        .max_by(|a, b| {
            let max = |i: &Indication| {
                i.regimen
                    .as_ref()
                    .and_then(|r| r.max_daily.as_ref().map(|x| x.get()))
                    .unwrap_or(0.0)
            };
            let approved = |i: &Indication| i.status == LabelStatus::Approved;
            max(a)
                .total_cmp(&max(b))
                .then(approved(a).cmp(&approved(b)))
        })
        .map(|i| i.condition.value.clone());
    let r = dose_range(kb, m.id(), product, widest.as_deref(), kidneys)?;
    let said = finding(
        "no-indication",
        Level::Info,
        format!(
            "no indication given: checked against the highest labelled maximum ({}); name the indication for a stricter check",
            widest.as_deref().and_then(|w| kb.get(w)).map(|c| c.title().to_string()).unwrap_or_default()
        ),
        None,
    );
    Ok((r, said))
}

/// A dose checked against a range: the label's source, and the renal table's when a band applies.
struct Against<'a> {
    m: &'a Monograph,
    range: &'a DoseRange,
    source: Option<&'a SourceId>,
    renal_source: Option<&'a SourceId>,
}

impl<'a> Against<'a> {
    fn new(m: &'a Monograph, range: &'a DoseRange) -> Against<'a> {
        Against {
            m,
            range,
            source: range.sources.first(),
            renal_source: range.sources.last(),
        }
    }

    /// The renal table's source where a band applies, else the label's.
    fn band_or_label_source(&self) -> Option<&'a SourceId> {
        if self.range.renal_band.is_some() {
            self.renal_source
        } else {
            self.source
        }
    }

    fn avoid(&self) -> Option<DoseFinding> {
        self.range.avoid.then(|| {
            finding(
                "avoid",
                Level::Error,
                format!(
                    "{} should not be used at this kidney function ({})",
                    self.m.title(),
                    self.range.renal_band.clone().unwrap_or_default()
                ),
                self.renal_source,
            )
        })
    }

    fn above_max_daily(&self, daily: f64) -> Option<DoseFinding> {
        let max = self.range.max_daily_mg?;
        (daily > max + 1e-9).then(|| {
            let where_ = self
                .range
                .renal_band
                .as_ref()
                .map(|b| format!(" at {b}"))
                .unwrap_or_default();
            finding(
                "above-max-daily",
                Level::Error,
                format!(
                    "{} mg/day is above the maximum of {} mg/day{where_}",
                    format_number(daily),
                    format_number(max)
                ),
                self.band_or_label_source(),
            )
        })
    }

    fn above_max_single(&self, per_dose: f64) -> Option<DoseFinding> {
        let single = self.range.max_single_mg?;
        (per_dose > single + 1e-9).then(|| {
            finding(
                "above-max-single",
                Level::Error,
                format!(
                    "a single dose of {} mg is above the maximum single dose of {} mg",
                    format_number(per_dose),
                    format_number(single)
                ),
                self.source,
            )
        })
    }

    fn frequency(&self, f: Frequency) -> Option<DoseFinding> {
        let range = self.range;
        if range.frequencies.is_empty() || range.frequencies.contains(&f) || f == Frequency::Prn {
            return None;
        }
        let allowed: Vec<&str> = range.frequencies.iter().map(|x| x.as_str()).collect();
        let (level, why) = if range.renal_band.is_some() {
            (
                Level::Error,
                format!(
                    "the renal table allows {} at {}",
                    allowed.join(" or "),
                    range.renal_band.clone().unwrap_or_default()
                ),
            )
        } else {
            (
                Level::Warning,
                format!(
                    "the label gives {} for this indication",
                    allowed.join(" or ")
                ),
            )
        };
        Some(finding(
            "frequency-not-allowed",
            level,
            format!("{f} is not an allowed frequency: {why}"),
            self.band_or_label_source(),
        ))
    }

    fn below_start(&self, daily: f64) -> Option<DoseFinding> {
        let min = self.range.min_daily_mg?;
        (daily < min - 1e-9).then(|| {
            finding(
                "below-start",
                Level::Info,
                format!(
                    "{} mg/day is below the usual starting dose of {} mg/day",
                    format_number(daily),
                    format_number(min)
                ),
                self.source,
            )
        })
    }
}

fn strength_unavailable(m: &Monograph, s: &Strength) -> Option<DoseFinding> {
    (!s.exists()).then(|| {
        finding(
            "strength-unavailable",
            Level::Error,
            format!(
                "no product of {} comes in {} {}",
                m.title().to_lowercase(),
                format_number(s.value),
                s.unit
            ),
            None,
        )
    })
}
