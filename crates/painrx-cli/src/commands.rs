//! One function per command: resolve the raw arguments, call the library, hand the answer to
//! `render`.

use std::io::Write;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use painrx_app::plan::{Schedule, Steps};
use painrx_app::App;
use painrx_kb::{has_errors, load, Kb, Level, LoadError};

use crate::args::{
    AcrArgs, AssessCommand, Cli, Command, CompareArgs, DoseCommand, DrugCommand, EquivArgs,
    FiqrArgs, ImportAnsmArgs, ImportArgs, KbCommand, PlanOutput, RangeArgs, RenalArgs, ResolveArgs,
    ScreenArgs, SearchArgs, ShowArgs, SwitchArgs, TaperArgs, TitrateArgs,
};
use crate::render;
use crate::CliError;

pub fn run(cli: Cli) -> Result<(), CliError> {
    let content = cli.content.clone();
    let data = data_dir(cli.data_dir.as_deref());
    let app = || application(content.as_deref(), &data);
    match cli.command {
        Command::Drug(DrugCommand::Show(args)) => show(&app()?, &args),
        Command::Search(args) => search(&app()?, &args),
        Command::Resolve(args) => resolve(&app()?, &args),
        Command::Compare(args) => compare(&app()?, &args),
        Command::Renal(args) => renal(&app()?, &args),
        Command::Diary(command) => crate::diary::run(&data, content.as_deref(), &command),
        Command::Serve(args) => serve(
            knowledge(content.as_deref())?,
            &data,
            content.as_deref(),
            &args,
        ),
        Command::Assess(AssessCommand::Acr2016(args)) => assess_acr(&app()?, &args),
        Command::Assess(AssessCommand::Fiqr(args)) => assess_fiqr(&app()?, &args),
        Command::Titrate(args) => titrate(&app()?, &args),
        Command::Taper(args) => taper(&app()?, &args),
        Command::Switch(args) => switch(&app()?, &args),
        Command::Equiv(args) => equiv(&app()?, &args),
        Command::Dose(DoseCommand::Range(args)) => range(&app()?, &args),
        Command::Dose(DoseCommand::Check(args)) => dose_check(&app()?, &args),
        Command::Kb(KbCommand::Check(args)) => check(content.as_deref(), args.json),
        Command::Kb(KbCommand::ImportPage(args)) => import_page(&args),
        Command::Kb(KbCommand::ImportAnsm(args)) => import_ansm(&data, &args),
        Command::Check(args) => screen(&app()?, &args),
    }
}

/// The application layer over the knowledge base and the data directory.
fn application(content: Option<&Path>, data: &Path) -> Result<App, CliError> {
    Ok(App::new(Arc::new(knowledge(content)?), data.to_path_buf()))
}

/// The data directory: `--data-dir`, else the platform's data directory for painrx.
pub fn data_dir(explicit: Option<&Path>) -> PathBuf {
    explicit.map(Path::to_path_buf).unwrap_or_else(|| {
        directories::ProjectDirs::from("org", "painrx", "painrx")
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".painrx"))
    })
}

/// Load the knowledge base: the folder given, else the content compiled in.
pub(crate) fn knowledge(content: Option<&Path>) -> Result<Kb, CliError> {
    let loaded = match content {
        Some(dir) => Kb::from_dir(dir),
        None => Kb::embedded(),
    };
    loaded.map_err(|err| match err {
        LoadError::Io { .. } => CliError::Input(err.to_string()),
        LoadError::Invalid(diagnostics) => {
            for d in diagnostics
                .iter()
                .filter(|d| d.level == Level::Error)
                .take(20)
            {
                eprintln!("{d}");
            }
            CliError::Invalid(LoadError::Invalid(diagnostics).to_string())
        }
    })
}

fn show(app: &App, args: &ShowArgs) -> Result<(), CliError> {
    let (found, monograph) = app.monograph(&args.name)?;
    if let Some(strength) = &found.strength {
        if !strength.exists() {
            eprintln!(
                "painrx: note: {} has no product of {}; showing the monograph",
                monograph.title(),
                painrx_kb::names::strength_label(strength)
            );
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(
            &mut out,
            &app.monograph_json(&args.name, args.section.as_deref())?,
        );
    }
    match &args.section {
        Some(wanted) => {
            // Refuses an unknown section with the list of sections there are.
            painrx_app::knowledge::section_json(monograph, wanted)?;
            render::section(&mut out, monograph, wanted, &found)?;
        }
        None => render::monograph(&mut out, app.kb(), monograph, &found)?,
    }
    Ok(())
}

fn search(app: &App, args: &SearchArgs) -> Result<(), CliError> {
    let request = painrx_app::knowledge::SearchRequest {
        q: args.query.join(" "),
        limit: args.limit,
    };
    let answer = app.search(&request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        print_json(&mut out, &answer)?;
    } else {
        render::hits(&mut out, &answer.query, &answer.results)?;
    }
    Ok(())
}

fn resolve(app: &App, args: &ResolveArgs) -> Result<(), CliError> {
    let answer = app.understand(&args.request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, &answer);
    }
    for r in &answer.results {
        writeln!(out, "{}", r.input)?;
        for s in &r.substances {
            let mut codes: Vec<String> = Vec::new();
            codes.extend(s.unii.as_ref().map(|u| format!("UNII {u}")));
            codes.extend(s.rxcui.as_ref().map(|c| format!("RxCUI {c}")));
            codes.extend(
                s.monograph
                    .as_ref()
                    .map(|m| format!("painrx monograph {m}")),
            );
            codes.extend(s.ansm.as_ref().map(|a| format!("ANSM {a}")));
            codes.extend(
                s.strength_mg
                    .map(|mg| format!("{} mg", painrx_kb::quantity::format_number(mg))),
            );
            writeln!(out, "  understood as {} ({})", s.name, codes.join("; "))?;
        }
        let written: Vec<&str> = [&r.release, &r.form, &r.dose, &r.frequency]
            .into_iter()
            .filter_map(|v| v.as_deref())
            .collect();
        if !written.is_empty() {
            writeln!(out, "  written: {}", written.join(" "))?;
        }
        if r.covered_by.is_empty() {
            writeln!(out, "  not screened: no rules cover it")?;
        } else {
            writeln!(out, "  screened by: {}", r.covered_by.join(", "))?;
        }
    }
    Ok(())
}

fn compare(app: &App, args: &CompareArgs) -> Result<(), CliError> {
    let comparison = app.compare(&args.drugs)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        print_json(&mut out, &comparison)?;
    } else {
        render::comparison(&mut out, app.kb(), &comparison)?;
    }
    Ok(())
}

fn check(content: Option<&Path>, as_json: bool) -> Result<(), CliError> {
    let (files, root) = match content {
        Some(dir) => (
            load::read_dir(dir).map_err(|e| {
                CliError::Input(format!(
                    "cannot read content folder `{}`: {e}",
                    dir.display()
                ))
            })?,
            dir.display().to_string(),
        ),
        None => (load::embedded(), "content (compiled in)".to_string()),
    };
    let summary = Kb::check_summary(&files, &root);
    let (errors, warnings, diagnostics) = (summary.errors, summary.warnings, &summary.diagnostics);
    let mut out = std::io::stdout().lock();
    if as_json {
        print_json(&mut out, &summary)?;
    } else {
        let prefix = content
            .map(|d| format!("{}/", d.display().to_string().trim_end_matches('/')))
            .unwrap_or_else(|| "content/".into());
        for d in diagnostics {
            writeln!(out, "{prefix}{d}")?;
        }
        writeln!(
            out,
            "checked {} monographs and {} sources in {root}: {errors} error(s), {warnings} warning(s)",
            summary.monographs, summary.sources
        )?;
        let v = &summary.vocabulary;
        writeln!(
            out,
            "drug vocabulary: {} names of {} substances; ANSM {}: {} of {} substances linked, {} unlinked: {}",
            v.names,
            v.substances,
            v.ansm_edition,
            v.ansm_linked,
            v.ansm_substances,
            v.ansm_unlinked.len(),
            v.ansm_unlinked.join(", ")
        )?;
        if !v.monographs_unlinked.is_empty() {
            writeln!(
                out,
                "drug monographs not in the vocabulary ({}): {}",
                v.monographs_unlinked.len(),
                v.monographs_unlinked.join(", ")
            )?;
        }
    }
    if has_errors(diagnostics) {
        Err(CliError::Invalid(format!(
            "{errors} error(s) in the knowledge base"
        )))
    } else {
        Ok(())
    }
}

fn import_page(args: &ImportArgs) -> Result<(), CliError> {
    let page = crate::diary::read_bounded(&args.file, crate::diary::MAX_SMALL_FILE_BYTES)?;
    let draft = painrx_kb::import::import_page(&page)
        .map_err(|e| CliError::Input(format!("cannot import `{}`: {e}", args.file.display())))?;
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            let path = dir.join(format!("{}.md", draft.report.id));
            if path.exists() {
                return Err(CliError::Input(format!(
                    "`{}` exists already; painrx does not overwrite it (move it away or choose another --out)",
                    path.display()
                )));
            }
            std::fs::write(&path, &draft.text)?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(draft.text.as_bytes())?;
        }
    }
    let mut err = std::io::stderr().lock();
    if args.json {
        print_json(&mut err, &draft.report)?;
    } else {
        render::import_report(&mut err, &draft.report)?;
    }
    Ok(())
}

fn renal(app: &App, args: &RenalArgs) -> Result<(), CliError> {
    let result = app.renal(&args.request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        print_json(&mut out, &result)?;
    } else {
        writeln!(
            out,
            "Creatinine clearance (Cockcroft–Gault, {} weight {} kg): {} mL/min",
            serde_json::to_value(result.weight_basis)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            result.weight_used_kg,
            result.crcl_ml_min
        )?;
        writeln!(
            out,
            "eGFR (CKD-EPI 2021, race-free): {} mL/min/1.73 m²",
            result.egfr_ml_min_1_73m2
        )?;
        writeln!(out, "Sources: {}", result.sources.join(", "))?;
        writeln!(
            out,
            "Labels dose by Cockcroft–Gault CrCl unless they say otherwise. {}",
            render::NOTICE
        )?;
    }
    Ok(())
}

/// Pretty JSON and a newline: the one serialisation every `--json` uses.
pub(crate) fn print_json(
    out: &mut impl Write,
    value: &impl serde::Serialize,
) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failure(format!("cannot serialise the answer: {e}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}

fn range(app: &App, args: &RangeArgs) -> Result<(), CliError> {
    let kb = app.kb();
    let result = app.dose_range(&args.request)?;
    let kidneys = args.request.kidneys.resolve()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, &result);
    }
    let title = kb
        .get(&result.drug)
        .map(|m| m.title().to_string())
        .unwrap_or_default();
    let indication = result
        .indication
        .as_deref()
        .map(|i| {
            kb.get(i)
                .map(|m| m.title().to_string())
                .unwrap_or_else(|| i.to_string())
        })
        .unwrap_or_else(|| "any indication".into());
    writeln!(out, "{title} for {indication}")?;
    if let (Some(band), Some(crcl)) = (&result.renal_band, kidneys.crcl_ml_min) {
        writeln!(
            out,
            "Kidney function: CrCl {crcl} mL/min → label band {band}"
        )?;
    }
    if result.avoid {
        writeln!(out, "Do not use at this kidney function.")?;
    } else {
        let mg = |v: Option<f64>| {
            v.map(|x| format!("{} mg", painrx_kb::quantity::format_number(x)))
                .unwrap_or_else(|| "—".into())
        };
        writeln!(
            out,
            "Daily dose: {} to {}",
            mg(result.min_daily_mg),
            mg(result.max_daily_mg)
        )?;
        let freqs: Vec<&str> = result.frequencies.iter().map(|f| f.describe()).collect();
        if !freqs.is_empty() {
            writeln!(out, "Given: {}", freqs.join(" or "))?;
        }
        if !result.post_hemodialysis_mg.is_empty() {
            let list: Vec<String> = result
                .post_hemodialysis_mg
                .iter()
                .map(|v| painrx_kb::quantity::format_number(*v))
                .collect();
            writeln!(
                out,
                "After each haemodialysis session: one supplementary dose of {} mg",
                list.join(" or ")
            )?;
        }
    }
    for note in &result.notes {
        writeln!(out, "Note: {}", note.trim())?;
    }
    render::sources_and_notice(&mut out, "Sources", &result.sources)?;
    Ok(())
}

fn title_of(kb: &Kb, id: &str) -> String {
    kb.get(id)
        .map(|m| m.title().to_string())
        .unwrap_or_else(|| id.to_string())
}

/// A plan's parts, for the three outputs that share them.
struct PlanView<'a, T: serde::Serialize> {
    value: &'a T,
    title: &'a str,
    subtitle: &'a str,
    drug: &'a painrx_kb::id::MonographId,
    steps: &'a [painrx_engine::schedule::Step],
    warnings: &'a [String],
    notes: &'a [String],
    sources: &'a [painrx_kb::id::SourceId],
}

/// Write a file that must not exist yet: nothing a user saved is overwritten.
pub(crate) fn write_new(path: &Path, text: &str) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::Input(format!(
            "`{}` exists already; painrx does not overwrite it",
            path.display()
        )));
    }
    std::fs::write(path, text)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn emit_plan<P: Steps>(
    kb: &Kb,
    schedule: &Schedule<P>,
    output: &PlanOutput,
) -> Result<(), CliError> {
    let view = PlanView {
        value: &schedule.plan,
        title: &schedule.title,
        subtitle: &schedule.subtitle,
        drug: &schedule.drug,
        steps: schedule.plan.steps(),
        warnings: schedule.plan.warnings(),
        notes: schedule.plan.notes(),
        sources: schedule.plan.sources(),
    };
    let start =
        painrx_render::start_date(output.start_date).map_err(|e| CliError::Input(e.to_string()))?;
    let name_of = |id: &painrx_kb::id::MonographId| title_of(kb, id);
    let mut out = std::io::stdout().lock();
    if output.json {
        return print_json(&mut out, view.value);
    }
    if let Some(path) = &output.ics {
        let calendar =
            painrx_render::ics::calendar(view.title, view.drug, view.steps, start, &name_of);
        return write_new(path, &calendar.to_string());
    }
    if let Some(path) = &output.html {
        let sources: Vec<String> = view
            .sources
            .iter()
            .map(|s| match kb.source(s) {
                Some(src) => format!("[{s}] {} ({}, {})", src.title, src.publisher, src.year),
                None => format!("[{s}]"),
            })
            .collect();
        let page = painrx_render::html::Page {
            title: view.title,
            subtitle: view.subtitle,
            default_drug: view.drug,
            warnings: view.warnings,
            sources: &sources,
        };
        let html = painrx_render::html::schedule(&page, view.steps, start, &name_of)
            .map_err(|e| CliError::Input(e.to_string()))?;
        return write_new(path, &html);
    }
    writeln!(out, "{}\n{}\n", view.title, view.subtitle)?;
    for step in view.steps {
        let days = painrx_render::days_label(step.start_day, step.end_day);
        let doses: Vec<String> = step
            .doses
            .iter()
            .map(|d| {
                let who = d
                    .drug
                    .as_deref()
                    .map(|id| format!("{} ", title_of(kb, id)))
                    .unwrap_or_default();
                format!(
                    "{} {who}{} mg ({})",
                    d.time,
                    painrx_kb::quantity::format_number(d.mg),
                    painrx_render::ics::units_text(&d.units)
                )
            })
            .collect();
        let what = if doses.is_empty() {
            "stop".to_string()
        } else {
            doses.join("; ")
        };
        writeln!(
            out,
            "{days}: {} mg/day — {what}\n    rule: {}",
            painrx_kb::quantity::format_number(step.daily_mg),
            step.rule
        )?;
    }
    for w in view.warnings {
        writeln!(out, "Warning: {w}")?;
    }
    for n in view.notes {
        writeln!(out, "Note: {}", n.trim())?;
    }
    render::sources_and_notice(&mut out, "Sources", view.sources)?;
    Ok(())
}

fn titrate(app: &App, args: &TitrateArgs) -> Result<(), CliError> {
    emit_plan(app.kb(), &app.titrate(&args.request)?, &args.output)
}

fn taper(app: &App, args: &TaperArgs) -> Result<(), CliError> {
    emit_plan(app.kb(), &app.taper(&args.request)?, &args.output)
}

fn switch(app: &App, args: &SwitchArgs) -> Result<(), CliError> {
    emit_plan(app.kb(), &app.switch(&args.request)?, &args.output)
}

fn equiv(app: &App, args: &EquivArgs) -> Result<(), CliError> {
    let kb = app.kb();
    let result = app.equiv(&args.request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, &result);
    }
    writeln!(
        out,
        "{} mg {} ≈ {} mg {} (via {})",
        painrx_kb::quantity::format_number(result.from.mg),
        title_of(kb, &result.from.drug).to_lowercase(),
        painrx_kb::quantity::format_number(result.to.mg),
        title_of(kb, &result.to.drug).to_lowercase(),
        result.via
    )?;
    for w in &result.warnings {
        writeln!(out, "Warning: {w}")?;
    }
    render::sources_and_notice(&mut out, "Sources", &result.sources)?;
    Ok(())
}

fn dose_check(app: &App, args: &crate::args::DoseCheckArgs) -> Result<(), CliError> {
    let kb = app.kb();
    let result = app.dose_check(&args.request)?;
    let dose = painrx_engine::dose::parse_dose(&args.request.dose)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, &result);
    }
    let verdict = if result.ok { "OK" } else { "NOT OK" };
    let daily = result
        .daily_mg
        .map(|d| format!(" ({} mg/day)", painrx_kb::quantity::format_number(d)))
        .unwrap_or_default();
    writeln!(
        out,
        "{verdict}: {} {dose}{daily}",
        title_of(kb, &result.drug)
    )?;
    for f in &result.findings {
        let level = match f.level {
            painrx_engine::check::Level::Error => "error",
            painrx_engine::check::Level::Warning => "warning",
            painrx_engine::check::Level::Info => "note",
        };
        let source = f
            .source
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        writeln!(out, "  {level}: {}{source}", f.message)?;
    }
    writeln!(out, "{}", render::NOTICE)?;
    Ok(())
}

fn import_ansm(data: &Path, args: &ImportAnsmArgs) -> Result<(), CliError> {
    let editions = painrx_kb::ansm::read_editions(&args.dir)
        .map_err(|e| CliError::Input(format!("cannot import the ANSM thesaurus: {e}")))?;
    let folder = data.join("ansm");
    std::fs::create_dir_all(&folder)?;
    for edition in &editions {
        let text = serde_json::to_string(edition).map_err(|e| CliError::Failure(e.to_string()))?;
        // Write beside, then rename: a crash never leaves half an edition.
        let target = folder.join(format!("{}.json", edition.edition));
        let partial = folder.join(format!(".{}.json.partial", edition.edition));
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &target)?;
        eprintln!(
            "imported ANSM edition {}: {} entries, {} substances → {}",
            edition.edition,
            edition.entries.len(),
            edition.substances.len(),
            target.display()
        );
    }
    Ok(())
}

fn screen(app: &App, args: &ScreenArgs) -> Result<(), CliError> {
    let mut request = args.request.clone();
    if let Some(path) = &args.policy {
        let text = crate::diary::read_bounded(path, crate::diary::MAX_SMALL_FILE_BYTES)?;
        request.policy = Some(painrx_app::SitePolicy {
            name: path.display().to_string(),
            text,
        });
    }
    let checked = app.check(&request)?;
    let result = &checked.screening;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, result);
    }
    for u in &result.unscreened {
        writeln!(out, "not screened: {u}")?;
    }
    if result.findings.is_empty() {
        writeln!(
            out,
            "no findings for {} medication(s) with the {} rules{}",
            checked.medications,
            request.rules,
            if result.unscreened.is_empty() {
                ""
            } else {
                " (not every drug could be screened: see above)"
            }
        )?;
    }
    for f in &result.findings {
        let local = f
            .original_severity
            .map(|o| format!(" (was {o}; {})", f.policy.clone().unwrap_or_default()))
            .unwrap_or_default();
        writeln!(out, "[{}] {}{local} — {}", f.severity, f.kind, f.summary)?;
        writeln!(out, "    why: {}", f.explanation)?;
        writeln!(out, "    do: {}", f.management)?;
        for l in &f.ansm_levels {
            writeln!(out, "    ANSM: {} {}", l.level, l.text)?;
        }
        writeln!(
            out,
            "    rule: {} ({}); sources: {}",
            f.rule,
            f.rule_source,
            f.sources.join(", ")
        )?;
    }
    let b = &result.burden;
    let mme = b
        .mme_per_day
        .map(|m| format!("{} MME/day", painrx_kb::quantity::format_number(m)))
        .unwrap_or_else(|| "no opioid dose given".into());
    writeln!(
        out,
        "Burden: {} CNS-active, anticholinergic {}, {mme}",
        b.cns_active,
        painrx_kb::quantity::format_number(b.anticholinergic)
    )?;
    writeln!(out, "{}", render::NOTICE)?;
    Ok(())
}

fn assess_acr(app: &App, args: &AcrArgs) -> Result<(), CliError> {
    use painrx_engine::assess::Criteria;
    let criteria = args.request.criteria;
    let result = app.acr(&args.request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, &result);
    }
    let verdict = if result.meets_criteria {
        "meets"
    } else {
        "does not meet"
    };
    writeln!(
        out,
        "{verdict} the ACR {} fibromyalgia criteria: WPI {}, SSS {}, FS {}",
        if criteria == Criteria::Acr2016 {
            "2016"
        } else {
            "2010"
        },
        result.wpi,
        result.sss,
        result.fs
    )?;
    for part in &result.explanation_parts {
        writeln!(out, "  - {part}")?;
    }
    render::sources_and_notice(&mut out, "Source", &result.sources)?;
    Ok(())
}

fn assess_fiqr(app: &App, args: &FiqrArgs) -> Result<(), CliError> {
    let result = app.fiqr(&args.request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        return print_json(&mut out, &result);
    }
    let n = painrx_kb::quantity::format_number;
    writeln!(
        out,
        "FIQR total {} of 100 (function {} of 30, overall impact {} of 20, symptoms {} of 50)",
        n(result.total),
        n(result.function),
        n(result.overall),
        n(result.symptoms)
    )?;
    render::sources_and_notice(&mut out, "Source", &result.sources)?;
    Ok(())
}

/// Run the HTTP server until SIGTERM or Ctrl-C, then finish the requests in flight.
fn serve(
    kb: Kb,
    data: &Path,
    content: Option<&Path>,
    args: &crate::args::ServeArgs,
) -> Result<(), CliError> {
    let (addr, db) = (args.addr.as_str(), args.db.as_deref());
    let addr: std::net::SocketAddr = addr.parse().map_err(|_| {
        CliError::Input(format!("`{addr}` is not an address such as 127.0.0.1:8080"))
    })?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let store = painrx_store::Store::open(&crate::diary::url(data, db)?)
            .await
            .map_err(crate::diary::database)?;
        let mut state =
            painrx_server::AppState::new(std::sync::Arc::new(kb), data.to_path_buf(), store);
        state.secure_cookies = args.behind_tls;
        state.token_ttl_ms = i64::from(args.token_days) * 24 * 60 * 60 * 1000;
        state.content_dir = content.map(Path::to_path_buf);
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| CliError::Input(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr()?;
        println!("painrx serving on http://{local}/ (API under /api/v1) — not a substitute for clinical judgement");
        let app = painrx_server::app(state);
        // The peer's address reaches the handlers (the login throttle keys on it).
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| CliError::Failure(format!("server error: {e}")))
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("painrx: shutting down");
}
