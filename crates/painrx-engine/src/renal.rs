//! Renal function: Cockcroft–Gault creatinine clearance and the race-free CKD-EPI 2021
//! creatinine eGFR, from inputs that can only be built valid.

use painrx_kb::id::SourceId;
use serde::Serialize;

/// Source ids (content/sources/core.yaml) of the equations.
pub const COCKCROFT_GAULT_SOURCE: &str = "cockcroft-gault-1976";
pub const CKD_EPI_2021_SOURCE: &str = "ckd-epi-2021";
/// Devine ideal body weight and the 0.4 adjusted-weight correction, as used for drug dosing.
pub const DEVINE_SOURCE: &str = "devine-1974";

/// µmol/L of creatinine per mg/dL.
const UMOL_PER_MG_DL: f64 = 88.4;
/// The plausible range of serum creatinine in an adult, mg/dL.
const MIN_SCR_MG_DL: f64 = 0.1;
const MAX_SCR_MG_DL: f64 = 20.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
}

impl std::str::FromStr for Sex {
    type Err = RenalError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "female" | "f" => Ok(Sex::Female),
            "male" | "m" => Ok(Sex::Male),
            other => Err(RenalError::Sex(other.to_string())),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CreatinineUnit {
    #[serde(rename = "mg/dL")]
    MgPerDl,
    #[serde(rename = "umol/L")]
    UmolPerL,
}

impl std::str::FromStr for CreatinineUnit {
    type Err = RenalError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().replace('µ', "u").as_str() {
            "mg/dl" | "mgdl" => Ok(CreatinineUnit::MgPerDl),
            "umol/l" | "umoll" | "micromol/l" => Ok(CreatinineUnit::UmolPerL),
            other => Err(RenalError::Unit(other.to_string())),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightBasis {
    Actual,
    Ideal,
    Adjusted,
}

impl std::str::FromStr for WeightBasis {
    type Err = RenalError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "actual" | "total" => Ok(WeightBasis::Actual),
            "ideal" => Ok(WeightBasis::Ideal),
            "adjusted" => Ok(WeightBasis::Adjusted),
            other => Err(RenalError::WeightBasis(other.to_string())),
        }
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RenalError {
    #[error("age `{0}` is outside 18–120 years: these equations are for adults")]
    Age(f64),
    #[error("weight `{0}` kg is impossible: give a weight above 0 and at most 400 kg")]
    Weight(f64),
    #[error("height `{0}` cm is impossible: give a height between 100 and 250 cm")]
    Height(f64),
    #[error(
        "serum creatinine `{value}` {unit} is implausible: give a value from {min} to {max} {unit}"
    )]
    Creatinine {
        value: f64,
        unit: &'static str,
        min: f64,
        max: f64,
    },
    /// Values each within range that together give a clearance no kidney has.
    #[error(
        "these values give a creatinine clearance of {0:.0} mL/min, above the {max:.0} mL/min any \
         kidney reaches: check the creatinine, weight and age (for a heavy patient, use the \
         adjusted or ideal weight basis)",
        max = crate::range::MAX_CRCL_ML_MIN
    )]
    Clearance(f64),
    #[error("unknown sex `{0}`: use female or male")]
    Sex(String),
    #[error("unknown creatinine unit `{0}`: use mg/dL or umol/L")]
    Unit(String),
    #[error("unknown weight basis `{0}`: use actual, ideal or adjusted")]
    WeightBasis(String),
    #[error("ideal body weight (Devine) is defined from 152.4 cm (5 feet); height `{0}` cm is below it: use the actual weight basis")]
    TooShortForIdeal(f64),
    #[error("the {0} weight basis needs --height-cm")]
    NeedsHeight(&'static str),
}

/// A patient's values for renal estimates, valid by construction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RenalInput {
    age_years: f64,
    sex: Sex,
    weight_kg: f64,
    /// Serum creatinine in mg/dL.
    scr_mg_dl: f64,
    height_cm: Option<f64>,
}

impl RenalInput {
    /// Check and build. Creatinine below 0.1 mg/dL (8.84 µmol/L) or above 20 mg/dL (1768 µmol/L)
    /// is refused as implausible: below it, Cockcroft–Gault answers clearances no kidney has
    /// (1e-300 mg/dL gave 6e301 mL/min, 0.9 µmol/L gave 6,262 mL/min).
    pub fn new(
        age_years: f64,
        sex: Sex,
        weight_kg: f64,
        scr: f64,
        unit: CreatinineUnit,
        height_cm: Option<f64>,
    ) -> Result<Self, RenalError> {
        if !(age_years.is_finite() && (18.0..=120.0).contains(&age_years)) {
            return Err(RenalError::Age(age_years));
        }
        if !(weight_kg.is_finite() && weight_kg > 0.0 && weight_kg <= 400.0) {
            return Err(RenalError::Weight(weight_kg));
        }
        let (scr_mg_dl, unit_name, per_mg_dl) = match unit {
            CreatinineUnit::MgPerDl => (scr, "mg/dL", 1.0),
            CreatinineUnit::UmolPerL => (scr / UMOL_PER_MG_DL, "umol/L", UMOL_PER_MG_DL),
        };
        let (min, max) = (
            round1(MIN_SCR_MG_DL * per_mg_dl),
            round1(MAX_SCR_MG_DL * per_mg_dl),
        );
        if !(scr.is_finite() && scr >= min && scr <= max) {
            return Err(RenalError::Creatinine {
                value: scr,
                unit: unit_name,
                min,
                max,
            });
        }
        if let Some(h) = height_cm {
            if !(h.is_finite() && (100.0..=250.0).contains(&h)) {
                return Err(RenalError::Height(h));
            }
        }
        Ok(RenalInput {
            age_years,
            sex,
            weight_kg,
            scr_mg_dl,
            height_cm,
        })
    }

    pub fn scr_mg_dl(&self) -> f64 {
        self.scr_mg_dl
    }

    /// Devine ideal body weight (kg): 50 (men) or 45.5 (women) + 2.3 kg per inch over 5 feet.
    /// `None` without a height; the formula is not defined below 5 feet (152.4 cm).
    pub fn ideal_weight_kg(&self) -> Option<f64> {
        let inches = self.height_cm? / 2.54;
        let base = match self.sex {
            Sex::Male => 50.0,
            Sex::Female => 45.5,
        };
        (inches >= 60.0).then_some(base + 2.3 * (inches - 60.0))
    }

    fn ideal_weight(&self, basis: &'static str) -> Result<f64, RenalError> {
        match self.height_cm {
            None => Err(RenalError::NeedsHeight(basis)),
            Some(h) => self
                .ideal_weight_kg()
                .ok_or(RenalError::TooShortForIdeal(h)),
        }
    }

    /// The weight the Cockcroft–Gault estimate uses for a basis. Ideal weight is never taken
    /// above actual weight; adjusted weight is IBW + 0.4 × (actual − IBW) when actual exceeds IBW.
    pub fn dosing_weight_kg(&self, basis: WeightBasis) -> Result<f64, RenalError> {
        match basis {
            WeightBasis::Actual => Ok(self.weight_kg),
            WeightBasis::Ideal => {
                let ibw = self.ideal_weight("ideal")?;
                Ok(ibw.min(self.weight_kg))
            }
            WeightBasis::Adjusted => {
                let ibw = self.ideal_weight("adjusted")?;
                if self.weight_kg > ibw {
                    Ok(ibw + 0.4 * (self.weight_kg - ibw))
                } else {
                    Ok(self.weight_kg)
                }
            }
        }
    }
}

/// Cockcroft–Gault creatinine clearance (mL/min, not normalised to body surface area):
/// (140 − age) × weight / (72 × SCr), × 0.85 for women.
pub fn cockcroft_gault(input: &RenalInput, basis: WeightBasis) -> Result<f64, RenalError> {
    let weight = input.dosing_weight_kg(basis)?;
    let female = match input.sex {
        Sex::Female => 0.85,
        Sex::Male => 1.0,
    };
    let crcl = (140.0 - input.age_years) * weight * female / (72.0 * input.scr_mg_dl);
    if crcl > crate::range::MAX_CRCL_ML_MIN {
        return Err(RenalError::Clearance(crcl));
    }
    Ok(crcl)
}

/// CKD-EPI 2021 race-free creatinine eGFR (mL/min/1.73 m²).
pub fn ckd_epi_2021(input: &RenalInput) -> f64 {
    let (kappa, alpha, female) = match input.sex {
        Sex::Female => (0.7, -0.241, 1.012),
        Sex::Male => (0.9, -0.302, 1.0),
    };
    let ratio = input.scr_mg_dl / kappa;
    142.0
        * ratio.min(1.0).powf(alpha)
        * ratio.max(1.0).powf(-1.200)
        * 0.9938_f64.powf(input.age_years)
        * female
}

/// The answer of `painrx renal`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenalEstimate {
    pub crcl_ml_min: f64,
    pub egfr_ml_min_1_73m2: f64,
    pub weight_basis: WeightBasis,
    pub weight_used_kg: f64,
    pub sources: Vec<SourceId>,
}

/// Both estimates, rounded to one decimal.
pub fn estimate(input: &RenalInput, basis: WeightBasis) -> Result<RenalEstimate, RenalError> {
    let crcl = cockcroft_gault(input, basis)?;
    let sources = if basis == WeightBasis::Actual {
        SourceId::cite(&[COCKCROFT_GAULT_SOURCE, CKD_EPI_2021_SOURCE])
    } else {
        SourceId::cite(&[COCKCROFT_GAULT_SOURCE, CKD_EPI_2021_SOURCE, DEVINE_SOURCE])
    };
    Ok(RenalEstimate {
        crcl_ml_min: round1(crcl),
        egfr_ml_min_1_73m2: round1(ckd_epi_2021(input)),
        weight_basis: basis,
        weight_used_kg: round1(input.dosing_weight_kg(basis)?),
        sources,
    })
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(age: f64, sex: Sex, weight: f64, scr: f64) -> RenalInput {
        RenalInput::new(age, sex, weight, scr, CreatinineUnit::MgPerDl, None).unwrap()
    }

    #[test]
    fn cockcroft_gault_label_formula() {
        // Label wording: CCr = (140 − age) × weight / (72 × SCr), × 0.85 for women.
        // 60-year-old man, 72 kg, SCr 1.0 mg/dL: 80 × 72 / 72 = 80 mL/min.
        let man = input(60.0, Sex::Male, 72.0, 1.0);
        assert!((cockcroft_gault(&man, WeightBasis::Actual).unwrap() - 80.0).abs() < 1e-9);
        // The same woman: 0.85 × 80 = 68 mL/min.
        let woman = input(60.0, Sex::Female, 72.0, 1.0);
        assert!((cockcroft_gault(&woman, WeightBasis::Actual).unwrap() - 68.0).abs() < 1e-9);
    }

    #[test]
    fn ckd_epi_2021_worked_example() {
        // A 55-year-old woman with SCr 0.9 mg/dL has an eGFR of about 76 mL/min/1.73 m².
        // (The source rounds its intermediate factors; unrounded the value is 75.5.)
        let woman = input(55.0, Sex::Female, 70.0, 0.9);
        let egfr = ckd_epi_2021(&woman);
        assert!((egfr - 76.0).abs() < 1.0, "{egfr}");
        assert!((egfr - 75.49).abs() < 0.01, "{egfr}");
        // Below kappa the alpha term applies: 50-year-old man, SCr 0.7 → 142 × (0.7/0.9)^−0.302 × 0.9938^50.
        let man = input(50.0, Sex::Male, 80.0, 0.7);
        let expected = 142.0 * (0.7_f64 / 0.9).powf(-0.302) * 0.9938_f64.powf(50.0);
        assert!((ckd_epi_2021(&man) - expected).abs() < 1e-9);
    }

    #[test]
    fn micromoles_convert() {
        let a =
            RenalInput::new(60.0, Sex::Male, 72.0, 88.4, CreatinineUnit::UmolPerL, None).unwrap();
        assert!((a.scr_mg_dl() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn weight_bases() {
        // 170 cm man: 66.93 in → IBW 50 + 2.3 × 6.93 = 65.94 kg.
        let obese = RenalInput::new(
            60.0,
            Sex::Male,
            120.0,
            1.0,
            CreatinineUnit::MgPerDl,
            Some(170.0),
        )
        .unwrap();
        let ibw = obese.dosing_weight_kg(WeightBasis::Ideal).unwrap();
        assert!((ibw - 65.94).abs() < 0.01, "{ibw}");
        let adjusted = obese.dosing_weight_kg(WeightBasis::Adjusted).unwrap();
        assert!((adjusted - (ibw + 0.4 * (120.0 - ibw))).abs() < 1e-9);
        let no_height = input(60.0, Sex::Male, 72.0, 1.0);
        assert_eq!(
            no_height.dosing_weight_kg(WeightBasis::Ideal),
            Err(RenalError::NeedsHeight("ideal"))
        );
    }

    #[test]
    fn impossible_values_are_refused() {
        let bad = |age, weight, scr| {
            RenalInput::new(age, Sex::Male, weight, scr, CreatinineUnit::MgPerDl, None)
        };
        assert!(matches!(bad(17.0, 70.0, 1.0), Err(RenalError::Age(_))));
        assert!(matches!(bad(40.0, 0.0, 1.0), Err(RenalError::Weight(_))));
        assert!(matches!(
            bad(40.0, 70.0, 0.0),
            Err(RenalError::Creatinine { .. })
        ));
        assert!(matches!(
            bad(40.0, 70.0, 90.0),
            Err(RenalError::Creatinine { .. })
        ));
        assert!(matches!(bad(f64::NAN, 70.0, 1.0), Err(RenalError::Age(_))));
    }

    #[test]
    fn implausibly_low_creatinine_is_refused_with_the_range() {
        // Regression (outside probe): 1e-300 mg/dL gave CrCl 6e301 and 0.9 µmol/L 6,262 mL/min.
        let tiny = RenalInput::new(40.0, Sex::Male, 70.0, 1e-300, CreatinineUnit::MgPerDl, None);
        assert_eq!(
            tiny.unwrap_err().to_string(),
            "serum creatinine `0.0000…` mg/dL is implausible: give a value from 0.1 to 20 mg/dL"
                .replace("0.0000…", &1e-300f64.to_string())
        );
        let micro = RenalInput::new(40.0, Sex::Male, 70.0, 0.9, CreatinineUnit::UmolPerL, None);
        assert_eq!(
            micro.unwrap_err().to_string(),
            "serum creatinine `0.9` umol/L is implausible: give a value from 8.8 to 1768 umol/L"
        );
        // The edges of the range are accepted, in both units.
        assert!(RenalInput::new(40.0, Sex::Male, 70.0, 0.1, CreatinineUnit::MgPerDl, None).is_ok());
        assert!(
            RenalInput::new(40.0, Sex::Male, 70.0, 8.84, CreatinineUnit::UmolPerL, None).is_ok()
        );
    }
}
