//! One typed request per operation. Each derives serde (JSON bodies and web forms, unknown keys
//! refused) and clap (the CLI flattens it into its arguments), so a field has one name, one
//! type, one default and one check on every edge.

use painrx_engine::assess::Criteria;
use painrx_engine::renal::{CreatinineUnit, Sex, WeightBasis};
use painrx_engine::screen::RuleSet;
use painrx_engine::words::Vocabulary;
use painrx_kb::id::AnsmEditionId;
use painrx_kb::vocab::EquivalenceTable;
use serde::Deserialize;

use crate::values::{
    flag, from_str, opt_from_str, words, Age, CrCl, Mg, Name, Number, WeightKg, Whole,
};

/// Kidney function: a CrCl, or the values to estimate it (Cockcroft–Gault, actual weight).
#[derive(Clone, Debug, Default, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = KidneyFields)]
pub struct KidneyInput {
    /// Creatinine clearance in mL/min.
    #[arg(long)]
    #[serde(default)]
    pub crcl: Option<CrCl>,
    /// Age in years (with --sex, --weight-kg and --scr to estimate CrCl; alone, for older-patient starts).
    #[arg(long)]
    #[serde(default)]
    pub age: Option<Age>,
    /// female or male.
    #[arg(long, value_parser = words::<Sex>())]
    #[serde(default, deserialize_with = "opt_from_str")]
    #[schema(value_type = Option<String>)]
    pub sex: Option<Sex>,
    /// Body weight in kg.
    #[arg(long = "weight-kg")]
    #[serde(default)]
    pub weight_kg: Option<WeightKg>,
    /// Serum creatinine (with --age, --sex and --weight-kg).
    #[arg(long)]
    #[serde(default)]
    pub scr: Option<Number>,
    /// Unit of --scr: mg/dL (default) or umol/L.
    #[arg(long = "scr-unit", default_value_t, value_parser = words::<CreatinineUnit>())]
    #[serde(default, deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub scr_unit: CreatinineUnit,
    /// The patient is on haemodialysis.
    #[arg(long)]
    #[serde(default, deserialize_with = "flag")]
    pub hemodialysis: bool,
}

/// `painrx dose range`, `POST /api/v1/dose/range`, `/dose-range`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RangeRequest)]
pub struct DoseRangeRequest {
    /// Drug name (generic, brand, with or without strength).
    pub drug: Name,
    /// Condition id or name of the indication (`fibromyalgia`, `postherpetic-neuralgia`, …).
    #[arg(long)]
    #[serde(default)]
    pub indication: Option<Name>,
    #[command(flatten)]
    #[serde(flatten)]
    pub kidneys: KidneyInput,
}

/// `painrx dose check`, `POST /api/v1/dose/check`, the written-dose box of `/dose-range`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoseCheckRequest {
    /// Drug name, optionally with a strength ("gabapentin 300 mg").
    pub drug: Name,
    /// The dose, e.g. "300 mg BID" or "1 tab TID".
    #[arg(long)]
    pub dose: Name,
    /// Condition id or name of the indication.
    #[arg(long)]
    #[serde(default)]
    pub indication: Option<Name>,
    #[command(flatten)]
    #[serde(flatten)]
    pub kidneys: KidneyInput,
}

/// `painrx titrate`, `POST /api/v1/titrate`, `/plan/titrate`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitrateRequest {
    /// Drug name.
    pub drug: Name,
    /// Condition id or name of the indication.
    #[arg(long)]
    pub indication: Name,
    /// Target daily dose in mg (default: the label target).
    #[arg(long, value_name = "MG")]
    #[serde(default)]
    pub target: Option<Mg>,
    #[command(flatten)]
    #[serde(flatten)]
    pub kidneys: KidneyInput,
}

/// How fast a taper goes, as the taper rule in content defines the words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Slow,
    Standard,
    Fast,
}

impl std::fmt::Display for Speed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Speed::Slow => "slow",
            Speed::Standard => "standard",
            Speed::Fast => "fast",
        })
    }
}

impl Vocabulary for Speed {
    const ALL: &'static [Speed] = &[Speed::Slow, Speed::Standard, Speed::Fast];
}

impl std::str::FromStr for Speed {
    type Err = crate::values::ValueError;
    fn from_str(text: &str) -> Result<Speed, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "slow" => Ok(Speed::Slow),
            "standard" => Ok(Speed::Standard),
            "fast" => Ok(Speed::Fast),
            _ => Err(crate::values::ValueError(format!(
                "unknown speed `{}`: use slow, standard or fast",
                text.trim()
            ))),
        }
    }
}

/// `painrx taper`, `POST /api/v1/taper`, `/plan/taper`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaperRequest {
    /// Drug name.
    pub drug: Name,
    /// The current dose, e.g. "300 mg TID".
    #[arg(long)]
    pub from: Name,
    /// slow, standard (default) or fast, as the taper rule in content defines them.
    #[arg(long, value_parser = words::<Speed>())]
    #[serde(default, deserialize_with = "opt_from_str")]
    #[schema(value_type = Option<String>)]
    pub speed: Option<Speed>,
    /// Custom cut: percent of the current dose per step (with --interval-days).
    #[arg(long)]
    #[serde(default)]
    pub percent: Option<Number>,
    /// Custom interval between cuts, in days (with --percent).
    #[arg(long = "interval-days")]
    #[serde(default)]
    pub interval_days: Option<Whole>,
    /// Move across to the class's reference drug first (benzodiazepines): `--via diazepam`.
    #[arg(long, value_name = "DRUG")]
    #[serde(default)]
    pub via: Option<Name>,
}

/// `painrx switch`, `POST /api/v1/switch`, `/plan/switch`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    /// The drug now taken.
    pub drug: Name,
    /// Its current dose, e.g. "600 mg TID".
    #[arg(long)]
    pub from: Name,
    /// The drug to switch to.
    #[arg(long)]
    pub to: Name,
    #[command(flatten)]
    #[serde(flatten)]
    pub kidneys: KidneyInput,
}

/// A benzodiazepine equivalence table a user may choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(pub EquivalenceTable);

impl Default for Table {
    /// Ashton's column: the one the 2025 joint guideline's Table 7 prints first.
    fn default() -> Table {
        Table(EquivalenceTable::Ashton)
    }
}

impl std::str::FromStr for Table {
    type Err = crate::values::ValueError;
    fn from_str(text: &str) -> Result<Table, Self::Err> {
        match text.parse::<EquivalenceTable>() {
            Ok(t @ (EquivalenceTable::Ashton | EquivalenceTable::VaDod)) => Ok(Table(t)),
            _ => Err(crate::values::ValueError(format!(
                "unknown table `{}`: use ashton or va-dod",
                text.trim()
            ))),
        }
    }
}

impl Vocabulary for Table {
    const ALL: &'static [Table] = &[
        Table(EquivalenceTable::Ashton),
        Table(EquivalenceTable::VaDod),
    ];
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// `painrx equiv`, `POST /api/v1/equiv`, `/equiv`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquivRequest {
    /// The drug now taken.
    pub drug: Name,
    /// Its dose, e.g. `2mg` or `2 mg`.
    pub dose: Name,
    /// The drug to express it in.
    #[arg(long)]
    pub to: Name,
    /// Benzodiazepine table: ashton (default) or va-dod.
    #[arg(long, default_value_t, value_parser = words::<Table>())]
    #[serde(default, deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub table: Table,
}

/// `painrx renal`, `POST /api/v1/renal`, `/renal`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenalRequest {
    /// Age in years (18–120: these are adult equations).
    #[arg(long)]
    pub age: Number,
    /// female or male.
    #[arg(long, value_parser = words::<Sex>())]
    #[serde(deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub sex: Sex,
    /// Actual body weight in kg.
    #[arg(long = "weight-kg")]
    pub weight_kg: Number,
    /// Serum creatinine.
    #[arg(long)]
    pub scr: Number,
    /// Unit of --scr: mg/dL (default) or umol/L.
    #[arg(long = "scr-unit", default_value_t, value_parser = words::<CreatinineUnit>())]
    #[serde(default, deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub scr_unit: CreatinineUnit,
    /// Height in cm (needed for the ideal and adjusted weight bases).
    #[arg(long = "height-cm")]
    #[serde(default)]
    pub height_cm: Option<Number>,
    /// Weight for Cockcroft–Gault: actual (default), ideal or adjusted.
    #[arg(long = "weight-basis", default_value_t, value_parser = words::<WeightBasis>())]
    #[serde(default, deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub weight_basis: WeightBasis,
}

/// A site policy that raises, lowers or disables rules: its name (shown on each finding it
/// changed) and its YAML text.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePolicy {
    pub name: String,
    pub text: String,
}

/// `painrx check`, `POST /api/v1/check`, `/check`.
#[derive(Clone, Debug, Default, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Medications, optionally with a dose: "oxycodone 20 mg q6h", "Lyrica", "fentanyl 25 mcg/h".
    #[arg(required = true, num_args = 1..)]
    pub medications: Vec<Name>,
    /// Patient age in years.
    #[arg(long)]
    #[serde(default)]
    pub age: Option<Age>,
    /// female or male.
    #[arg(long, value_parser = words::<Sex>())]
    #[serde(default, deserialize_with = "opt_from_str")]
    #[schema(value_type = Option<String>)]
    pub sex: Option<Sex>,
    /// A condition the patient has (id or name); repeat for several.
    #[arg(long = "condition")]
    #[serde(default)]
    pub conditions: Vec<Name>,
    /// Something the patient is allergic to (drug or class); repeat for several.
    #[arg(long = "allergy")]
    #[serde(default)]
    pub allergies: Vec<Name>,
    /// The patient is pregnant.
    #[arg(long)]
    #[serde(default, deserialize_with = "flag")]
    pub pregnant: bool,
    /// The patient is breastfeeding.
    #[arg(long)]
    #[serde(default, deserialize_with = "flag")]
    pub breastfeeding: bool,
    /// Rule sources: all (default: painrx's rules and the ANSM thesaurus), painrx or ansm.
    #[arg(long, default_value_t, value_parser = words::<RuleSet>())]
    #[serde(default, deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub rules: RuleSet,
    /// ANSM edition, YYYY_MM (default: the newest, compiled in or imported).
    #[arg(long = "ansm-edition")]
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub ansm_edition: Option<AnsmEditionId>,
    /// A draft order: screen it against the list and report only findings that involve it.
    #[arg(long)]
    #[serde(default)]
    pub new: Option<Name>,
    /// A site policy (on the command line: `--policy FILE`, which the CLI reads into this).
    #[arg(skip)]
    #[serde(default)]
    pub policy: Option<SitePolicy>,
}

/// `painrx assess acr2016`, `POST /api/v1/assess/acr2016`, `/assess/acr2016`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcrRequest {
    /// Painful areas in the past week, comma- or space-separated (left-jaw … abdomen).
    #[arg(long = "pain-areas", default_value = "")]
    #[serde(default)]
    pub pain_areas: String,
    /// Fatigue, 0–3.
    #[arg(long)]
    pub fatigue: Whole,
    /// Waking unrefreshed, 0–3.
    #[arg(long)]
    pub unrefreshed: Whole,
    /// Cognitive symptoms, 0–3.
    #[arg(long)]
    pub cognitive: Whole,
    /// Headaches in the past 6 months.
    #[arg(long)]
    #[serde(default, deserialize_with = "flag")]
    pub headaches: bool,
    /// Pain or cramps in the lower abdomen in the past 6 months.
    #[arg(long)]
    #[serde(default, deserialize_with = "flag")]
    pub abdominal: bool,
    /// Depression in the past 6 months.
    #[arg(long)]
    #[serde(default, deserialize_with = "flag")]
    pub depression: bool,
    /// How long the symptoms have lasted, in months.
    #[arg(long)]
    pub months: Number,
    /// 2016 (default) or 2010.
    #[arg(long, default_value_t, value_parser = words::<Criteria>())]
    #[serde(default, deserialize_with = "from_str")]
    #[schema(value_type = String)]
    pub criteria: Criteria,
}

/// `painrx assess fiqr`, `POST /api/v1/assess/fiqr`, `/assess/fiqr`.
#[derive(Clone, Debug, Deserialize, clap::Args, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FiqrRequest {
    /// The 21 answers, "n1,…,n21".
    #[arg(long)]
    pub answers: String,
}
