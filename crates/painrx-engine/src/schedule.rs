//! Titration, taper and switch plans: day-by-day steps made of doses that can really be given,
//! computed (not searched) from the regimens, renal tables and taper policies in content. Every
//! step says which rule shaped it and on which source.

use std::borrow::Cow;

use painrx_kb::id::{MonographId, ProductId, SourceId};
use painrx_kb::model::{ElderlyStart, Increment, Regimen, TaperPolicy, TaperSpeed};
use painrx_kb::monograph::Monograph;
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::{
    EquivalenceScale, EquivalenceTable, Frequency, Kind, SwitchMethod, TaperBasis,
};
use painrx_kb::{Kb, ReferenceDrug};
use serde::Serialize;

use crate::range::{dose_range, DoseRange, Kidneys, RangeError};
use crate::time::ClockTime;
use crate::units::{Formulary, Unit};

/// Days a final (maintenance) step is written out for.
pub const MAINTENANCE_DAYS: u32 = 14;

/// One administration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduledDose {
    /// Drug id; set in switch plans, where two drugs appear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drug: Option<MonographId>,
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
    pub source: Option<SourceId>,
}

/// A titration or taper plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub drug: MonographId,
    pub indication: Option<MonographId>,
    pub product: Option<ProductId>,
    pub steps: Vec<Step>,
    pub target_daily_mg: f64,
    pub max_daily_mg: Option<f64>,
    /// What the whole plan needs: total units per strength and product.
    pub dispense: Vec<Unit>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub sources: Vec<SourceId>,
}

/// A switch from one drug to another.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SwitchPlan {
    pub from_drug: MonographId,
    pub to_drug: MonographId,
    pub from_daily_mg: f64,
    pub target_daily_mg: f64,
    pub method: SwitchMethod,
    pub steps: Vec<Step>,
    pub dispense: Vec<Unit>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub sources: Vec<SourceId>,
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
    #[error("a taper percent must be above 0 and at most 50, and an interval from 1 to 365 days")]
    BadCustomTaper,
    /// `hint` says what to do instead: a liquid, or crossing over to the reference drug.
    #[error(
        "the strengths of {drug} that exist cannot cut {dose} mg within the taper limit; {hint}"
    )]
    TooCoarse {
        drug: String,
        dose: String,
        hint: String,
    },
    /// The drug, and the `via` word of the scale content names.
    #[error("{0} has no {1} route in its taper rule")]
    NoDiazepamRoute(String, String),
    /// The scale's label, and why the equivalent could not be found.
    #[error("no {0} equivalent: {1}")]
    Equivalence(String, String),
    #[error(
        "content names no reference drug for the `{0}` scale (an `equivalence:` block on a class)"
    )]
    NoReferenceDrug(EquivalenceScale),
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
    drug: Option<&MonographId>,
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
                drug: drug.cloned(),
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
    drug: Option<&MonographId>,
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
fn unique<T: PartialEq>(list: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(list.len());
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
    /// The product line to titrate with (a brand of one product names it).
    pub product: Option<&'a ProductId>,
    /// The indication as the user named it: a condition's id or one of its names.
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
        options.product.map(ProductId::as_str),
        options.indication,
        options.kidneys,
    )?;
    if range.avoid {
        return Err(PlanError::Avoid(m.title().to_string()));
    }
    let regimen = titration_regimen(m, &range)?;
    let formulary = Formulary::for_product(m, range.product.as_deref());
    let mut sources: Vec<SourceId> = range.sources.clone();
    let mut notes = range.notes.clone();
    let mut warnings = Vec::new();
    let ceiling = Ceiling::new(regimen, &range, options.age);
    if let Some(e) = ceiling.elderly {
        sources.extend(e.source.as_ref().map(|s| s.value.clone()));
        notes.extend(e.note.clone());
    }
    let target = target_daily(m, regimen, &range, &ceiling, options.target_daily_mg)?;
    let frequencies = TitrationFrequencies::new(&range, regimen);
    let planned = plan_titration(regimen, ceiling.elderly, &frequencies, target);
    let steps = make_titration_steps(m, &formulary, &planned, &frequencies.allowed)?;
    warnings.extend(ceiling.renal_hold(&steps));
    sources.extend(regimen.source.as_ref().map(|s| s.value.clone()));
    sources.extend(steps.iter().filter_map(|s| s.source.clone()));
    let sources = unique(sources);
    Ok(Plan {
        drug: m.id().clone(),
        indication: range.indication,
        product: range.product,
        dispense: dispense(&steps),
        target_daily_mg: steps.last().map(|s| s.daily_mg).unwrap_or(target),
        max_daily_mg: if ceiling.cap.is_finite() {
            Some(ceiling.cap)
        } else {
            None
        },
        steps,
        warnings,
        notes,
        sources,
    })
}

/// Most steps a titration climbs by increments before it gives up short of the target.
const MAX_INCREMENTS: u32 = 200;

fn unmakeable(who: &Monograph, daily: f64) -> PlanError {
    PlanError::Unmakeable(who.title().to_string(), format_number(daily))
}

/// The regimen of the range's indication (and product, where the indication names products).
fn titration_regimen<'m>(m: &'m Monograph, range: &DoseRange) -> Result<&'m Regimen, PlanError> {
    m.front
        .indications
        .iter()
        .filter(|i| range.indication.as_deref() == Some(i.condition.value.as_str()))
        .filter(|i| {
            range
                .product
                .as_ref()
                .is_none_or(|p| i.products.is_empty() || i.products.iter().any(|x| &x.value == p))
        })
        .find_map(|i| i.regimen.as_ref().map(|r| &r.value))
        .ok_or_else(|| PlanError::NoRegimen(m.title().to_string()))
}

/// The most a titration may reach: the label maximum, the renal maximum and, for an older
/// patient, the maximum of the older-patient regimen.
struct Ceiling<'r> {
    label_max: Option<f64>,
    renal_max: Option<f64>,
    /// The lowest of them (infinite when none is known).
    cap: f64,
    /// The lower, slower start for older patients, when the patient is old enough for it.
    elderly: Option<&'r ElderlyStart>,
}

impl<'r> Ceiling<'r> {
    fn new(regimen: &'r Regimen, range: &DoseRange, age: Option<f64>) -> Ceiling<'r> {
        let label_max = regimen.max_daily.as_ref().map(|a| a.get());
        let renal_max = range.max_daily_mg;
        let mut cap = match (label_max, renal_max) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(f64::INFINITY),
        };
        let elderly = age.and_then(|age| {
            regimen
                .elderly
                .as_ref()
                .filter(|e| age >= e.from_age.get())
                .map(|e| &e.value)
        });
        if let Some(max) = elderly.and_then(|e| e.max_daily) {
            cap = cap.min(max.get());
        }
        Ceiling {
            label_max,
            renal_max,
            cap,
            elderly,
        }
    }

    /// A warning when the plan ends on the renal maximum, below the label's.
    fn renal_hold(&self, steps: &[Step]) -> Option<String> {
        let last = steps.last()?;
        self.renal_max
            .is_some_and(|r| {
                (r - last.daily_mg).abs() < 1e-9 && self.label_max.is_some_and(|l| l > r)
            })
            .then(|| {
                format!(
                    "the dose is held at {} by the renal table",
                    mg(last.daily_mg)
                )
            })
    }
}

/// The daily dose the titration climbs to: the one asked for (refused above the ceiling), else
/// the regimen's target, else the ceiling.
fn target_daily(
    m: &Monograph,
    regimen: &Regimen,
    range: &DoseRange,
    ceiling: &Ceiling<'_>,
    wanted: Option<f64>,
) -> Result<f64, PlanError> {
    let cap = ceiling.cap;
    let target = match wanted {
        Some(t) if !(t.is_finite() && t > 0.0) => return Err(PlanError::BadTarget(t)),
        Some(t) if t > cap + 1e-9 => {
            let why = match (ceiling.renal_max, ceiling.label_max) {
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
    Ok(target)
}

/// The frequencies a titration may use. Only the renal band restricts them; a label step may
/// always use fewer doses a day.
struct TitrationFrequencies {
    /// Empty: any.
    allowed: Vec<Frequency>,
    /// The most doses a day of the allowed frequencies.
    most_per_day: f64,
    /// The frequency of steps that do not name one.
    default: Frequency,
}

impl TitrationFrequencies {
    fn new(range: &DoseRange, regimen: &Regimen) -> TitrationFrequencies {
        let allowed: Vec<Frequency> = if range.renal_band.is_some() {
            range.frequencies.clone()
        } else {
            Vec::new()
        };
        let most_per_day = allowed
            .iter()
            .filter_map(|f| f.doses_per_day())
            .fold(0.0, f64::max);
        let default = regimen
            .frequencies
            .iter()
            .copied()
            .find(|f| allowed.is_empty() || allowed.contains(f))
            .or_else(|| allowed.first().copied())
            .unwrap_or(Frequency::Qd);
        TitrationFrequencies {
            allowed,
            most_per_day,
            default,
        }
    }

    fn permits(&self, f: Frequency) -> bool {
        self.allowed.is_empty()
            || self.allowed.contains(&f)
            || f.doses_per_day().is_some_and(|n| n <= self.most_per_day)
    }
}

/// A titration step before it is made of real units.
struct PlannedStep {
    day: u32,
    daily: f64,
    frequency: Frequency,
    rule: String,
    source: Option<SourceId>,
}

/// The planned steps of a titration, rising to the target and never above it.
struct Ladder {
    steps: Vec<PlannedStep>,
    target: f64,
}

impl Ladder {
    /// Add a step (capped at the target) unless it would not rise above the last; says whether
    /// it was added.
    fn climb(
        &mut self,
        day: u32,
        daily: f64,
        frequency: Frequency,
        rule: String,
        source: Option<SourceId>,
    ) -> bool {
        let daily = daily.min(self.target);
        if self.steps.last().is_some_and(|s| s.daily >= daily - 1e-9) {
            return false;
        }
        self.steps.push(PlannedStep {
            day,
            daily,
            frequency,
            rule,
            source,
        });
        true
    }
}

/// The sequence of (start day, daily dose, frequency, rule, source) from the start to the target.
fn plan_titration(
    regimen: &Regimen,
    elderly: Option<&ElderlyStart>,
    frequencies: &TitrationFrequencies,
    target: f64,
) -> Vec<PlannedStep> {
    let mut ladder = Ladder {
        steps: Vec::new(),
        target,
    };
    let increment = match elderly {
        Some(e) => {
            ladder.climb(
                1,
                e.start_daily.get(),
                frequencies.default,
                format!("older-patient start ({})", mg(e.start_daily.get())),
                e.source.as_ref().map(|s| s.value.clone()),
            );
            e.increment.as_ref().or(regimen.increment.as_ref())
        }
        None => {
            climb_label_steps(&mut ladder, regimen, frequencies);
            regimen.increment.as_ref()
        }
    };
    climb_by_increments(&mut ladder, regimen, increment, frequencies.default);
    ladder.steps
}

/// The label's start, or its titration steps up to the target.
fn climb_label_steps(ladder: &mut Ladder, regimen: &Regimen, frequencies: &TitrationFrequencies) {
    let target = ladder.target;
    let regimen_source = regimen.source.as_ref().map(|s| s.value.clone());
    if regimen.steps.is_empty() {
        let start = regimen
            .start_daily
            .as_ref()
            .map(|a| a.get())
            .unwrap_or(target);
        ladder.climb(
            1,
            start,
            frequencies.default,
            format!("label start, {}", mg(start)),
            regimen_source.clone(),
        );
    }
    for step in &regimen.steps {
        let day = step.day.get().round() as u32;
        let f = if frequencies.permits(step.frequency) {
            step.frequency
        } else {
            frequencies.default
        };
        let rule = if step.daily.get() > target {
            format!("label step capped at the target {}", mg(target))
        } else {
            format!("label titration step, day {day}")
        };
        if !ladder.climb(day, step.daily.get(), f, rule, regimen_source.clone())
            && step.daily.get() >= target
        {
            break;
        }
    }
}

/// Upward to the target by the increment (or in one step a week later without one).
fn climb_by_increments(
    ladder: &mut Ladder,
    regimen: &Regimen,
    increment: Option<&Increment>,
    frequency: Frequency,
) {
    let target = ladder.target;
    let mut guard = 0;
    while ladder.steps.last().is_some_and(|s| s.daily < target - 1e-9) && guard < MAX_INCREMENTS {
        guard += 1;
        let Some((day, daily)) = ladder.steps.last().map(|s| (s.day, s.daily)) else {
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
            None => (
                target - daily,
                7,
                regimen.source.as_ref().map(|s| s.value.clone()),
            ),
        };
        let next = (daily + step).min(target);
        let rule = if next >= target - 1e-9 {
            format!("up to the target {}", mg(target))
        } else {
            format!("increase by {} every {every} days", mg(step))
        };
        ladder.climb(day + every, next, frequency, rule, source);
    }
}

/// Make each planned step of real units; round down (never up) where units cannot make the dose.
fn make_titration_steps(
    m: &Monograph,
    formulary: &Formulary,
    planned: &[PlannedStep],
    allowed: &[Frequency],
) -> Result<Vec<Step>, PlanError> {
    let mut steps: Vec<Step> = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let end_day = planned
            .get(i + 1)
            .map(|next| next.day - 1)
            .unwrap_or(p.day + MAINTENANCE_DAYS - 1);
        let mut daily = p.daily;
        let mut rule = p.rule.clone();
        if formulary.solid(daily).is_none() {
            let down = round_down_to_units(m, formulary, daily)?;
            rule.push_str(&format!(
                "; rounded down to {} to match the strengths that exist",
                mg(down)
            ));
            daily = down;
        }
        let (frequency, day_doses) = doses_fitting(formulary, daily, p.frequency, allowed, None)
            .ok_or_else(|| unmakeable(m, daily))?;
        steps.push(Step {
            start_day: p.day,
            end_day,
            daily_mg: daily,
            frequency: Some(frequency),
            doses: day_doses,
            rule,
            source: p.source.clone(),
        });
    }
    Ok(steps)
}

/// Never round up past a limit: whole units below, else a measurable liquid volume below.
fn round_down_to_units(m: &Monograph, formulary: &Formulary, daily: f64) -> Result<f64, PlanError> {
    let down = formulary
        .solid_down(daily)
        .filter(|d| *d >= daily * 0.9 || !formulary.has_liquid())
        .or_else(|| formulary.round_down(daily))
        .ok_or_else(|| unmakeable(m, daily))?;
    if down <= 0.0 {
        return Err(unmakeable(m, daily));
    }
    Ok(down)
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
    let mut classes: Vec<&MonographId> = m.front.classes.iter().map(|c| &c.value).collect();
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

/// What every taper starts from: the drug, its daily dose and frequency, and its taper rule
/// with the monograph that owns the rule.
struct TaperStart<'k> {
    m: &'k Monograph,
    frequency: Frequency,
    initial: f64,
    policy: &'k TaperPolicy,
    owner: String,
}

fn taper_start<'k>(
    kb: &'k Kb,
    drug_id: &str,
    per_dose_mg: f64,
    frequency: Option<Frequency>,
) -> Result<TaperStart<'k>, PlanError> {
    let m = drug(kb, drug_id)?;
    let frequency = frequency.ok_or(PlanError::NoFrequency)?;
    let initial = per_dose_mg * frequency.doses_per_day().ok_or(PlanError::NoFrequency)?;
    let (policy, owner) =
        taper_policy(kb, m).ok_or_else(|| PlanError::NoTaperRule(m.title().to_string()))?;
    Ok(TaperStart {
        m,
        frequency,
        initial,
        policy,
        owner,
    })
}

/// Days a benzodiazepine is moved across to diazepam in each of two steps (half, then whole).
pub const CROSSOVER_DAYS: u32 = 7;

/// Taper a benzodiazepine by first moving it across to diazepam equivalents (Ashton), then
/// tapering diazepam, whose strengths and liquid allow small steps. Diazepam is the reference
/// drug content names for the scale (`equivalence:` on the class), not a name in this code.
pub fn taper_via_diazepam(
    kb: &Kb,
    drug_id: &str,
    product: Option<&str>,
    per_dose_mg: f64,
    frequency: Option<Frequency>,
    pace: &TaperPace,
) -> Result<Plan, PlanError> {
    let TaperStart {
        m,
        frequency,
        initial,
        policy,
        ..
    } = taper_start(kb, drug_id, per_dose_mg, frequency)?;
    let reference = kb
        .reference_drug(EquivalenceScale::DiazepamEquivalent)
        .ok_or(PlanError::NoReferenceDrug(
            EquivalenceScale::DiazepamEquivalent,
        ))?;
    if !policy.via_diazepam {
        return Err(PlanError::NoDiazepamRoute(
            m.title().to_string(),
            reference.scale.via.clone(),
        ));
    }
    if m.id() == reference.drug.id() {
        return taper(kb, drug_id, product, per_dose_mg, Some(frequency), pace);
    }
    let eq = crate::equiv::equivalent(
        kb,
        m.id(),
        initial,
        reference.drug.id(),
        EquivalenceTable::Ashton,
    )
    .map_err(|e| PlanError::Equivalence(reference.scale.label.clone(), e.to_string()))?;
    let crossover = Crossover {
        own: Formulary::for_product(m, product),
        target: Formulary::for_product(reference.drug, None),
        m,
        reference,
        initial,
        frequency,
        equivalent: eq.to.mg,
    };
    let target_daily = crossover.target_daily();
    let target_frequency = crossover.target_frequency(target_daily);
    let mut steps = crossover.steps(
        policy.source.as_ref().map(|s| s.value.clone()),
        eq.sources.first().cloned(),
    )?;
    let per_dose_target = target_daily / target_frequency.doses_per_day().unwrap_or(1.0);
    let rest = taper(
        kb,
        reference.drug.id(),
        None,
        per_dose_target,
        Some(target_frequency),
        pace,
    )?;
    for mut step in rest.steps {
        step.start_day += 2 * CROSSOVER_DAYS;
        step.end_day += 2 * CROSSOVER_DAYS;
        for dose in &mut step.doses {
            dose.drug = Some(reference.drug.id().clone());
        }
        steps.push(step);
    }
    let mut warnings = rest.warnings;
    warnings.extend(eq.warnings);
    let mut sources = eq.sources.clone();
    sources.extend(rest.sources);
    Ok(Plan {
        drug: m.id().clone(),
        indication: None,
        product: crate::range::product_id(m, product),
        dispense: dispense(&steps),
        target_daily_mg: 0.0,
        max_daily_mg: None,
        steps,
        warnings,
        notes: vec![format!(
            "{} mg/day of {} ≈ {} mg/day of {} (Ashton column; rounded down to {} mg to match the strengths)",
            format_number(initial),
            m.title().to_lowercase(),
            format_number(eq.to.mg),
            reference.drug.title().to_lowercase(),
            format_number(target_daily)
        )],
        sources: unique(sources),
    })
}

/// Moving a benzodiazepine across to the reference drug: half for a week, then all of it.
struct Crossover<'k> {
    m: &'k Monograph,
    own: Formulary,
    reference: ReferenceDrug<'k>,
    /// The reference drug's units.
    target: Formulary,
    /// The current daily dose of the drug being tapered.
    initial: f64,
    frequency: Frequency,
    /// The reference drug's daily equivalent of `initial`.
    equivalent: f64,
}

impl Crossover<'_> {
    /// The reference drug's daily dose: never rounded up past the equivalent.
    fn target_daily(&self) -> f64 {
        self.target
            .solid_down(self.equivalent)
            .unwrap_or(self.equivalent)
    }

    fn target_frequency(&self, daily: f64) -> Frequency {
        if daily >= 4.0 {
            Frequency::Bid
        } else {
            Frequency::Qd
        }
    }

    /// The two crossover steps: half of the drug replaced by its equivalent, then the reference
    /// drug alone.
    fn steps(
        &self,
        source: Option<SourceId>,
        equivalence_source: Option<SourceId>,
    ) -> Result<Vec<Step>, PlanError> {
        let (m, reference) = (self.m, self.reference.drug);
        let target_daily = self.target_daily();
        let target_frequency = self.target_frequency(target_daily);
        let half_own = self
            .own
            .solid_down(self.initial / 2.0)
            .or_else(|| self.own.liquid_near(self.initial / 2.0))
            .unwrap_or(0.0);
        // The reference drug makes up what the remaining own dose no longer gives, never more.
        let ratio = self.equivalent / self.initial;
        let half_target = self
            .target
            .solid_down(target_daily - half_own * ratio)
            .unwrap_or(0.0);
        let target_doses = |daily: f64| {
            doses_fitting(
                &self.target,
                daily,
                target_frequency,
                &[],
                Some(reference.id()),
            )
            .map(|(_, d)| d)
            .ok_or_else(|| unmakeable(reference, daily))
        };
        let mut first = doses_fitting(&self.own, half_own, self.frequency, &[], Some(m.id()))
            .map(|(_, d)| d)
            .ok_or_else(|| unmakeable(m, half_own))?;
        first.extend(target_doses(half_target)?);
        first.sort_by_key(|d| d.time);
        Ok(vec![
            Step {
                start_day: 1,
                end_day: CROSSOVER_DAYS,
                // In reference-drug equivalents, so the series can be compared across the switch.
                daily_mg: half_own * ratio + half_target,
                frequency: None,
                doses: first,
                rule: format!(
                    "cross over: half of {} replaced by its {} equivalent",
                    m.title().to_lowercase(),
                    self.reference.scale.label
                ),
                source,
            },
            Step {
                start_day: CROSSOVER_DAYS + 1,
                end_day: 2 * CROSSOVER_DAYS,
                daily_mg: target_daily,
                frequency: Some(target_frequency),
                doses: target_doses(target_daily)?,
                rule: format!(
                    "{} alone at the equivalent of {} mg {} a day",
                    reference.title().to_lowercase(),
                    format_number(self.initial),
                    m.title().to_lowercase()
                ),
                source: equivalence_source,
            },
        ])
    }
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
    let TaperStart {
        m,
        frequency,
        initial,
        policy,
        owner,
    } = taper_start(kb, drug_id, per_dose_mg, frequency)?;
    let formulary = Formulary::for_product(m, product);
    if formulary.is_empty() {
        return Err(unmakeable(m, initial));
    }
    let speed = taper_speed(policy, pace)?;
    let interval = speed.interval_days.get().round().max(1.0) as u32;
    let source = policy.source.as_ref().map(|s| s.value.clone());
    let mut warnings = policy.warnings.clone();
    let mut notes = vec![format!("taper rule from `{owner}`")];
    let reductions = TaperReductions {
        formulary: &formulary,
        speed: &speed,
        per_step_limit: per_step_limit(policy, interval),
        interval,
        initial,
        cross_over: policy
            .via_diazepam
            .then(|| kb.reference_drug(EquivalenceScale::DiazepamEquivalent))
            .flatten()
            .map(|r| r.scale.via.as_str()),
    }
    .step_down(m, frequency)?;
    let (interval, lengthened) = stretch_interval(policy, reductions.amounts.len(), interval);
    notes.extend(lengthened);
    let steps = taper_steps(reductions, interval, &source);
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
        drug: m.id().clone(),
        indication: None,
        product: crate::range::product_id(m, product),
        dispense: dispense(&steps),
        target_daily_mg: 0.0,
        max_daily_mg: None,
        steps,
        warnings,
        notes,
        sources: source.into_iter().collect(),
    })
}

/// Most reductions a taper makes before it stops where it is.
const MAX_REDUCTIONS: u32 = 400;

/// The policy's speed for a pace, or the custom one (checked: 0–50 %, at least a day).
fn taper_speed<'p>(
    policy: &'p TaperPolicy,
    pace: &TaperPace,
) -> Result<Cow<'p, TaperSpeed>, PlanError> {
    Ok(match pace {
        TaperPace::Slow => Cow::Borrowed(&policy.slow),
        TaperPace::Standard => Cow::Borrowed(&policy.standard),
        TaperPace::Fast => Cow::Borrowed(&policy.fast),
        TaperPace::Custom {
            percent,
            interval_days,
        } => {
            if !(*percent > 0.0 && *percent <= 50.0 && (1..=365).contains(interval_days)) {
                return Err(PlanError::BadCustomTaper);
            }
            Cow::Owned(TaperSpeed {
                percent: painrx_kb::quantity::Amount::new(*percent),
                mg: None,
                interval_days: painrx_kb::quantity::Amount::new(f64::from(*interval_days))
                    .ok_or(PlanError::BadCustomTaper)?,
                basis: TaperBasis::Current,
            })
        }
    })
}

/// Largest cut per step (a fraction of the current dose) so that no 14 days see more than the
/// policy's limit.
fn per_step_limit(policy: &TaperPolicy, interval: u32) -> Option<f64> {
    policy.max_percent_per_14_days.map(|limit| {
        let steps_in_window = 14_u32.div_ceil(interval).max(1);
        limit.get() / 100.0 / f64::from(steps_in_window)
    })
}

/// The intervals, lengthened if the label sets a minimum duration, and the note that says so.
fn stretch_interval(
    policy: &TaperPolicy,
    reductions: usize,
    interval: u32,
) -> (u32, Option<String>) {
    if let Some(min) = policy.min_duration_days {
        let reductions = u32::try_from(reductions).unwrap_or(1).max(1);
        let needed = (min.get() / f64::from(reductions)).ceil() as u32;
        if needed > interval {
            let note = format!(
                "intervals lengthened to {needed} days so the taper lasts at least {} days",
                format_number(min.get())
            );
            return (needed, Some(note));
        }
    }
    (interval, None)
}

/// How a taper cuts: the speed, within the policy's limit, in the units the formulary offers.
struct TaperReductions<'a> {
    formulary: &'a Formulary,
    speed: &'a TaperSpeed,
    /// Largest cut per step as a fraction of the current dose.
    per_step_limit: Option<f64>,
    /// Days between cuts, as the rules say it.
    interval: u32,
    initial: f64,
    /// The `via` word of the reference drug a too-coarse taper may cross over to.
    cross_over: Option<&'a str>,
}

/// The daily amounts a taper steps down through, each with its rule (the last is 0), and the
/// doses of each non-zero amount, fitted once.
struct TaperLadder {
    amounts: Vec<(f64, String)>,
    fitted: Vec<(Frequency, Vec<ScheduledDose>)>,
}

impl TaperReductions<'_> {
    /// Cut from the initial amount to zero.
    fn step_down(&self, m: &Monograph, frequency: Frequency) -> Result<TaperLadder, PlanError> {
        let smallest = self.formulary.smallest_mg().unwrap_or(0.0);
        let mut ladder = TaperLadder {
            amounts: Vec::new(),
            fitted: Vec::new(),
        };
        let mut current = self.initial;
        // Doses a day the current amount is given in (fewer once units cannot split it).
        let mut per_day = times(frequency).len();
        let mut guard = 0;
        while current > 1e-9 && guard < MAX_REDUCTIONS {
            guard += 1;
            let stop_now =
                current <= smallest + 1e-9 || (smallest == 0.0 && current < self.initial * 0.01);
            if stop_now {
                ladder.amounts.push((
                    0.0,
                    format!(
                        "stop from the smallest dose that can be given ({})",
                        mg(current)
                    ),
                ));
                break;
            }
            let Some(next) = self.next(m, current, per_day)? else {
                ladder.amounts.push((0.0, "stop".to_string()));
                break;
            };
            let fit = doses_fitting(
                self.formulary,
                next,
                ladder.fitted.last().map(|(f, _)| *f).unwrap_or(frequency),
                &[],
                None,
            )
            .ok_or_else(|| unmakeable(m, next))?;
            per_day = times(fit.0).len();
            ladder.fitted.push(fit);
            ladder.amounts.push((next, self.rule()));
            current = next;
        }
        Ok(ladder)
    }

    /// The amount after `current`, or `None` where the taper stops.
    fn next(&self, m: &Monograph, current: f64, per_day: usize) -> Result<Option<f64>, PlanError> {
        let cut = self.cut(current);
        let wanted = (current - cut).max(0.0);
        let floor = self
            .per_step_limit
            .map(|l| current * (1.0 - l))
            .unwrap_or(0.0);
        let wanted = wanted.max(floor);
        if wanted <= 1e-9 {
            return Ok(None);
        }
        let next = match next_amount(self.formulary, current, wanted, floor, cut, per_day) {
            Some(next) => next,
            None if self.per_step_limit.is_none() => {
                self.formulary.solid_down(current - 1e-6).unwrap_or(0.0)
            }
            None => {
                return Err(PlanError::TooCoarse {
                    drug: m.title().to_string(),
                    dose: format_number(current),
                    hint: match self.cross_over {
                        Some(via) => {
                            format!("use a liquid formulation, or taper via {via} (`--via {via}`)")
                        }
                        None => "use a liquid formulation".to_string(),
                    },
                })
            }
        };
        Ok((next > 1e-9).then_some(next))
    }

    /// The mg a day one step cuts from `current`.
    fn cut(&self, current: f64) -> f64 {
        match (self.speed.mg, self.speed.percent) {
            (Some(step), _) => step.get(),
            (None, Some(p)) => {
                let base = if self.speed.basis == TaperBasis::Initial {
                    self.initial
                } else {
                    current
                };
                base * p.get() / 100.0
            }
            (None, None) => current,
        }
    }

    /// The rule of a reduction, in words.
    fn rule(&self) -> String {
        let interval = self.interval;
        match (self.speed.mg, self.speed.percent) {
            (Some(step), _) => format!("reduce by {} every {interval} days", mg(step.get())),
            (None, Some(p)) => format!(
                "reduce by {}% of the {} dose every {interval} days",
                format_number(p.get()),
                if self.speed.basis == TaperBasis::Initial {
                    "starting"
                } else {
                    "current"
                }
            ),
            (None, None) => "stop".to_string(),
        }
    }
}

/// Lay the amounts out as steps of `interval` days, ending on a one-day stop.
fn taper_steps(ladder: TaperLadder, interval: u32, source: &Option<SourceId>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut day = 1;
    let mut fits = ladder.fitted.into_iter();
    for (amount, rule) in ladder.amounts {
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
    steps
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
    let no_conversion =
        || PlanError::NoConversion(from.title().to_string(), to.title().to_string());
    let conversion = from
        .front
        .conversions
        .iter()
        .find(|c| c.to.value == *to.id())
        .ok_or_else(no_conversion)?;
    let band = conversion
        .bands
        .iter()
        .find(|b| {
            b.from_max_daily
                .is_none_or(|max| from_daily <= max.get() + 1e-9)
        })
        .ok_or_else(no_conversion)?;
    let mut target = SwitchTarget {
        daily: band.to_daily.get(),
        frequency: conversion.to_frequency,
        notes: conversion.note.clone().into_iter().collect(),
        warnings: Vec::new(),
        sources: conversion.source.iter().map(|s| s.value.clone()).collect(),
    };
    if kidneys.crcl_ml_min.is_some() || kidneys.hemodialysis {
        target.cap_by_kidneys(kb, to, kidneys)?;
    }
    let old = SwitchDrug {
        m: from,
        formulary: Formulary::for_product(from, None),
        frequency,
    };
    let new = SwitchDrug {
        m: to,
        formulary: Formulary::for_product(to, None),
        frequency: target.frequency,
    };
    target.round_to_strengths(&new.formulary);
    let source = conversion.source.as_ref().map(|s| s.value.clone());
    let steps = match conversion.method {
        SwitchMethod::Overnight => switch_overnight(&old, &new, from_daily, target.daily, &source)?,
        SwitchMethod::CrossTaper => {
            let days = conversion
                .cross_taper_days
                .map(|d| d.get().round() as u32)
                .unwrap_or(4)
                .max(1);
            cross_taper(&old, &new, from_daily, target.daily, days, &source)?
        }
    };
    Ok(SwitchPlan {
        from_drug: from.id().clone(),
        to_drug: to.id().clone(),
        from_daily_mg: from_daily,
        target_daily_mg: target.daily,
        method: conversion.method,
        dispense: dispense(&steps),
        steps,
        warnings: target.warnings,
        notes: target.notes,
        sources: unique(target.sources),
    })
}

/// What the new drug of a switch is given at, and what was said on the way.
struct SwitchTarget {
    daily: f64,
    frequency: Frequency,
    notes: Vec<String>,
    warnings: Vec<String>,
    sources: Vec<SourceId>,
}

impl SwitchTarget {
    /// The new drug's renal table caps the target and may change its frequency.
    fn cap_by_kidneys(
        &mut self,
        kb: &Kb,
        to: &Monograph,
        kidneys: Kidneys,
    ) -> Result<(), PlanError> {
        let range = renal_only(kb, to, kidneys)?;
        if range.avoid {
            return Err(PlanError::Avoid(to.title().to_string()));
        }
        if let Some(max) = range.max_daily_mg {
            if self.daily > max {
                self.warnings.push(format!(
                    "{} capped at {} a day by the renal table ({})",
                    to.title(),
                    mg(max),
                    range.renal_band.clone().unwrap_or_default()
                ));
                self.daily = max;
            }
        }
        if !range.frequencies.is_empty() && !range.frequencies.contains(&self.frequency) {
            self.frequency = range.frequencies.first().copied().unwrap_or(self.frequency);
        }
        self.sources.extend(range.sources);
        Ok(())
    }

    /// Round the target down to what the strengths of the new drug can make.
    fn round_to_strengths(&mut self, formulary: &Formulary) {
        if formulary.solid(self.daily).is_none() {
            let down = formulary.round_down(self.daily).unwrap_or(0.0);
            self.notes.push(format!(
                "{} rounded down to {} to match the strengths that exist",
                mg(self.daily),
                mg(down)
            ));
            self.daily = down;
        }
    }
}

/// One drug of a switch, with its units and frequency.
struct SwitchDrug<'a> {
    m: &'a Monograph,
    formulary: Formulary,
    frequency: Frequency,
}

impl SwitchDrug<'_> {
    /// The doses of one day, each naming the drug.
    fn doses(&self, daily: f64) -> Result<Vec<ScheduledDose>, PlanError> {
        doses_fitting(
            &self.formulary,
            daily,
            self.frequency,
            &[],
            Some(self.m.id()),
        )
        .map(|(_, d)| d)
        .ok_or_else(|| unmakeable(self.m, daily))
    }
}

/// The old drug's last day, then the new drug from the next morning.
fn switch_overnight(
    old: &SwitchDrug<'_>,
    new: &SwitchDrug<'_>,
    from_daily: f64,
    target: f64,
    source: &Option<SourceId>,
) -> Result<Vec<Step>, PlanError> {
    Ok(vec![
        Step {
            start_day: 1,
            end_day: 1,
            daily_mg: from_daily,
            frequency: Some(old.frequency),
            doses: old.doses(from_daily)?,
            rule: format!(
                "last day of {}; stop after the bedtime dose",
                old.m.title().to_lowercase()
            ),
            source: source.clone(),
        },
        Step {
            start_day: 2,
            end_day: 1 + MAINTENANCE_DAYS,
            daily_mg: target,
            frequency: Some(new.frequency),
            doses: new.doses(target)?,
            rule: format!(
                "start {} the next morning at the converted dose",
                new.m.title().to_lowercase()
            ),
            source: source.clone(),
        },
    ])
}

/// Half of each drug for `days`, then the new drug alone.
fn cross_taper(
    old: &SwitchDrug<'_>,
    new: &SwitchDrug<'_>,
    from_daily: f64,
    target: f64,
    days: u32,
    source: &Option<SourceId>,
) -> Result<Vec<Step>, PlanError> {
    let half_from = old.formulary.round_down(from_daily / 2.0).unwrap_or(0.0);
    let half_to = new.formulary.round_down(target / 2.0).unwrap_or(0.0);
    let mut both = old.doses(half_from)?;
    both.extend(new.doses(half_to)?);
    both.sort_by_key(|d| d.time);
    Ok(vec![
        Step {
            start_day: 1,
            end_day: days,
            daily_mg: half_from + half_to,
            frequency: None,
            doses: both,
            rule: "half of each drug".into(),
            source: source.clone(),
        },
        Step {
            start_day: days + 1,
            end_day: days + MAINTENANCE_DAYS,
            daily_mg: target,
            frequency: Some(new.frequency),
            doses: new.doses(target)?,
            rule: "the new drug alone".into(),
            source: source.clone(),
        },
    ])
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
