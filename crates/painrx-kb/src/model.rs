//! The knowledge model: what a monograph's front matter may hold.
//!
//! One struct serves every kind; which fields a kind requires is the validator's business
//! (`validate.rs`). Unknown fields are refused, so a typo is an error, not a silently dropped fact.

use serde::{Deserialize, Serialize};

use crate::at::At;
use crate::id::{AtcCode, Icd10Code, MonographId, ProductId, RxCui, SnomedId, SourceId, SymptomId};
use crate::quantity::{Amount, Fraction};
use crate::time::Date;
use crate::vocab::*;

/// A citation: a registry id, optionally followed by `#section` (`lyrica-uspi#2.5`), with the
/// line it was written on.
pub type SourceRef = At<SourceId>;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub id: At<MonographId>,
    pub kind: At<Kind>,
    pub title: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<Depth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SubstanceStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Names>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<At<MonographId>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<At<MonographId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind_of_class: Option<ClassKind>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<At<MonographId>>,
    #[serde(default)]
    pub codes: Codes,
    pub is_banned: bool,
    pub last_modified: At<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled: Option<Controlled>,
    #[serde(default)]
    pub sources: Vec<SourceRef>,
    #[serde(default)]
    pub faqs: Vec<Faq>,

    // Drug facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<At<Product>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indications: Vec<At<Indication>>,
    /// Label renal tables, one per group of products.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renal: Vec<At<Renal>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hepatic: Option<At<Note<Adjustment>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly: Option<At<Note<Adjustment>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pk: Option<At<Pk>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub side_effects: Vec<At<SideEffect>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contraindications: Vec<At<ConditionFact>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnancy: Option<At<Summary>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lactation: Option<At<Summary>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<At<Cost>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mme: Option<At<Mme>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diazepam_equivalent: Option<At<DiazepamEquivalent>>,
    /// Anticholinergic Cognitive Burden score (0–3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acb: Option<At<AcbScore>>,
    /// How to stop this drug; drugs without one use their class's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taper: Option<At<TaperPolicy>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<At<Conversion>>,

    // Class facts.
    /// The dose-equivalence scale this class names a reference drug for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equivalence: Option<At<ReferenceScale>>,

    // Condition facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<Symptom>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_line: Vec<At<MonographId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_line_source: Option<SourceRef>,
    /// Editor's notes on the structured facts (e.g. how strong a first-line recommendation is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,

    // Procedure facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drugs: Vec<At<MonographId>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<At<MonographId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<At<Course>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<At<Session>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screening: Vec<At<ScreeningItem>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub generic: String,
    #[serde(default)]
    pub brands: Vec<String>,
    #[serde(default)]
    pub synonyms: Vec<String>,
    #[serde(default)]
    pub international: Vec<InternationalName>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternationalName {
    pub name: String,
    pub lang: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub atc: Vec<AtcCode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rxcui: Vec<RxCui>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snomed: Vec<SnomedId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icd10: Vec<Icd10Code>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controlled {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub q: String,
    pub a: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    pub release: Release,
    pub route: Route,
    pub form: Form,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strengths_mg: Vec<Amount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strengths_mcg_per_hour: Vec<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concentration_mg_per_ml: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concentration_percent: Option<Amount>,
    #[serde(default)]
    pub scored: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indication {
    pub condition: At<MonographId>,
    pub status: LabelStatus,
    #[serde(default)]
    pub regulators: Vec<Regulator>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<At<ProductId>>,
    #[serde(default = "default_population")]
    pub population: Population,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regimen: Option<At<Regimen>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

fn default_population() -> Population {
    Population::Adult
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regimen {
    #[serde(default = "default_unit")]
    pub unit: DoseUnit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_daily: Option<At<Amount>>,
    #[serde(default)]
    pub frequencies: Vec<Frequency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<At<TitrationStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<Increment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_daily: Option<At<Amount>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<At<Amount>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_single: Option<At<Amount>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_effect: Option<TimeToEffect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly: Option<At<ElderlyStart>>,
    pub source: Option<SourceRef>,
}

fn default_unit() -> DoseUnit {
    DoseUnit::Mg
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitrationStep {
    pub day: Amount,
    pub daily: Amount,
    pub frequency: Frequency,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Increment {
    pub daily: Amount,
    pub every_days: Amount,
    /// Where the increment comes from, when the regimen's own source does not give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

/// A lower, slower start for older patients, where the label or a guideline gives one.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElderlyStart {
    pub from_age: Amount,
    pub start_daily: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<Increment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

/// How a drug (or every drug of a class) is stopped.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaperPolicy {
    /// The shortest taper the label allows (gabapentinoids: 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_duration_days: Option<Amount>,
    pub slow: TaperSpeed,
    pub standard: TaperSpeed,
    pub fast: TaperSpeed,
    /// Largest cut allowed within any 14 days, percent of the dose at the window's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_percent_per_14_days: Option<Amount>,
    /// Offer a switch to diazepam equivalents first (benzodiazepines).
    #[serde(default)]
    pub via_diazepam: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub source: Option<SourceRef>,
}

/// One taper speed: cut `percent` (or a fixed `mg`) every `interval_days`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaperSpeed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Amount>,
    /// A fixed cut in mg/day per step (gabapentin: 300 mg every 4 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg: Option<Amount>,
    pub interval_days: Amount,
    /// `current`: percent of the dose being taken (exponential, benzodiazepines);
    /// `initial`: percent of the starting dose (linear). Ignored for `mg` cuts.
    #[serde(default = "default_basis")]
    pub basis: TaperBasis,
}

fn default_basis() -> TaperBasis {
    TaperBasis::Current
}

/// A published conversion from this drug to another.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    pub to: At<MonographId>,
    pub method: SwitchMethod,
    /// Rows: a daily dose of this drug up to `from_max_daily` (inclusive) converts to `to_daily`.
    pub bands: Vec<ConversionBand>,
    /// The target drug's frequency after the switch.
    pub to_frequency: Frequency,
    /// Cross-taper length in days (method cross-taper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_taper_days: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionBand {
    /// Upper edge (inclusive); absent for the last, open-ended row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_max_daily: Option<Amount>,
    pub to_daily: Amount,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeToEffect {
    pub min_days: Amount,
    pub max_days: Amount,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renal {
    pub method: RenalMethod,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<At<ProductId>>,
    /// Condition ids the table is for, where a product's table differs by indication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indications: Vec<At<MonographId>>,
    pub bands: Vec<At<RenalBand>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hemodialysis: Option<Hemodialysis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenalBand {
    pub crcl_min: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crcl_max: Option<Amount>,
    /// The label writes the lower edge as "> x": x itself belongs to the band below.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crcl_min_exclusive: bool,
    /// The label writes the upper edge as "≤ x" (or lists x itself): x belongs to this band.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crcl_max_inclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_daily: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<Amount>,
    #[serde(default)]
    pub frequencies: Vec<Frequency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proportional_below: Option<Amount>,
    /// The label table's daily-dose columns for this band, aligned with the other bands'
    /// columns (pregabalin: 150/300/450/600 at CrCl ≥ 60 is 75/150/225/300 at 30–60). A cell is
    /// one dose or a `[low, high]` range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doses: Vec<DoseCell>,

    #[serde(default)]
    pub avoid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RenalBand {
    /// Whether a creatinine clearance falls in this band, edges as the label writes them.
    pub fn contains(&self, crcl: f64) -> bool {
        let min = self.crcl_min.get();
        let above_min = if self.crcl_min_exclusive {
            crcl > min
        } else {
            crcl >= min
        };
        let below_max = match self.crcl_max {
            None => true,
            Some(max) if self.crcl_max_inclusive => crcl <= max.get(),
            Some(max) => crcl < max.get(),
        };
        above_min && below_max
    }
}

/// One cell of a renal table: a daily dose or a range of them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DoseCell {
    One(Amount),
    Range([Amount; 2]),
}

impl DoseCell {
    pub fn low(self) -> Amount {
        match self {
            DoseCell::One(a) | DoseCell::Range([a, _]) => a,
        }
    }
    pub fn high(self) -> Amount {
        match self {
            DoseCell::One(a) | DoseCell::Range([_, a]) => a,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hemodialysis {
    #[serde(default)]
    pub supplements: Vec<HemodialysisSupplement>,
    #[serde(default)]
    pub avoid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HemodialysisSupplement {
    /// The usual maintenance daily dose this row is for: one dose or a `[low, high]` range.
    pub maintenance_daily: DoseCell,
    pub supplement_mg: Vec<Amount>,
}

/// A note with a closed-vocabulary verdict (hepatic, elderly).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note<T> {
    pub adjustment: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub summary: String,
    pub source: Option<SourceRef>,
}

/// A number or a range (hours, litres per kg, or a fraction), with its source.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "T: Deserialize<'de>"))]
pub struct Param<T = Amount> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

/// A fraction between 0 and 1 or a range of them, with its source.
pub type FractionParam = Param<Fraction>;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bioavailability: Option<At<FractionParam>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bioavailability_by_daily_dose: Vec<DoseFraction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bioavailability_by_daily_dose_source: Option<SourceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmax_h: Option<At<Param>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_h: Option<At<Param>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vd_l_per_kg: Option<At<Param>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction_excreted_unchanged: Option<At<FractionParam>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protein_binding: Option<At<FractionParam>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elimination: Option<At<Elimination>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absorption: Option<At<TextFact>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metabolism: Option<At<TextFact>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseFraction {
    pub daily: Amount,
    pub fraction: Fraction,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Elimination {
    pub route: EliminationRoute,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextFact {
    pub note: String,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideEffect {
    pub effect: String,
    pub frequency: EffectFrequency,
    #[serde(default)]
    pub serious: bool,
    #[serde(default)]
    pub long_term: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionFact {
    pub condition: At<MonographId>,
    pub severity: CautionLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub relative: CostBand,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

/// Morphine milligram equivalent conversion factor.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mme {
    pub factor: Amount,
    pub unit: DoseUnit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

/// Anticholinergic Cognitive Burden score of a drug.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcbScore {
    pub score: Amount,
    pub source: Option<SourceRef>,
}

/// The `equivalence:` block of a class: the reference drug of a dose-equivalence scale, and how
/// answers and messages name the scale. Doses on the scale are expressed as the reference drug's.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceScale {
    /// The drug fact the scale converts through.
    pub scale: EquivalenceScale,
    /// The reference drug (a drug id).
    pub reference: At<MonographId>,
    /// The word an equivalence answer carries in `via` (and a taper's `--via`).
    pub via: String,
    /// How messages name the scale ("diazepam equivalent", "40 MME").
    pub label: String,
    /// Advice every conversion on this scale carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub source: Option<SourceRef>,
}

/// Dose equivalent to 10 mg oral diazepam.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiazepamEquivalent {
    pub mg_per_10mg_diazepam: Amount,
    pub table: EquivalenceTable,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<AlternativeEquivalent>,
    #[serde(default)]
    pub uncertain: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlternativeEquivalent {
    pub table: EquivalenceTable,
    pub mg_per_10mg_diazepam: Amount,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Symptom {
    pub id: SymptomId,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub sessions_min: Amount,
    pub sessions_max: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub infusion_minutes_min: Amount,
    pub infusion_minutes_max: Amount,
    pub observation_minutes: Amount,
    pub escort_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driving_restriction_hours: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningItem {
    pub item: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Option<SourceRef>,
}
