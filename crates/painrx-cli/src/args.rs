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
    /// Monographs of drugs, combinations, classes, conditions and procedures.
    #[command(subcommand)]
    Drug(DrugCommand),
    /// Ranked full-text search over every monograph.
    Search(SearchArgs),
    /// Side-by-side comparison of two or more drugs, computed from structured facts.
    Compare(CompareArgs),
    /// Renal function: Cockcroft–Gault creatinine clearance and CKD-EPI 2021 eGFR.
    Renal(RenalArgs),
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
}

/// Kidney function: a CrCl, or the values to estimate it (Cockcroft–Gault, actual weight).
#[derive(Debug, Args)]
pub struct KidneyArgs {
    /// Creatinine clearance in mL/min.
    #[arg(long, conflicts_with_all = ["age", "scr"])]
    pub crcl: Option<f64>,
    /// Age in years (with --sex, --weight-kg and --scr).
    #[arg(long, requires_all = ["sex", "weight_kg", "scr"])]
    pub age: Option<f64>,
    /// female or male.
    #[arg(long)]
    pub sex: Option<String>,
    /// Body weight in kg.
    #[arg(long = "weight-kg")]
    pub weight_kg: Option<f64>,
    /// Serum creatinine.
    #[arg(long, requires = "age")]
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
