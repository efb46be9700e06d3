//! Titration, taper and switch plans, with the title and subtitle every edge shows them under.

use painrx_engine::schedule::{Plan, SwitchPlan, TaperPace, TitrateOptions};
use painrx_kb::id::{MonographId, SourceId};
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::EquivalenceScale;
use serde::Serialize;

use crate::calc::{dose_of, mg_of};
use crate::error::{AppError, AppResult};
use crate::request::{Speed, SwitchRequest, TaperRequest, TitrateRequest};
use crate::App;

/// A plan and how to present it. `plan` is the JSON answer; the rest is what the text, the
/// printable page, the calendar and the web page put around its steps.
#[derive(Clone, Debug)]
pub struct Schedule<P> {
    pub plan: P,
    pub title: String,
    pub subtitle: String,
    /// The drug a dose without its own drug is of.
    pub drug: MonographId,
}

/// What every kind of plan has: steps of real doses, what to dispense, what to watch.
pub trait Steps: Serialize {
    fn steps(&self) -> &[painrx_engine::schedule::Step];
    fn dispense(&self) -> &[painrx_engine::units::Unit];
    fn warnings(&self) -> &[String];
    fn notes(&self) -> &[String];
    fn sources(&self) -> &[SourceId];
}

macro_rules! steps_of {
    ($plan:ty) => {
        impl Steps for $plan {
            fn steps(&self) -> &[painrx_engine::schedule::Step] {
                &self.steps
            }
            fn dispense(&self) -> &[painrx_engine::units::Unit] {
                &self.dispense
            }
            fn warnings(&self) -> &[String] {
                &self.warnings
            }
            fn notes(&self) -> &[String] {
                &self.notes
            }
            fn sources(&self) -> &[SourceId] {
                &self.sources
            }
        }
    };
}

steps_of!(Plan);
steps_of!(SwitchPlan);

impl App {
    /// A titration from the label schedule, capped by kidney function and age.
    pub fn titrate(&self, r: &TitrateRequest) -> AppResult<Schedule<Plan>> {
        let found = self.resolve(&r.drug)?;
        let options = TitrateOptions {
            product: found.product.as_ref(),
            indication: Some(&r.indication),
            kidneys: r.kidneys.resolve()?,
            age: r.kidneys.age.map(crate::values::Age::get),
            target_daily_mg: r.target.map(crate::values::Mg::get),
        };
        let plan = painrx_engine::schedule::titrate(self.kb(), &found.id, &options)?;
        let indication = plan
            .indication
            .as_deref()
            .map(|i| self.title_of(i))
            .unwrap_or_default();
        Ok(Schedule {
            title: format!("{} titration", self.title_of(&plan.drug)),
            subtitle: format!(
                "For {indication}: up to {} mg a day",
                format_number(plan.target_daily_mg)
            ),
            drug: plan.drug.clone(),
            plan,
        })
    }

    /// A taper to zero from the current dose, directly or via the class's reference drug.
    pub fn taper(&self, r: &TaperRequest) -> AppResult<Schedule<Plan>> {
        let found = self.resolve(&r.drug)?;
        let dose = dose_of(&r.from)?;
        let per_dose = mg_of(&dose, &r.from)?;
        let pace = match (r.speed, r.percent, r.interval_days) {
            (None, Some(percent), Some(days)) => TaperPace::Custom {
                percent: percent.get(),
                interval_days: u32::try_from(days.get()).map_err(|_| {
                    AppError::field(format!("`interval_days` {days} is impossible"))
                })?,
            },
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(AppError::field(
                    "give `speed` or `percent` with `interval_days`, not both",
                ))
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                return Err(AppError::field("`percent` and `interval_days` go together"))
            }
            (None | Some(Speed::Standard), None, None) => TaperPace::Standard,
            (Some(Speed::Slow), None, None) => TaperPace::Slow,
            (Some(Speed::Fast), None, None) => TaperPace::Fast,
        };
        // `via` names the reference drug of the diazepam-equivalent scale, which content names
        // (`equivalence:` on the class), as the taper's crossover target.
        let taper = match r.via.as_deref() {
            None => painrx_engine::schedule::taper,
            Some(via) => {
                let reference = self
                    .kb()
                    .reference_drug(EquivalenceScale::DiazepamEquivalent)
                    .ok_or_else(|| {
                        AppError::field(format!(
                            "`via: {via}`: content names no reference drug to taper through"
                        ))
                    })?;
                if self
                    .kb()
                    .resolve(via)
                    .map_or(true, |v| v.id != *reference.drug.id())
                {
                    return Err(AppError::field(format!(
                        "`via: {via}`: painrx tapers via {} only",
                        reference.scale.via
                    )));
                }
                painrx_engine::schedule::taper_via_diazepam
            }
        };
        let plan = taper(
            self.kb(),
            &found.id,
            found.product.as_deref(),
            per_dose,
            dose.frequency,
            &pace,
        )?;
        Ok(Schedule {
            title: format!("{} taper", self.title_of(&plan.drug)),
            subtitle: format!("From {dose} to zero"),
            drug: plan.drug.clone(),
            plan,
        })
    }

    /// A switch from one drug to another by a published conversion.
    pub fn switch(&self, r: &SwitchRequest) -> AppResult<Schedule<SwitchPlan>> {
        let from = self.resolve(&r.drug)?;
        let to = self.resolve(&r.to)?;
        let dose = dose_of(&r.from)?;
        let per_dose = mg_of(&dose, &r.from)?;
        let plan = painrx_engine::schedule::switch(
            self.kb(),
            &from.id,
            per_dose,
            dose.frequency,
            &to.id,
            r.kidneys.resolve()?,
        )?;
        let (from_title, to_title) = (self.title_of(&plan.from_drug), self.title_of(&plan.to_drug));
        Ok(Schedule {
            title: format!("Switch from {from_title} to {to_title}"),
            subtitle: format!(
                "{} mg/day of {} becomes {} mg/day of {}",
                format_number(plan.from_daily_mg),
                from_title.to_lowercase(),
                format_number(plan.target_daily_mg),
                to_title.to_lowercase()
            ),
            drug: plan.to_drug.clone(),
            plan,
        })
    }
}
