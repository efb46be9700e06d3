//! Import of pages in the format of the seed site (`seeds/002_…txt`): YAML front matter with
//! `title`, `description`, `is_banned`, `lastModified` and `faqs` whose text carries the site's
//! `**` / `A:**` artefacts, and a body of `## **Heading**` sections. The result is a painrx
//! monograph draft plus a report of what was mapped and what was not.

use serde::{Deserialize, Serialize};

use crate::id::MonographId;
use crate::load::split_front_matter;
use crate::model::Faq;
use crate::monograph::headings;
use crate::text::slug;
use crate::validate::required_sections;
use crate::vocab::Kind;

#[derive(Debug, Deserialize)]
struct SeedFront {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    is_banned: bool,
    #[serde(default, rename = "lastModified")]
    last_modified: Option<String>,
    #[serde(default)]
    faqs: Vec<SeedFaq>,
}

#[derive(Debug, Deserialize)]
struct SeedFaq {
    q: String,
    a: String,
}

/// What the import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub id: MonographId,
    pub kind: Kind,
    pub faqs: usize,
    /// (seed heading, painrx heading) pairs.
    pub mapped: Vec<(String, String)>,
    /// Seed headings with no place in the painrx layout, with their line; kept in the draft as
    /// an HTML comment so nothing is lost.
    pub unmapped: Vec<(String, usize)>,
    /// Required painrx sections the page did not have.
    pub missing_sections: Vec<String>,
    /// Front-matter fields the editor must complete before `kb check` passes.
    pub to_complete: Vec<String>,
}

/// The draft monograph text and its report.
#[derive(Clone, Debug)]
pub struct Draft {
    pub text: String,
    pub report: ImportReport,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the page has no YAML front matter between `---` lines")]
    NoFrontMatter,
    #[error("the page's front matter is not valid YAML: {0}")]
    BadFrontMatter(String),
    /// The title has no letter or digit to make the monograph's id from.
    #[error("the page's title `{0}` has no letter or digit to make an id from")]
    NoId(String),
}

/// Where a seed heading goes: (painrx title, level), or `None` to drop the heading and keep its
/// text in the enclosing section, or unmapped.
enum Target {
    Section(&'static str, u8),
    Merge,
    Faqs,
    Unmapped,
}

fn target(title: &str) -> Target {
    let s = slug(title);
    match s.as_str() {
        "usage" | "uses" | "indications" => Target::Section("Usage", 2),
        "alternate-names" | "alternative-names" | "brand-names" => {
            Target::Section("Alternate Names", 2)
        }
        "how-it-works" | "mechanism-of-action" => Target::Section("How It Works", 2),
        "dosage" | "dosing" => Target::Section("Dosage", 2),
        "standard-dosage" | "standard-dose" => Target::Merge,
        "adults" | "adult" => Target::Section("Adults", 3),
        "children" | "pediatric" | "paediatric" => Target::Section("Children", 3),
        "special-cases" | "special-populations" => Target::Section("Special Cases", 3),
        "clinical-use-cases" => Target::Section("Clinical Use Cases", 3),
        "dosage-adjustments" | "dose-adjustments" => Target::Section("Dosage Adjustments", 3),
        "side-effects" | "adverse-effects" => Target::Section("Side Effects", 2),
        "common-side-effects" | "common" => Target::Section("Common", 3),
        "rare-but-serious-side-effects" | "serious-side-effects" | "rare-but-serious" => {
            Target::Section("Rare but Serious", 3)
        }
        "long-term-effects" | "long-term" => Target::Section("Long-Term", 3),
        "adverse-drug-reactions-adr" | "adverse-drug-reactions" => {
            Target::Section("Adverse Drug Reactions", 3)
        }
        "contraindications" => Target::Section("Contraindications", 2),
        "drug-interactions" | "interactions" => Target::Section("Drug Interactions", 2),
        "pregnancy-and-breastfeeding" | "pregnancy-and-lactation" => {
            Target::Section("Pregnancy and Breastfeeding", 2)
        }
        "precautions" | "warnings-and-precautions" => Target::Section("Precautions", 2),
        s if s.starts_with("faqs") || s.starts_with("frequently-asked") => Target::Faqs,
        _ => Target::Unmapped,
    }
}

/// Clean one FAQ field of the site's artefacts: the question carries the bolded answer after
/// it, the answer starts with `A:**`.
fn clean_question(text: &str) -> String {
    let question = text.split("**").next().unwrap_or(text);
    collapse(question)
}

fn clean_answer(text: &str) -> String {
    let mut t = text.trim();
    for prefix in ["**A:**", "A:**", "**A:", "A:"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest;
            break;
        }
    }
    collapse(&t.replace("**", ""))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Convert a seed-format page into a painrx monograph draft.
pub fn import_page(page: &str) -> Result<Draft, ImportError> {
    let (yaml, body, body_line) = split_front_matter(page).ok_or(ImportError::NoFrontMatter)?;
    let front: SeedFront = serde_saphyr::from_str(yaml).map_err(|e| {
        ImportError::BadFrontMatter(
            e.without_snippet()
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })?;
    let kind = if front.title.contains('+') {
        Kind::Combination
    } else {
        Kind::Drug
    };
    let id = MonographId::try_from(slug(&front.title))
        .map_err(|_| ImportError::NoId(front.title.clone()))?;
    let faqs: Vec<Faq> = front
        .faqs
        .iter()
        .map(|f| Faq {
            q: clean_question(&f.q),
            a: clean_answer(&f.a),
        })
        .filter(|f| !f.q.is_empty() && !f.a.is_empty())
        .collect();
    let remapped = remap_body(body, body_line);
    let missing_sections: Vec<String> = required_sections(kind)
        .iter()
        .flat_map(|(title, subs)| std::iter::once(*title).chain(subs.iter().copied()))
        .filter(|t| !remapped.emitted.contains(t))
        .map(str::to_string)
        .collect();
    let mut to_complete = vec!["sources".to_string(), "names.brands".to_string()];
    match kind {
        Kind::Combination => to_complete.push("components".into()),
        _ => to_complete.extend(["classes".to_string(), "status".to_string()]),
    }
    let mut text = draft_front_matter(&front, &id, kind, &faqs);
    text.push_str(remapped.body.trim_end());
    text.push('\n');
    if !remapped.comments.is_empty() {
        text.push('\n');
        text.push_str(&remapped.comments);
    }
    Ok(Draft {
        text,
        report: ImportReport {
            id,
            kind,
            faqs: faqs.len(),
            mapped: remapped.mapped,
            unmapped: remapped.unmapped,
            missing_sections,
            to_complete,
        },
    })
}

/// The seed body under painrx headings, and what became of each seed heading.
struct RemappedBody {
    body: String,
    /// Unmapped sections, kept as HTML comments.
    comments: String,
    mapped: Vec<(String, String)>,
    unmapped: Vec<(String, usize)>,
    /// The painrx headings written.
    emitted: Vec<&'static str>,
}

/// Walk the body's headings and re-emit each section under its painrx heading.
fn remap_body(body: &str, body_line: usize) -> RemappedBody {
    let found = headings(body, body_line);
    let lines: Vec<&str> = body.lines().collect();
    let mut out = RemappedBody {
        body: String::new(),
        comments: String::new(),
        mapped: Vec::new(),
        unmapped: Vec::new(),
        emitted: Vec::new(),
    };
    let mut in_faqs = false;
    for (index, heading) in found.iter().enumerate() {
        let start = heading.line - body_line + 1;
        let stop = found
            .get(index + 1)
            .map(|h| h.line - body_line)
            .unwrap_or(lines.len());
        let text = lines.get(start..stop).unwrap_or_default().join("\n");
        let text = text.trim();
        if heading.level <= 2 {
            in_faqs = false;
        }
        if in_faqs {
            continue;
        }
        match target(&heading.title) {
            Target::Section(title, level) => {
                out.mapped.push((heading.title.clone(), title.to_string()));
                out.emitted.push(title);
                out.body
                    .push_str(&format!("{} {title}\n\n", "#".repeat(usize::from(level))));
                out.push_text(text);
            }
            Target::Merge => out.push_text(text),
            Target::Faqs => {
                out.mapped
                    .push((heading.title.clone(), "faqs (front matter)".to_string()));
                in_faqs = true;
            }
            Target::Unmapped => {
                out.unmapped.push((heading.title.clone(), heading.line));
                out.comments.push_str(&format!(
                    "<!-- unmapped section from the imported page: \"{}\"\n{}\n-->\n",
                    heading.title,
                    text.replace("--", "—")
                ));
            }
        }
    }
    out
}

impl RemappedBody {
    fn push_text(&mut self, text: &str) {
        if !text.is_empty() {
            self.body.push_str(text);
            self.body.push_str("\n\n");
        }
    }
}

/// The draft's front matter, `---` lines included, and the blank line after it.
fn draft_front_matter(front: &SeedFront, id: &str, kind: Kind, faqs: &[Faq]) -> String {
    let last_modified = front
        .last_modified
        .as_deref()
        .and_then(|d| d.get(..10))
        .unwrap_or("1970-01-01")
        .to_string();
    let components: Vec<String> = if kind == Kind::Combination {
        front.title.split('+').map(|p| slug(p.trim())).collect()
    } else {
        Vec::new()
    };
    let mut text = String::from("---\n");
    text.push_str(&format!(
        "id: {id}\nkind: {kind}\ntitle: {}\n",
        quote(&front.title)
    ));
    text.push_str(&format!(
        "description: {}\n",
        quote(&collapse(front.description.trim_end_matches("...")))
    ));
    text.push_str("depth: full\n");
    text.push_str(&format!(
        "names:\n  generic: {}\n  brands: []\n",
        quote(&front.title.to_lowercase())
    ));
    if !components.is_empty() {
        text.push_str(&format!("components: [{}]\n", components.join(", ")));
    }
    text.push_str(&format!(
        "is_banned: {}\nlast_modified: {last_modified}\nsources: []\n",
        front.is_banned
    ));
    text.push_str("faqs:\n");
    for faq in faqs {
        text.push_str(&format!(
            "  - q: {}\n    a: {}\n",
            quote(&faq.q),
            quote(&faq.a)
        ));
    }
    text.push_str("---\n\n");
    text
}

/// A YAML scalar: JSON string syntax is valid YAML and escapes everything that needs it.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_faq_artefacts() {
        assert_eq!(
            clean_question("What is it?**\n\n**A:** An answer."),
            "What is it?"
        );
        assert_eq!(clean_answer("A:**  Reduce the dose."), "Reduce the dose.");
        assert_eq!(
            clean_answer("**A:** Yes, **but** slowly."),
            "Yes, but slowly."
        );
    }
}
