//! Name resolution: generic, brand, synonym and international names, case- and
//! accent-insensitive, with an optional strength ("Gabapentin 400 mg"). A near miss is an
//! error with suggestions, never a silent guess.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::id::{MonographId, ProductId};
use crate::monograph::Monograph;
use crate::quantity::format_number;
use crate::text::fold;
use crate::vocab::Kind;
use crate::Kb;

/// The longest name resolution reads; longer input is refused at once.
pub const MAX_NAME_CHARS: usize = 200;

/// One way a folded name leads to a monograph.
#[derive(Clone, Debug)]
struct Entry {
    id: MonographId,
    /// The name as written in content.
    name: String,
    /// The product a brand name stands for, if any.
    product: Option<ProductId>,
    /// The monograph's own name (id, title or generic) rather than a brand or synonym.
    primary: bool,
}

#[derive(Debug, Default)]
pub struct NameIndex {
    exact: HashMap<String, Vec<Entry>>,
}

/// A strength typed after a name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Strength {
    pub value: f64,
    pub unit: String,
    /// Products of the drug that come in this strength (empty: no such strength exists).
    pub products: Vec<ProductId>,
}

impl Strength {
    pub fn exists(&self) -> bool {
        !self.products.is_empty()
    }
}

/// A name resolved to a monograph.
#[derive(Clone, Debug, Serialize)]
pub struct Resolution {
    pub id: MonographId,
    pub kind: Kind,
    pub title: String,
    /// What the person typed.
    pub input: String,
    /// The content name it matched.
    pub matched: String,
    /// The product a brand stands for (`horizant`), if the name was a brand of one product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength: Option<Strength>,
}

impl Resolution {
    /// "Lyrica (pregabalin)" when the typed name differs from the title, else the title.
    pub fn display_name(&self) -> String {
        let typed = self.input.trim();
        if fold(typed) == fold(&self.title) || fold(typed) == self.id {
            self.title.clone()
        } else {
            format!("{typed} ({})", self.title.to_lowercase())
        }
    }
}

/// A candidate offered when a name is ambiguous or unknown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub id: MonographId,
    pub name: String,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ResolveError {
    #[error("empty name: type a drug, brand, condition or class name")]
    Empty,
    /// Longer than any name painrx knows: refused before any work is done on it (a long input
    /// would otherwise cost time in folding, splitting and "did you mean").
    #[error("a name of {chars} characters is too long: at most {max}")]
    TooLong { chars: usize, max: usize },
    #[error("unknown name `{input}`{}", suggestion_text(.suggestions))]
    NotFound {
        input: String,
        suggestions: Vec<Candidate>,
    },
    #[error("bad strength in `{input}`: {reason}")]
    BadStrength { input: String, reason: String },
    #[error("`{input}` is ambiguous: it could mean {}", list(.candidates))]
    Ambiguous {
        input: String,
        candidates: Vec<Candidate>,
    },
}

fn suggestion_text(suggestions: &[Candidate]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(": did you mean {}?", list(suggestions))
    }
}

fn list(candidates: &[Candidate]) -> String {
    let names: Vec<String> = candidates
        .iter()
        .map(|c| {
            if fold(&c.name) == c.id || fold(&c.name) == fold(&c.id.replace('-', " ")) {
                c.name.to_lowercase()
            } else {
                format!("{} ({})", c.name, c.id)
            }
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl NameIndex {
    pub fn build(monographs: &[Monograph]) -> NameIndex {
        let mut exact: HashMap<String, Vec<Entry>> = HashMap::new();
        for m in monographs {
            let primary_names: Vec<String> = m.primary_names().iter().map(|n| fold(n)).collect();
            for name in m.all_names() {
                let product = m
                    .front
                    .products
                    .iter()
                    .filter(|p| p.brand.as_deref().is_some_and(|b| fold(b) == fold(name)))
                    .map(|p| p.id.clone())
                    .collect::<Vec<_>>();
                // A brand covering several products (Lyrica capsules and solution) names the drug.
                let product = match product.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                };
                let key = fold(name);
                if key.is_empty() {
                    continue;
                }
                let primary = primary_names.contains(&key);
                let entries = exact.entry(key).or_default();
                match entries.iter_mut().find(|e| e.id == *m.id()) {
                    Some(existing) => existing.primary |= primary,
                    None => entries.push(Entry {
                        id: m.id().clone(),
                        name: name.to_string(),
                        product,
                        primary,
                    }),
                }
            }
        }
        NameIndex { exact }
    }

    /// An exact (folded) match only, with an optional strength; never builds suggestions, so a
    /// miss costs one hash lookup. `None` for unknown or ambiguous names.
    pub fn resolve_exact(&self, kb: &Kb, input: &str) -> Option<Resolution> {
        if input.chars().count() > MAX_NAME_CHARS {
            return None;
        }
        let folded = fold(input);
        if folded.is_empty() || has_negative_strength(input) {
            return None;
        }
        if let Ok(Some(found)) = self.lookup(kb, input, &folded, None) {
            return Some(found);
        }
        let (name, strength) = split_strength(&folded)?;
        self.lookup(kb, input, &name, Some(strength)).ok().flatten()
    }

    pub fn resolve(&self, kb: &Kb, input: &str) -> Result<Resolution, ResolveError> {
        let chars = input.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(ResolveError::TooLong {
                chars,
                max: MAX_NAME_CHARS,
            });
        }
        let folded = fold(input);
        if folded.is_empty() {
            return Err(ResolveError::Empty);
        }
        if has_negative_strength(input) {
            return Err(ResolveError::BadStrength {
                input: input.trim().to_string(),
                reason: "a strength cannot be negative".into(),
            });
        }
        if let Some(found) = self.lookup(kb, input, &folded, None)? {
            return Ok(found);
        }
        if let Some((name, strength)) = split_strength(&folded) {
            if let Some(found) = self.lookup(kb, input, &name, Some(strength))? {
                return Ok(found);
            }
            return Err(self.not_found(kb, input, &name));
        }
        Err(self.not_found(kb, input, &folded))
    }

    fn lookup(
        &self,
        kb: &Kb,
        input: &str,
        key: &str,
        strength: Option<(f64, String)>,
    ) -> Result<Option<Resolution>, ResolveError> {
        let Some(entries) = self.exact.get(key) else {
            return Ok(None);
        };
        // A monograph's own name outranks another monograph's synonym for it.
        let primary: Vec<Entry> = entries.iter().filter(|e| e.primary).cloned().collect();
        let entries = if primary.len() == 1 {
            &primary
        } else {
            entries
        };
        match entries.as_slice() {
            [] => Ok(None),
            [entry] => {
                let Some(m) = kb.get(&entry.id) else {
                    return Ok(None);
                };
                let strength = strength.map(|(value, unit)| strength_of(m, value, unit));
                // A strength only one product comes in names that product ("gabapentin 450 mg" is Gralise).
                let product = entry.product.clone().or_else(|| {
                    match strength.as_ref().map(|s| s.products.as_slice()) {
                        Some([only]) => Some(only.clone()),
                        _ => None,
                    }
                });
                Ok(Some(Resolution {
                    id: entry.id.clone(),
                    kind: m.kind(),
                    title: m.title().to_string(),
                    input: input.trim().to_string(),
                    matched: entry.name.clone(),
                    product,
                    strength,
                }))
            }
            many => Err(ResolveError::Ambiguous {
                input: input.trim().to_string(),
                candidates: many
                    .iter()
                    .filter_map(|e| candidate(kb, &e.id, &e.name))
                    .collect(),
            }),
        }
    }

    /// Build the "did you mean" error: names starting with the input, then close spellings.
    fn not_found(&self, kb: &Kb, input: &str, key: &str) -> ResolveError {
        let input = input.trim().to_string();
        let mut prefixed: BTreeSet<(MonographId, String)> = BTreeSet::new();
        if key.len() >= 3 {
            for (name, entries) in &self.exact {
                if name.starts_with(key) {
                    for e in entries {
                        prefixed.insert((e.id.clone(), e.name.clone()));
                    }
                }
            }
        }
        let mut ids_seen = BTreeSet::new();
        let prefixed: Vec<Candidate> = prefixed
            .into_iter()
            .filter(|(id, _)| ids_seen.insert(id.clone()))
            .filter_map(|(id, name)| candidate(kb, &id, &name))
            .collect();
        if prefixed.len() > 1 {
            return ResolveError::Ambiguous {
                input,
                candidates: prefixed,
            };
        }
        let typed = Letters::of(key);
        let mut scored: Vec<(f64, &str, &Entry)> = self
            .exact
            .iter()
            .filter(|(name, _)| typed.could_be_similar(name))
            .flat_map(|(name, entries)| entries.iter().map(move |e| (name.as_str(), e)))
            .map(|(name, e)| (similarity(key, name), name, e))
            .filter(|(score, _, _)| *score >= 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut suggestions = prefixed;
        for (_, _, entry) in scored {
            if suggestions.len() >= 3 {
                break;
            }
            if !suggestions.iter().any(|c| c.id == entry.id) {
                suggestions.extend(candidate(kb, &entry.id, &entry.name));
            }
        }
        ResolveError::NotFound { input, suggestions }
    }
}

fn candidate(kb: &Kb, id: &MonographId, name: &str) -> Option<Candidate> {
    kb.get(id).map(|m| Candidate {
        id: id.clone(),
        name: if fold(name) == fold(m.title()) {
            m.title().to_string()
        } else {
            name.to_string()
        },
        kind: m.kind(),
    })
}

/// A typed name's length and characters counted, to rule out known names cheaply before
/// [`similarity`] (issue 13: a 200-character unknown name took 30–90 ms against every name
/// painrx knows, so a list of 128 of them held a core for seconds).
struct Letters {
    len: usize,
    counts: [u16; 128],
}

impl Letters {
    fn of(folded: &str) -> Letters {
        let mut counts = [0u16; 128];
        let mut len = 0;
        for c in folded.chars() {
            len += 1;
            let slot = usize::try_from(u32::from(c)).unwrap_or(127).min(127);
            if let Some(n) = counts.get_mut(slot) {
                *n = n.saturating_add(1);
            }
        }
        Letters { len, counts }
    }

    /// Whether `known` can score 0.75 against the typed name. Exact, not a heuristic (a test
    /// checks it): with `common` the characters both have (as multisets), the
    /// Damerau–Levenshtein distance is at least `longer − common` (each edit mends at most one
    /// unshared character; a transposition none), so 0.75 needs that within a quarter of the
    /// longer; Jaro pairs only equal characters, so it is at most `(common/typed +
    /// common/known + 1)/3`, and Winkler's prefix bonus lifts it by at most 0.4 × (1 − Jaro):
    /// 0.93 needs Jaro ≥ 53/60.
    fn could_be_similar(&self, known: &str) -> bool {
        let mut counts = self.counts;
        let (mut len, mut common) = (0usize, 0usize);
        for c in known.chars() {
            len += 1;
            let slot = usize::try_from(u32::from(c)).unwrap_or(127).min(127);
            if let Some(n) = counts.get_mut(slot).filter(|n| **n > 0) {
                *n -= 1;
                common += 1;
            }
        }
        let longer = self.len.max(len);
        if self.len == 0 || len == 0 {
            return true;
        }
        let edits_close = 4 * (longer - common) <= longer;
        let (c, a, b) = (common as f64, self.len as f64, len as f64);
        let jaro_close = (c / a + c / b + 1.0) / 3.0 >= 53.0 / 60.0 - 1e-9;
        edits_close || jaro_close
    }
}

/// Similarity of a typed name to a known one, 0–1: the better of Damerau–Levenshtein and
/// Jaro–Winkler (which forgives a dropped letter near the end of long names).
fn similarity(typed: &str, known: &str) -> f64 {
    let dl = strsim::normalized_damerau_levenshtein(typed, known);
    let jw = strsim::jaro_winkler(typed, known);
    dl.max(if jw >= 0.93 { jw - 0.1 } else { 0.0 })
}

/// Split "gabapentin 400 mg" / "gabapentin 400mg" into ("gabapentin", (400, "mg")).
pub fn split_strength(folded: &str) -> Option<(String, (f64, String))> {
    let tokens: Vec<&str> = folded.split(' ').collect();
    let (name_tokens, number, unit) = match tokens.as_slice() {
        [name @ .., number, unit] if is_unit(unit) && number.parse::<f64>().is_ok() => {
            (name, *number, (*unit).to_string())
        }
        [name @ .., last] => {
            let split = last.find(|c: char| c.is_ascii_alphabetic())?;
            let (number, unit) = last.split_at(split);
            if !is_unit(unit) || number.parse::<f64>().is_err() {
                return None;
            }
            (name, number, unit.to_string())
        }
        [] => return None,
    };
    if name_tokens.is_empty() {
        return None;
    }
    let value = number
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)?;
    let unit = if unit == "mcg" || unit == "ug" {
        "mcg".to_string()
    } else {
        unit
    };
    Some((name_tokens.join(" "), (value, unit)))
}

fn is_unit(text: &str) -> bool {
    matches!(text, "mg" | "mcg" | "ug" | "g")
}

fn strength_of(m: &Monograph, value: f64, unit: String) -> Strength {
    let mg = match unit.as_str() {
        "g" => value * 1000.0,
        "mcg" => value / 1000.0,
        _ => value,
    };
    let products = m
        .front
        .products
        .iter()
        .filter(|p| p.strengths_mg.iter().any(|s| (s.get() - mg).abs() < 1e-9))
        .map(|p| p.id.clone())
        .collect();
    Strength {
        value,
        unit,
        products,
    }
}

/// "400 mg" for display.
pub fn strength_label(strength: &Strength) -> String {
    format!("{} {}", format_number(strength.value), strength.unit)
}

/// " -5 mg": a strength written with a minus sign.
fn has_negative_strength(input: &str) -> bool {
    let chars: Vec<char> = input.chars().collect();
    chars
        .windows(3)
        .any(|w| matches!(w, [' ', '-', d] if d.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_strength_suffixes() {
        assert_eq!(
            split_strength("gabapentin 400 mg"),
            Some(("gabapentin".into(), (400.0, "mg".into())))
        );
        assert_eq!(
            split_strength("lyrica cr 82.5mg"),
            Some(("lyrica cr".into(), (82.5, "mg".into())))
        );
        assert_eq!(split_strength("gabapentin"), None);
        assert_eq!(split_strength("400 mg"), None);
        assert_eq!(split_strength("gabapentin -5 mg"), None);
    }

    /// Wherever the counts rule a known name out, it is indeed not similar enough to suggest:
    /// the filter never hides a suggestion. Truncated and padded real names, then any text.
    #[test]
    fn names_ruled_out_are_never_similar() {
        let known = [
            "pregabalin",
            "lyrica",
            "gabapentin",
            "duloxetine",
            "amitriptyline",
        ];
        let mut ruled_out = 0;
        for name in known {
            for cut in 0..name.len() {
                for extra in 0..12 {
                    let typed = format!("{}{}", &name[..cut], "n".repeat(extra));
                    if !Letters::of(&typed).could_be_similar(name) {
                        ruled_out += 1;
                        assert!(similarity(&typed, name) < 0.75, "{typed} ~ {name}");
                    }
                }
            }
        }
        assert!(ruled_out > 100, "{ruled_out}");
        assert!(!Letters::of(&"x".repeat(200)).could_be_similar("pregabalin"));
        assert!(Letters::of("pregablin").could_be_similar("pregabalin"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn names_ruled_out_are_never_similar_for_any_text(a in "[a-d ]{1,24}", b in "[a-d ]{1,24}", tail in "[e-h]{0,12}") {
            // Any two texts, and a text against itself with a different ending (Jaro–Winkler's
            // shared prefix).
            for (typed, known) in [(a.clone(), b), (format!("{a}{tail}"), a)] {
                if !Letters::of(&typed).could_be_similar(&known) {
                    proptest::prop_assert!(similarity(&typed, &known) < 0.75, "{:?} ~ {:?}", typed, known);
                }
            }
        }
    }
}
