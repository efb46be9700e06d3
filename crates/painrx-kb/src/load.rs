//! Reading content: files in, monographs and sources out, with every problem collected.
//!
//! The parsing here is pure (a list of `ContentFile`s in); `read_dir` and `embedded` are the
//! two edges that touch the outside world.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::at::At;
use crate::diagnostic::Diagnostic;
use crate::id::SourceId;
use crate::model::FrontMatter;
use crate::monograph::{headings, sections, Monograph};
use crate::vocab::SourceKind;

/// One content file: its path relative to the content root (with `/` separators) and its text.
#[derive(Clone, Debug)]
pub struct ContentFile {
    pub path: String,
    pub text: String,
}

/// One entry of the sources registry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A registry id: a [`SourceId`] without a `#section`.
    pub id: At<SourceId>,
    pub title: String,
    pub publisher: String,
    pub year: u16,
    pub kind: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Registry file the source was read from.
    #[serde(skip)]
    pub file: String,
}

/// The content compiled into the binary.
pub fn embedded() -> Vec<ContentFile> {
    crate::embedded::FILES
        .iter()
        .map(|(path, text)| ContentFile {
            path: (*path).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// Read every `.md` and `.yaml` file below `root`.
pub fn read_dir(root: &Path) -> std::io::Result<Vec<ContentFile>> {
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<ContentFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("md" | "yaml" | "yml")
        ) {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(ContentFile {
                path: relative,
                text: std::fs::read_to_string(&path)?,
            });
        }
    }
    Ok(())
}

/// True for files that hold monographs (`drugs/x.md`, …), false for CHANGELOG and READMEs.
pub fn is_monograph_path(path: &str) -> bool {
    path.ends_with(".md")
        && [
            "drugs/",
            "combinations/",
            "classes/",
            "conditions/",
            "procedures/",
        ]
        .iter()
        .any(|dir| path.starts_with(dir))
}

/// True for files of the sources registry.
pub fn is_source_path(path: &str) -> bool {
    (path.starts_with("sources/") || path == "sources.yaml")
        && (path.ends_with(".yaml") || path.ends_with(".yml"))
}

/// Parse one registry file.
pub fn parse_sources(file: &ContentFile, diagnostics: &mut Vec<Diagnostic>) -> Vec<Source> {
    match serde_saphyr::from_str::<Vec<Source>>(&file.text) {
        Ok(mut sources) => {
            for s in &mut sources {
                s.file = file.path.clone();
            }
            sources
        }
        Err(err) => {
            diagnostics.push(yaml_error(&file.path, 0, &err));
            Vec::new()
        }
    }
}

/// Parse one monograph file. `None` when it cannot be read at all (the reason is in
/// `diagnostics`).
pub fn parse_monograph(file: &ContentFile, diagnostics: &mut Vec<Diagnostic>) -> Option<Monograph> {
    let Some((yaml, body, body_first_line)) = split_front_matter(&file.text) else {
        diagnostics.push(
            Diagnostic::error(&file.path, 1, "missing YAML front matter").with_hint(
                "start the file with a `---` line, the YAML facts, and a closing `---` line",
            ),
        );
        return None;
    };
    let front: FrontMatter = match serde_saphyr::from_str(yaml) {
        Ok(front) => front,
        Err(err) => {
            diagnostics.push(yaml_error(&file.path, 1, &err));
            return None;
        }
    };
    for heading in headings(body, body_first_line) {
        if heading.raw.contains("**") || heading.raw.contains("__") {
            diagnostics.push(
                Diagnostic::error(
                    &file.path,
                    heading.line,
                    format!("heading `{}` uses bold markup", heading.raw.trim()),
                )
                .with_hint("write headings as plain `## Title`"),
            );
        }
    }
    Some(Monograph {
        front,
        sections: sections(body, body_first_line),
        path: file.path.clone(),
        yaml_line_offset: 1,
    })
}

/// Split `---\nYAML\n---\nbody` into (YAML, body, file line of the body's first line).
pub fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for (index, line) in rest.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            let yaml = rest.get(..offset)?;
            let body = rest.get(offset + line.len()..).unwrap_or_default();
            // Line 1 is the opening `---`, YAML starts on line 2, the closing `---` is on
            // line index + 2, so the body starts on line index + 3.
            return Some((yaml, body, index + 3));
        }
        offset += line.len();
    }
    None
}

/// Turn a YAML error into a diagnostic at the right file line.
fn yaml_error(path: &str, line_offset: usize, err: &serde_saphyr::Error) -> Diagnostic {
    let line = err
        .location()
        .map(|l| usize::try_from(l.line()).unwrap_or(0) + line_offset)
        .unwrap_or(0);
    let rendered = err.without_snippet().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or("malformed YAML")
        .trim()
        .to_string();
    let message = strip_location_suffix(&message);
    let hint = if message.contains("unknown variant") {
        "use one of the words listed; docs/CONTENT-FORMAT.md lists every vocabulary"
    } else if message.contains("unknown field") {
        "check the spelling against docs/CONTENT-FORMAT.md"
    } else if message.contains("is not a date") || message.contains("give a date from") {
        "write the day as YYYY-MM-DD, a day the calendar has"
    } else if message.contains("missing field") {
        "add the field; docs/CONTENT-FORMAT.md says which fields each kind needs"
    } else if message.contains(" id `") && message.contains("` is not valid: ") {
        "ids are lowercase ASCII words joined by `-`; docs/CONTENT-IDS.md lists those to reference"
    } else {
        "fix the YAML syntax (indentation, quotes, a `:` inside an unquoted value)"
    };
    Diagnostic::error(path, line, format!("malformed YAML: {message}")).with_hint(hint)
}

/// serde-saphyr appends "at line L column C"; the diagnostic already has the line.
fn strip_location_suffix(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message.get(..index).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_counts_body_lines() {
        let text = "---\nid: x\ntitle: X\n---\n## Usage\n";
        let (yaml, body, first) = split_front_matter(text).unwrap_or(("", "", 0));
        assert_eq!(yaml, "id: x\ntitle: X\n");
        assert_eq!(body, "## Usage\n");
        assert_eq!(first, 5);
    }

    #[test]
    fn no_front_matter_is_none() {
        assert!(split_front_matter("## Usage\n").is_none());
        assert!(split_front_matter("---\nid: x\n").is_none());
    }
}
