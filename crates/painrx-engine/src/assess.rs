//! Fibromyalgia assessment: the ACR 2016 criteria (and the 2010/2011 variant) and the FIQR.
//!
//! The criteria's arithmetic is not a drug fact; its citations are registry ids checked by a test.

use std::str::FromStr;

use painrx_kb::id::SourceId;
use serde::Serialize;

pub const ACR_2016_SOURCE: &str = "acr-fm-2016";
pub const ACR_2010_SOURCE: &str = "acr-fm-2010";
pub const FIQR_SOURCE: &str = "fiqr-2009";
/// The longest symptom duration taken, in months (a lifetime: 120 years).
pub const MAX_MONTHS: f64 = 1440.0;

/// The 19 Widespread Pain Index areas, each in one of the 5 regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    LeftJaw,
    RightJaw,
    LeftShoulderGirdle,
    RightShoulderGirdle,
    LeftUpperArm,
    RightUpperArm,
    LeftLowerArm,
    RightLowerArm,
    LeftHip,
    RightHip,
    LeftUpperLeg,
    RightUpperLeg,
    LeftLowerLeg,
    RightLowerLeg,
    Neck,
    UpperBack,
    LowerBack,
    Chest,
    Abdomen,
}

impl Area {
    pub const ALL: [Area; 19] = [
        Area::LeftJaw,
        Area::RightJaw,
        Area::LeftShoulderGirdle,
        Area::RightShoulderGirdle,
        Area::LeftUpperArm,
        Area::RightUpperArm,
        Area::LeftLowerArm,
        Area::RightLowerArm,
        Area::LeftHip,
        Area::RightHip,
        Area::LeftUpperLeg,
        Area::RightUpperLeg,
        Area::LeftLowerLeg,
        Area::RightLowerLeg,
        Area::Neck,
        Area::UpperBack,
        Area::LowerBack,
        Area::Chest,
        Area::Abdomen,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Area::LeftJaw => "left-jaw",
            Area::RightJaw => "right-jaw",
            Area::LeftShoulderGirdle => "left-shoulder-girdle",
            Area::RightShoulderGirdle => "right-shoulder-girdle",
            Area::LeftUpperArm => "left-upper-arm",
            Area::RightUpperArm => "right-upper-arm",
            Area::LeftLowerArm => "left-lower-arm",
            Area::RightLowerArm => "right-lower-arm",
            Area::LeftHip => "left-hip",
            Area::RightHip => "right-hip",
            Area::LeftUpperLeg => "left-upper-leg",
            Area::RightUpperLeg => "right-upper-leg",
            Area::LeftLowerLeg => "left-lower-leg",
            Area::RightLowerLeg => "right-lower-leg",
            Area::Neck => "neck",
            Area::UpperBack => "upper-back",
            Area::LowerBack => "lower-back",
            Area::Chest => "chest",
            Area::Abdomen => "abdomen",
        }
    }

    /// Region 1–5 (left upper, right upper, left lower, right lower, axial).
    pub fn region(self) -> u8 {
        match self {
            Area::LeftJaw | Area::LeftShoulderGirdle | Area::LeftUpperArm | Area::LeftLowerArm => 1,
            Area::RightJaw
            | Area::RightShoulderGirdle
            | Area::RightUpperArm
            | Area::RightLowerArm => 2,
            Area::LeftHip | Area::LeftUpperLeg | Area::LeftLowerLeg => 3,
            Area::RightHip | Area::RightUpperLeg | Area::RightLowerLeg => 4,
            Area::Neck | Area::UpperBack | Area::LowerBack | Area::Chest | Area::Abdomen => 5,
        }
    }

    /// Jaw, chest and abdominal pain do not count toward generalised pain (ACR 2016).
    pub fn counts_for_generalized_pain(self) -> bool {
        !matches!(
            self,
            Area::LeftJaw | Area::RightJaw | Area::Chest | Area::Abdomen
        )
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AssessError {
    #[error("unknown pain area `{0}`; areas: {1}")]
    Area(String, String),
    #[error("pain area `{0}` is listed twice")]
    Repeated(String),
    #[error("{name} must be 0, 1, 2 or 3 (got `{value}`)")]
    Severity { name: &'static str, value: i64 },
    #[error("symptom duration must be from 0 to {MAX_MONTHS} months (got `{0}`)")]
    Months(f64),
    #[error("the FIQR has 21 answers; {0} were given")]
    FiqrCount(usize),
    #[error("FIQR answer {item} is `{value}`: each answer is a whole number from 0 to 10")]
    FiqrRange { item: usize, value: String },
}

impl FromStr for Area {
    type Err = AssessError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        Area::ALL
            .into_iter()
            .find(|a| a.id() == wanted)
            .ok_or_else(|| {
                AssessError::Area(text.trim().to_string(), Area::ALL.map(Area::id).join(" "))
            })
    }
}

/// Parse "neck,lower-back left-hip" (commas or spaces).
pub fn parse_areas(text: &str) -> Result<Vec<Area>, AssessError> {
    let mut out: Vec<Area> = Vec::new();
    for word in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let area: Area = word.parse()?;
        if out.contains(&area) {
            return Err(AssessError::Repeated(word.to_string()));
        }
        out.push(area);
    }
    Ok(out)
}

/// Answers to the Widespread Pain Index and Symptom Severity Scale.
#[derive(Clone, Debug, PartialEq)]
pub struct AcrAnswers {
    pub pain_areas: Vec<Area>,
    pub fatigue: u8,
    pub unrefreshed: u8,
    pub cognitive: u8,
    pub headaches: bool,
    pub abdominal: bool,
    pub depression: bool,
    pub months: f64,
}

impl AcrAnswers {
    /// Check the 0–3 scores (`[fatigue, unrefreshed, cognitive]`) and the duration;
    /// `somatic` is `[headaches, abdominal, depression]`.
    pub fn new(
        pain_areas: Vec<Area>,
        scores: [i64; 3],
        somatic: [bool; 3],
        months: f64,
    ) -> Result<Self, AssessError> {
        let score = |name: &'static str, value: i64| {
            u8::try_from(value)
                .ok()
                .filter(|v| *v <= 3)
                .ok_or(AssessError::Severity { name, value })
        };
        if !(months.is_finite() && (0.0..=MAX_MONTHS).contains(&months)) {
            return Err(AssessError::Months(months));
        }
        let [fatigue, unrefreshed, cognitive] = scores;
        let [headaches, abdominal, depression] = somatic;
        Ok(AcrAnswers {
            pain_areas,
            fatigue: score("fatigue", fatigue)?,
            unrefreshed: score("waking unrefreshed", unrefreshed)?,
            cognitive: score("cognitive symptoms", cognitive)?,
            headaches,
            abdominal,
            depression,
            months,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Criteria {
    #[serde(rename = "2016")]
    Acr2016,
    #[serde(rename = "2010")]
    Acr2010,
}

/// The answer of `painrx assess acr2016`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AcrResult {
    pub criteria: Criteria,
    pub wpi: u8,
    pub sss: u8,
    pub fs: u8,
    pub regions_with_pain: Vec<u8>,
    pub generalized_pain: bool,
    pub meets_criteria: bool,
    /// The parts below, joined: which parts of the criteria are or are not met.
    pub explanation: String,
    pub explanation_parts: Vec<String>,
    pub sources: Vec<SourceId>,
}

/// Score the answers against the 2016 criteria or the 2010/2011 variant.
pub fn acr(answers: &AcrAnswers, criteria: Criteria) -> AcrResult {
    let wpi = u8::try_from(answers.pain_areas.len()).unwrap_or(u8::MAX);
    let somatic =
        u8::from(answers.headaches) + u8::from(answers.abdominal) + u8::from(answers.depression);
    let sss = answers.fatigue + answers.unrefreshed + answers.cognitive + somatic;
    let mut regions: Vec<u8> = answers
        .pain_areas
        .iter()
        .filter(|a| a.counts_for_generalized_pain())
        .map(|a| a.region())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    let generalized = regions.len() >= 4;
    let low = match criteria {
        Criteria::Acr2016 => 4,
        Criteria::Acr2010 => 3,
    };
    let wpi_sss = (wpi >= 7 && sss >= 5) || ((low..=6).contains(&wpi) && sss >= 9);
    let duration = answers.months >= 3.0;
    let mut explanation = vec![if wpi_sss {
        if wpi >= 7 {
            format!("met: WPI {wpi} ≥ 7 with SSS {sss} ≥ 5")
        } else {
            format!("met: WPI {wpi} is {low}–6 with SSS {sss} ≥ 9")
        }
    } else if (low..=6).contains(&wpi) {
        format!("not met: WPI {wpi} is {low}–6 but SSS {sss} is below 9")
    } else if wpi >= 7 {
        format!("not met: WPI {wpi} ≥ 7 but SSS {sss} is below 5")
    } else {
        format!("not met: WPI {wpi} is below {low}")
    }];
    if criteria == Criteria::Acr2016 {
        let listed: Vec<String> = regions.iter().map(|r| format!("region {r}")).collect();
        explanation.push(if generalized {
            format!("met: generalised pain in {} of 5 regions ({}); jaw, chest and abdomen do not count", regions.len(), listed.join(", "))
        } else {
            format!("not met: generalised pain needs 4 of 5 regions, found {} ({}); jaw, chest and abdomen do not count", regions.len(), if listed.is_empty() { "none".into() } else { listed.join(", ") })
        });
    }
    explanation.push(if duration {
        format!(
            "met: symptoms for {} months (at least 3)",
            painrx_kb::quantity::format_number(answers.months)
        )
    } else {
        format!(
            "not met: symptoms for {} months (at least 3 needed)",
            painrx_kb::quantity::format_number(answers.months)
        )
    });
    match criteria {
        Criteria::Acr2016 => explanation.push("a fibromyalgia diagnosis is valid irrespective of other diagnoses (ACR 2016)".into()),
        Criteria::Acr2010 => explanation.push("the 2010 criteria also require that no other disorder explains the pain: a clinical judgement painrx cannot make".into()),
    }
    let meets = wpi_sss && duration && (criteria == Criteria::Acr2010 || generalized);
    let fs = wpi + sss;
    explanation.push(format!("fibromyalgia severity (WPI + SSS) {fs} of 31; scores of 12 or more are typical of fibromyalgia"));
    AcrResult {
        criteria,
        wpi,
        sss,
        fs,
        regions_with_pain: regions,
        generalized_pain: generalized,
        meets_criteria: meets,
        explanation: explanation.join("; "),
        explanation_parts: explanation,
        sources: SourceId::cite(&[match criteria {
            Criteria::Acr2016 => ACR_2016_SOURCE,
            Criteria::Acr2010 => ACR_2010_SOURCE,
        }]),
    }
}

/// The answer of `painrx assess fiqr`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FiqrResult {
    pub function: f64,
    pub overall: f64,
    pub symptoms: f64,
    pub total: f64,
    pub sources: Vec<SourceId>,
}

/// Score the FIQR: function items 1–9 summed and divided by 3 (0–30), overall impact items 10–11
/// summed (0–20), symptom items 12–21 summed and divided by 2 (0–50); total 0–100.
pub fn fiqr(answers: &str) -> Result<FiqrResult, AssessError> {
    let items: Vec<&str> = answers
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if items.len() != 21 {
        return Err(AssessError::FiqrCount(items.len()));
    }
    let mut values = Vec::with_capacity(21);
    for (n, item) in items.iter().enumerate() {
        let value: u8 =
            item.parse()
                .ok()
                .filter(|v| *v <= 10)
                .ok_or_else(|| AssessError::FiqrRange {
                    item: n + 1,
                    value: (*item).to_string(),
                })?;
        values.push(f64::from(value));
    }
    let sum = |range: std::ops::Range<usize>| {
        values
            .get(range)
            .map(|s| s.iter().sum::<f64>())
            .unwrap_or(0.0)
    };
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let function = round(sum(0..9) / 3.0);
    let overall = round(sum(9..11));
    let symptoms = round(sum(11..21) / 2.0);
    Ok(FiqrResult {
        function,
        overall,
        symptoms,
        total: round(function + overall + symptoms),
        sources: SourceId::cite(&[FIQR_SOURCE]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn areas(text: &str) -> Vec<Area> {
        parse_areas(text).unwrap()
    }

    #[test]
    fn wpi_7_with_sss_5_meets_2016() {
        let a = AcrAnswers::new(areas("left-shoulder-girdle right-shoulder-girdle left-hip right-hip neck lower-back upper-back"), [2, 2, 1], [false, false, false], 6.0).unwrap();
        let r = acr(&a, Criteria::Acr2016);
        assert_eq!((r.wpi, r.sss, r.fs), (7, 5, 12));
        assert_eq!(r.regions_with_pain, [1, 2, 3, 4, 5]);
        assert!(r.generalized_pain && r.meets_criteria);
    }

    #[test]
    fn borderline_wpi_4_to_6_needs_sss_9() {
        // WPI 5 in 4 regions (left upper, right upper, left lower, axial).
        let base = "left-upper-arm right-upper-arm left-upper-leg neck lower-back";
        let high = AcrAnswers::new(areas(base), [3, 3, 2], [true, false, false], 12.0).unwrap();
        let r = acr(&high, Criteria::Acr2016);
        assert_eq!((r.wpi, r.sss), (5, 9));
        assert!(r.meets_criteria, "{}", r.explanation);
        let low = AcrAnswers::new(areas(base), [3, 3, 2], [false, false, false], 12.0).unwrap();
        assert!(!acr(&low, Criteria::Acr2016).meets_criteria);
        // WPI 3 with SSS 9: 2010 yes (3–6), 2016 no (4–6).
        let three = AcrAnswers::new(
            areas("left-upper-arm right-upper-arm neck"),
            [3, 3, 2],
            [true, false, false],
            12.0,
        )
        .unwrap();
        assert!(acr(&three, Criteria::Acr2010).meets_criteria);
        assert!(!acr(&three, Criteria::Acr2016).meets_criteria);
    }

    #[test]
    fn jaw_does_not_count_toward_generalised_pain() {
        // Pain in 4 regions, but region 1 only through the left jaw: 3 regions count.
        let a = AcrAnswers::new(areas("left-jaw right-shoulder-girdle right-upper-arm left-hip left-upper-leg right-hip right-upper-leg"), [2, 2, 2], [false, false, false], 6.0).unwrap();
        let r = acr(&a, Criteria::Acr2016);
        assert_eq!(r.wpi, 7);
        assert_eq!(r.regions_with_pain, [2, 3, 4]);
        assert!(!r.generalized_pain && !r.meets_criteria);
        assert!(
            acr(&a, Criteria::Acr2010).meets_criteria,
            "2010 has no generalised-pain rule"
        );
    }

    #[test]
    fn duration_and_bad_input() {
        let short = AcrAnswers::new(areas("left-shoulder-girdle right-shoulder-girdle left-hip right-hip neck lower-back upper-back"), [3, 3, 3], [true, true, true], 2.0).unwrap();
        assert!(!acr(&short, Criteria::Acr2016).meets_criteria);
        assert!(parse_areas("left-knee").is_err());
        assert!(parse_areas("neck neck").is_err());
        assert!(AcrAnswers::new(vec![], [4, 0, 0], [false, false, false], 3.0).is_err());
        assert!(AcrAnswers::new(vec![], [0, 0, 0], [false, false, false], -1.0).is_err());
    }

    #[test]
    fn fiqr_scoring() {
        let max = fiqr(&["10"; 21].join(",")).unwrap();
        assert_eq!(
            (max.function, max.overall, max.symptoms, max.total),
            (30.0, 20.0, 50.0, 100.0)
        );
        assert_eq!(fiqr(&["0"; 21].join(",")).unwrap().total, 0.0);
        // Function 1..9 = 45 → 15; overall 5 + 5 = 10; symptoms ten 4s = 40 → 20; total 45.
        let mixed = "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4";
        let r = fiqr(mixed).unwrap();
        assert_eq!(
            (r.function, r.overall, r.symptoms, r.total),
            (15.0, 10.0, 20.0, 45.0)
        );
        assert_eq!(fiqr("1,2,3"), Err(AssessError::FiqrCount(3)));
        assert!(matches!(
            fiqr(&["11"; 21].join(",")),
            Err(AssessError::FiqrRange { item: 1, .. })
        ));
        assert!(matches!(
            fiqr(&["2.5"; 21].join(",")),
            Err(AssessError::FiqrRange { .. })
        ));
    }
}
