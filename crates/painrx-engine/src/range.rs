//! Dose ranges: what daily dose a drug may be given at, for an indication and a kidney
//! function, read from the label tables in content.

use painrx_kb::id::{MonographId, ProductId, SourceId};
use painrx_kb::model::{DoseCell, Hemodialysis, Indication, Regimen, Renal, RenalBand};
use painrx_kb::monograph::Monograph;
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::{DoseUnit, Frequency, Population};
use painrx_kb::Kb;
use serde::Serialize;

/// Kidney function as the caller knows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Kidneys {
    /// Creatinine clearance (Cockcroft–Gault), mL/min.
    pub crcl_ml_min: Option<f64>,
    pub hemodialysis: bool,
}

/// A hemodialysis supplement row that applies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Supplement {
    /// The maintenance daily dose (or range) the row is for.
    pub maintenance_daily_mg: [f64; 2],
    pub supplement_mg: Vec<f64>,
}

/// The highest creatinine clearance a request may give, mL/min: the label tables' whole span.
pub const MAX_CRCL_ML_MIN: f64 = 250.0;

/// The answer of `painrx dose range`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DoseRange {
    pub drug: MonographId,
    pub indication: Option<MonographId>,
    pub product: Option<ProductId>,
    /// "CrCl 30–60 mL/min", "CrCl ≥ 60 mL/min", or null without kidney data.
    pub renal_band: Option<String>,
    pub min_daily_mg: Option<f64>,
    pub max_daily_mg: Option<f64>,
    pub max_single_mg: Option<f64>,
    pub frequencies: Vec<Frequency>,
    /// Supplementary doses after each haemodialysis session.
    pub post_hemodialysis_mg: Vec<f64>,
    pub post_hemodialysis: Vec<Supplement>,
    /// The drug should not be used at this kidney function.
    pub avoid: bool,
    pub notes: Vec<String>,
    pub sources: Vec<SourceId>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RangeError {
    #[error("`{0}` is not a drug")]
    NotADrug(String),
    #[error("{drug} has no regimen for `{indication}`; it has: {known}")]
    NoIndication {
        drug: String,
        indication: String,
        known: String,
    },
    #[error("{drug} has regimens for several indications ({known}): name one with --indication")]
    WhichIndication { drug: String, known: String },
    #[error("creatinine clearance `{0}` mL/min is impossible: give a value from 0 to 250")]
    Crcl(f64),
    #[error(
        "{0} doses by weight or by patch rate, not in mg/day: painrx gives no mg range for it"
    )]
    NotMg(String),
}

/// Compute the daily dose range.
pub fn dose_range(
    kb: &Kb,
    drug: &str,
    product: Option<&str>,
    indication: Option<&str>,
    kidneys: Kidneys,
) -> Result<DoseRange, RangeError> {
    let m = kb
        .get(drug)
        .filter(|m| m.kind() == painrx_kb::vocab::Kind::Drug)
        .ok_or_else(|| RangeError::NotADrug(drug.to_string()))?;
    if let Some(crcl) = kidneys.crcl_ml_min {
        if !(crcl.is_finite() && (0.0..=MAX_CRCL_ML_MIN).contains(&crcl)) {
            return Err(RangeError::Crcl(crcl));
        }
    }
    let chosen = choose_indication(kb, m, product, indication)?;
    let product = product
        .map(str::to_string)
        .or_else(|| chosen.and_then(|i| i.products.first().map(|p| p.value.to_string())))
        .or_else(|| primary_product(m).map(str::to_string));
    let regimen: Option<&Regimen> = chosen.and_then(|i| i.regimen.as_ref().map(|r| &r.value));
    if let Some(r) = regimen {
        if r.unit != DoseUnit::Mg {
            return Err(RangeError::NotMg(m.title().to_string()));
        }
    }
    let mut out = DoseRange {
        drug: m.id().clone(),
        indication: chosen.map(|i| i.condition.value.clone()),
        product: product_id(m, product.as_deref()),
        renal_band: None,
        min_daily_mg: regimen.and_then(|r| r.start_daily.as_ref().map(|a| a.get())),
        max_daily_mg: regimen.and_then(|r| r.max_daily.as_ref().map(|a| a.get())),
        max_single_mg: regimen.and_then(|r| r.max_single.as_ref().map(|a| a.get())),
        frequencies: regimen.map(|r| r.frequencies.clone()).unwrap_or_default(),
        post_hemodialysis_mg: Vec::new(),
        post_hemodialysis: Vec::new(),
        avoid: false,
        notes: Vec::new(),
        sources: regimen
            .and_then(|r| r.source.as_ref().map(|s| s.value.clone()))
            .into_iter()
            .collect(),
    };
    if let Some(notes) = chosen.and_then(|i| i.notes.clone()) {
        out.notes.push(notes);
    }
    // The label's hepatic and older-patient advice travels with every range.
    for (who, fact) in [
        ("liver impairment", &m.front.hepatic),
        ("older patients", &m.front.elderly),
    ] {
        if let Some(f) = fact {
            let advice = f.note.clone().unwrap_or_default();
            out.notes
                .push(format!("{who} ({}): {}", f.adjustment, advice.trim()));
            out.sources
                .extend(f.source.as_ref().map(|s| s.value.clone()));
        }
    }
    let table = renal_table(m, product.as_deref(), out.indication.as_deref());
    let crcl = match (kidneys.crcl_ml_min, kidneys.hemodialysis, table) {
        (Some(c), _, _) => Some(c),
        (None, true, Some(t)) => {
            let lowest = t
                .bands
                .iter()
                .map(|b| b.crcl_min.get())
                .fold(f64::INFINITY, f64::min);
            out.notes.push(
                "on haemodialysis without a CrCl: the lowest band of the label table is used"
                    .into(),
            );
            Some(lowest.max(0.0))
        }
        _ => None,
    };
    let (Some(table), Some(crcl)) = (table, crcl) else {
        if kidneys.crcl_ml_min.is_some() && table.is_none() {
            out.notes.push(format!(
                "{} has no label renal table; the range is the usual one",
                m.title()
            ));
        }
        return Ok(out);
    };
    apply_renal(&mut out, table, crcl, kidneys.hemodialysis, regimen);
    Ok(out)
}

/// The id of the drug's product named `product`, if it has one of that name.
pub(crate) fn product_id(m: &Monograph, product: Option<&str>) -> Option<ProductId> {
    let wanted = product?;
    m.front
        .products
        .iter()
        .find(|p| p.id == wanted)
        .map(|p| p.id.clone())
}

fn primary_product(m: &Monograph) -> Option<&str> {
    m.front
        .products
        .iter()
        .find(|p| p.release == painrx_kb::vocab::Release::Immediate)
        .or_else(|| m.front.products.first())
        .map(|p| p.id.as_str())
}

/// The indication entry to use: the one named (for the product, if given), or the only one.
fn choose_indication<'a>(
    kb: &Kb,
    m: &'a Monograph,
    product: Option<&str>,
    indication: Option<&str>,
) -> Result<Option<&'a Indication>, RangeError> {
    let adult_mg: Vec<&Indication> = m
        .front
        .indications
        .iter()
        .map(|i| &i.value)
        .filter(|i| i.population != Population::Pediatric && i.regimen.is_some())
        .filter(|i| {
            product.is_none_or(|p| i.products.is_empty() || i.products.iter().any(|x| x.value == p))
        })
        .collect();
    let known = || {
        let mut names: Vec<&str> = adult_mg
            .iter()
            .map(|i| i.condition.value.as_str())
            .collect();
        names.dedup();
        names.join(", ")
    };
    match indication {
        Some(wanted) => {
            // A name of the condition, else its id as written.
            let wanted_id: String = kb
                .resolve(wanted)
                .map(|r| r.id.into())
                .unwrap_or_else(|_| wanted.to_string());
            let matching: Vec<&Indication> = adult_mg
                .iter()
                .copied()
                .filter(|i| i.condition.value == wanted_id)
                .collect();
            // Prefer the immediate-release regimen when no product was named.
            let primary = primary_product(m);
            let best = matching
                .iter()
                .copied()
                .find(|i| {
                    product.is_some()
                        || i.products.is_empty()
                        || primary.is_some_and(|p| i.products.iter().any(|x| x.value == p))
                })
                .or_else(|| matching.first().copied());
            match best {
                Some(i) => Ok(Some(i)),
                None => Err(RangeError::NoIndication {
                    drug: m.title().to_string(),
                    indication: wanted.to_string(),
                    known: known(),
                }),
            }
        }
        None => {
            let mut conditions: Vec<&str> = adult_mg
                .iter()
                .map(|i| i.condition.value.as_str())
                .collect();
            conditions.sort_unstable();
            conditions.dedup();
            match conditions.as_slice() {
                [] => Ok(None),
                [_] => Ok(adult_mg.first().copied()),
                _ => Err(RangeError::WhichIndication {
                    drug: m.title().to_string(),
                    known: known(),
                }),
            }
        }
    }
}

/// The renal table for a product and indication.
fn renal_table<'a>(
    m: &'a Monograph,
    product: Option<&str>,
    indication: Option<&str>,
) -> Option<&'a Renal> {
    let fits_product = |r: &&Renal| {
        r.products.is_empty() || product.is_some_and(|p| r.products.iter().any(|x| x.value == p))
    };
    let tables: Vec<&Renal> = m
        .front
        .renal
        .iter()
        .map(|r| &r.value)
        .filter(fits_product)
        .collect();
    tables
        .iter()
        .copied()
        .find(|r| indication.is_some_and(|i| r.indications.iter().any(|x| x.value == i)))
        .or_else(|| tables.iter().copied().find(|r| r.indications.is_empty()))
}

fn band_label(band: &RenalBand) -> String {
    let low = if band.crcl_min_exclusive { ">" } else { "" };
    match band.crcl_max {
        Some(max) if band.crcl_max_inclusive => {
            format!("CrCl {low}{}–{} mL/min", band.crcl_min, max)
        }
        Some(max) => format!("CrCl {low}{}–<{} mL/min", band.crcl_min, max),
        None => format!(
            "CrCl {}{} mL/min",
            if band.crcl_min_exclusive {
                "> "
            } else {
                "≥ "
            },
            band.crcl_min
        ),
    }
}

fn apply_renal(
    out: &mut DoseRange,
    table: &Renal,
    crcl: f64,
    hemodialysis: bool,
    regimen: Option<&Regimen>,
) {
    out.sources
        .extend(table.source.as_ref().map(|s| s.value.clone()));
    let Some(band) = table
        .bands
        .iter()
        .map(|b| &b.value)
        .find(|b| b.contains(crcl))
    else {
        return;
    };
    out.renal_band = Some(band_label(band));
    if let Some(note) = &band.note {
        out.notes.push(note.clone());
    }
    if band.avoid {
        out.avoid = true;
        out.min_daily_mg = None;
        out.max_daily_mg = None;
        out.frequencies = Vec::new();
        return;
    }
    let scale = proportional_scale(out, band, crcl);
    let (min, max) = band_range(table, band, regimen);
    out.min_daily_mg = min.map(|v| v * scale);
    out.max_daily_mg = max.map(|v| v * scale);
    if let (Some(lo), Some(hi)) = (out.min_daily_mg, out.max_daily_mg) {
        if lo > hi {
            out.min_daily_mg = Some(hi);
        }
    }
    restrict_frequencies(out, band);
    if let (Some(single), Some(max)) = (out.max_single_mg, out.max_daily_mg) {
        out.max_single_mg = Some(single.min(max));
    }
    if hemodialysis {
        if let Some(hd) = &table.hemodialysis {
            add_hemodialysis(out, hd);
        }
    }
}

/// Proportional reduction below a CrCl (gabapentin below 15 mL/min): the factor, and a note.
fn proportional_scale(out: &mut DoseRange, band: &RenalBand, crcl: f64) -> f64 {
    match band.proportional_below {
        Some(limit) if crcl < limit.get() && limit.get() > 0.0 => {
            out.notes.push(format!(
                "below CrCl {} mL/min the daily dose is reduced in proportion to CrCl (× {})",
                limit,
                format_number((crcl / limit.get() * 100.0).round() / 100.0)
            ));
            crcl / limit.get()
        }
        _ => 1.0,
    }
}

/// The band's daily range for the regimen: the regimen's start and maximum mapped onto the
/// table's dose columns, else the band's own range (capped by the regimen's maximum).
fn band_range(
    table: &Renal,
    band: &RenalBand,
    regimen: Option<&Regimen>,
) -> (Option<f64>, Option<f64>) {
    let normal = table
        .bands
        .iter()
        .map(|b| &b.value)
        .find(|b| b.crcl_max.is_none());
    let column = |dose: Option<f64>| -> Option<DoseCell> {
        let (normal, dose) = (normal?, dose?);
        if normal.doses.is_empty() || band.doses.is_empty() {
            return None;
        }
        // The column of the normal band whose dose is the largest not above `dose`.
        let index = normal
            .doses
            .iter()
            .enumerate()
            .filter(|(_, c)| c.high().get() <= dose + 1e-9)
            .max_by(|a, b| a.1.high().get().total_cmp(&b.1.high().get()))
            .map(|(i, _)| i)
            .unwrap_or(0);
        band.doses.get(index).copied()
    };
    let regimen_min = regimen.and_then(|r| r.start_daily.as_ref().map(|a| a.get()));
    let regimen_max = regimen.and_then(|r| r.max_daily.as_ref().map(|a| a.get()));
    match (column(regimen_min), column(regimen_max)) {
        (Some(lo), Some(hi)) => (Some(lo.low().get()), Some(hi.high().get())),
        _ => {
            let band_max = band.max_daily.map(|a| a.get());
            let max = match (regimen_max, band_max) {
                (Some(r), Some(b)) => Some(r.min(b)),
                (r, b) => r.or(b),
            };
            (band.min_daily.map(|a| a.get()), max)
        }
    }
}

/// Keep the regimen's frequencies the band allows; the band's own when it allows none of them.
fn restrict_frequencies(out: &mut DoseRange, band: &RenalBand) {
    let allowed: Vec<Frequency> = out
        .frequencies
        .iter()
        .copied()
        .filter(|f| band.frequencies.contains(f))
        .collect();
    if allowed.is_empty() && !band.frequencies.is_empty() {
        if !out.frequencies.is_empty() {
            out.notes.push(format!(
                "the renal table allows only {} at this kidney function",
                band.frequencies
                    .iter()
                    .map(|f| f.describe())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        out.frequencies = band.frequencies.clone();
    } else if !allowed.is_empty() {
        out.frequencies = allowed;
    }
}

/// The haemodialysis advice, and the supplement rows that overlap the range.
fn add_hemodialysis(out: &mut DoseRange, hd: &Hemodialysis) {
    if hd.avoid {
        out.avoid = true;
    }
    if let Some(note) = &hd.note {
        out.notes.push(note.clone());
    }
    let rows: Vec<Supplement> = hd
        .supplements
        .iter()
        .filter(|row| {
            let (low, high) = (
                row.maintenance_daily.low().get(),
                row.maintenance_daily.high().get(),
            );
            out.min_daily_mg.is_none_or(|lo| high >= lo - 1e-9)
                && out.max_daily_mg.is_none_or(|hi| low <= hi + 1e-9)
        })
        .map(|row| Supplement {
            maintenance_daily_mg: [
                row.maintenance_daily.low().get(),
                row.maintenance_daily.high().get(),
            ],
            supplement_mg: row.supplement_mg.iter().map(|a| a.get()).collect(),
        })
        .collect();
    let mut flat: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.supplement_mg.iter().copied())
        .collect();
    flat.sort_by(f64::total_cmp);
    flat.dedup();
    out.post_hemodialysis_mg = flat;
    out.post_hemodialysis = rows;
}
