//! `painrx diary …`: the symptom diary on the embedded SQLite file (default) or PostgreSQL.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use painrx_app::diary::ExportFormat;
use painrx_app::values::{words, Name};
use painrx_engine::diary::{score, DoseTaken, Entry, EntryData};
use painrx_engine::id::PatientId;
use painrx_engine::time::{ClockTime, Date};
use painrx_store::{CourseKind, Store};

use crate::commands::print_json;
use crate::{render, CliError};

#[derive(Debug, Subcommand)]
pub enum DiaryCommand {
    /// Add an entry (several a day are allowed).
    Add(AddArgs),
    /// List a patient's entries.
    List(ListArgs),
    /// Edit an entry: name its id and the version you are changing; history is kept.
    Edit(EditArgs),
    /// Baseline versus current, responder category, trends and more; `--html` writes the clinician report.
    Report(ReportArgs),
    /// Export a patient's diary as CSV or a FHIR R4 Bundle.
    Export(ExportArgs),
    /// Import a diary from CSV or a FHIR R4 Bundle (all or nothing).
    Import(ImportArgs),
    /// Start a treatment course (titration, taper, switch or infusion series) linked to the diary.
    CourseAdd(CourseAddArgs),
    /// List a patient's treatment courses.
    CourseList(CourseListArgs),
    /// Record an infusion session of a course (e.g. ketamine): times, observation, escort, effects.
    Session(SessionArgs),
}

#[derive(Debug, Args)]
pub struct CourseAddArgs {
    #[command(flatten)]
    pub target: Target,
    /// titration, taper, switch or infusion.
    #[arg(long, value_parser = words::<CourseKind>())]
    pub kind: CourseKind,
    /// Drug name.
    #[arg(long)]
    pub drug: Name,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub started: Date,
    /// The plan as JSON (e.g. the output of `painrx titrate … --json`).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CourseListArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    #[command(flatten)]
    pub target: Target,
    /// The course id (an infusion course).
    #[arg(long)]
    pub course: i64,
    #[arg(long)]
    pub date: Date,
    /// Start time, HH:MM.
    #[arg(long)]
    pub start: ClockTime,
    #[arg(long = "infusion-minutes")]
    pub infusion_minutes: u32,
    #[arg(long = "observation-minutes")]
    pub observation_minutes: u32,
    /// Someone is confirmed to take the patient home.
    #[arg(long)]
    pub escort: bool,
    /// A screening checklist item answered yes (repeat).
    #[arg(long = "screened")]
    pub screened: Vec<String>,
    /// An adverse effect (repeat), e.g. nausea, headache.
    #[arg(long = "adverse")]
    pub adverse: Vec<String>,
    #[arg(long = "pain-before")]
    pub pain_before: Option<i64>,
    #[arg(long = "pain-after")]
    pub pain_after: Option<i64>,
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Target {
    /// Database: `postgres://…` or a SQLite file (default: painrx.db in the data directory).
    #[arg(long, env = "PAINRX_DB")]
    pub db: Option<String>,
    /// Patient id.
    #[arg(long)]
    pub patient: PatientId,
}

#[derive(Debug, Args)]
pub struct Fields {
    /// YYYY-MM-DD.
    #[arg(long)]
    pub date: Option<Date>,
    /// HH:MM.
    #[arg(long)]
    pub time: Option<ClockTime>,
    /// Pain 0–10.
    #[arg(long)]
    pub pain: Option<i64>,
    #[arg(long)]
    pub fatigue: Option<i64>,
    /// Sleep quality 0 (worst) – 10 (best).
    #[arg(long)]
    pub sleep: Option<i64>,
    #[arg(long)]
    pub stiffness: Option<i64>,
    /// Fibro fog 0–10.
    #[arg(long)]
    pub fog: Option<i64>,
    /// Mood 0 (worst) – 10 (best).
    #[arg(long)]
    pub mood: Option<i64>,
    #[arg(long)]
    pub anxiety: Option<i64>,
    /// Painful areas (body map), comma-separated WPI area ids.
    #[arg(long)]
    pub areas: Option<String>,
    /// A dose taken, "DRUG MG" (repeat).
    #[arg(long = "dose")]
    pub doses: Vec<String>,
    /// A dose missed, "DRUG MG" (repeat).
    #[arg(long = "missed")]
    pub missed: Vec<String>,
    /// A side effect (repeat).
    #[arg(long = "side-effect")]
    pub side_effects: Vec<String>,
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub fields: Fields,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub from: Option<Date>,
    #[arg(long)]
    pub to: Option<Date>,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    #[arg(long, default_value_t = 0)]
    pub offset: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub id: i64,
    /// The version being edited (as listed); a newer version on disk is a conflict, never overwritten.
    #[arg(long)]
    pub version: i64,
    #[command(flatten)]
    pub fields: Fields,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub from: Option<Date>,
    #[arg(long)]
    pub to: Option<Date>,
    #[arg(long)]
    pub json: bool,
    /// Write the printable clinician report (HTML with the chart).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub target: Target,
    /// csv or fhir.
    #[arg(long, default_value_t = ExportFormat::Csv, value_parser = words::<ExportFormat>())]
    pub format: ExportFormat,
    /// Write here instead of standard output (never overwrites).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub target: Target,
    /// csv or fhir.
    #[arg(long, default_value_t = ExportFormat::Csv, value_parser = words::<ExportFormat>())]
    pub format: ExportFormat,
    pub file: PathBuf,
    /// Print `{"patient","imported"}`.
    #[arg(long)]
    pub json: bool,
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

/// The most painrx reads from a plan, policy or page file: 1 MiB.
pub(crate) const MAX_SMALL_FILE_BYTES: usize = 1024 * 1024;

/// A store error as the CLI reports it: the database failing or unreachable is exit 3, what
/// the store refused (bad input, not found, a stale version) exit 2.
pub(crate) fn database(e: painrx_store::StoreError) -> CliError {
    use painrx_store::StoreError;
    match e {
        StoreError::Database(detail) => CliError::Failure(format!("database error: {detail}")),
        e @ StoreError::Unavailable(_) => CliError::Failure(e.to_string()),
        other => CliError::Input(other.to_string()),
    }
}

/// A file's text, at most `limit` bytes: a larger file (or `/dev/zero`) is refused after reading
/// `limit + 1` bytes, never read whole (exit 2).
pub(crate) fn read_bounded(path: &Path, limit: usize) -> Result<String, CliError> {
    use std::io::Read;
    let shown = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| input(format!("cannot read `{shown}`: {e}")))?;
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(|e| input(format!("cannot read `{shown}`: {e}")))?;
    if bytes.len() > limit {
        return Err(input(format!(
            "`{shown}` is larger than {limit} bytes, the most painrx reads from one file"
        )));
    }
    String::from_utf8(bytes).map_err(|e| input(format!("`{shown}` is not UTF-8 text: {e}")))
}

pub(crate) fn url(data: &Path, db: Option<&str>) -> Result<String, CliError> {
    match db {
        Some(u) => Ok(u.to_string()),
        None => {
            std::fs::create_dir_all(data)?;
            Ok(data.join("painrx.db").display().to_string())
        }
    }
}

fn dose(text: &str, taken: bool) -> Result<DoseTaken, CliError> {
    DoseTaken::parse(text, taken).map_err(input)
}

/// Apply the given fields over `base` (for add, base is empty).
fn apply(fields: &Fields, mut base: EntryData) -> Result<EntryData, CliError> {
    if let Some(d) = fields.date {
        base.date = d;
    }
    if fields.time.is_some() {
        base.time = fields.time;
    }
    if let Some(p) = fields.pain {
        base.pain = score("pain", p).map_err(input)?;
    }
    let opt =
        |name: &'static str, v: Option<i64>, current: Option<u8>| -> Result<Option<u8>, CliError> {
            match v {
                Some(x) => score(name, x).map(Some).map_err(input),
                None => Ok(current),
            }
        };
    base.fatigue = opt("fatigue", fields.fatigue, base.fatigue)?;
    base.sleep = opt("sleep", fields.sleep, base.sleep)?;
    base.stiffness = opt("stiffness", fields.stiffness, base.stiffness)?;
    base.fog = opt("fog", fields.fog, base.fog)?;
    base.mood = opt("mood", fields.mood, base.mood)?;
    base.anxiety = opt("anxiety", fields.anxiety, base.anxiety)?;
    if let Some(a) = &fields.areas {
        base.areas = painrx_engine::assess::parse_areas(a).map_err(input)?;
    }
    if !fields.doses.is_empty() || !fields.missed.is_empty() {
        base.doses = fields
            .doses
            .iter()
            .map(|d| dose(d, true))
            .chain(fields.missed.iter().map(|d| dose(d, false)))
            .collect::<Result<_, _>>()?;
    }
    if !fields.side_effects.is_empty() {
        base.side_effects = fields.side_effects.clone();
    }
    if fields.note.is_some() {
        base.note = fields.note.clone();
    }
    base.validate().map_err(input)?;
    Ok(base)
}

fn line(e: &Entry) -> String {
    let mut parts = vec![
        format!(
            "#{} v{} {}{}",
            e.id,
            e.version,
            e.data.date,
            e.data.time.map(|t| format!(" {t}")).unwrap_or_default()
        ),
        format!("pain {}", e.data.pain),
    ];
    for name in ["fatigue", "sleep", "stiffness", "fog", "mood", "anxiety"] {
        if let Some(v) = e.data.score(name) {
            parts.push(format!("{name} {v}"));
        }
    }
    if let Some(n) = &e.data.note {
        parts.push(format!("note: {n}"));
    }
    parts.join(", ")
}

/// Run a diary command on a fresh single-threaded runtime.
/// Run a diary command. `content` is the global `--content` folder: a course's drug is resolved
/// against the same knowledge base as every other command.
pub fn run(data: &Path, content: Option<&Path>, command: &DiaryCommand) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(run_async(data, content, command))
}

async fn open(data: &Path, target: &Target) -> Result<Store, CliError> {
    Store::open(&url(data, target.db.as_deref())?)
        .await
        .map_err(database)
}

async fn all_entries(
    store: &Store,
    patient: &PatientId,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<Entry>, CliError> {
    store.all_entries(patient, from, to).await.map_err(database)
}

async fn run_async(
    data: &Path,
    content: Option<&Path>,
    command: &DiaryCommand,
) -> Result<(), CliError> {
    match command {
        DiaryCommand::Add(args) => add(data, args).await,
        DiaryCommand::List(args) => list(data, args).await,
        DiaryCommand::Edit(args) => edit(data, args).await,
        DiaryCommand::Report(args) => report(data, args).await,
        DiaryCommand::Export(args) => export(data, args).await,
        DiaryCommand::Import(args) => import(data, args).await,
        DiaryCommand::CourseAdd(args) => course_add(data, content, args).await,
        DiaryCommand::CourseList(args) => course_list(data, args).await,
        DiaryCommand::Session(args) => session(data, args).await,
    }
}

async fn add(data: &Path, args: &AddArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let date = args
        .fields
        .date
        .ok_or_else(|| input("an entry needs --date YYYY-MM-DD"))?;
    if args.fields.pain.is_none() {
        return Err(input("an entry needs --pain 0–10"));
    }
    let entry = apply(&args.fields, EntryData::new(date, 0))?;
    let store = open(data, &args.target).await?;
    let saved = store
        .add_entry(&args.target.patient, &entry)
        .await
        .map_err(database)?;
    if args.json {
        return print_json(&mut out, &saved);
    }
    writeln!(out, "saved {}", line(&saved))?;
    Ok(())
}

async fn list(data: &Path, args: &ListArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let store = open(data, &args.target).await?;
    let entries = store
        .list_entries(
            &args.target.patient,
            args.from,
            args.to,
            args.limit,
            args.offset,
        )
        .await
        .map_err(database)?;
    if args.json {
        return print_json(&mut out, &serde_json::json!({ "entries": entries }));
    }
    if entries.is_empty() {
        writeln!(out, "no entries")?;
    }
    for e in &entries {
        writeln!(out, "{}", line(e))?;
    }
    Ok(())
}

async fn edit(data: &Path, args: &EditArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let store = open(data, &args.target).await?;
    let current = store
        .get_entry(&args.target.patient, args.id)
        .await
        .map_err(database)?
        .ok_or_else(|| {
            input(format!(
                "no entry #{} for patient `{}`",
                args.id, args.target.patient
            ))
        })?;
    let edited = apply(&args.fields, current.data)?;
    let saved = store
        .edit_entry(&args.target.patient, args.id, args.version, &edited)
        .await
        .map_err(database)?;
    if args.json {
        return print_json(&mut out, &saved);
    }
    writeln!(out, "saved {} (earlier versions kept)", line(&saved))?;
    Ok(())
}

async fn report(data: &Path, args: &ReportArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let store = open(data, &args.target).await?;
    let entries = all_entries(&store, &args.target.patient, args.from, args.to).await?;
    let report = painrx_engine::diary::report(&args.target.patient, &entries, args.from, args.to);
    if let Some(path) = &args.html {
        let marks = painrx_app::diary::chart_marks(&store, &args.target.patient, &report)
            .await
            .map_err(database)?;
        let svg = painrx_render::chart::diary_chart(&entries, &marks).map_err(input)?;
        let html =
            painrx_render::report::clinician_report(&args.target.patient, &report, &svg, &entries)
                .map_err(input)?;
        crate::commands::write_new(path, &html)?;
    }
    if args.json {
        return print_json(&mut out, &report);
    }
    let n = |v: Option<f64>| {
        v.map(painrx_kb::quantity::format_number)
            .unwrap_or_else(|| "—".into())
    };
    writeln!(
        out,
        "{} entries; pain baseline {} → current {} ({}%): responder {:?}",
        report.entries,
        n(report.baseline_pain),
        n(report.current_pain),
        n(report.change_pct),
        report.responder
    )?;
    writeln!(out, "{}", render::NOTICE)?;
    Ok(())
}

async fn export(data: &Path, args: &ExportArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let store = open(data, &args.target).await?;
    let entries = all_entries(&store, &args.target.patient, None, None).await?;
    let list: Vec<EntryData> = entries.into_iter().map(|e| e.data).collect();
    let text = match args.format {
        ExportFormat::Csv => painrx_render::csv::diary_csv(&list),
        ExportFormat::Fhir => serde_json::to_string_pretty(
            &painrx_fhir::diary_bundle(&args.target.patient, &list).map_err(input)?,
        )
        .map_err(input)?,
    };
    match &args.out {
        Some(path) => crate::commands::write_new(path, &text)?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

async fn import(data: &Path, args: &ImportArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let text = read_bounded(&args.file, painrx_app::diary::MAX_IMPORT_BYTES)?;
    let list = painrx_app::diary::import(&args.format.to_string(), &text)
        .map_err(|e| input(format!("`{}`: {e}", args.file.display())))?;
    let store = open(data, &args.target).await?;
    let saved = store
        .add_entries(&args.target.patient, &list)
        .await
        .map_err(database)?;
    if args.json {
        return print_json(
            &mut out,
            &serde_json::json!({"patient": args.target.patient, "imported": saved.len()}),
        );
    }
    writeln!(
        out,
        "imported {} entries for `{}`",
        saved.len(),
        args.target.patient
    )?;
    Ok(())
}

async fn course_add(
    data: &Path,
    content: Option<&Path>,
    args: &CourseAddArgs,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let kind = args.kind;
    let plan = match &args.plan {
        Some(p) => {
            let text = read_bounded(p, MAX_SMALL_FILE_BYTES)?;
            serde_json::from_str(&text)
                .map_err(|e| input(format!("`{}` is not JSON: {e}", p.display())))?
        }
        None => serde_json::Value::Null,
    };
    let course = painrx_app::diary::CourseRequest {
        kind,
        drug: args.drug.clone(),
        started: args.started,
        plan,
        note: args.note.clone(),
    };
    let kb = crate::commands::knowledge(content)?;
    let course = painrx_app::diary::resolve_course(&kb, course)?;
    let store = open(data, &args.target).await?;
    let saved = store
        .add_course(&args.target.patient, &course)
        .await
        .map_err(database)?;
    if args.json {
        return print_json(&mut out, &saved);
    }
    writeln!(
        out,
        "course #{} ({} of {}) from {}",
        saved.id, args.kind, saved.drug, saved.started
    )?;
    Ok(())
}

async fn course_list(data: &Path, args: &CourseListArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let store = open(data, &args.target).await?;
    let courses = painrx_app::diary::courses_of(&store, &args.target.patient)
        .await
        .map_err(database)?;
    if args.json {
        return print_json(&mut out, &painrx_app::diary::courses_json(&courses));
    }
    if courses.is_empty() {
        writeln!(out, "no courses")?;
    }
    for (c, sessions) in &courses {
        writeln!(
            out,
            "#{} {} of {} from {}: {} session(s)",
            c.id,
            c.kind.as_str(),
            c.drug,
            c.started,
            sessions.len()
        )?;
    }
    Ok(())
}

async fn session(data: &Path, args: &SessionArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let pain =
        |name: &'static str, v: Option<i64>| v.map(|x| score(name, x)).transpose().map_err(input);
    let session = painrx_store::NewSession {
        date: args.date,
        start_time: args.start,
        infusion_minutes: args.infusion_minutes,
        observation_minutes: args.observation_minutes,
        escort_confirmed: args.escort,
        screening: serde_json::json!(args.screened),
        adverse_effects: args.adverse.clone(),
        pain_before: pain("pain before", args.pain_before)?,
        pain_after: pain("pain after", args.pain_after)?,
        note: args.note.clone(),
    };
    let store = open(data, &args.target).await?;
    let saved = store
        .add_session(&args.target.patient, args.course, &session)
        .await
        .map_err(database)?;
    if args.json {
        return print_json(&mut out, &saved);
    }
    if !args.escort {
        writeln!(out, "warning: no escort confirmed — the patient must not drive or travel home alone after an infusion")?;
    }
    writeln!(
        out,
        "session #{} recorded for course #{}",
        saved.id, args.course
    )?;
    Ok(())
}
