//! Full-text search over monographs: BM25F over weighted fields (names and title count most,
//! then description, FAQs and sections), Snowball stemming, and name expansion so that a brand
//! or synonym in the query ("Lyrica weight gain") also searches for the generic it names.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use serde::Serialize;

use crate::id::MonographId;
use crate::monograph::{Monograph, Section};
use crate::text::{fold, words};
use crate::Kb;

const K1: f64 = 1.2;
const B: f64 = 0.75;
const WEIGHT_NAME: f64 = 4.0;
const WEIGHT_DESCRIPTION: f64 = 2.0;
const WEIGHT_FAQ: f64 = 1.5;
const WEIGHT_SECTION: f64 = 1.0;
/// Added when the query names the monograph itself (a brand, a synonym, the title).
const NAMED_BOOST: f64 = 4.0;

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "if", "in", "is", "it", "its", "my", "of", "on", "or", "the", "to", "what", "when",
    "which", "with", "you", "your",
];

#[derive(Debug)]
pub struct SearchIndex {
    postings: HashMap<String, Vec<(usize, f64)>>,
    lengths: Vec<f64>,
    average_length: f64,
}

/// One search result.
#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub id: MonographId,
    pub title: String,
    pub kind: crate::vocab::Kind,
    pub score: f64,
    pub snippet: String,
    /// Section the snippet comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

fn terms<'a>(stemmer: &'a Stemmer, text: &'a str) -> impl Iterator<Item = String> + 'a {
    words(text)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(move |w| stemmer.stem(&w).into_owned())
}

impl SearchIndex {
    pub fn build(monographs: &[Monograph]) -> SearchIndex {
        let stemmer = stemmer();
        let mut postings: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(monographs.len());
        for (doc, m) in monographs.iter().enumerate() {
            let mut tf: HashMap<String, f64> = HashMap::new();
            let mut length = 0.0;
            let mut add = |text: &str, weight: f64| {
                for term in terms(&stemmer, text) {
                    *tf.entry(term).or_default() += weight;
                    length += weight;
                }
            };
            for name in m.all_names() {
                add(name, WEIGHT_NAME);
            }
            add(&m.front.description, WEIGHT_DESCRIPTION);
            for faq in m.faqs() {
                add(&faq.q, WEIGHT_FAQ);
                add(&faq.a, WEIGHT_FAQ);
            }
            for section in &m.sections {
                add(&section.title, WEIGHT_SECTION);
                add(&section.text, WEIGHT_SECTION);
            }
            for side_effect in &m.front.side_effects {
                add(&side_effect.effect, WEIGHT_SECTION);
            }
            for (term, weight) in tf {
                postings.entry(term).or_default().push((doc, weight));
            }
            lengths.push(length);
        }
        let average_length = if lengths.is_empty() {
            1.0
        } else {
            lengths.iter().sum::<f64>() / lengths.len() as f64
        };
        SearchIndex {
            postings,
            lengths,
            average_length: average_length.max(1.0),
        }
    }

    pub fn search(&self, kb: &Kb, query: &str, limit: usize) -> Vec<Hit> {
        let stemmer = stemmer();
        let (mut query_terms, named) = expand(kb, &stemmer, query);
        query_terms.sort();
        query_terms.dedup();
        let docs = kb.monographs().len() as f64;
        let mut scores: HashMap<usize, f64> = HashMap::new();
        for term in &query_terms {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let df = list.len() as f64;
            let idf = ((docs - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(doc, tf) in list {
                let length = self
                    .lengths
                    .get(doc)
                    .copied()
                    .unwrap_or(self.average_length);
                let norm =
                    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / self.average_length));
                *scores.entry(doc).or_default() += idf * norm;
            }
        }
        for id in &named {
            if let Some(doc) = kb.monographs().iter().position(|m| m.id() == id) {
                *scores.entry(doc).or_default() += NAMED_BOOST;
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().filter(|(_, s)| *s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(limit)
            .filter_map(|(doc, score)| {
                let m = kb.monographs().get(doc)?;
                let (section, snippet) = snippet(m, &stemmer, &query_terms);
                Some(Hit {
                    id: m.id().clone(),
                    title: m.title().to_string(),
                    kind: m.kind(),
                    score: (score * 1000.0).round() / 1000.0,
                    snippet,
                    section,
                })
            })
            .collect()
    }
}

/// Query terms, with the generic name and id of every monograph a word or word pair of the
/// query names ("lyrica" → pregabalin). Returns the terms and the ids named.
fn expand(kb: &Kb, stemmer: &Stemmer, query: &str) -> (Vec<String>, Vec<String>) {
    let mut out: Vec<String> = terms(stemmer, query).collect();
    let mut named = Vec::new();
    let folded: Vec<String> = fold(query).split(' ').map(str::to_string).collect();
    for width in (1..=3).rev() {
        for window in folded.windows(width) {
            let phrase = window.join(" ");
            if phrase.len() < 3 {
                continue;
            }
            if let Ok(found) = kb.resolve(&phrase) {
                if !named.iter().any(|n| *n == found.id) {
                    if let Some(m) = kb.get(&found.id) {
                        let generic = m
                            .front
                            .names
                            .as_ref()
                            .map(|n| n.generic.as_str())
                            .unwrap_or(m.title());
                        out.extend(terms(stemmer, generic));
                    }
                    named.push(found.id.into());
                }
            }
        }
    }
    (out, named)
}

/// The passage that holds most query terms, with the section it is from.
fn snippet(m: &Monograph, stemmer: &Stemmer, query_terms: &[String]) -> (Option<String>, String) {
    let mut best: (usize, Option<String>, String) = (0, None, m.front.description.clone());
    let mut consider = |section: Option<&str>, text: &str| {
        for passage in passages(text) {
            let hits = terms(stemmer, &passage)
                .filter(|t| query_terms.contains(t))
                .collect::<std::collections::HashSet<_>>()
                .len();
            if hits > best.0 {
                best = (hits, section.map(str::to_string), passage);
            }
        }
    };
    fn visit(section: &Section, consider: &mut dyn FnMut(Option<&str>, &str)) {
        if section.subsections.is_empty() {
            consider(Some(&section.title), &section.text);
        } else {
            let own = section.text.split("\n#").next().unwrap_or_default();
            consider(Some(&section.title), own);
            for sub in &section.subsections {
                visit(sub, consider);
            }
        }
    }
    consider(None, &m.front.description);
    for section in &m.sections {
        visit(section, &mut consider);
    }
    for faq in m.faqs() {
        consider(Some("FAQs"), &format!("{} {}", faq.q, faq.a));
    }
    (best.1, shorten(&best.2, 220))
}

/// Sentences of a Markdown text, markup removed. Paragraphs and list items are joined across
/// their wrapped lines first, and very short sentences stay with the one before them.
fn passages(text: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let starts_block = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed.starts_with('|')
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty());
        if starts_block && !current.is_empty() {
            blocks.push(std::mem::take(&mut current));
        }
        let clean = trimmed
            .trim_start_matches(['-', '*', '#', '>', '|'])
            .replace("**", "")
            .replace('`', "");
        let clean = clean.trim();
        if !clean.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(clean);
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    let mut out: Vec<String> = Vec::new();
    for block in blocks {
        let mut joined = false;
        for sentence in block.split_inclusive(". ") {
            let sentence = sentence.trim();
            if sentence.is_empty() {
                continue;
            }
            // "e.g. " and "i.e. " do not end a sentence.
            let continues = joined;
            joined = ["e.g.", "i.e.", "vs.", "approx.", "cf."]
                .iter()
                .any(|a| sentence.ends_with(a));
            match out.last_mut() {
                Some(previous)
                    if continues || (sentence.chars().count() < 50 && !previous.ends_with(':')) =>
                {
                    previous.push(' ');
                    previous.push_str(sentence);
                }
                _ => out.push(sentence.to_string()),
            }
        }
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(space) => cut.get(..space).unwrap_or(&cut).to_string(),
        None => cut,
    };
    format!("{cut}…")
}
