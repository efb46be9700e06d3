//! Side-by-side comparison of drugs, every cell computed from structured front-matter facts and
//! carrying the citations it was computed from.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::id::{MonographId, SourceId};
use crate::model::{FractionParam, Indication, Param, SourceRef};
use crate::monograph::Monograph;
use crate::quantity::format_number;
use crate::vocab::{DoseUnit, EffectFrequency, Frequency, Kind, LabelStatus};
use crate::Kb;

/// One attribute across the drugs compared.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub attribute: String,
    /// One cell per drug, in column order ("—" where content has no fact).
    pub values: Vec<String>,
    /// Citations behind the cells of this row.
    pub sources: Vec<SourceId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Canonical ids, in column order.
    pub drugs: Vec<MonographId>,
    /// Display titles, in column order.
    pub titles: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("compare needs at least two drugs")]
    TooFew,
    #[error("`{0}` is a {1}, not a drug: compare works on drugs")]
    NotADrug(String, Kind),
    #[error("unknown monograph id `{0}`")]
    Unknown(String),
}

/// What one cell says and which citations it rests on.
struct Cell {
    text: String,
    sources: Vec<SourceId>,
}

impl Cell {
    fn missing() -> Cell {
        Cell {
            text: "—".into(),
            sources: Vec::new(),
        }
    }
    fn new(text: String, sources: Vec<&SourceRef>) -> Cell {
        Cell {
            text,
            sources: sources.into_iter().map(|s| s.value.clone()).collect(),
        }
    }
}

type Extractor = fn(&Kb, &Monograph) -> Cell;

const ATTRIBUTES: &[(&str, Extractor)] = &[
    ("Dosing frequency", dosing_frequency),
    ("Absorption", absorption),
    ("Bioavailability", bioavailability),
    ("Time to peak", time_to_peak),
    ("Half-life", half_life),
    ("Elimination", elimination),
    ("Maximum daily dose", maximum_dose),
    ("Time to effect", time_to_effect),
    ("Common side effects", common_side_effects),
    ("Approved indications", approved_indications),
    ("Renal adjustment", renal_adjustment),
    ("Relative cost", relative_cost),
    ("Controlled substance", controlled),
];

/// Compare drugs by id.
pub fn compare(kb: &Kb, ids: &[&str]) -> Result<Comparison, CompareError> {
    if ids.len() < 2 {
        return Err(CompareError::TooFew);
    }
    let mut monographs = Vec::new();
    for id in ids {
        let m = kb
            .get(id)
            .ok_or_else(|| CompareError::Unknown((*id).to_string()))?;
        if m.kind() != Kind::Drug {
            return Err(CompareError::NotADrug(m.title().to_string(), m.kind()));
        }
        monographs.push(m);
    }
    let rows = ATTRIBUTES
        .iter()
        .map(|(attribute, extract)| {
            let cells: Vec<Cell> = monographs.iter().map(|m| extract(kb, m)).collect();
            let sources: BTreeSet<SourceId> =
                cells.iter().flat_map(|c| c.sources.clone()).collect();
            Row {
                attribute: (*attribute).to_string(),
                values: cells.into_iter().map(|c| c.text).collect(),
                sources: sources.into_iter().collect(),
            }
        })
        .collect();
    Ok(Comparison {
        drugs: monographs.iter().map(|m| m.id().clone()).collect(),
        titles: monographs.iter().map(|m| m.title().to_string()).collect(),
        rows,
    })
}

/// The product a comparison speaks of first: the first immediate-release product.
fn primary_product(m: &Monograph) -> Option<&str> {
    m.front
        .products
        .iter()
        .find(|p| p.release == crate::vocab::Release::Immediate)
        .or_else(|| m.front.products.first())
        .map(|p| p.id.as_str())
}

/// Indications whose regimen applies to `product` (or to every product).
fn indications_for<'a>(m: &'a Monograph, product: Option<&str>) -> Vec<&'a Indication> {
    m.front
        .indications
        .iter()
        .map(|i| &i.value)
        .filter(|i| {
            i.products.is_empty()
                || product.is_some_and(|p| i.products.iter().any(|x| x.value == p))
        })
        .collect()
}

fn frequency_words(set: &BTreeSet<Frequency>) -> String {
    set.iter()
        .map(|f| format!("{} ({f})", f.describe()))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn dosing_frequency(_: &Kb, m: &Monograph) -> Cell {
    let primary = primary_product(m);
    let mut parts = Vec::new();
    let mut sources = Vec::new();
    let mut main = BTreeSet::new();
    for i in indications_for(m, primary) {
        if let Some(r) = &i.regimen {
            main.extend(r.frequencies.iter().copied());
            sources.extend(r.source.as_ref());
        }
    }
    if main.is_empty() {
        return Cell::missing();
    }
    parts.push(frequency_words(&main));
    for product in &m.front.products {
        if Some(product.id.as_str()) == primary {
            continue;
        }
        let mut set = BTreeSet::new();
        for i in m
            .front
            .indications
            .iter()
            .filter(|i| i.products.iter().any(|p| p.value == product.id))
        {
            if let Some(r) = &i.regimen {
                set.extend(r.frequencies.iter().copied());
                sources.extend(r.source.as_ref());
            }
        }
        if !set.is_empty() && set != main {
            parts.push(format!("{}: {}", product.name, frequency_words(&set)));
        }
    }
    Cell::new(parts.join("; "), sources)
}

fn absorption(_: &Kb, m: &Monograph) -> Cell {
    let Some(pk) = &m.front.pk else {
        return Cell::missing();
    };
    if let Some(a) = &pk.absorption {
        return Cell::new(a.note.clone(), a.source.iter().collect());
    }
    if pk.bioavailability_by_daily_dose.len() >= 2 {
        return Cell::new(
            "saturable: the fraction absorbed falls as the dose rises".into(),
            pk.bioavailability_by_daily_dose_source.iter().collect(),
        );
    }
    Cell::missing()
}

fn percent(fraction: f64) -> String {
    format!(
        "{}%",
        format_number((fraction * 100.0 * 10.0).round() / 10.0)
    )
}

fn fraction_text(p: &FractionParam) -> Option<String> {
    match (p.value, p.min, p.max) {
        (Some(v), _, _) => Some(percent(v.get())),
        (None, Some(lo), Some(hi)) => Some(format!("{}–{}", percent(lo.get()), percent(hi.get()))),
        _ => None,
    }
}

fn param_text(p: &Param, unit: &str) -> Option<String> {
    match (p.value, p.min, p.max) {
        (Some(v), _, _) => Some(format!("{v} {unit}")),
        (None, Some(lo), Some(hi)) => Some(format!("{lo}–{hi} {unit}")),
        _ => p.note.clone(),
    }
}

fn bioavailability(_: &Kb, m: &Monograph) -> Cell {
    let Some(pk) = &m.front.pk else {
        return Cell::missing();
    };
    let table = &pk.bioavailability_by_daily_dose;
    if let (Some(first), Some(last)) = (table.first(), table.last()) {
        if table.len() >= 2 {
            return Cell::new(
                format!(
                    "dose-dependent: {} at {} mg/day, {} at {} mg/day",
                    percent(first.fraction.get()),
                    first.daily,
                    percent(last.fraction.get()),
                    last.daily
                ),
                pk.bioavailability_by_daily_dose_source.iter().collect(),
            );
        }
    }
    match &pk.bioavailability {
        Some(b) => match fraction_text(b) {
            Some(text) => Cell::new(
                format!("{text}, independent of dose"),
                b.source.iter().collect(),
            ),
            None => Cell::missing(),
        },
        None => Cell::missing(),
    }
}

fn time_to_peak(_: &Kb, m: &Monograph) -> Cell {
    let Some(p) = m.front.pk.as_ref().and_then(|pk| pk.tmax_h.as_ref()) else {
        return Cell::missing();
    };
    param_text(p, "h").map_or_else(Cell::missing, |t| Cell::new(t, p.source.iter().collect()))
}

fn half_life(_: &Kb, m: &Monograph) -> Cell {
    let Some(p) = m.front.pk.as_ref().and_then(|pk| pk.half_life_h.as_ref()) else {
        return Cell::missing();
    };
    param_text(p, "h").map_or_else(Cell::missing, |t| Cell::new(t, p.source.iter().collect()))
}

fn elimination(_: &Kb, m: &Monograph) -> Cell {
    let Some(pk) = &m.front.pk else {
        return Cell::missing();
    };
    let mut parts = Vec::new();
    let mut sources = Vec::new();
    if let Some(e) = &pk.elimination {
        parts.push(e.route.to_string());
        sources.extend(e.source.as_ref());
    }
    if let Some(f) = &pk.fraction_excreted_unchanged {
        if let Some(text) = fraction_text(f) {
            parts.push(format!("{text} excreted unchanged"));
            sources.extend(f.source.as_ref());
        }
    }
    if parts.is_empty() {
        Cell::missing()
    } else {
        Cell::new(parts.join(", "), sources)
    }
}

fn condition_title(kb: &Kb, id: &str) -> String {
    kb.get(id)
        .map(|m| m.title().to_string())
        .unwrap_or_else(|| id.to_string())
}

fn maximum_dose(kb: &Kb, m: &Monograph) -> Cell {
    let primary = primary_product(m);
    let mut by_max: Vec<(f64, Vec<String>)> = Vec::new();
    let mut sources = Vec::new();
    // Adult regimens in plain milligrams; weight-based and pediatric dosing are not comparable.
    let adult = |i: &&Indication| i.population != crate::vocab::Population::Pediatric;
    let regimens: Vec<(&Indication, &crate::model::Regimen)> = indications_for(m, primary)
        .into_iter()
        .filter(adult)
        .filter_map(|i| i.regimen.as_ref().map(|r| (i, &r.value)))
        .collect();
    let unit = if regimens.iter().any(|(_, r)| r.unit == DoseUnit::Mg) {
        DoseUnit::Mg
    } else {
        regimens
            .first()
            .map(|(_, r)| r.unit)
            .unwrap_or(DoseUnit::Mg)
    };
    for (i, r) in regimens.into_iter().filter(|(_, r)| r.unit == unit) {
        let Some(max) = &r.max_daily else { continue };
        sources.extend(r.source.as_ref());
        let name = condition_title(kb, &i.condition);
        match by_max
            .iter_mut()
            .find(|(v, _)| (*v - max.get()).abs() < 1e-9)
        {
            Some((_, names)) => {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            None => by_max.push((max.get(), vec![name])),
        }
    }
    if by_max.is_empty() {
        return Cell::missing();
    }
    by_max.sort_by(|a, b| b.0.total_cmp(&a.0));
    let per_day = if unit == DoseUnit::Mg { "/day" } else { "" };
    let text = by_max
        .iter()
        .map(|(v, names)| {
            format!(
                "{} {}{per_day} ({})",
                format_number(*v),
                unit.symbol(),
                names.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Cell::new(text, sources)
}

fn time_to_effect(_: &Kb, m: &Monograph) -> Cell {
    let mut low: Option<f64> = None;
    let mut high: Option<f64> = None;
    let mut sources = Vec::new();
    for i in &m.front.indications {
        if let Some(t) = i
            .regimen
            .as_ref()
            .and_then(|r| r.time_to_effect.as_ref().map(|t| (t, r.source.as_ref())))
        {
            low = Some(low.map_or(t.0.min_days.get(), |l: f64| l.min(t.0.min_days.get())));
            high = Some(high.map_or(t.0.max_days.get(), |h: f64| h.max(t.0.max_days.get())));
            sources.extend(t.1);
        }
    }
    match (low, high) {
        (Some(lo), Some(hi)) => Cell::new(
            format!("{}–{} days", format_number(lo), format_number(hi)),
            sources,
        ),
        _ => Cell::missing(),
    }
}

fn common_side_effects(_: &Kb, m: &Monograph) -> Cell {
    let common: Vec<_> = m
        .front
        .side_effects
        .iter()
        .filter(|s| {
            matches!(
                s.frequency,
                EffectFrequency::VeryCommon | EffectFrequency::Common
            ) && !s.serious
                && !s.long_term
        })
        .collect();
    if common.is_empty() {
        return Cell::missing();
    }
    Cell::new(
        common
            .iter()
            .map(|s| s.effect.clone())
            .collect::<Vec<_>>()
            .join(", "),
        common.iter().filter_map(|s| s.source.as_ref()).collect(),
    )
}

fn approved_indications(kb: &Kb, m: &Monograph) -> Cell {
    let mut names: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut sources = Vec::new();
    for i in m
        .front
        .indications
        .iter()
        .filter(|i| i.status == LabelStatus::Approved)
    {
        let name = condition_title(kb, &i.condition);
        let regulators: BTreeSet<String> = i.regulators.iter().map(|r| r.to_string()).collect();
        match names.iter_mut().find(|(n, _)| *n == name) {
            Some((_, set)) => set.extend(regulators),
            None => names.push((name, regulators)),
        }
        sources.extend(
            i.regimen
                .as_ref()
                .and_then(|r| r.source.as_ref())
                .or(i.source.as_ref()),
        );
    }
    if names.is_empty() {
        return Cell::new("none (off-label use only)".into(), sources);
    }
    let text = names
        .iter()
        .map(|(n, regs)| {
            if regs.is_empty() {
                n.clone()
            } else {
                format!(
                    "{n} ({})",
                    regs.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    Cell::new(text, sources)
}

fn renal_adjustment(_: &Kb, m: &Monograph) -> Cell {
    let primary = primary_product(m);
    let table = m.front.renal.iter().find(|r| {
        r.products.is_empty() || primary.is_some_and(|p| r.products.iter().any(|x| x.value == p))
    });
    let Some(renal) = table else {
        return Cell::new("no label renal table".into(), Vec::new());
    };
    let mut text = format!("{} CrCl bands", renal.bands.len());
    // The open-ended band is the normal dose; below its lower edge the label reduces.
    if let Some(normal) = renal.bands.iter().find(|b| b.crcl_max.is_none()) {
        text.push_str(&format!("; reduce below {} mL/min", normal.crcl_min));
    }
    if renal
        .hemodialysis
        .as_ref()
        .is_some_and(|h| !h.supplements.is_empty())
    {
        text.push_str("; supplement after haemodialysis");
    }
    Cell::new(text, renal.source.iter().collect())
}

fn relative_cost(_: &Kb, m: &Monograph) -> Cell {
    match &m.front.cost {
        Some(c) => {
            let text = match &c.note {
                Some(note) => format!("{} — {note}", c.relative),
                None => c.relative.to_string(),
            };
            Cell::new(text, c.source.iter().collect())
        }
        None => Cell::missing(),
    }
}

fn controlled(_: &Kb, m: &Monograph) -> Cell {
    match &m.front.controlled {
        Some(c) => {
            let mut parts = Vec::new();
            if let Some(us) = &c.us {
                parts.push(format!("US {us}"));
            }
            if let Some(uk) = &c.uk {
                parts.push(format!("UK {uk}"));
            }
            Cell::new(parts.join("; "), c.source.iter().collect())
        }
        None => Cell::new("no".into(), Vec::new()),
    }
}
