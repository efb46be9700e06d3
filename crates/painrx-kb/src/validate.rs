//! The validator: every rule a monograph must keep, checked after loading, all problems
//! collected. It never stops at the first problem.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::facts::facts;
use crate::id::MonographId;
use crate::load::Source;
use crate::model::{Regimen, SourceRef};
use crate::monograph::{Monograph, Section};
use crate::quantity::format_number;
use crate::vocab::{Depth, EquivalenceScale, Kind};

/// Required `##` sections by kind, in order, with required `###` subsections.
pub fn required_sections(kind: Kind) -> &'static [(&'static str, &'static [&'static str])] {
    match kind {
        Kind::Drug | Kind::Combination => &[
            ("Usage", &[]),
            ("Alternate Names", &[]),
            ("How It Works", &[]),
            (
                "Dosage",
                &[
                    "Adults",
                    "Children",
                    "Special Cases",
                    "Clinical Use Cases",
                    "Dosage Adjustments",
                ],
            ),
            (
                "Side Effects",
                &[
                    "Common",
                    "Rare but Serious",
                    "Long-Term",
                    "Adverse Drug Reactions",
                ],
            ),
            ("Contraindications", &[]),
            ("Drug Interactions", &[]),
            ("Pregnancy and Breastfeeding", &[]),
            ("Precautions", &[]),
        ],
        Kind::Condition => &[
            ("Overview", &[]),
            ("Symptoms", &[]),
            ("Causes", &[]),
            ("Diagnosis", &[]),
            ("Treatment", &[]),
            ("Living With It", &[]),
        ],
        Kind::Procedure => &[
            ("Overview", &[]),
            ("Who It Is For", &[]),
            ("Before the Procedure", &[]),
            ("Session Timeline", &[]),
            ("After the Session", &[]),
            ("Side Effects", &[]),
            ("Contraindications", &[]),
            ("Evidence", &[]),
        ],
        Kind::Class => &[("Overview", &[]), ("Members", &[]), ("Shared Risks", &[])],
    }
}

/// The folder a kind lives in.
pub fn folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Drug => "drugs",
        Kind::Combination => "combinations",
        Kind::Class => "classes",
        Kind::Condition => "conditions",
        Kind::Procedure => "procedures",
    }
}

/// What the validator knows about the whole knowledge base.
struct Context<'a> {
    kinds: HashMap<&'a str, Kind>,
    sources: HashSet<&'a str>,
}

/// Validate everything; returns all problems found.
pub fn validate(monographs: &[Monograph], sources: &[Source]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_sources(sources, &mut out);
    let mut kinds = HashMap::new();
    let mut first_seen: HashMap<&str, &str> = HashMap::new();
    for m in monographs {
        if let Some(previous) = first_seen.insert(m.id(), &m.path) {
            out.push(
                Diagnostic::error(
                    &m.path,
                    m.file_line(m.front.id.line),
                    format!("duplicate id `{}`", m.id()),
                )
                .with_hint(format!("`{previous}` already uses this id")),
            );
        }
        kinds.insert(m.id().as_str(), m.kind());
    }
    let context = Context {
        kinds,
        sources: sources.iter().map(|s| s.id.value.as_str()).collect(),
    };
    for m in monographs {
        check_monograph(m, &context, &mut out);
    }
    check_class_cycles(monographs, &mut out);
    check_reference_scales(monographs, &mut out);
    check_name_clashes(monographs, &mut out);
    out
}

/// Two monographs answering to the same name make lookups ambiguous. Two own names (id, title,
/// generic) clashing is an error; a brand or synonym that is another monograph's name, or that
/// two monographs share, is a warning.
fn check_name_clashes(monographs: &[Monograph], out: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<String, Vec<(&Monograph, bool)>> = HashMap::new();
    for m in monographs {
        let primary: Vec<String> = m
            .primary_names()
            .iter()
            .map(|n| crate::text::fold(n))
            .collect();
        let mut seen = HashSet::new();
        for name in m.all_names() {
            let key = crate::text::fold(name);
            if key.is_empty() || !seen.insert(key.clone()) {
                continue;
            }
            let is_primary = primary.contains(&key);
            owners.entry(key).or_default().push((m, is_primary));
        }
    }
    let mut clashes: Vec<(&String, &Vec<(&Monograph, bool)>)> =
        owners.iter().filter(|(_, v)| v.len() > 1).collect();
    clashes.sort_by(|a, b| a.0.cmp(b.0));
    for (name, holders) in clashes {
        let primaries = holders.iter().filter(|(_, p)| *p).count();
        let ids: Vec<&str> = holders.iter().map(|(m, _)| m.id().as_str()).collect();
        for (m, is_primary) in holders {
            if *is_primary && primaries == 1 {
                continue;
            }
            let message = format!(
                "name `{name}` also belongs to {}",
                ids.iter()
                    .filter(|i| **i != m.id())
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let d = if primaries > 1 {
                Diagnostic::error(&m.path, m.file_line(m.front.id.line), message)
            } else {
                Diagnostic::warning(&m.path, m.file_line(m.front.id.line), message)
            };
            out.push(d.with_hint("a class or condition should not list its member drugs as synonyms; keep each name on one monograph"));
        }
    }
}

fn check_sources(sources: &[Source], out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, &Source> = HashMap::new();
    for s in sources {
        if s.id.section().is_some() {
            out.push(
                Diagnostic::error(
                    &s.file,
                    s.id.line,
                    format!("source id `{}` names a section", s.id.value),
                )
                .with_hint("a registry id names the whole source; citations add `#section`"),
            );
        }
        if let Some(first) = seen.insert(&s.id.value, s) {
            out.push(
                Diagnostic::error(
                    &s.file,
                    s.id.line,
                    format!("duplicate source id `{}`", s.id.value),
                )
                .with_hint(format!(
                    "already defined in `{}` line {}",
                    first.file, first.id.line
                )),
            );
        }
        if s.title.trim().is_empty() || s.publisher.trim().is_empty() {
            out.push(Diagnostic::error(
                &s.file,
                s.id.line,
                format!("source `{}` needs a title and a publisher", s.id.value),
            ));
        }
        if !(1800..=2100).contains(&s.year) {
            out.push(Diagnostic::error(
                &s.file,
                s.id.line,
                format!(
                    "source `{}` has an impossible year `{}`",
                    s.id.value, s.year
                ),
            ));
        }
    }
}

fn check_monograph(m: &Monograph, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    check_identity(m, cx, out);
    check_kind_fields(m, out);
    check_faqs(m, out);
    check_references(m, cx, out);
    check_reference_scale(m, cx, out);
    check_fact_sources(m, cx, out);
    check_products(m, out);
    for ind in &m.front.indications {
        if let Some(regimen) = &ind.regimen {
            check_regimen(m, &ind.condition, regimen, out);
        }
    }
    check_renal(m, out);
    check_pk(m, out);
    check_procedure(m, out);
    check_sections(m, out);
}

/// Identity and placement: id, file, title, date and the sources the monograph draws on.
fn check_identity(m: &Monograph, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    let file = m.path.as_str();
    let at = |yaml_line: usize| m.file_line(yaml_line);
    let expected = format!("{}/{}.md", folder(m.kind()), m.id());
    if m.path != expected {
        out.push(
            Diagnostic::error(
                file,
                at(f.id.line),
                format!(
                    "a {} with id `{}` belongs in `{expected}`",
                    m.kind(),
                    m.id()
                ),
            )
            .with_hint("the file name must equal the id, in the folder of its kind"),
        );
    }
    if f.title.trim().is_empty() || f.description.trim().is_empty() {
        out.push(Diagnostic::error(
            file,
            at(f.id.line),
            "title and description must not be empty",
        ));
    }
    if f.sources.is_empty() {
        out.push(
            Diagnostic::error(
                file,
                at(f.id.line),
                "missing field `sources`: a monograph must name the sources it draws on",
            )
            .with_hint("list registry ids from content/sources/"),
        );
    }
    for s in &f.sources {
        check_source_ref(m, s, "monograph", cx, out);
    }
}

/// Kind-specific requirements: the fields a drug or combination must have.
fn check_kind_fields(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    let file = m.path.as_str();
    let at = |yaml_line: usize| m.file_line(yaml_line);
    let needs_drug_fields = matches!(m.kind(), Kind::Drug | Kind::Combination);
    if needs_drug_fields {
        if f.depth.is_none() {
            out.push(
                Diagnostic::error(file, at(f.id.line), "missing field `depth`")
                    .with_hint("write `depth: full` or `depth: short`"),
            );
        }
        match &f.names {
            None => out.push(
                Diagnostic::error(file, at(f.id.line), "missing field `names`")
                    .with_hint("give at least `names: { generic: … }`"),
            ),
            Some(n) if n.generic.trim().is_empty() => out.push(Diagnostic::error(
                file,
                at(f.id.line),
                "`names.generic` is empty",
            )),
            Some(_) => {}
        }
    }
    if m.kind() == Kind::Drug {
        if f.status.is_none() {
            out.push(
                Diagnostic::error(file, at(f.id.line), "missing field `status`")
                    .with_hint("approved, unapproved or substance"),
            );
        }
        if f.classes.is_empty() {
            out.push(Diagnostic::error(
                file,
                at(f.id.line),
                "missing field `classes`: a drug belongs to at least one class",
            ));
        }
    }
    if m.kind() == Kind::Combination && f.components.len() < 2 {
        out.push(Diagnostic::error(
            file,
            at(f.id.line),
            "a combination needs at least two `components`",
        ));
    }
}

/// Enough FAQs for the depth, written as plain text.
fn check_faqs(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    let file = m.path.as_str();
    let at = |yaml_line: usize| m.file_line(yaml_line);
    let min_faqs = match f.depth {
        Some(Depth::Full) => 3,
        _ => 1,
    };
    if f.faqs.len() < min_faqs {
        out.push(Diagnostic::error(
            file,
            at(f.id.line),
            format!("{} FAQ(s) found, at least {min_faqs} needed", f.faqs.len()),
        ));
    }
    for faq in &f.faqs {
        for text in [&faq.q, &faq.a] {
            if text.contains("**") || text.trim_start().starts_with("A:") {
                out.push(
                    Diagnostic::error(
                        file,
                        at(f.id.line),
                        format!("FAQ text `{}` carries markup artefacts", shorten(text)),
                    )
                    .with_hint("write FAQs as plain text, without `**` or `A:` prefixes"),
                );
            }
        }
    }
}

/// References to other monographs name one of the right kind.
fn check_references(m: &Monograph, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    for c in &f.classes {
        check_ref(m, c, Kind::Class, "class", cx, out);
    }
    for c in &f.parents {
        check_ref(m, c, Kind::Class, "parent class", cx, out);
    }
    for c in &f.components {
        check_ref(m, c, Kind::Drug, "component", cx, out);
    }
    for d in &f.drugs {
        check_ref(m, d, Kind::Drug, "drug", cx, out);
    }
    for d in &f.first_line {
        check_ref(m, d, Kind::Drug, "first-line drug", cx, out);
    }
    for c in &f.conditions {
        check_ref(m, c, Kind::Condition, "condition", cx, out);
    }
    for ind in &f.indications {
        check_ref(m, &ind.condition, Kind::Condition, "indication", cx, out);
    }
    for c in &f.contraindications {
        check_ref(
            m,
            &c.condition,
            Kind::Condition,
            "contraindicated condition",
            cx,
            out,
        );
    }
}

/// A class's `equivalence:` block names an existing drug and words answers can carry.
fn check_reference_scale(m: &Monograph, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(eq) = &m.front.equivalence else {
        return;
    };
    let at = m.file_line(eq.line);
    if m.kind() != Kind::Class {
        out.push(
            Diagnostic::error(
                &m.path,
                at,
                format!("a {} cannot name an equivalence scale", m.kind()),
            )
            .with_hint("move `equivalence:` to the class whose drugs the scale converts"),
        );
    }
    check_ref(m, &eq.reference, Kind::Drug, "reference drug", cx, out);
    if !is_id(&eq.via) {
        out.push(
            Diagnostic::error(
                &m.path,
                at,
                format!("equivalence `via: {}` is not a lowercase word", eq.via),
            )
            .with_hint(
                "answers and the command line carry it: use lowercase letters, digits and `-`",
            ),
        );
    }
    if eq.label.trim().is_empty() {
        out.push(Diagnostic::error(
            &m.path,
            at,
            "equivalence `label` is empty",
        ));
    }
}

/// Each scale is named once, by a class whose reference drug carries the scale's fact; a drug
/// fact on a scale (or a taper that crosses over to diazepam equivalents) needs the scale named.
fn check_reference_scales(monographs: &[Monograph], out: &mut Vec<Diagnostic>) {
    let mut named: HashMap<EquivalenceScale, &Monograph> = HashMap::new();
    for m in monographs {
        let Some(eq) = &m.front.equivalence else {
            continue;
        };
        if let Some(first) = named.get(&eq.scale) {
            out.push(
                Diagnostic::error(
                    &m.path,
                    m.file_line(eq.line),
                    format!(
                        "the `{}` scale is already named by `{}`",
                        eq.scale,
                        first.id()
                    ),
                )
                .with_hint("a scale has one reference drug: keep one `equivalence:` block"),
            );
            continue;
        }
        named.insert(eq.scale, m);
        let reference = monographs
            .iter()
            .find(|d| *d.id() == eq.reference.value && d.kind() == Kind::Drug);
        if let Some(drug) = reference.filter(|d| fact_line(d, eq.scale).is_none()) {
            out.push(
                Diagnostic::error(
                    &m.path,
                    m.file_line(eq.reference.line),
                    format!(
                        "reference drug `{}` has no `{}` of its own",
                        drug.id(),
                        eq.scale
                    ),
                )
                .with_hint("the reference drug is the unit of the scale: give it the fact too"),
            );
        }
    }
    for m in monographs {
        for scale in EquivalenceScale::ALL {
            let Some(line) = scale_line(m, *scale) else {
                continue;
            };
            if !named.contains_key(scale) {
                out.push(
                    Diagnostic::error(
                        &m.path,
                        m.file_line(line),
                        format!("no class names the reference drug of the `{scale}` scale"),
                    )
                    .with_hint(format!(
                        "add `equivalence: {{ scale: {scale}, reference: <drug id>, via, label, source }}` to the class"
                    )),
                );
            }
        }
    }
}

/// The YAML line of a monograph's fact on a scale: a drug's `diazepam_equivalent` or `mme`.
fn fact_line(m: &Monograph, scale: EquivalenceScale) -> Option<usize> {
    match scale {
        EquivalenceScale::DiazepamEquivalent => {
            m.front.diazepam_equivalent.as_ref().map(|d| d.line)
        }
        EquivalenceScale::Mme => m.front.mme.as_ref().map(|x| x.line),
    }
}

/// Where a monograph relies on a scale: a fact on it, or (the diazepam scale) a taper policy
/// that crosses over to the reference drug first.
fn scale_line(m: &Monograph, scale: EquivalenceScale) -> Option<usize> {
    fact_line(m, scale).or_else(|| match scale {
        EquivalenceScale::DiazepamEquivalent => m
            .front
            .taper
            .as_ref()
            .filter(|t| t.via_diazepam)
            .map(|t| t.line),
        EquivalenceScale::Mme => None,
    })
}

/// Every computable fact is sourced, and every source exists.
fn check_fact_sources(m: &Monograph, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    let file = m.path.as_str();
    let at = |yaml_line: usize| m.file_line(yaml_line);
    for fact in facts(f) {
        match fact.source {
            None => out.push(
                Diagnostic::error(
                    file,
                    at(fact.yaml_line),
                    format!("{} has no source", fact.what),
                )
                .with_hint("add `source: <registry id>` (see content/sources/)"),
            ),
            Some(s) => check_source_ref(m, s, &fact.what, cx, out),
        }
    }
}

fn check_ref(
    m: &Monograph,
    id: &crate::at::At<MonographId>,
    want: Kind,
    role: &str,
    cx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
) {
    match cx.kinds.get(id.value.as_str()) {
        Some(kind) if *kind == want => {}
        Some(kind) => out.push(Diagnostic::error(
            &m.path,
            m.file_line(id.line),
            format!("{role} `{}` is a {kind}, not a {want}", id.value),
        )),
        None => {
            let candidates: Vec<&str> = cx
                .kinds
                .iter()
                .filter(|(_, k)| **k == want)
                .map(|(id, _)| *id)
                .collect();
            let mut d = Diagnostic::error(
                &m.path,
                m.file_line(id.line),
                format!("unknown {role} `{}`: no {want} has this id", id.value),
            );
            if let Some(best) = closest(&id.value, &candidates) {
                d = d.with_hint(format!("did you mean `{best}`?"));
            } else {
                d = d.with_hint(format!(
                    "add content/{}/{}.md or use an existing id",
                    folder(want),
                    id.value
                ));
            }
            out.push(d);
        }
    }
}

fn check_source_ref(
    m: &Monograph,
    s: &SourceRef,
    what: &str,
    cx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let id = s.registry();
    if !cx.sources.contains(id) {
        let candidates: Vec<&str> = cx.sources.iter().copied().collect();
        let mut d = Diagnostic::error(
            &m.path,
            m.file_line(s.line),
            format!("{what} cites unknown source `{id}`"),
        );
        d = match closest(id, &candidates) {
            Some(best) => d.with_hint(format!(
                "did you mean `{best}`? otherwise add `{id}` to content/sources/"
            )),
            None => d.with_hint(format!("add `{id}` to a file in content/sources/")),
        };
        out.push(d);
    }
}

fn check_products(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    let mut ids = HashSet::new();
    let brands: Vec<String> = m.brands().iter().map(|b| crate::text::fold(b)).collect();
    for p in &f.products {
        if !ids.insert(p.id.as_str()) {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(p.line),
                format!("duplicate product id `{}`", p.id),
            ));
        }
        if let Some(brand) = &p.brand {
            if !brands.contains(&crate::text::fold(brand)) {
                out.push(
                    Diagnostic::error(
                        &m.path,
                        m.file_line(p.line),
                        format!("product brand `{brand}` is not listed in `names.brands`"),
                    )
                    .with_hint("add the brand to names.brands so it resolves"),
                );
            }
        }
        if p.strengths_mg
            .iter()
            .chain(&p.strengths_mcg_per_hour)
            .any(|s| s.get() <= 0.0)
        {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(p.line),
                format!("product `{}` lists a strength of zero", p.id),
            ));
        }
        let mut sorted = p.strengths_mg.clone();
        sorted.sort_by(|a, b| a.get().total_cmp(&b.get()));
        sorted.dedup();
        if sorted.len() != p.strengths_mg.len() {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(p.line),
                format!("product `{}` lists a strength twice", p.id),
            ));
        }
    }
    let known: Vec<&str> = f.products.iter().map(|p| p.id.as_str()).collect();
    let product_refs = f
        .indications
        .iter()
        .flat_map(|i| i.products.iter())
        .chain(f.renal.iter().flat_map(|r| r.products.iter()));
    for r in product_refs {
        if !known.contains(&r.value.as_str()) {
            let mut d = Diagnostic::error(
                &m.path,
                m.file_line(r.line),
                format!("unknown product `{}`", r.value),
            );
            if let Some(best) = closest(&r.value, &known) {
                d = d.with_hint(format!("did you mean `{best}`?"));
            }
            out.push(d);
        }
    }
}

fn check_regimen(
    m: &Monograph,
    condition: &crate::at::At<MonographId>,
    r: &crate::at::At<Regimen>,
    out: &mut Vec<Diagnostic>,
) {
    let file = &m.path;
    let what = format!("regimen for `{}`", condition.value);
    let value =
        |x: &Option<crate::at::At<crate::quantity::Amount>>| x.as_ref().map(|a| (a.get(), a.line));
    let start = value(&r.start_daily);
    let target = value(&r.target_daily);
    let max = value(&r.max_daily);
    let single = value(&r.max_single);
    let mut order =
        |low: Option<(f64, usize)>, low_name: &str, high: Option<(f64, usize)>, high_name: &str| {
            if let (Some((lo, _)), Some((hi, line))) = (low, high) {
                if hi < lo {
                    out.push(
                        Diagnostic::error(
                            file,
                            m.file_line(line),
                            format!(
                                "{what}: {high_name} {} is below {low_name} {}",
                                format_number(hi),
                                format_number(lo)
                            ),
                        )
                        .with_hint(format!("{high_name} must be at least {low_name}")),
                    );
                }
            }
        };
    order(start, "start_daily", target, "target_daily");
    order(start, "start_daily", max, "max_daily");
    order(target, "target_daily", max, "max_daily");
    order(single, "max_single", max, "max_daily");
    if r.frequencies.is_empty() {
        out.push(Diagnostic::error(
            file,
            m.file_line(r.line),
            format!("{what} lists no `frequencies`"),
        ));
    }
    let mut last_day = 0.0;
    for step in &r.steps {
        if step.day.get() < 1.0 || step.day.get() <= last_day {
            out.push(
                Diagnostic::error(
                    file,
                    m.file_line(step.line),
                    format!("{what}: titration step day {} is out of order", step.day),
                )
                .with_hint("steps start on day 1 and go forward"),
            );
        }
        last_day = step.day.get();
        if let Some((max, _)) = max {
            if step.daily.get() > max {
                out.push(Diagnostic::error(
                    file,
                    m.file_line(step.line),
                    format!(
                        "{what}: step on day {} gives {} a day, above max_daily {}",
                        step.day,
                        step.daily,
                        format_number(max)
                    ),
                ));
            }
        }
    }
    if let Some(t) = &r.time_to_effect {
        if t.max_days.get() < t.min_days.get() {
            out.push(Diagnostic::error(
                file,
                m.file_line(r.line),
                format!("{what}: time_to_effect max_days is below min_days"),
            ));
        }
    }
    if let Some(inc) = &r.increment {
        if inc.daily.get() <= 0.0 || inc.every_days.get() <= 0.0 {
            out.push(Diagnostic::error(
                file,
                m.file_line(r.line),
                format!("{what}: an increment must be positive"),
            ));
        }
    }
}

fn check_renal(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let mut covered: HashMap<(&str, &str), usize> = HashMap::new();
    for renal in &m.front.renal {
        if renal.products.is_empty() && m.front.renal.len() > 1 {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(renal.line),
                "with several renal tables each must name its `products`",
            ));
        }
        let indications: Vec<&str> = if renal.indications.is_empty() {
            vec!["*"]
        } else {
            renal.indications.iter().map(|i| i.value.as_str()).collect()
        };
        for p in &renal.products {
            for indication in &indications {
                if let Some(first) = covered.insert((p.value.as_str(), indication), p.line) {
                    out.push(Diagnostic::error(
                        &m.path,
                        m.file_line(p.line),
                        format!(
                            "product `{}` already has a renal table for this indication (line {})",
                            p.value,
                            m.file_line(first)
                        ),
                    ));
                }
            }
        }
        check_renal_table(m, renal, out);
    }
}

fn check_renal_table(
    m: &Monograph,
    renal: &crate::at::At<crate::model::Renal>,
    out: &mut Vec<Diagnostic>,
) {
    let file = &m.path;
    if renal.bands.is_empty() {
        out.push(Diagnostic::error(
            file,
            m.file_line(renal.line),
            "renal table has no bands",
        ));
    }
    let mut bands: Vec<_> = renal.bands.iter().collect();
    bands.sort_by(|a, b| a.crcl_min.get().total_cmp(&b.crcl_min.get()));
    for band in &bands {
        if let Some(max) = band.crcl_max {
            if max.get() <= band.crcl_min.get() {
                out.push(Diagnostic::error(
                    file,
                    m.file_line(band.line),
                    format!(
                        "renal band crcl_max {max} is not above crcl_min {}",
                        band.crcl_min
                    ),
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (band.min_daily, band.max_daily) {
            if hi.get() < lo.get() {
                out.push(Diagnostic::error(
                    file,
                    m.file_line(band.line),
                    format!("renal band max_daily {hi} is below min_daily {lo}"),
                ));
            }
        }
        if !band.avoid && band.max_daily.is_none() && band.note.is_none() {
            out.push(Diagnostic::error(
                file,
                m.file_line(band.line),
                "renal band gives neither a dose range, `avoid: true` nor a note",
            ));
        }
    }
    let columns: Vec<usize> = bands
        .iter()
        .filter(|b| !b.doses.is_empty())
        .map(|b| b.doses.len())
        .collect();
    if columns.windows(2).any(|w| matches!(w, [a, b] if a != b)) {
        out.push(
            Diagnostic::error(
                file,
                m.file_line(renal.line),
                "renal bands list different numbers of dose columns",
            )
            .with_hint("every band's `doses` has one cell per column of the label table"),
        );
    }
    for band in &bands {
        for cell in &band.doses {
            let outside = band.min_daily.is_some_and(|lo| cell.low().get() < lo.get())
                || band
                    .max_daily
                    .is_some_and(|hi| cell.high().get() > hi.get())
                || cell.high().get() < cell.low().get();
            if outside {
                out.push(Diagnostic::error(file, m.file_line(band.line), format!("renal band dose column {}–{} lies outside the band's min_daily–max_daily or runs backwards", cell.low(), cell.high())));
            }
        }
    }
    for pair in bands.windows(2) {
        if let [a, b] = pair {
            let Some(max) = a.crcl_max else {
                out.push(Diagnostic::error(
                    file,
                    m.file_line(a.line),
                    "an open-ended renal band must be the highest",
                ));
                continue;
            };
            let (edge, next) = (max.get(), b.crcl_min.get());
            let both = a.crcl_max_inclusive && !b.crcl_min_exclusive;
            let neither = !a.crcl_max_inclusive && b.crcl_min_exclusive;
            if edge > next || (edge == next && both) {
                out.push(
                    Diagnostic::error(file, m.file_line(b.line), format!("renal bands overlap: one ends at {max}, the next starts at {}", b.crcl_min))
                        .with_hint("crcl_min is inclusive and crcl_max exclusive unless crcl_min_exclusive / crcl_max_inclusive say otherwise; make them meet"),
                );
            } else if edge < next || neither {
                out.push(
                    Diagnostic::error(
                        file,
                        m.file_line(b.line),
                        format!("renal bands leave a gap between {max} and {}", b.crcl_min),
                    )
                    .with_hint("every CrCl must fall in exactly one band"),
                );
            }
        }
    }
}

fn check_pk(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let Some(pk) = &m.front.pk else { return };
    for (name, param) in [
        ("tmax_h", &pk.tmax_h),
        ("half_life_h", &pk.half_life_h),
        ("vd_l_per_kg", &pk.vd_l_per_kg),
    ] {
        let Some(at) = param else { continue };
        let (p, line) = (&at.value, at.line);
        if p.value.is_none() && (p.min.is_none() || p.max.is_none()) && p.note.is_none() {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(line),
                format!("pk `{name}` needs `value`, or `min` and `max`"),
            ));
        }
        if let (Some(lo), Some(hi)) = (p.min, p.max) {
            if hi.get() < lo.get() {
                out.push(Diagnostic::error(
                    &m.path,
                    m.file_line(line),
                    format!("pk `{name}` max {hi} is below min {lo}"),
                ));
            }
        }
    }
    let mut last = 0.0;
    for row in &pk.bioavailability_by_daily_dose {
        if row.daily.get() <= last {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(pk.line),
                "bioavailability_by_daily_dose rows must rise in daily dose",
            ));
        }
        last = row.daily.get();
    }
}

fn check_procedure(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let f = &m.front;
    if let Some(eq) = &f.diazepam_equivalent {
        if eq.table == crate::vocab::EquivalenceTable::Inferred && !eq.uncertain {
            out.push(
                Diagnostic::error(
                    &m.path,
                    m.file_line(eq.line),
                    "an inferred diazepam equivalent must say `uncertain: true`",
                )
                .with_hint("only the published tables (ashton, va-dod) may be given as certain"),
            );
        }
    }
    if let Some(c) = &f.course {
        if c.sessions_max.get() < c.sessions_min.get() {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(c.line),
                "course sessions_max is below sessions_min",
            ));
        }
    }
    if let Some(s) = &f.session {
        if s.infusion_minutes_max.get() < s.infusion_minutes_min.get() {
            out.push(Diagnostic::error(
                &m.path,
                m.file_line(s.line),
                "session infusion_minutes_max is below infusion_minutes_min",
            ));
        }
    }
}

fn check_sections(m: &Monograph, out: &mut Vec<Diagnostic>) {
    let required = required_sections(m.kind());
    let mut previous_line = m.sections.first().map(|s| s.line).unwrap_or(0);
    let mut position = 0usize;
    for (title, subs) in required {
        let found = m
            .sections
            .iter()
            .enumerate()
            .find(|(_, s)| same_title(&s.title, title));
        match found {
            None => out.push(
                Diagnostic::error(
                    &m.path,
                    previous_line,
                    format!("missing required section `## {title}`"),
                )
                .with_hint(format!(
                    "a {} needs: {}",
                    m.kind(),
                    required
                        .iter()
                        .map(|(t, _)| *t)
                        .collect::<Vec<_>>()
                        .join(" · ")
                )),
            ),
            Some((index, section)) => {
                if index < position {
                    out.push(
                        Diagnostic::error(
                            &m.path,
                            section.line,
                            format!("section `## {title}` is out of order"),
                        )
                        .with_hint(format!(
                            "order: {}",
                            required
                                .iter()
                                .map(|(t, _)| *t)
                                .collect::<Vec<_>>()
                                .join(" · ")
                        )),
                    );
                }
                position = index;
                previous_line = section.line;
                if is_empty_section(section) {
                    out.push(Diagnostic::error(
                        &m.path,
                        section.line,
                        format!("section `## {title}` is empty"),
                    ));
                }
                for sub in *subs {
                    match section
                        .subsections
                        .iter()
                        .find(|s| same_title(&s.title, sub))
                    {
                        None => out.push(Diagnostic::error(
                            &m.path,
                            section.line,
                            format!("section `## {title}` lacks `### {sub}`"),
                        )),
                        Some(s) if s.text.trim().is_empty() => out.push(Diagnostic::error(
                            &m.path,
                            s.line,
                            format!("section `### {sub}` is empty"),
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    if let Some(faq) = m
        .sections
        .iter()
        .find(|s| same_title(&s.title, "FAQs") || s.id.starts_with("faq"))
    {
        out.push(
            Diagnostic::error(
                &m.path,
                faq.line,
                "FAQs belong in front matter `faqs:`, not in the body",
            )
            .with_hint("painrx renders the FAQ section from the front matter"),
        );
    }
}

fn is_empty_section(section: &Section) -> bool {
    section.text.trim().is_empty()
}

fn same_title(a: &str, b: &str) -> bool {
    crate::text::slug(a) == crate::text::slug(b)
}

fn check_class_cycles(monographs: &[Monograph], out: &mut Vec<Diagnostic>) {
    let parents: HashMap<&str, Vec<&str>> = monographs
        .iter()
        .filter(|m| m.kind() == Kind::Class)
        .map(|m| {
            (
                m.id().as_str(),
                m.front.parents.iter().map(|p| p.value.as_str()).collect(),
            )
        })
        .collect();
    for m in monographs.iter().filter(|m| m.kind() == Kind::Class) {
        let mut stack: Vec<&str> = parents.get(m.id().as_str()).cloned().unwrap_or_default();
        let mut seen = HashSet::new();
        while let Some(next) = stack.pop() {
            if next == m.id() {
                out.push(Diagnostic::error(
                    &m.path,
                    m.file_line(m.front.id.line),
                    format!("class `{}` is its own ancestor", m.id()),
                ));
                break;
            }
            if seen.insert(next) {
                stack.extend(parents.get(next).cloned().unwrap_or_default());
            }
        }
    }
}

/// Lowercase ASCII id: letters, digits, single `-` between words (as [`crate::id`] writes ids).
pub use crate::id::is_slug as is_id;

/// The candidate closest to `wanted`, if close enough to be a plausible typo.
pub fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(wanted, c), *c))
        .filter(|(score, _)| *score >= 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_id("amitriptyline-pregabalin"));
        assert!(!is_id("Pregabalin"));
        assert!(!is_id("a--b"));
    }

    #[test]
    fn closest_suggests_typos_only() {
        assert_eq!(closest("tcaz", &["tcas", "ssris"]), Some("tcas"));
        assert_eq!(closest("zzzz", &["tcas", "ssris"]), None);
    }
}
