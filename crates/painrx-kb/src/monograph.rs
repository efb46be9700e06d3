//! A monograph: front matter facts plus the Markdown body cut into sections.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::id::{MonographId, SectionId};
use crate::model::{Faq, FrontMatter};
use crate::text::slug;
use crate::vocab::Kind;

/// One `##` (or `###`) section of a monograph body.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// Slug of the heading (`how-it-works`).
    pub id: SectionId,
    pub title: String,
    /// 2 for `##`, 3 for `###`.
    pub level: u8,
    /// Line of the heading in the file.
    pub line: usize,
    /// Markdown text below the heading, subsections included.
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subsections: Vec<Section>,
}

impl Section {
    /// Find a section by id or title, here or among the subsections.
    pub fn find(&self, wanted: &str) -> Option<&Section> {
        if self.matches(wanted) {
            return Some(self);
        }
        self.subsections.iter().find_map(|s| s.find(wanted))
    }

    fn matches(&self, wanted: &str) -> bool {
        let wanted = slug(wanted);
        *self.id == wanted || slug(&self.title) == wanted
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Monograph {
    #[serde(flatten)]
    pub front: FrontMatter,
    pub sections: Vec<Section>,
    /// Path relative to the content root (`drugs/pregabalin.md`).
    #[serde(skip)]
    pub path: String,
    /// Lines before the YAML text starts (the opening `---`), to turn YAML lines into file lines.
    #[serde(skip)]
    pub yaml_line_offset: usize,
}

impl Monograph {
    pub fn id(&self) -> &MonographId {
        &self.front.id.value
    }

    pub fn kind(&self) -> Kind {
        self.front.kind.value
    }

    pub fn title(&self) -> &str {
        &self.front.title
    }

    /// File line of a YAML line.
    pub fn file_line(&self, yaml_line: usize) -> usize {
        if yaml_line == 0 {
            0
        } else {
            yaml_line + self.yaml_line_offset
        }
    }

    /// Find a section by id or title (`dosage`, `How It Works`, `adults`, `faqs`).
    pub fn section(&self, wanted: &str) -> Option<&Section> {
        self.sections.iter().find_map(|s| s.find(wanted))
    }

    pub fn faqs(&self) -> &[Faq] {
        &self.front.faqs
    }

    /// Every name people may type for this monograph: id, title, generic, brands, synonyms,
    /// international names.
    pub fn all_names(&self) -> Vec<&str> {
        let mut names = vec![self.id(), self.title()];
        if let Some(n) = &self.front.names {
            names.push(&n.generic);
            names.extend(n.brands.iter().map(String::as_str));
            names.extend(n.synonyms.iter().map(String::as_str));
            names.extend(n.international.iter().map(|i| i.name.as_str()));
        }
        names.extend(self.front.synonyms.iter().map(String::as_str));
        names
    }

    /// The monograph's own names: id, title and generic name.
    pub fn primary_names(&self) -> Vec<&str> {
        let mut names = vec![self.id(), self.title()];
        if let Some(n) = &self.front.names {
            names.push(&n.generic);
        }
        names
    }

    /// Brand names only.
    pub fn brands(&self) -> &[String] {
        self.front
            .names
            .as_ref()
            .map(|n| n.brands.as_slice())
            .unwrap_or(&[])
    }
}

/// A heading found in the body.
#[derive(Debug)]
pub struct Heading {
    pub level: u8,
    pub title: String,
    pub line: usize,
    /// Raw heading source (to spot `**bold**` headings).
    pub raw: String,
    start: usize,
    end: usize,
}

/// Find the headings of a Markdown body. `first_line` is the file line of the body's first line.
pub fn headings(body: &str, first_line: usize) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut current: Option<(u8, usize, usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((heading_level(level), range.start, range.end, String::new()));
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, _, _, title)) = current.as_mut() {
                    title.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, end, title)) = current.take() {
                    let line = first_line + line_of(body, start);
                    let raw = body.get(start..end).unwrap_or_default().to_string();
                    found.push(Heading {
                        level,
                        title: title.trim().trim_end_matches(':').trim().to_string(),
                        line,
                        raw,
                        start,
                        end,
                    });
                }
            }
            _ => {}
        }
    }
    found
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// 0-based line index of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|before| before.matches('\n').count())
        .unwrap_or(0)
}

/// Cut a body into `##` sections with `###` subsections.
pub fn sections(body: &str, first_line: usize) -> Vec<Section> {
    let found = headings(body, first_line);
    build_level(body, &found, 2, body.len())
}

fn build_level(body: &str, found: &[Heading], level: u8, limit: usize) -> Vec<Section> {
    let mut out = Vec::new();
    let positions: Vec<usize> = found
        .iter()
        .enumerate()
        .filter(|(_, h)| h.level == level)
        .map(|(i, _)| i)
        .collect();
    for (n, &i) in positions.iter().enumerate() {
        let Some(heading) = found.get(i) else {
            continue;
        };
        // The section ends at the next heading of this level or higher.
        let stop = found
            .iter()
            .skip(i + 1)
            .find(|h| h.level <= level)
            .map(|h| h.start)
            .unwrap_or(limit);
        let text = body
            .get(heading.end..stop)
            .unwrap_or_default()
            .trim()
            .to_string();
        let next = positions.get(n + 1).copied().unwrap_or(found.len());
        let children: Vec<&Heading> = found
            .get(i + 1..next)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.level > level)
            .collect();
        let subsections = if children.is_empty() || level >= 3 {
            Vec::new()
        } else {
            let owned: Vec<Heading> = children
                .iter()
                .map(|h| Heading {
                    level: h.level,
                    title: h.title.clone(),
                    line: h.line,
                    raw: h.raw.clone(),
                    start: h.start,
                    end: h.end,
                })
                .collect();
            build_level(body, &owned, level + 1, stop)
        };
        out.push(Section {
            id: SectionId::of_heading(&heading.title),
            title: heading.title.clone(),
            level,
            line: heading.line,
            text,
            subsections,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_sections_and_subsections_with_lines() {
        let body = "## Usage\nUse it.\n\n## Dosage\n### Adults\nTwo.\n### Children\nNone.\n## Precautions\nCare.\n";
        let s = sections(body, 10);
        let titles: Vec<_> = s.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Usage", "Dosage", "Precautions"]);
        let dosage = &s[1];
        assert_eq!(dosage.line, 13);
        assert_eq!(dosage.subsections.len(), 2);
        assert_eq!(dosage.subsections[1].text, "None.");
        assert!(dosage.text.contains("### Adults"));
    }

    #[test]
    fn heading_titles_lose_bold_and_colons() {
        let found = headings("## **Usage**\n#### **Adults:**\n", 1);
        assert_eq!(found[0].title, "Usage");
        assert_eq!(found[1].title, "Adults");
        assert!(found[0].raw.contains("**"));
    }
}
