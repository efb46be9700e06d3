//! Titration, taper and switch plans: day-by-day steps made of doses that can really be given,
//! computed (not searched) from the regimens, renal tables and taper policies in content. Every
//! step says which rule shaped it and on which source.

use painrx_kb::model::{Regimen, TaperPolicy, TaperSpeed};
use painrx_kb::monograph::Monograph;
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::{Frequency, Kind, SwitchMethod, TaperBasis};
use painrx_kb::Kb;
use serde::Serialize;

use crate::range::{dose_range, Kidneys, RangeError};
use crate::time::ClockTime;
use crate::units::{Formulary, Unit};

/// Days a final (maintenance) step is written out for.
pub const MAINTENANCE_DAYS: u32 = 14;

/// One administration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduledDose {
    /// Drug id; set in switch plans, where two drugs appear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drug: Option<String>,
    /// "08:00" on the wire.
    pub time: ClockTime,
    pub mg: f64,
    pub units: Vec<Unit>,
}

/// Days `start_day..=end_day` on one daily dose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub start_day: u32,
    pub end_day: u32,
    pub daily_mg: f64,
    pub frequency: Option<Frequency>,
    pub doses: Vec<ScheduledDose>,
    /// The rule that set this step, in words.
    pub rule: String,
    pub source: Option<String>,
}

/// A titration or taper plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub drug: String,
    pub indication: Option<String>,
    pub product: Option<String>,
    pub steps: Vec<Step>,
    pub target_daily_mg: f64,
    pub max_daily_mg: Option<f64>,
    /// What the whole plan needs: total units per strength and product.
    pub dispense: Vec<Unit>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

/// A switch from one drug to another.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SwitchPlan {
    pub from_drug: String,
    pub to_drug: String,
    pub from_daily_mg: f64,
    pub target_daily_mg: f64,
    pub method: SwitchMethod,
    pub steps: Vec<Step>,
    pub dispense: Vec<Unit>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("`{0}` is not a drug")]
    NotADrug(String),
    #[error("{0} has no titration regimen for this indication in content")]
    NoRegimen(String),
    #[error("target {target} mg/day is above the maximum of {max} mg/day{why}")]
    TargetTooHigh {
        target: String,
        max: String,
        why: String,
    },
    #[error("target `{0}` mg/day is impossible: give a positive dose")]
    BadTarget(f64),
    #[error("{0} is not to be used at this kidney function")]
    Avoid(String),
    #[error("no product of {0} can make {1} mg")]
    Unmakeable(String, String),
    #[error("{0} has no taper rule in content (neither the drug nor its classes)")]
    NoTaperRule(String),
    #[error("the current dose needs a frequency such as `300 mg TID`")]
    NoFrequency,
    #[error("a taper percent must be above 0 and at most 50, and an interval at least 1 day")]
    BadCustomTaper,
    #[error("the strengths of {drug} that exist cannot cut {dose} mg within the taper limit; use a liquid formulation, or taper via diazepam (`--via diazepam`)")]
    TooCoarse { drug: String, dose: String },
    #[error("{0} has no diazepam route in its taper rule")]
    NoDiazepamRoute(String),
    #[error("no diazepam equivalent: {0}")]
    Equivalence(String),
    #[error("no published conversion from {0} to {1} in content")]
    NoConversion(String, String),
}

const fn at(hour: u32) -> ClockTime {
    ClockTime::on_the_hour(hour)
}
const H00: ClockTime = at(0);
const H02: ClockTime = at(2);
const H06: ClockTime = at(6);
const H08: ClockTime = at(8);
const H10: ClockTime = at(10);
const H12: ClockTime = at(12);
const H14: ClockTime = at(14);
const H16: ClockTime = at(16);
const H18: ClockTime = at(18);
const H20: ClockTime = at(20);
const H22: ClockTime = at(22);

/// Clock times for each dose of a frequency.
pub fn times(frequency: Frequency) -> &'static [ClockTime] {
    match frequency {
        Frequency::Qd
        | Frequency::Qod
        | Frequency::Weekly
        | Frequency::Q72h
        | Frequency::Once
        | Frequency::Q3months => &[H08],
        Frequency::Qhs => &[H22],
        Frequency::Bid => &[H08, H20],
        Frequency::Q12h => &[H08, H20],
        Frequency::Tid => &[H08, H14, H20],
        Frequency::Q8h => &[H06, H14, H22],
        Frequency::Qid => &[H08, H12, H16, H20],
        Frequency::Q6h => &[H00, H06, H12, H18],
        Frequency::Q4h => &[H02, H06, H10, H14, H18, H22],
        Frequency::Prn | Frequency::Continuous => &[],
    }
}

fn drug<'a>(kb: &'a Kb, id: &str) -> Result<&'a Monograph, PlanError> {
    kb.get(id)
        .filter(|m| m.kind() == Kind::Drug)
        .ok_or_else(|| PlanError::NotADrug(id.to_string()))
}

/// Make the doses of one day: split the daily dose over the frequency's times.
fn doses(
    formulary: &Formulary,
    daily: f64,
    frequency: Frequency,
    drug: Option<&str>,
) -> Option<Vec<ScheduledDose>> {
    if daily <= 0.0 {
        return Some(Vec::new());
    }
    let clock = times(frequency);
    let split = formulary.split(daily, clock.len())?;
    if split.iter().any(|(mg, _)| *mg <= 0.0) {
        return None;
    }
    Some(
        clock
            .iter()
            .zip(split)
            .map(|(time, (mg, units))| ScheduledDose {
                drug: drug.map(str::to_string),
                time: *time,
                mg,
                units,
            })
            .collect(),
    )
}

/// Frequencies to fall back to, fewest doses last.
fn fewer(frequency: Frequency) -> Vec<Frequency> {
    let order = [
        Frequency::Qid,
        Frequency::Tid,
        Frequency::Bid,
        Frequency::Qd,
    ];
    match order.iter().position(|f| *f == frequency) {
        Some(i) => order.iter().skip(i).copied().collect(),
        None => vec![frequency, Frequency::Qd],
    }
}

/// Doses for a daily amount at the wanted frequency, or at fewer doses a day when the units
/// cannot split it.
fn doses_fitting(
    formulary: &Formulary,
    daily: f64,
    frequency: Frequency,
    allowed: &[Frequency],
    drug: Option<&str>,
) -> Option<(Frequency, Vec<ScheduledDose>)> {
    for f in fewer(frequency) {
        if !allowed.is_empty() && !allowed.contains(&f) && f != frequency {
            continue;
        }
        if let Some(d) = doses(formulary, daily, f, drug) {
            return Some((f, d));
        }
    }
    None
}

fn dispense(steps: &[Step]) -> Vec<Unit> {
    let mut total: Vec<Unit> = Vec::new();
    for step in steps {
        let days = f64::from(step.end_day.saturating_sub(step.start_day) + 1);
        for dose in &step.doses {
            for unit in &dose.units {
                match total
                    .iter_mut()
                    .find(|t| t.product == unit.product && t.strength_mg == unit.strength_mg)
                {
                    Some(t) => t.count += unit.count * days,
                    None => total.push(Unit {
                        count: unit.count * days,
                        ..unit.clone()
                    }),
                }
            }
        }
    }
    for unit in &mut total {
        unit.count = (unit.count * 100.0).round() / 100.0;
    }
    total.sort_by(|a, b| {
        a.product
            .cmp(&b.product)
            .then(b.strength_mg.total_cmp(&a.strength_mg))
    });
    total
}

/// Keep the first of each repeated citation, in order.
fn unique(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn mg(value: f64) -> String {
    format!("{} mg", format_number(value))
}

/// Options of a titration.
#[derive(Clone, Debug, Default)]
pub struct TitrateOptions<'a> {
    pub product: Option<&'a str>,
    pub indication: Option<&'a str>,
    pub kidneys: Kidneys,
    pub age: Option<f64>,
    pub target_daily_mg: Option<f64>,
}

/// Build a titration plan from the indication's regimen, capped by the renal band.
pub fn titrate(kb: &Kb, drug_id: &str, options: &TitrateOptions<'_>) -> Result<Plan, PlanError> {
    let m = drug(kb, drug_id)?;
    let range = dose_range(
        kb,
        drug_id,
        options.product,
        options.indication,
        options.kidneys,
    )?;
    if range.avoid {
        return Err(PlanError::Avoid(m.title().to_string()));
    }
    let indication = range.indication.clone();
    let regimen: &Regimen =
        m.front
            .indications
            .iter()
            .filter(|i| Some(&i.condition.value) == indication.as_ref())
            .filter(|i| {
                range.product.as_ref().is_none_or(|p| {
                    i.products.is_empty() || i.products.iter().any(|x| &x.value == p)
                })
            })
            .find_map(|i| i.regimen.as_ref().map(|r| &r.value))
            .ok_or_else(|| PlanError::NoRegimen(m.title().to_string()))?;
    let formulary = Formulary::for_product(m, range.product.as_deref());
    let regimen_source = regimen.source.as_ref().map(|s| s.value.clone());
    let mut sources: Vec<String> = range.sources.clone();
    let mut notes = range.notes.clone();
    let mut warnings = Vec::new();

    // The ceiling: label maximum, renal maximum.
    let label_max = regimen.max_daily.as_ref().map(|a| a.get());
    let renal_max = range.max_daily_mg;
    let mut cap = match (label_max, renal_max) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(f64::INFINITY),
    };
    // Older patients: a lower, slower start where content gives one.
    let elderly = options.age.and_then(|age| {
        regimen
            .elderly
            .as_ref()
            .filter(|e| age >= e.from_age.get())
            .map(|e| &e.value)
    });
    if let Some(e) = elderly {
        if let Some(max) = e.max_daily {
            cap = cap.min(max.get());
        }
        sources.extend(e.source.as_ref().map(|s| s.value.clone()));
        notes.extend(e.note.clone());
    }
    let target = match options.target_daily_mg {
        Some(t) if !(t.is_finite() && t > 0.0) => return Err(PlanError::BadTarget(t)),
        Some(t) if t > cap + 1e-9 => {
            let why = match (renal_max, label_max) {
                (Some(r), _) if (r - cap).abs() < 1e-9 => format!(
                    " at this kidney function ({})",
                    range.renal_band.clone().unwrap_or_default()
                ),
                _ => " in the label for this indication".to_string(),
            };
            return Err(PlanError::TargetTooHigh {
                target: format_number(t),
                max: format_number(cap),
                why,
            });
        }
        Some(t) => t,
        None => regimen
            .target_daily
            .as_ref()
            .map(|a| a.get())
            .unwrap_or(cap)
            .min(cap),
    };
    if !target.is_finite() {
        return Err(PlanError::NoRegimen(m.title().to_string()));
    }
    // Only the renal band restricts frequencies; a label step may always use fewer doses a day.
    let allowed: Vec<Frequency> = if range.renal_band.is_some() {
        range.frequencies.clone()
    } else {
        Vec::new()
    };
    let most_per_day = allowed
        .iter()
        .filter_map(|f| f.doses_per_day())
        .fold(0.0, f64::max);
    let permitted = |f: Frequency| {
        allowed.is_empty()
            || allowed.contains(&f)
            || f.doses_per_day().is_some_and(|n| n <= most_per_day)
    };
    let default_frequency = regimen
        .frequencies
        .iter()
        .copied()
        .find(|f| allowed.is_empty() || allowed.contains(f))
        .or_else(|| allowed.first().copied())
        .unwrap_or(Frequency::Qd);

    // The sequence of (start day, daily, frequency, rule, source).
    let mut plan: Vec<(u32, f64, Frequency, String, Option<String>)> = Vec::new();
    let push = |plan: &mut Vec<(u32, f64, Frequency, String, Option<String>)>,
                day: u32,
                daily: f64,
                f: Frequency,
                rule: String,
                source: Option<String>| {
        let daily = daily.min(target);
        if plan
            .last()
            .is_some_and(|(_, d, _, _, _)| *d >= daily - 1e-9)
        {
            return false;
        }
        plan.push((day, daily, f, rule, source));
        true
    };
    let increment = match elderly {
        Some(e) => {
            push(
                &mut plan,
                1,
                e.start_daily.get(),
                default_frequency,
                format!("older-patient start ({})", mg(e.start_daily.get())),
                e.source.as_ref().map(|s| s.value.clone()),
            );
            e.increment.as_ref().or(regimen.increment.as_ref())
        }
        None => {
            if regimen.steps.is_empty() {
                let start = regimen
                    .start_daily
                    .as_ref()
                    .map(|a| a.get())
                    .unwrap_or(target);
                push(
                    &mut plan,
                    1,
                    start,
                    default_frequency,
                    format!("label start, {}", mg(start)),
                    regimen_source.clone(),
                );
            }
            for step in &regimen.steps {
                let day = step.day.get().round() as u32;
                let f = if permitted(step.frequency) {
                    step.frequency
                } else {
                    default_frequency
                };
                let rule = if step.daily.get() > target {
                    format!("label step capped at the target {}", mg(target))
                } else {
                    format!("label titration step, day {day}")
                };
                if !push(
                    &mut plan,
                    day,
                    step.daily.get(),
                    f,
                    rule,
                    regimen_source.clone(),
                ) && step.daily.get() >= target
                {
                    break;
                }
            }
            regimen.increment.as_ref()
        }
    };
    // Upward to the target.
    let mut guard = 0;
    while plan
        .last()
        .is_some_and(|(_, d, _, _, _)| *d < target - 1e-9)
        && guard < 200
    {
        guard += 1;
        let Some((day, daily, _, _, _)) = plan.last().cloned() else {
            break;
        };
        let (step, every, source) = match increment {
            Some(inc) => (
                inc.daily.get(),
                inc.every_days.get().round().max(1.0) as u32,
                inc.source
                    .as_ref()
                    .or(regimen.source.as_ref())
                    .map(|s| s.value.clone()),
            ),
            None => (target - daily, 7, regimen_source.clone()),
        };
        let next = (daily + step).min(target);
        let rule = if next >= target - 1e-9 {
            format!("up to the target {}", mg(target))
        } else {
            format!("increase by {} every {every} days", mg(step))
        };
        push(
            &mut plan,
            day + every,
            next,
            default_frequency,
            rule,
            source,
        );
    }
    // Make each step of real units; round down (never up) where units cannot make the dose.
    let mut steps: Vec<Step> = Vec::new();
    for (i, (day, daily, frequency, rule, source)) in plan.iter().enumerate() {
        let end_day = plan
            .get(i + 1)
            .map(|(next, ..)| next - 1)
            .unwrap_or(day + MAINTENANCE_DAYS - 1);
        let mut daily = *daily;
        let mut rule = rule.clone();
        if formulary.solid(daily).is_none() {
            // Never round up past a limit: whole units below, else a measurable liquid volume below.
            let down = formulary
                .solid_down(daily)
                .filter(|d| *d >= daily * 0.9 || !formulary.has_liquid())
                .or_else(|| formulary.round_down(daily))
                .ok_or_else(|| {
                    PlanError::Unmakeable(m.title().to_string(), format_number(daily))
                })?;
            if down <= 0.0 {
                return Err(PlanError::Unmakeable(
                    m.title().to_string(),
                    format_number(daily),
                ));
            }
            rule.push_str(&format!(
                "; rounded down to {} to match the strengths that exist",
                mg(down)
            ));
            daily = down;
        }
        let (frequency, day_doses) = doses_fitting(&formulary, daily, *frequency, &allowed, None)
            .ok_or_else(|| {
            PlanError::Unmakeable(m.title().to_string(), format_number(daily))
        })?;
        steps.push(Step {
            start_day: *day,
            end_day,
            daily_mg: daily,
            frequency: Some(frequency),
            doses: day_doses,
            rule,
            source: source.clone(),
        });
    }
    if let Some(last) = steps.last() {
        if renal_max
            .is_some_and(|r| (r - last.daily_mg).abs() < 1e-9 && label_max.is_some_and(|l| l > r))
        {
            warnings.push(format!(
                "the dose is held at {} by the renal table",
                mg(last.daily_mg)
            ));
        }
    }
    sources.extend(regimen_source);
    sources.extend(steps.iter().filter_map(|s| s.source.clone()));
    let sources = unique(sources);
    Ok(Plan {
        drug: m.id().to_string(),
        indication,
        product: range.product,
        dispense: dispense(&steps),
        target_daily_mg: steps.last().map(|s| s.daily_mg).unwrap_or(target),
        max_daily_mg: if cap.is_finite() { Some(cap) } else { None },
        steps,
        warnings,
        notes,
        sources,
    })
}

/// How fast to taper.
#[derive(Clone, Debug, PartialEq)]
pub enum TaperPace {
    Slow,
    Standard,
    Fast,
    /// `percent` of the current dose every `interval_days`.
    Custom {
        percent: f64,
        interval_days: u32,
    },
}

/// The taper rule for a drug: its own, else the first class (including parents) that has one.
pub fn taper_policy<'a>(kb: &'a Kb, m: &'a Monograph) -> Option<(&'a TaperPolicy, String)> {
    if let Some(t) = &m.front.taper {
        return Some((&t.value, m.id().to_string()));
    }
    let mut classes: Vec<&str> = m.front.classes.iter().map(|c| c.value.as_str()).collect();
    classes.extend(kb.classes_of(m.id()));
    classes.into_iter().find_map(|c| {
        kb.get(c).and_then(|x| {
            x.front
                .taper
                .as_ref()
                .map(|t| (&t.value, x.id().to_string()))
        })
    })
}

/// Days a benzodiazepine is moved across to diazepam in each of two steps (half, then whole).
pub const CROSSOVER_DAYS: u32 = 7;

/// Taper a benzodiazepine by first moving it across to diazepam equivalents (Ashton), then
/// tapering diazepam, whose strengths and liquid allow small steps.
pub fn taper_via_diazepam(
    kb: &Kb,
    drug_id: &str,
    product: Option<&str>,
    per_dose_mg: f64,
    frequency: Option<Frequency>,
    pace: &TaperPace,
) -> Result<Plan, PlanError> {
    let m = drug(kb, drug_id)?;
    let frequency = frequency.ok_or(PlanError::NoFrequency)?;
    let initial = per_dose_mg * frequency.doses_per_day().ok_or(PlanError::NoFrequency)?;
    let (policy, _) =
        taper_policy(kb, m).ok_or_else(|| PlanError::NoTaperRule(m.title().to_string()))?;
    if !policy.via_diazepam {
        return Err(PlanError::NoDiazepamRoute(m.title().to_string()));
    }
    if m.id() == "diazepam" {
        return taper(kb, drug_id, product, per_dose_mg, Some(frequency), pace);
    }
    let diazepam = drug(kb, "diazepam")?;
    let eq = crate::equiv::equivalent(
        kb,
        m.id(),
        initial,
        "diazepam",
        painrx_kb::vocab::EquivalenceTable::Ashton,
    )
    .map_err(|e| PlanError::Equivalence(e.to_string()))?;
    let dz_formulary = Formulary::for_product(diazepam, None);
    let own = Formulary::for_product(m, product);
    // Never round up past the equivalent.
    let dz_daily = dz_formulary.solid_down(eq.to.mg).unwrap_or(eq.to.mg);
    let dz_frequency = if dz_daily >= 4.0 {
        Frequency::Bid
    } else {
        Frequency::Qd
    };
    let half_own = own
        .solid_down(initial / 2.0)
        .or_else(|| own.liquid_near(initial / 2.0))
        .unwrap_or(0.0);
    // Diazepam makes up what the remaining own dose no longer gives, never more.
    let ratio = eq.to.mg / initial;
    let half_dz = dz_formulary
        .solid_down(dz_daily - half_own * ratio)
        .unwrap_or(0.0);
    let source = policy.source.as_ref().map(|s| s.value.clone());
    let unmakeable =
        |who: &Monograph, d: f64| PlanError::Unmakeable(who.title().to_string(), format_number(d));
    let mut first = doses_fitting(&own, half_own, frequency, &[], Some(m.id()))
        .map(|(_, d)| d)
        .ok_or_else(|| unmakeable(m, half_own))?;
    first.extend(
        doses_fitting(&dz_formulary, half_dz, dz_frequency, &[], Some("diazepam"))
            .map(|(_, d)| d)
            .ok_or_else(|| unmakeable(diazepam, half_dz))?,
    );
    first.sort_by_key(|d| d.time);
    let mut steps = vec![
        Step {
            start_day: 1,
            end_day: CROSSOVER_DAYS,
            // In diazepam equivalents, so the series can be compared across the switch.
            daily_mg: half_own * ratio + half_dz,
            frequency: None,
            doses: first,
            rule: format!(
                "cross over: half of {} replaced by its diazepam equivalent",
                m.title().to_lowercase()
            ),
            source: source.clone(),
        },
        Step {
            start_day: CROSSOVER_DAYS + 1,
            end_day: 2 * CROSSOVER_DAYS,
            daily_mg: dz_daily,
            frequency: Some(dz_frequency),
            doses: doses_fitting(&dz_formulary, dz_daily, dz_frequency, &[], Some("diazepam"))
                .map(|(_, d)| d)
                .ok_or_else(|| unmakeable(diazepam, dz_daily))?,
            rule: format!(
                "diazepam alone at the equivalent of {} mg {} a day",
                format_number(initial),
                m.title().to_lowercase()
            ),
            source: eq.sources.first().cloned(),
        },
    ];
    let per_dose_dz = dz_daily / dz_frequency.doses_per_day().unwrap_or(1.0);
    let rest = taper(kb, "diazepam", None, per_dose_dz, Some(dz_frequency), pace)?;
    for mut step in rest.steps {
        step.start_day += 2 * CROSSOVER_DAYS;
        step.end_day += 2 * CROSSOVER_DAYS;
        for dose in &mut step.doses {
            dose.drug = Some("diazepam".into());
        }
        steps.push(step);
    }
    let mut warnings = rest.warnings;
    warnings.extend(eq.warnings);
    let mut sources = eq.sources.clone();
    sources.extend(rest.sources);
    Ok(Plan {
        drug: m.id().to_string(),
        indication: None,
        product: product.map(str::to_string),
        dispense: dispense(&steps),
        target_daily_mg: 0.0,
        max_daily_mg: None,
        steps,
        warnings,
        notes: vec![format!(
            "{} mg/day of {} ≈ {} mg/day of diazepam (Ashton column; rounded down to {} mg to match the strengths)",
            format_number(initial),
            m.title().to_lowercase(),
            format_number(eq.to.mg),
            format_number(dz_daily)
        )],
        sources: unique(sources),
    })
}

/// Build a taper from a current daily dose to zero.
pub fn taper(
    kb: &Kb,
    drug_id: &str,
    product: Option<&str>,
    per_dose_mg: f64,
    frequency: Option<Frequency>,
    pace: &TaperPace,
) -> Result<Plan, PlanError> {
    let m = drug(kb, drug_id)?;
    let frequency = frequency.ok_or(PlanError::NoFrequency)?;
    let per_day = frequency.doses_per_day().ok_or(PlanError::NoFrequency)?;
    let initial = per_dose_mg * per_day;
    let (policy, owner) =
        taper_policy(kb, m).ok_or_else(|| PlanError::NoTaperRule(m.title().to_string()))?;
    let formulary = Formulary::for_product(m, product);
    if formulary.is_empty() {
        return Err(PlanError::Unmakeable(
            m.title().to_string(),
            format_number(initial),
        ));
    }
    let custom;
    let speed: &TaperSpeed = match pace {
        TaperPace::Slow => &policy.slow,
        TaperPace::Standard => &policy.standard,
        TaperPace::Fast => &policy.fast,
        TaperPace::Custom {
            percent,
            interval_days,
        } => {
            if !(*percent > 0.0 && *percent <= 50.0) || *interval_days == 0 {
                return Err(PlanError::BadCustomTaper);
            }
            custom = TaperSpeed {
                percent: painrx_kb::quantity::Amount::new(*percent),
                mg: None,
                interval_days: painrx_kb::quantity::Amount::new(f64::from(*interval_days))
                    .ok_or(PlanError::BadCustomTaper)?,
                basis: TaperBasis::Current,
            };
            &custom
        }
    };
    let mut interval = speed.interval_days.get().round().max(1.0) as u32;
    // Largest cut per step so that no 14 days see more than the policy's limit.
    let per_step_limit = policy.max_percent_per_14_days.map(|limit| {
        let steps_in_window = 14_u32.div_ceil(interval).max(1);
        limit.get() / 100.0 / f64::from(steps_in_window)
    });
    let source = policy.source.as_ref().map(|s| s.value.clone());
    let smallest = formulary.smallest_mg().unwrap_or(0.0);
    let mut warnings = policy.warnings.clone();
    let mut notes = vec![format!("taper rule from `{owner}`")];

    let mut amounts: Vec<(f64, String)> = Vec::new();
    // The doses of each non-zero amount, fitted once.
    let mut fitted: Vec<(Frequency, Vec<ScheduledDose>)> = Vec::new();
    let mut current = initial;
    // Doses a day the current amount is given in (fewer once units cannot split it).
    let mut per_day = times(frequency).len();
    let mut guard = 0;
    while current > 1e-9 && guard < 400 {
        guard += 1;
        let stop_now = current <= smallest + 1e-9 || (smallest == 0.0 && current < initial * 0.01);
        if stop_now {
            amounts.push((
                0.0,
                format!(
                    "stop from the smallest dose that can be given ({})",
                    mg(current)
                ),
            ));
            break;
        }
        let cut = match (speed.mg, speed.percent) {
            (Some(step), _) => step.get(),
            (None, Some(p)) => {
                let base = if speed.basis == TaperBasis::Initial {
                    initial
                } else {
                    current
                };
                base * p.get() / 100.0
            }
            (None, None) => current,
        };
        let wanted = (current - cut).max(0.0);
        let floor = per_step_limit.map(|l| current * (1.0 - l)).unwrap_or(0.0);
        let wanted = wanted.max(floor);
        if wanted <= 1e-9 {
            amounts.push((0.0, "stop".to_string()));
            break;
        }
        let next = match next_amount(&formulary, current, wanted, floor, cut, per_day) {
            Some(next) => next,
            None if per_step_limit.is_none() => formulary.solid_down(current - 1e-6).unwrap_or(0.0),
            None => {
                return Err(PlanError::TooCoarse {
                    drug: m.title().to_string(),
                    dose: format_number(current),
                })
            }
        };
        let rule = match (speed.mg, speed.percent) {
            (Some(step), _) => format!("reduce by {} every {interval} days", mg(step.get())),
            (None, Some(p)) => format!(
                "reduce by {}% of the {} dose every {interval} days",
                format_number(p.get()),
                if speed.basis == TaperBasis::Initial {
                    "starting"
                } else {
                    "current"
                }
            ),
            (None, None) => "stop".to_string(),
        };
        if next <= 1e-9 {
            amounts.push((0.0, "stop".to_string()));
            break;
        }
        let fit = doses_fitting(
            &formulary,
            next,
            fitted.last().map(|(f, _)| *f).unwrap_or(frequency),
            &[],
            None,
        )
        .ok_or_else(|| PlanError::Unmakeable(m.title().to_string(), format_number(next)))?;
        per_day = times(fit.0).len();
        fitted.push(fit);
        amounts.push((next, rule));
        current = next;
    }
    // Stretch the intervals if the label sets a minimum duration.
    if let Some(min) = policy.min_duration_days {
        let reductions = u32::try_from(amounts.len()).unwrap_or(1).max(1);
        let needed = (min.get() / f64::from(reductions)).ceil() as u32;
        if needed > interval {
            notes.push(format!(
                "intervals lengthened to {needed} days so the taper lasts at least {} days",
                format_number(min.get())
            ));
            interval = needed;
        }
    }
    let mut steps = Vec::new();
    let mut day = 1;
    let mut fits = fitted.into_iter();
    for (amount, rule) in amounts {
        let fit = if amount > 0.0 { fits.next() } else { None };
        let Some((f, day_doses)) = fit else {
            steps.push(Step {
                start_day: day,
                end_day: day,
                daily_mg: 0.0,
                frequency: None,
                doses: Vec::new(),
                rule,
                source: source.clone(),
            });
            break;
        };
        steps.push(Step {
            start_day: day,
            end_day: day + interval - 1,
            daily_mg: amount,
            frequency: Some(f),
            doses: day_doses,
            rule,
            source: source.clone(),
        });
        day += interval;
    }
    if steps.len() > 1 {
        notes.push(format!(
            "from {} a day to zero over {} days",
            mg(initial),
            steps.last().map(|s| s.start_day).unwrap_or(1)
        ));
    } else if formulary.smallest_mg().is_some_and(|s| initial <= s + 1e-9) {
        warnings.push(
            "the current dose is already the smallest that can be given: stop under supervision"
                .into(),
        );
    }
    Ok(Plan {
        drug: m.id().to_string(),
        indication: None,
        product: product.map(str::to_string),
        dispense: dispense(&steps),
        target_daily_mg: 0.0,
        max_daily_mg: None,
        steps,
        warnings,
        notes,
        sources: source.into_iter().collect(),
    })
}

/// The next daily amount of a taper: near `wanted`, at least `floor`, below `current`.
/// Whole units are preferred when they land close to the wanted cut; a liquid otherwise.
fn next_amount(
    formulary: &Formulary,
    current: f64,
    wanted: f64,
    floor: f64,
    cut: f64,
    doses_per_day: usize,
) -> Option<f64> {
    let in_range = |x: &f64| *x >= floor - 1e-9 && *x < current - 1e-9 && *x > 0.0;
    let n = doses_per_day.max(1) as f64;
    // Amounts that split evenly over the day's doses come first, then any daily amount.
    let solids: Vec<f64> = [
        formulary.solid_down(wanted / n).map(|x| x * n),
        formulary.solid_up(wanted / n).map(|x| x * n),
        formulary.solid_down(wanted),
        formulary.solid_up(wanted),
    ]
    .into_iter()
    .flatten()
    .filter(in_range)
    .collect();
    let closest_solid = solids
        .iter()
        .copied()
        .min_by(|a, b| (a - wanted).abs().total_cmp(&(b - wanted).abs()));
    let tolerance = (cut * 0.25).max(1e-9);
    let liquid = formulary
        .liquid_near(wanted / n)
        .map(|x| x * n)
        .filter(in_range);
    match (closest_solid, liquid) {
        (Some(s), _) if (s - wanted).abs() <= tolerance => Some(s),
        (_, Some(l)) => Some(l),
        (Some(s), None) => Some(s),
        (None, None) => None,
    }
}

/// Build a switch plan from a published conversion in content.
pub fn switch(
    kb: &Kb,
    from_id: &str,
    from_per_dose_mg: f64,
    from_frequency: Option<Frequency>,
    to_id: &str,
    kidneys: Kidneys,
) -> Result<SwitchPlan, PlanError> {
    let from = drug(kb, from_id)?;
    let to = drug(kb, to_id)?;
    let frequency = from_frequency.ok_or(PlanError::NoFrequency)?;
    let from_daily = from_per_dose_mg * frequency.doses_per_day().ok_or(PlanError::NoFrequency)?;
    let conversion = from
        .front
        .conversions
        .iter()
        .find(|c| c.to.value == to.id())
        .ok_or_else(|| PlanError::NoConversion(from.title().to_string(), to.title().to_string()))?;
    let band = conversion
        .bands
        .iter()
        .find(|b| {
            b.from_max_daily
                .is_none_or(|max| from_daily <= max.get() + 1e-9)
        })
        .ok_or_else(|| PlanError::NoConversion(from.title().to_string(), to.title().to_string()))?;
    let mut target = band.to_daily.get();
    let mut notes: Vec<String> = conversion.note.clone().into_iter().collect();
    let mut warnings = Vec::new();
    let mut sources: Vec<String> = conversion.source.iter().map(|s| s.value.clone()).collect();
    // The new drug's renal table caps the target.
    let mut to_frequency = conversion.to_frequency;
    if kidneys.crcl_ml_min.is_some() || kidneys.hemodialysis {
        let range = renal_only(kb, to, kidneys)?;
        if range.avoid {
            return Err(PlanError::Avoid(to.title().to_string()));
        }
        if let Some(max) = range.max_daily_mg {
            if target > max {
                warnings.push(format!(
                    "{} capped at {} a day by the renal table ({})",
                    to.title(),
                    mg(max),
                    range.renal_band.clone().unwrap_or_default()
                ));
                target = max;
            }
        }
        if !range.frequencies.is_empty() && !range.frequencies.contains(&to_frequency) {
            to_frequency = range.frequencies.first().copied().unwrap_or(to_frequency);
        }
        sources.extend(range.sources);
    }
    let to_formulary = Formulary::for_product(to, None);
    let from_formulary = Formulary::for_product(from, None);
    if to_formulary.solid(target).is_none() {
        let down = to_formulary.round_down(target).unwrap_or(0.0);
        notes.push(format!(
            "{} rounded down to {} to match the strengths that exist",
            mg(target),
            mg(down)
        ));
        target = down;
    }
    let source = conversion.source.as_ref().map(|s| s.value.clone());
    let from_doses = |daily: f64| {
        doses_fitting(&from_formulary, daily, frequency, &[], Some(from.id())).map(|(_, d)| d)
    };
    let to_doses = |daily: f64| {
        doses_fitting(&to_formulary, daily, to_frequency, &[], Some(to.id())).map(|(_, d)| d)
    };
    let unmakeable = |who: &Monograph, daily: f64| {
        PlanError::Unmakeable(who.title().to_string(), format_number(daily))
    };
    let mut steps = Vec::new();
    match conversion.method {
        SwitchMethod::Overnight => {
            steps.push(Step {
                start_day: 1,
                end_day: 1,
                daily_mg: from_daily,
                frequency: Some(frequency),
                doses: from_doses(from_daily).ok_or_else(|| unmakeable(from, from_daily))?,
                rule: format!(
                    "last day of {}; stop after the bedtime dose",
                    from.title().to_lowercase()
                ),
                source: source.clone(),
            });
            steps.push(Step {
                start_day: 2,
                end_day: 1 + MAINTENANCE_DAYS,
                daily_mg: target,
                frequency: Some(to_frequency),
                doses: to_doses(target).ok_or_else(|| unmakeable(to, target))?,
                rule: format!(
                    "start {} the next morning at the converted dose",
                    to.title().to_lowercase()
                ),
                source: source.clone(),
            });
        }
        SwitchMethod::CrossTaper => {
            let days = conversion
                .cross_taper_days
                .map(|d| d.get().round() as u32)
                .unwrap_or(4)
                .max(1);
            let half_from = from_formulary.round_down(from_daily / 2.0).unwrap_or(0.0);
            let half_to = to_formulary.round_down(target / 2.0).unwrap_or(0.0);
            let mut both = from_doses(half_from).ok_or_else(|| unmakeable(from, half_from))?;
            both.extend(to_doses(half_to).ok_or_else(|| unmakeable(to, half_to))?);
            both.sort_by_key(|d| d.time);
            steps.push(Step {
                start_day: 1,
                end_day: days,
                daily_mg: half_from + half_to,
                frequency: None,
                doses: both,
                rule: "half of each drug".into(),
                source: source.clone(),
            });
            steps.push(Step {
                start_day: days + 1,
                end_day: days + MAINTENANCE_DAYS,
                daily_mg: target,
                frequency: Some(to_frequency),
                doses: to_doses(target).ok_or_else(|| unmakeable(to, target))?,
                rule: "the new drug alone".into(),
                source: source.clone(),
            });
        }
    }
    let sources = unique(sources);
    Ok(SwitchPlan {
        from_drug: from.id().to_string(),
        to_drug: to.id().to_string(),
        from_daily_mg: from_daily,
        target_daily_mg: target,
        method: conversion.method,
        dispense: dispense(&steps),
        steps,
        warnings,
        notes,
        sources,
    })
}

/// The renal band of a drug without an indication: the table's own band range.
fn renal_only(
    kb: &Kb,
    m: &Monograph,
    kidneys: Kidneys,
) -> Result<crate::range::DoseRange, PlanError> {
    match dose_range(kb, m.id(), None, None, kidneys) {
        Ok(r) => Ok(r),
        Err(RangeError::WhichIndication { .. }) => {
            // Use the widest adult regimen: the one with the highest maximum.
            let best = m
                .front
                .indications
                .iter()
                .filter(|i| i.regimen.as_ref().is_some_and(|r| r.max_daily.is_some()))
                .max_by(|a, b| {
                    let max = |i: &painrx_kb::model::Indication| {
                        i.regimen
                            .as_ref()
                            .and_then(|r| r.max_daily.as_ref().map(|x| x.get()))
                            .unwrap_or(0.0)
                    };
                    max(a).total_cmp(&max(b))
                })
                .map(|i| i.condition.value.clone());
            Ok(dose_range(kb, m.id(), None, best.as_deref(), kidneys)?)
        }
        Err(e) => Err(e.into()),
    }
}
