//! Dose equivalence: benzodiazepines through diazepam equivalents (Ashton or VA/DoD column of
//! the 2025 joint guideline's Table 7), opioids through morphine milligram equivalents.

use painrx_kb::id::{MonographId, SourceId};
use painrx_kb::monograph::Monograph;
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::{DoseUnit, EquivalenceTable, Kind};
use painrx_kb::Kb;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Side {
    pub drug: MonographId,
    pub mg: f64,
}

/// The answer of `painrx equiv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Equivalence {
    pub from: Side,
    pub to: Side,
    /// `diazepam` (benzodiazepines) or `mme` (opioids).
    pub via: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<EquivalenceTable>,
    /// The equivalence rests on weak or inferred data.
    pub uncertain: bool,
    pub warnings: Vec<String>,
    pub sources: Vec<SourceId>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EquivError {
    #[error("`{0}` is not a drug")]
    NotADrug(String),
    #[error("the dose must be above 0 mg (`{0}`)")]
    Dose(f64),
    #[error("{0} and {1} have no shared equivalence in content: painrx converts benzodiazepines through diazepam and opioids through MME")]
    NoCommonScale(String, String),
    #[error("{0} has no {1} equivalent in the chosen table")]
    NotInTable(String, String),
}

fn drug<'a>(kb: &'a Kb, id: &str) -> Result<&'a Monograph, EquivError> {
    kb.get(id)
        .filter(|m| m.kind() == Kind::Drug)
        .ok_or_else(|| EquivError::NotADrug(id.to_string()))
}

/// mg of `m` equal to 10 mg diazepam in `table`, and whether it is uncertain.
fn per_10_diazepam(m: &Monograph, table: EquivalenceTable) -> Option<(f64, bool, Option<String>)> {
    let eq = m.front.diazepam_equivalent.as_ref()?;
    let source = eq.source.as_ref().map(|s| s.value.clone());
    if eq.table == table || eq.table == EquivalenceTable::Inferred {
        return Some((
            eq.mg_per_10mg_diazepam.get(),
            eq.uncertain || eq.table == EquivalenceTable::Inferred,
            source,
        ));
    }
    eq.alternatives
        .iter()
        .find(|a| a.table == table)
        .map(|a| (a.mg_per_10mg_diazepam.get(), eq.uncertain, source))
}

/// Convert `mg` of one drug into another.
pub fn equivalent(
    kb: &Kb,
    from_id: &str,
    mg: f64,
    to_id: &str,
    table: EquivalenceTable,
) -> Result<Equivalence, EquivError> {
    if !(mg.is_finite() && mg > 0.0) {
        return Err(EquivError::Dose(mg));
    }
    let from = drug(kb, from_id)?;
    let to = drug(kb, to_id)?;
    if from.front.diazepam_equivalent.is_some() && to.front.diazepam_equivalent.is_some() {
        let (from_per, from_uncertain, from_source) = per_10_diazepam(from, table)
            .ok_or_else(|| EquivError::NotInTable(from.title().to_string(), "diazepam".into()))?;
        let (to_per, to_uncertain, to_source) = per_10_diazepam(to, table)
            .ok_or_else(|| EquivError::NotInTable(to.title().to_string(), "diazepam".into()))?;
        let result = mg / from_per * to_per;
        let uncertain = from_uncertain || to_uncertain;
        let mut warnings = vec![
            "equivalence tables are approximate guides; switch gradually over 1–2 weeks and adjust to withdrawal symptoms and sedation".to_string(),
        ];
        for (m, flag) in [(from, from_uncertain), (to, to_uncertain)] {
            if flag {
                let status = m.front.status.map(|s| s.to_string()).unwrap_or_default();
                warnings.push(format!(
                    "{} ({status}) has no established clinical equivalence: the figure is inferred; titrate to withdrawal symptoms instead of converting by table",
                    m.title()
                ));
            }
        }
        let mut sources: Vec<SourceId> = from_source
            .into_iter()
            .chain(to_source)
            .map(Into::into)
            .collect();
        sources.dedup();
        return Ok(Equivalence {
            from: Side {
                drug: from.id().into(),
                mg,
            },
            to: Side {
                drug: to.id().into(),
                mg: round(result),
            },
            via: "diazepam".into(),
            table: Some(table),
            uncertain,
            warnings,
            sources,
        });
    }
    if let (Some(a), Some(b)) = (&from.front.mme, &to.front.mme) {
        if a.unit != DoseUnit::MgPerDay && a.unit != DoseUnit::Mg
            || b.unit != DoseUnit::MgPerDay && b.unit != DoseUnit::Mg
        {
            return Err(EquivError::NoCommonScale(
                from.title().to_string(),
                to.title().to_string(),
            ));
        }
        let mme = mg * a.factor.get();
        let result = mme / b.factor.get();
        let mut sources: Vec<SourceId> = [&a.source, &b.source]
            .into_iter()
            .flatten()
            .map(|s| s.value.as_str().into())
            .collect();
        sources.dedup();
        return Ok(Equivalence {
            from: Side { drug: from.id().into(), mg },
            to: Side { drug: to.id().into(), mg: round(result) },
            via: "mme".into(),
            table: None,
            uncertain: true,
            warnings: vec![
                format!("{} mg of {} is {} MME", format_number(mg), from.title().to_lowercase(), format_number(round(mme))),
                "CDC 2022: MME figures are not for converting one opioid to another; incomplete cross-tolerance makes a straight conversion risky — reduce the calculated dose (commonly by 25–50%) and titrate".to_string(),
            ],
            sources,
        });
    }
    Err(EquivError::NoCommonScale(
        from.title().to_string(),
        to.title().to_string(),
    ))
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
