//! Dose equivalence: benzodiazepines through diazepam equivalents (Ashton or VA/DoD column of
//! the 2025 joint guideline's Table 7), opioids through morphine milligram equivalents. Which
//! drug each scale is expressed in, and how answers name it, comes from the class that names
//! the scale in content (`equivalence:`).

use painrx_kb::id::{MonographId, SourceId};
use painrx_kb::model::{Mme, ReferenceScale};
use painrx_kb::monograph::Monograph;
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::{DoseUnit, EquivalenceScale, EquivalenceTable, Kind};
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
    /// The scale's `via` word from content: `diazepam` (benzodiazepines) or `mme` (opioids).
    pub via: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<EquivalenceTable>,
    /// The equivalence rests on weak or inferred data.
    pub uncertain: bool,
    pub warnings: Vec<String>,
    pub sources: Vec<SourceId>,
}

impl Equivalence {
    /// `mg` of one drug and its equivalent `result` (rounded) of the other on a scale; no table,
    /// warnings or sources yet.
    fn between(
        from: &Monograph,
        mg: f64,
        to: &Monograph,
        result: f64,
        scale: &ReferenceScale,
    ) -> Equivalence {
        Equivalence {
            from: Side {
                drug: from.id().clone(),
                mg,
            },
            to: Side {
                drug: to.id().clone(),
                mg: round(result),
            },
            via: scale.via.clone(),
            table: None,
            uncertain: false,
            warnings: Vec::new(),
            sources: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EquivError {
    #[error("`{0}` is not a drug")]
    NotADrug(String),
    #[error("the dose must be above 0 mg (`{0}`)")]
    Dose(f64),
    /// The third field says which scales content names ("benzodiazepines through diazepam and
    /// opioids through MME").
    #[error("{0} and {1} have no shared equivalence in content: painrx converts {2}")]
    NoCommonScale(String, String, String),
    #[error("{0} has no {1} equivalent in the chosen table")]
    NotInTable(String, String),
}

fn drug<'a>(kb: &'a Kb, id: &str) -> Result<&'a Monograph, EquivError> {
    kb.get(id)
        .filter(|m| m.kind() == Kind::Drug)
        .ok_or_else(|| EquivError::NotADrug(id.to_string()))
}

/// mg of `m` equal to 10 mg of the reference drug in `table`, whether it is uncertain, and the
/// source.
fn per_10_reference(
    m: &Monograph,
    table: EquivalenceTable,
) -> Option<(f64, bool, Option<SourceId>)> {
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
        if let Some(reference) = kb.reference_drug(EquivalenceScale::DiazepamEquivalent) {
            return through_table(from, to, mg, table, reference.scale);
        }
    }
    if let (Some(a), Some(b)) = (&from.front.mme, &to.front.mme) {
        if let Some(reference) = kb.reference_drug(EquivalenceScale::Mme) {
            return through_factors(kb, from, to, mg, (a, b), reference.scale);
        }
    }
    Err(no_common_scale(kb, from, to))
}

/// Through the reference drug's column of an equivalence table.
fn through_table(
    from: &Monograph,
    to: &Monograph,
    mg: f64,
    table: EquivalenceTable,
    scale: &ReferenceScale,
) -> Result<Equivalence, EquivError> {
    let not_in_table =
        |m: &Monograph| EquivError::NotInTable(m.title().to_string(), scale.label.clone());
    let (from_per, from_uncertain, from_source) =
        per_10_reference(from, table).ok_or_else(|| not_in_table(from))?;
    let (to_per, to_uncertain, to_source) =
        per_10_reference(to, table).ok_or_else(|| not_in_table(to))?;
    let result = mg / from_per * to_per;
    let uncertain = from_uncertain || to_uncertain;
    let mut warnings = scale.warnings.clone();
    for (m, flag) in [(from, from_uncertain), (to, to_uncertain)] {
        if flag {
            let status = m.front.status.map(|s| s.to_string()).unwrap_or_default();
            warnings.push(format!(
                "{} ({status}) has no established clinical equivalence: the figure is inferred; titrate to withdrawal symptoms instead of converting by table",
                m.title()
            ));
        }
    }
    let mut sources: Vec<SourceId> = from_source.into_iter().chain(to_source).collect();
    sources.dedup();
    Ok(Equivalence {
        table: Some(table),
        uncertain,
        warnings,
        sources,
        ..Equivalence::between(from, mg, to, result, scale)
    })
}

/// Through each drug's conversion factor to the reference drug (opioids: MME).
fn through_factors(
    kb: &Kb,
    from: &Monograph,
    to: &Monograph,
    mg: f64,
    (a, b): (&Mme, &Mme),
    scale: &ReferenceScale,
) -> Result<Equivalence, EquivError> {
    if a.unit != DoseUnit::MgPerDay && a.unit != DoseUnit::Mg
        || b.unit != DoseUnit::MgPerDay && b.unit != DoseUnit::Mg
    {
        return Err(no_common_scale(kb, from, to));
    }
    let on_scale = mg * a.factor.get();
    let result = on_scale / b.factor.get();
    let mut sources: Vec<SourceId> = [&a.source, &b.source]
        .into_iter()
        .flatten()
        .map(|s| s.value.clone())
        .collect();
    sources.dedup();
    let mut warnings = vec![format!(
        "{} mg of {} is {} {}",
        format_number(mg),
        from.title().to_lowercase(),
        format_number(round(on_scale)),
        scale.label
    )];
    warnings.extend(scale.warnings.iter().cloned());
    Ok(Equivalence {
        uncertain: true,
        warnings,
        sources,
        ..Equivalence::between(from, mg, to, result, scale)
    })
}

/// No scale holds both drugs; the message lists the scales content names.
fn no_common_scale(kb: &Kb, from: &Monograph, to: &Monograph) -> EquivError {
    let named: Vec<String> = EquivalenceScale::ALL
        .iter()
        .filter_map(|s| kb.reference_drug(*s))
        .map(|r| {
            format!(
                "{} through {}",
                r.class.title().to_lowercase(),
                r.scale.label
            )
        })
        .collect();
    let scales = match named.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "nothing: content names no equivalence scale".to_string(),
    };
    EquivError::NoCommonScale(from.title().to_string(), to.title().to_string(), scales)
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
