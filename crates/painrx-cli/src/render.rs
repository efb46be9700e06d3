//! Human-readable terminal output.

use std::io::{self, Write};

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use painrx_kb::compare::Comparison;
use painrx_kb::import::ImportReport;
use painrx_kb::search::Hit;
use painrx_kb::{Kb, Monograph, Resolution, Section};

pub const NOTICE: &str = "painrx is not a substitute for clinical judgement.";

/// The last lines of every answer: where its facts come from, and the notice.
pub fn sources_and_notice(
    out: &mut impl Write,
    label: &str,
    sources: &[painrx_kb::id::SourceId],
) -> io::Result<()> {
    writeln!(out, "{label}: {}\n{NOTICE}", sources.join(", "))
}

pub fn monograph(
    out: &mut impl Write,
    kb: &Kb,
    m: &Monograph,
    found: &Resolution,
) -> io::Result<()> {
    writeln!(out, "# {}", m.title())?;
    if found.display_name() != m.title() {
        writeln!(out, "(found as {})", found.display_name())?;
    }
    writeln!(out)?;
    writeln!(out, "{}", m.front.description.trim())?;
    writeln!(out)?;
    if let Some(names) = &m.front.names {
        if !names.brands.is_empty() {
            writeln!(out, "Brands: {}", names.brands.join(", "))?;
        }
        if !names.international.is_empty() {
            let list: Vec<String> = names
                .international
                .iter()
                .map(|n| format!("{} ({})", n.name, n.lang))
                .collect();
            writeln!(out, "International names: {}", list.join(", "))?;
        }
    }
    if !m.front.classes.is_empty() {
        let classes: Vec<String> = m
            .front
            .classes
            .iter()
            .map(|c| {
                kb.get(c)
                    .map(|x| x.title().to_string())
                    .unwrap_or_else(|| c.value.to_string())
            })
            .collect();
        writeln!(out, "Classes: {}", classes.join(", "))?;
    }
    if m.kind() == painrx_kb::vocab::Kind::Class {
        let members: Vec<&str> = kb.members_of(m.id()).iter().map(|d| d.title()).collect();
        if !members.is_empty() {
            writeln!(out, "Drugs in painrx in this class: {}", members.join(", "))?;
        }
    }
    if !m.front.codes.atc.is_empty() {
        writeln!(out, "ATC: {}", m.front.codes.atc.join(", "))?;
    }
    if !m.front.codes.rxcui.is_empty() {
        writeln!(out, "RxCUI: {}", m.front.codes.rxcui.join(", "))?;
    }
    writeln!(out)?;
    for section in &m.sections {
        writeln!(out, "## {}\n", section.title)?;
        writeln!(out, "{}\n", section.text)?;
    }
    faqs(out, m)?;
    writeln!(out, "## Sources\n")?;
    for citation in &m.front.sources {
        match kb.source(citation) {
            Some(s) => writeln!(
                out,
                "- [{}] {} — {}, {}",
                citation.value, s.title, s.publisher, s.year
            )?,
            None => writeln!(out, "- [{}]", citation.value)?,
        }
    }
    writeln!(out, "\nLast modified {}. {NOTICE}", m.front.last_modified)
}

fn faqs(out: &mut impl Write, m: &Monograph) -> io::Result<()> {
    if m.faqs().is_empty() {
        return Ok(());
    }
    writeln!(out, "## FAQs\n")?;
    for (i, faq) in m.faqs().iter().enumerate() {
        writeln!(out, "Q{}: {}\nA: {}\n", i + 1, faq.q, faq.a)?;
    }
    Ok(())
}

pub fn section(
    out: &mut impl Write,
    m: &Monograph,
    wanted: &str,
    found: &Resolution,
) -> io::Result<()> {
    if painrx_kb::text::slug(wanted).starts_with("faq") {
        writeln!(out, "# {} — FAQs\n", m.title())?;
        return faqs(out, m);
    }
    let Some(s): Option<&Section> = m.section(wanted) else {
        return Ok(());
    };
    writeln!(out, "# {} — {}", m.title(), s.title)?;
    if found.display_name() != m.title() {
        writeln!(out, "(found as {})", found.display_name())?;
    }
    writeln!(out, "\n{}\n\n{NOTICE}", s.text)
}

pub fn hits(out: &mut impl Write, query: &str, hits: &[Hit]) -> io::Result<()> {
    if hits.is_empty() {
        return writeln!(out, "no monograph matches `{query}`");
    }
    for (i, hit) in hits.iter().enumerate() {
        let place = hit
            .section
            .as_deref()
            .map(|s| format!(" › {s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}. {} ({}, {}) score {:.2}{place}",
            i + 1,
            hit.title,
            hit.kind,
            hit.id,
            hit.score
        )?;
        writeln!(out, "   {}", hit.snippet)?;
    }
    Ok(())
}

pub fn comparison(out: &mut impl Write, kb: &Kb, c: &Comparison) -> io::Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    let mut header = vec!["".to_string()];
    header.extend(c.titles.iter().cloned());
    table.set_header(header);
    for row in &c.rows {
        let mut cells = vec![row.attribute.clone()];
        cells.extend(row.values.iter().cloned());
        table.add_row(cells);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "\nSources:")?;
    let mut cited: Vec<&str> = c
        .rows
        .iter()
        .flat_map(|r| r.sources.iter().map(|s| s.as_str()))
        .collect();
    cited.sort();
    cited.dedup();
    for citation in cited {
        match kb.source(citation) {
            Some(s) => writeln!(
                out,
                "- [{citation}] {} ({}, {})",
                s.title, s.publisher, s.year
            )?,
            None => writeln!(out, "- [{citation}]")?,
        }
    }
    writeln!(out, "\n{NOTICE}")
}

pub fn import_report(out: &mut impl Write, r: &ImportReport) -> io::Result<()> {
    writeln!(
        out,
        "imported `{}` as a {} draft with {} FAQ(s)",
        r.id, r.kind, r.faqs
    )?;
    for (from, to) in &r.mapped {
        writeln!(out, "  mapped    {from} → {to}")?;
    }
    for (title, line) in &r.unmapped {
        writeln!(
            out,
            "  unmapped  {title} (line {line}); kept as a comment at the end of the draft"
        )?;
    }
    if !r.missing_sections.is_empty() {
        writeln!(out, "  missing sections: {}", r.missing_sections.join(", "))?;
    }
    writeln!(
        out,
        "  complete before `painrx kb check` passes: {}",
        r.to_complete.join(", ")
    )
}
