//! The drug vocabulary: every drug name a prescriber or an EHR writes — generic (INN, USAN,
//! BAN), salt, brand, combination brand, RxNorm clinical or branded drug string, RxNorm
//! ingredient code, ANSM French substance name — mapped to its substances (FDA UNII).
//!
//! The data is `third_party/vocab/` (public domain and MIT sources, see its README), compiled
//! by build.rs into an fst map of names; nothing is parsed at start but three short word lists
//! and the substance table, on first use. Reading a name is bounded: input over
//! [`MAX_NAME_CHARS`] is refused before any work, and "did you mean" walks the map once for
//! the names within 1 or 2 edits (no automaton built first; at most [`MAX_SUGGEST_CHARS`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use fst::automaton::Automaton;
use fst::{IntoStreamer, Streamer};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::names::MAX_NAME_CHARS;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vocab_embedded.rs"));
}

/// The registry id of the vocabulary as a source (`content/sources/`).
pub const SOURCE: &str = "painrx-vocabulary";

/// How a name names its substances (`names.tsv`'s `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameType {
    Official,
    Salt,
    Brand,
    Combination,
    Common,
    AnsmFr,
    DrugNer,
}

const NAME_TYPES: [NameType; 7] = [
    NameType::Official,
    NameType::Salt,
    NameType::Brand,
    NameType::Combination,
    NameType::Common,
    NameType::AnsmFr,
    NameType::DrugNer,
];

const COMBINATION_FLAG: u64 = 1 << 32;

/// One substance (an active moiety).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Substance {
    /// FDA UNII of the moiety.
    pub unii: &'static str,
    /// English preferred name, lowercase (`acetaminophen`).
    pub name: &'static str,
    /// RxNorm ingredient codes (empty where no permissive source gives one).
    pub rxcui: Vec<&'static str>,
    /// ANSM thesaurus substance names linked to it (French, as the thesaurus writes them).
    pub ansm: Vec<&'static str>,
}

/// A substance understood on a line, with the strength written for it, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub substance: &'static Substance,
    /// The strength as written: value and unit (`325`, `mg`).
    pub strength: Option<(f64, String)>,
}

/// What a line of a medication list names.
#[derive(Clone, Debug, PartialEq)]
pub struct Understood {
    /// The substances, in the order written.
    pub parts: Vec<Part>,
    /// How the name matched (for a whole-name match).
    pub name_type: Option<NameType>,
    /// The dose form, as RxNorm writes it (`Oral Capsule`).
    pub form: Option<String>,
    /// A release qualifier (`24 HR`, `Extended Release`).
    pub release: Option<String>,
    /// A brand in brackets (`[Lyrica]`).
    pub brand: Option<String>,
}

/// Why a text names no drug.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LexiconError {
    #[error("empty name: type a drug name")]
    Empty,
    #[error("a name of {chars} characters is too long: at most {max}")]
    TooLong { chars: usize, max: usize },
    #[error("unknown drug `{input}`{}", did_you_mean(.suggestions))]
    NotFound {
        input: String,
        suggestions: Vec<String>,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(": did you mean {}?", suggestions.join(", "))
    }
}

/// What the vocabulary links, for `painrx kb check`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    pub names: usize,
    pub substances: usize,
    /// The ANSM edition compiled in.
    pub ansm_edition: String,
    pub ansm_substances: usize,
    /// Thesaurus substances linked to a vocabulary substance (English INN, UNII, RxCUI).
    pub ansm_linked: usize,
    /// Thesaurus substances no vocabulary substance is linked to (vaccines, plants, groups).
    pub ansm_unlinked: Vec<String>,
    /// painrx drug monographs whose id is no vocabulary substance.
    pub monographs_unlinked: Vec<String>,
}

/// The compiled vocabulary.
pub struct Lexicon {
    /// `None` only if the compiled map does not read back (a broken build): every name is then
    /// unknown, loudly, rather than a panic.
    names: Option<fst::Map<&'static [u8]>>,
    substances: Vec<Substance>,
    combinations: Vec<Vec<usize>>,
    salts: Vec<&'static str>,
    /// Dose-form phrases as lowercase words, longest first.
    forms: Vec<(Vec<String>, &'static str)>,
    by_rxcui: HashMap<&'static str, usize>,
    by_ansm: HashMap<String, usize>,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Lexicon {{ {} names, {} substances }}",
            self.len(),
            self.substances.len()
        )
    }
}

/// The vocabulary compiled in, loaded on first use.
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(Lexicon::embedded)
}

/// The key form of `names.tsv`: NFC, lowercase, whitespace runs as one space, trimmed.
pub fn normalize(text: &str) -> String {
    let lower: String = text.nfc().collect::<String>().to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Accents removed (NFD without combining marks; œ → oe, æ → ae), for the unaccented lookup.
pub fn unaccented(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .replace('œ', "oe")
        .replace('æ', "ae")
        .nfc()
        .collect()
}

/// Lines of a word list, without comments and blanks.
fn list_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
}

fn split_list(field: Option<&'static str>) -> Vec<&'static str> {
    field
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

impl Lexicon {
    fn embedded() -> Lexicon {
        let names = fst::Map::new(embedded::NAMES).ok();
        let substances: Vec<Substance> = embedded::SUBSTANCES
            .lines()
            .skip(1)
            .map(|line| {
                let mut f = line.split('\t');
                Substance {
                    unii: f.next().unwrap_or_default(),
                    name: f.next().unwrap_or_default(),
                    rxcui: split_list(f.next()),
                    ansm: split_list(f.next()),
                }
            })
            .collect();
        let combinations = embedded::COMBINATIONS
            .lines()
            .map(|l| l.split(';').filter_map(|n| n.parse().ok()).collect())
            .collect();
        let mut forms: Vec<(Vec<String>, &'static str)> = list_lines(embedded::DOSE_FORMS)
            .map(|f| (f.split_whitespace().map(str::to_lowercase).collect(), f))
            .collect();
        forms.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        let mut by_rxcui = HashMap::new();
        let mut by_ansm = HashMap::new();
        for (i, s) in substances.iter().enumerate() {
            for code in &s.rxcui {
                by_rxcui.entry(*code).or_insert(i);
            }
            for name in &s.ansm {
                by_ansm.entry(crate::ansm::normalize(name)).or_insert(i);
            }
        }
        Lexicon {
            names,
            substances,
            combinations,
            salts: list_lines(embedded::SALTS).collect(),
            forms,
            by_rxcui,
            by_ansm,
        }
    }

    /// How much the vocabulary links: the thesaurus compiled in and painrx's drug monographs.
    pub fn coverage<'a>(&'static self, drugs: impl Iterator<Item = &'a str>) -> Coverage {
        let edition = crate::ansm_embedded::newest().ok();
        let labels: Vec<&str> = edition
            .as_ref()
            .map(|e| e.substances.iter().map(|s| s.label.as_str()).collect())
            .unwrap_or_default();
        let ansm_unlinked: Vec<String> = labels
            .iter()
            .filter(|l| self.by_ansm(l).is_none())
            .map(|l| l.to_string())
            .collect();
        Coverage {
            names: self.len(),
            substances: self.substances.len(),
            ansm_edition: crate::ansm_embedded::NEWEST.0.to_string(),
            ansm_substances: labels.len(),
            ansm_linked: labels.len() - ansm_unlinked.len(),
            ansm_unlinked,
            monographs_unlinked: drugs
                .filter(|id| self.substance_named(&id.replace('-', " ")).is_none())
                .map(str::to_string)
                .collect(),
        }
    }

    /// How many names the vocabulary holds.
    pub fn len(&self) -> usize {
        self.names.as_ref().map_or(0, fst::Map::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every substance, in `substances.tsv` order.
    pub fn substances(&'static self) -> &'static [Substance] {
        &self.substances
    }

    /// The substance with this RxNorm ingredient code.
    pub fn by_rxcui(&'static self, code: &str) -> Option<&'static Substance> {
        self.by_rxcui
            .get(code.trim())
            .and_then(|i| self.substances.get(*i))
    }

    /// The substance an ANSM thesaurus name is linked to.
    pub fn by_ansm(&'static self, name: &str) -> Option<&'static Substance> {
        self.by_ansm
            .get(&crate::ansm::normalize(name))
            .and_then(|i| self.substances.get(*i))
    }

    /// The substance whose English name is `name`.
    pub fn substance_named(&'static self, name: &str) -> Option<&'static Substance> {
        match self.lookup(name) {
            Some((_, found)) if found.len() == 1 => found.first().copied(),
            _ => None,
        }
    }

    /// A whole name (normalised, then unaccented) → how it matched and its substances.
    pub fn lookup(&'static self, name: &str) -> Option<(NameType, Vec<&'static Substance>)> {
        let key = normalize(name);
        let names = self.names.as_ref()?;
        let value = names
            .get(key.as_bytes())
            .or_else(|| names.get(unaccented(&key).as_bytes()))?;
        self.decode(value)
    }

    fn decode(&'static self, value: u64) -> Option<(NameType, Vec<&'static Substance>)> {
        let kind = NAME_TYPES
            .get(usize::try_from(value >> 40).ok()?)
            .copied()?;
        let low = value & ((1 << 40) - 1);
        let members: Vec<usize> = if low & COMBINATION_FLAG != 0 {
            let index = usize::try_from(low & (COMBINATION_FLAG - 1)).ok()?;
            self.combinations.get(index)?.clone()
        } else {
            vec![usize::try_from(low).ok()?]
        };
        let found: Vec<&'static Substance> = members
            .iter()
            .filter_map(|i| self.substances.get(*i))
            .collect();
        (!found.is_empty()).then_some((kind, found))
    }

    /// Read a medication line's drug part: a whole name, a name with salt words, or an RxNorm
    /// clinical or branded drug string (`acetaminophen 325 MG / oxycodone hydrochloride 5 MG
    /// Oral Tablet`, `pregabalin 75 MG Oral Capsule [Lyrica]`). Nothing is guessed: a part that
    /// is not a known name makes the whole line unknown, with suggestions.
    pub fn understand(&'static self, text: &str) -> Result<Understood, LexiconError> {
        self.read(text).map_err(|e| match e {
            LexiconError::NotFound { input, .. } => LexiconError::NotFound {
                suggestions: self.suggest(&input),
                input,
            },
            other => other,
        })
    }

    /// [`Lexicon::understand`] without the suggestions of an unknown name, for a caller that
    /// only wants a match (working out "did you mean" is most of the cost of an unknown name).
    pub fn read(&'static self, text: &str) -> Result<Understood, LexiconError> {
        let chars = text.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(LexiconError::TooLong {
                chars,
                max: MAX_NAME_CHARS,
            });
        }
        let text = normalize(text);
        if text.is_empty() {
            return Err(LexiconError::Empty);
        }
        if let Some((kind, found)) = self.lookup(&text) {
            return Ok(Understood {
                parts: found
                    .into_iter()
                    .map(|substance| Part {
                        substance,
                        strength: None,
                    })
                    .collect(),
                name_type: Some(kind),
                form: None,
                release: None,
                brand: None,
            });
        }
        self.rxnorm(&text).ok_or(LexiconError::NotFound {
            suggestions: Vec::new(),
            input: text,
        })
    }

    /// An RxNorm-style string: `[Brand]` at the end, a pack or release prefix, parts split on
    /// ` / `, each a name and a strength, the dose form after the last.
    fn rxnorm(&'static self, text: &str) -> Option<Understood> {
        let (rest, brand) = match text.rsplit_once('[') {
            Some((rest, tail)) if tail.ends_with(']') => (
                rest.trim(),
                Some(tail.trim_end_matches(']').trim().to_string()),
            ),
            _ => (text, None),
        };
        let mut words: Vec<&str> = rest.split(' ').collect();
        let release = self.release_prefix(&mut words);
        let form = self.dose_form_suffix(&mut words);
        let joined = words.join(" ");
        let mut parts = Vec::new();
        for part in joined.split(" / ") {
            parts.push(self.part(part)?);
        }
        if parts.is_empty() {
            return None;
        }
        let brand = match brand {
            Some(b) if self.lookup(&b).is_some() => Some(b),
            Some(_) => return None,
            None => None,
        };
        Some(Understood {
            parts,
            name_type: None,
            form,
            release,
            brand,
        })
    }

    /// `24 hr`, `12 hr`, `7 day` at the start (and a `3 ml` pack volume before a name).
    fn release_prefix(&self, words: &mut Vec<&str>) -> Option<String> {
        let number = |w: Option<&&str>| w.is_some_and(|w| w.parse::<f64>().is_ok());
        let mut release = None;
        if number(words.first()) {
            match (words.first().copied(), words.get(1).copied()) {
                (Some(n), Some(unit @ ("hr" | "day"))) => {
                    release = Some(format!("{n} {}", unit.to_uppercase()));
                    words.drain(..2);
                }
                (_, Some("ml")) => {
                    words.drain(..2);
                }
                _ => {}
            }
        }
        release
    }

    /// The longest dose-form phrase at the end, removed.
    fn dose_form_suffix(&self, words: &mut Vec<&str>) -> Option<String> {
        for (form, written) in &self.forms {
            if form.len() < words.len()
                && words
                    .get(words.len() - form.len()..)
                    .is_some_and(|tail| tail.iter().zip(form).all(|(a, b)| *a == b))
            {
                words.truncate(words.len() - form.len());
                return Some((*written).to_string());
            }
        }
        None
    }

    /// One part: a name, then a strength (`5 mg`, `0.05 mg/ml`, `2.5 %`).
    fn part(&'static self, text: &str) -> Option<Part> {
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        let at = words
            .iter()
            .position(|w| w.starts_with(|c: char| c.is_ascii_digit() || c == '.'));
        let (name_words, strength) = match at {
            Some(at) if at > 0 => {
                let value: f64 = words.get(at)?.parse().ok()?;
                let unit = words.get(at + 1..)?.join(" ");
                if unit.is_empty() || unit.split(' ').count() > 1 {
                    return None;
                }
                (words.get(..at)?, Some((value, unit)))
            }
            Some(_) => return None,
            None => (words.as_slice(), None),
        };
        let substance = self.name_without_salts(name_words)?;
        Some(Part {
            substance,
            strength,
        })
    }

    /// A name, else the name with salt words taken off either end while something is left.
    fn name_without_salts(&'static self, words: &[&str]) -> Option<&'static Substance> {
        let single = |ws: &[&str]| match self.lookup(&ws.join(" ")) {
            Some((_, found)) if found.len() == 1 => found.first().copied(),
            _ => None,
        };
        let mut ws = words;
        while !ws.is_empty() {
            if let Some(found) = single(ws) {
                return Some(found);
            }
            if let Some((_, rest)) = ws.split_last().filter(|(l, _)| self.salts.contains(l)) {
                ws = rest;
            } else if let Some((_, rest)) = ws.split_first().filter(|(f, _)| self.salts.contains(f))
            {
                ws = rest;
            } else {
                return None;
            }
        }
        None
    }

    /// Up to `limit` names that begin with `prefix` (normalised; unaccented too), official and
    /// brand names before the rest, shorter before longer. The walk reads at most 2,000 names.
    pub fn starting_with(
        &'static self,
        prefix: &str,
        limit: usize,
    ) -> Vec<(String, NameType, Vec<&'static Substance>)> {
        let Some(names) = self.names.as_ref() else {
            return Vec::new();
        };
        let key = normalize(prefix);
        let mut found: Vec<(String, u64)> = Vec::new();
        for key in [key.clone(), unaccented(&key)] {
            let automaton = fst::automaton::Str::new(&key).starts_with();
            let mut stream = names.search(automaton).into_stream();
            while let Some((name, value)) = stream.next() {
                if found.len() >= 2_000 {
                    break;
                }
                found.push((String::from_utf8_lossy(name).into_owned(), value));
            }
        }
        let rank = |kind: NameType| match kind {
            NameType::Official | NameType::Brand | NameType::Combination => 0,
            NameType::Salt | NameType::AnsmFr => 1,
            NameType::Common | NameType::DrugNer => 2,
        };
        let mut decoded: Vec<(String, NameType, Vec<&'static Substance>)> = found
            .into_iter()
            .filter_map(|(name, value)| self.decode(value).map(|(k, s)| (name, k, s)))
            .collect();
        decoded.sort_by(|a, b| {
            (rank(a.1), a.0.chars().count(), &a.0).cmp(&(rank(b.1), b.0.chars().count(), &b.0))
        });
        decoded.dedup_by(|a, b| a.0 == b.0);
        decoded.truncate(limit);
        decoded
    }

    /// Up to five names within edit distance 1 (2 for names of 8 characters or more), most
    /// official first.
    pub fn suggest(&self, text: &str) -> Vec<String> {
        let key = unaccented(&normalize(text));
        let chars: Vec<char> = key.chars().collect();
        if !(4..=MAX_SUGGEST_CHARS).contains(&chars.len()) {
            return Vec::new();
        }
        let Some(names) = self.names.as_ref() else {
            return Vec::new();
        };
        let automaton = Near {
            key: &chars,
            max: if chars.len() >= 8 { 2 } else { 1 },
        };
        let mut stream = names.search(automaton).into_stream();
        let mut found: Vec<(u64, String)> = Vec::new();
        while let Some((name, value)) = stream.next() {
            if found.len() >= MAX_NEAR_NAMES {
                break;
            }
            found.push((value >> 40, String::from_utf8_lossy(name).into_owned()));
        }
        found.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, name) in found {
            if !out.contains(&name) {
                out.push(name);
            }
            if out.len() == 5 {
                break;
            }
        }
        out
    }
}

/// The longest name "did you mean" is looked for (in characters, after normalising).
pub const MAX_SUGGEST_CHARS: usize = 60;
/// The most near names read from the map before ranking them.
const MAX_NEAR_NAMES: usize = 200;

/// The names within `max` edits (insertions, deletions, substitutions of characters) of `key`,
/// as an automaton over the map's UTF-8 bytes. Its state is one row of the edit-distance table
/// (and the bytes of a character not yet complete), computed as the walk goes and only within
/// `max` of the diagonal: nothing is built beforehand and each byte costs a few cells. fst's own
/// Levenshtein automaton builds a DFA first, which took 20–70 ms for a 40–60 character name, on
/// every unknown name of a list (issue 13: a list of 128 unknown names held a core for seconds).
/// Same matches (a test compares them).
struct Near<'k> {
    key: &'k [char],
    max: u8,
}

/// One cell per prefix of the longest key, 0 to [`MAX_SUGGEST_CHARS`] characters.
const ROW: usize = MAX_SUGGEST_CHARS + 1;

/// One row of the edit-distance table: the cost of turning the name read so far (`depth`
/// characters) into each prefix of the key, capped at `max + 1` (a cell is never looked at
/// beyond it); plus the bytes of a character begun but not complete.
#[derive(Clone, Copy, Debug)]
struct NearRow {
    costs: [u8; ROW],
    depth: usize,
    partial: [u8; 4],
    partial_len: usize,
}

impl Near<'_> {
    /// The cells that can be within `max` after `depth` characters: a cell further from the
    /// diagonal costs more than `max` insertions or deletions.
    fn band(&self, depth: usize) -> std::ops::RangeInclusive<usize> {
        let max = usize::from(self.max);
        depth.saturating_sub(max)..=(depth + max).min(self.key.len())
    }

    /// The row after one more character `c` of the name.
    fn step(&self, row: &NearRow, c: char) -> NearRow {
        let cap = self.max.saturating_add(1);
        let at = |costs: &[u8; ROW], i: usize| costs.get(i).copied().unwrap_or(cap);
        let depth = row.depth + 1;
        let mut costs = [cap; ROW];
        for i in self.band(depth) {
            let cost = if i == 0 {
                u8::try_from(depth).unwrap_or(cap)
            } else {
                let same = self.key.get(i - 1) == Some(&c);
                let replace = at(&row.costs, i - 1).saturating_add(u8::from(!same));
                let delete = at(&row.costs, i).saturating_add(1);
                let insert = at(&costs, i - 1).saturating_add(1);
                replace.min(delete).min(insert)
            };
            if let Some(cell) = costs.get_mut(i) {
                *cell = cost.min(cap);
            }
        }
        NearRow {
            costs,
            depth,
            partial: [0; 4],
            partial_len: 0,
        }
    }
}

impl fst::Automaton for Near<'_> {
    type State = Option<NearRow>;

    fn start(&self) -> Option<NearRow> {
        let cap = self.max.saturating_add(1);
        let mut costs = [cap; ROW];
        for (i, cell) in costs.iter_mut().enumerate().take(self.key.len() + 1) {
            *cell = u8::try_from(i).unwrap_or(cap).min(cap);
        }
        Some(NearRow {
            costs,
            depth: 0,
            partial: [0; 4],
            partial_len: 0,
        })
    }

    fn is_match(&self, state: &Option<NearRow>) -> bool {
        state.as_ref().is_some_and(|row| {
            row.partial_len == 0
                && row
                    .costs
                    .get(self.key.len())
                    .is_some_and(|c| *c <= self.max)
        })
    }

    fn can_match(&self, state: &Option<NearRow>) -> bool {
        state.as_ref().is_some_and(|row| {
            self.band(row.depth)
                .any(|i| row.costs.get(i).is_some_and(|c| *c <= self.max))
        })
    }

    fn accept(&self, state: &Option<NearRow>, byte: u8) -> Option<NearRow> {
        let row = state.as_ref()?;
        let mut partial = row.partial;
        *partial.get_mut(row.partial_len)? = byte;
        let len = row.partial_len + 1;
        match std::str::from_utf8(partial.get(..len)?) {
            Ok(text) => {
                let next = self.step(row, text.chars().next()?);
                self.can_match(&Some(next)).then_some(next)
            }
            // A character begun: wait for its other bytes.
            Err(e) if e.error_len().is_none() => Some(NearRow {
                partial,
                partial_len: len,
                ..*row
            }),
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name of the map `automaton` accepts.
    fn all<A: fst::Automaton>(automaton: A) -> Vec<String> {
        let names = lexicon().names.as_ref().unwrap();
        let mut stream = names.search(automaton).into_stream();
        let mut out = Vec::new();
        while let Some((name, _)) = stream.next() {
            out.push(String::from_utf8_lossy(name).into_owned());
        }
        out
    }

    /// The walk finds exactly what fst's Levenshtein automaton finds (for keys short enough to
    /// build that automaton quickly): misspellings of real names, accented ones, nonsense.
    #[test]
    fn near_names_are_fst_levenshtein_matches() {
        let mut keys: Vec<String> = vec![
            "sumatriptin".into(),
            "pregablin".into(),
            "paracetamole".into(),
            "parac\u{e9}tamol".into(),
            "ibuprofeen".into(),
            "lyrca".into(),
            "zzzz".into(),
            "\u{e9}\u{e9}\u{e9}\u{e9}".into(),
            "acide ac\u{e9}tylsalicylique".into(),
            "gabapentin 300".into(),
        ];
        for name in [
            "duloxetine",
            "amitriptyline",
            "oxycodone",
            "tramadol",
            "lidocaine",
        ] {
            for i in 0..name.len() {
                let mut dropped = name.to_string();
                dropped.remove(i);
                keys.push(dropped);
                let mut changed = name.to_string();
                changed.replace_range(i..=i, "x");
                keys.push(changed);
            }
        }
        for key in keys {
            let chars: Vec<char> = key.chars().collect();
            for max in [1u8, 2] {
                let ours = all(Near { key: &chars, max });
                let theirs = all(fst::automaton::Levenshtein::new(&key, u32::from(max)).unwrap());
                assert_eq!(ours, theirs, "{key:?} within {max}");
            }
        }
    }
}
