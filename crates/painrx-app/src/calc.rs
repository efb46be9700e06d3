//! The calculators: renal function, dose ranges, written-dose checks, equivalent doses, the
//! fibromyalgia assessments.

use painrx_engine::assess::{AcrAnswers, AcrResult, FiqrResult};
use painrx_engine::check::DoseCheck;
use painrx_engine::dose::{parse_dose, Amount, Dose};
use painrx_engine::equiv::Equivalence;
use painrx_engine::range::{DoseRange, Kidneys};
use painrx_engine::renal::{cockcroft_gault, RenalEstimate, RenalInput, WeightBasis};
use painrx_kb::Resolution;

use crate::error::{AppError, AppResult};
use crate::request::{
    AcrRequest, DoseCheckRequest, DoseRangeRequest, EquivRequest, FiqrRequest, KidneyInput,
    RenalRequest,
};
use crate::values::Name;
use crate::App;

impl KidneyInput {
    /// The kidney function these fields give: a CrCl as given, or estimated by Cockcroft–Gault
    /// (actual weight, rounded to 0.1 mL/min) from age, sex, weight and creatinine. Half a set of
    /// estimation values is refused, never ignored.
    pub fn resolve(&self) -> AppResult<Kidneys> {
        let crcl = match (self.crcl, self.scr) {
            (Some(_), Some(_)) => {
                return Err(AppError::field(
                    "give `crcl` or `scr` (with `age`, `sex` and `weight_kg`), not both",
                ))
            }
            (Some(crcl), None) => Some(crcl.get()),
            (None, Some(scr)) => {
                let (Some(age), Some(sex), Some(weight)) = (self.age, self.sex, self.weight_kg)
                else {
                    return Err(AppError::field(
                        "`scr` needs `age`, `sex` and `weight_kg` to estimate CrCl",
                    ));
                };
                let input =
                    RenalInput::new(age.get(), sex, weight.get(), scr.get(), self.scr_unit, None)?;
                Some((cockcroft_gault(&input, WeightBasis::Actual)? * 10.0).round() / 10.0)
            }
            (None, None) => {
                if self.sex.is_some() || self.weight_kg.is_some() {
                    return Err(AppError::field(
                        "give `crcl`, or all of `age`, `sex`, `weight_kg` and `scr`",
                    ));
                }
                None
            }
        };
        Ok(Kidneys {
            crcl_ml_min: crcl,
            hemodialysis: self.hemodialysis,
        })
    }
}

/// A dose as written ("300 mg TID"), parsed.
pub(crate) fn dose_of(text: &Name) -> AppResult<Dose> {
    Ok(parse_dose(text)?)
}

/// The mg of one dose, for operations that need a dose in mg.
pub(crate) fn mg_of(dose: &Dose, text: &Name) -> AppResult<f64> {
    match dose.amount {
        Amount::Mg { mg } => Ok(mg),
        _ => Err(AppError::field(format!(
            "`{text}`: give the dose in mg, e.g. `300 mg TID`"
        ))),
    }
}

impl App {
    /// A name to the monograph it means (a drug, brand, condition…), or why not.
    pub fn resolve(&self, name: &str) -> AppResult<Resolution> {
        Ok(self.kb().resolve(name)?)
    }

    /// Cockcroft–Gault CrCl and CKD-EPI 2021 eGFR.
    pub fn renal(&self, r: &RenalRequest) -> AppResult<RenalEstimate> {
        let input = RenalInput::new(
            r.age.get(),
            r.sex,
            r.weight_kg.get(),
            r.scr.get(),
            r.scr_unit,
            r.height_cm.map(crate::values::Number::get),
        )?;
        Ok(painrx_engine::renal::estimate(&input, r.weight_basis)?)
    }

    /// The daily dose range for an indication and a kidney function.
    pub fn dose_range(&self, r: &DoseRangeRequest) -> AppResult<DoseRange> {
        let found = self.resolve(&r.drug)?;
        let kidneys = r.kidneys.resolve()?;
        Ok(painrx_engine::range::dose_range(
            self.kb(),
            &found.id,
            found.product.as_deref(),
            r.indication.as_deref(),
            kidneys,
        )?)
    }

    /// A written dose against the label, the kidneys and the strengths that exist.
    pub fn dose_check(&self, r: &DoseCheckRequest) -> AppResult<DoseCheck> {
        let found = self.resolve(&r.drug)?;
        let dose = dose_of(&r.dose)?;
        let kidneys = r.kidneys.resolve()?;
        Ok(painrx_engine::check::check_dose(
            self.kb(),
            &found.id,
            found.product.as_deref(),
            found.strength.as_ref(),
            &dose,
            r.indication.as_deref(),
            kidneys,
        )?)
    }

    /// An equivalent dose of another drug of the same class.
    pub fn equiv(&self, r: &EquivRequest) -> AppResult<Equivalence> {
        let from = self.resolve(&r.drug)?;
        let to = self.resolve(&r.to)?;
        let dose = dose_of(&r.dose)?;
        let mg = mg_of(&dose, &r.dose)?;
        Ok(painrx_engine::equiv::equivalent(
            self.kb(),
            &from.id,
            mg,
            &to.id,
            r.table.0,
        )?)
    }

    /// The ACR 2016 (or 2010) fibromyalgia criteria.
    pub fn acr(&self, r: &AcrRequest) -> AppResult<AcrResult> {
        let areas = painrx_engine::assess::parse_areas(&r.pain_areas)?;
        let answers = AcrAnswers::new(
            areas,
            [r.fatigue.get(), r.unrefreshed.get(), r.cognitive.get()],
            [r.headaches, r.abdominal, r.depression],
            r.months.get(),
        )?;
        Ok(painrx_engine::assess::acr(&answers, r.criteria))
    }

    /// The revised Fibromyalgia Impact Questionnaire.
    pub fn fiqr(&self, r: &FiqrRequest) -> AppResult<FiqrResult> {
        Ok(painrx_engine::assess::fiqr(&r.answers)?)
    }
}
