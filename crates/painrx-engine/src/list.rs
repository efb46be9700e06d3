//! A medication list as people write it. Each line is read through painrx's own names first
//! (its monographs know products, strengths and doses), then through the drug vocabulary
//! (`painrx_kb::lexicon`: generics, salts, brands of every market, combination brands, RxNorm
//! strings, ANSM French names). A line gives one drug, or several for a combination product
//! ("Percocet" is acetaminophen and oxycodone), each remembering the line it came from.

use painrx_kb::id::{AnsmTerm, MonographId};
use painrx_kb::lexicon::{lexicon, LexiconError, NameType, Substance, Understood};
use painrx_kb::vocab::Kind;
use painrx_kb::Kb;

use crate::dose::{parse_dose, Dose};
use crate::screen::Medication;

/// One drug of a list.
#[derive(Clone, Debug)]
pub struct Listed {
    /// The line of the list it was written on (0-based).
    pub input: usize,
    /// The drug: `id` is painrx's monograph id, or the vocabulary's English name of a substance
    /// painrx has no monograph of (`sumatriptan`).
    pub medication: Medication,
    /// painrx has a monograph of it, so its curated rules can screen it.
    pub in_kb: bool,
    /// The vocabulary's substance, where the vocabulary knows it.
    pub substance: Option<&'static Substance>,
    /// The strength written for it (an RxNorm string: `5 MG`), value and unit.
    pub strength: Option<(f64, String)>,
    /// The ANSM thesaurus substance it was written as (a thesaurus name as such, or a name
    /// only the thesaurus knows).
    pub ansm: Option<AnsmTerm>,
}

impl Listed {
    /// A name only the ANSM thesaurus knows (`bcg`, `boldo`): screened by the thesaurus alone.
    pub fn thesaurus_only(input: usize, written: &str, substance: AnsmTerm) -> Option<Listed> {
        Some(Listed {
            input,
            medication: Medication {
                id: drug_id(substance.as_str())?,
                display: written.trim().to_string(),
                dose: None,
            },
            in_kb: false,
            substance: None,
            strength: None,
            ansm: Some(substance),
        })
    }
}

/// One line understood: its drugs, and what else the line said.
#[derive(Clone, Debug)]
pub struct Line {
    pub drugs: Vec<Listed>,
    /// The dose form and release written (RxNorm strings).
    pub form: Option<String>,
    pub release: Option<String>,
}

/// Read line `input` of a list. A text that is no drug name is an error with "did you mean".
pub fn read_line(kb: &Kb, input: usize, text: &str) -> Result<Line, String> {
    let lex = lexicon();
    // A combination brand names all its substances, whatever painrx's monographs call it.
    if let Some((NameType::Combination, substances)) = lex.lookup(text) {
        return Ok(Line {
            drugs: substances
                .into_iter()
                .filter_map(|s| listed(kb, input, text, s, None, None))
                .collect(),
            form: None,
            release: None,
        });
    }
    // A name painrx knows exactly, with or without a dose after it: painrx's own reading
    // (products, strengths, doses, and its errors for a bad dose).
    let name = split_dose(text).map_or(text, |(name, _)| name);
    let painrx_name = [text, name]
        .iter()
        .any(|n| kb.resolve_exact(n).is_some_and(|r| r.kind == Kind::Drug));
    let parsed = painrx_name.then(|| Medication::parse(kb, text));
    if let Some(Err(message)) = parsed {
        // "pregabalin 75 MG Oral Capsule": a strength and form, RxNorm's way, no frequency.
        return match lex.read(text) {
            Ok(understood) => Ok(from_understood(kb, input, text, understood, None)),
            Err(_) => Err(message),
        };
    }
    if let Some(Ok(medication)) = parsed {
        let substance = lex.substance_named(&medication.id);
        return Ok(Line {
            drugs: vec![Listed {
                input,
                medication,
                in_kb: true,
                substance,
                strength: None,
                ansm: None,
            }],
            form: None,
            release: None,
        });
    }
    // The vocabulary's answer for the whole line, kept for the error below (its "did you
    // mean" is worked out once).
    let unknown = match lex.understand(text) {
        Ok(understood) => return Ok(from_understood(kb, input, text, understood, None)),
        Err(e @ (LexiconError::TooLong { .. } | LexiconError::Empty)) => {
            return Err(Medication::parse(kb, text)
                .err()
                .unwrap_or_else(|| e.to_string()))
        }
        Err(e @ LexiconError::NotFound { .. }) => e,
    };
    // "sumatriptan 50 mg" or "Imitrex 50 mg daily": a name, then a dose.
    if let Some((name, dose_text)) = split_dose(text) {
        if let Ok(understood) = lex.read(name) {
            let dose = parse_dose(dose_text).map_err(|e| format!("`{text}`: {e}"))?;
            return Ok(from_understood(kb, input, name, understood, Some(dose)));
        }
    }
    // Neither knows it: painrx's own answer (a misspelt painrx name gets its suggestions, a
    // condition or a class its kind), else the vocabulary's.
    Err(match Medication::parse(kb, text) {
        Err(message) if message.contains("did you mean") || !message.contains("unknown") => message,
        _ => unknown.to_string(),
    })
}

/// "name 50 mg q6h" → ("name", "50 mg q6h") at the first word that starts with a digit.
fn split_dose(text: &str) -> Option<(&str, &str)> {
    let at = text
        .char_indices()
        .filter(|(i, _)| *i == 0 || text.get(..*i).is_some_and(|p| p.ends_with(' ')))
        .find(|(_, c)| c.is_ascii_digit() || *c == '.')
        .map(|(i, _)| i)?;
    let (name, dose) = text.split_at(at);
    let name = name.trim();
    (!name.is_empty()).then_some((name, dose.trim()))
}

fn from_understood(
    kb: &Kb,
    input: usize,
    written: &str,
    understood: Understood,
    dose: Option<Dose>,
) -> Line {
    let single = understood.parts.len() == 1;
    Line {
        drugs: understood
            .parts
            .into_iter()
            .filter_map(|p| {
                let dose = if single { dose } else { None };
                listed(kb, input, written, p.substance, p.strength, dose)
            })
            .collect(),
        form: understood.form,
        release: understood.release,
    }
}

/// A vocabulary substance as a drug of the list: painrx's monograph where it has one.
fn listed(
    kb: &Kb,
    input: usize,
    written: &str,
    substance: &'static Substance,
    strength: Option<(f64, String)>,
    dose: Option<Dose>,
) -> Option<Listed> {
    let monograph = kb
        .resolve_exact(substance.name)
        .filter(|r| r.kind == Kind::Drug);
    let typed = written.trim();
    let (id, in_kb, title) = match &monograph {
        Some(r) => (r.id.clone(), true, r.title.to_lowercase()),
        None => (drug_id(substance.name)?, false, substance.name.to_string()),
    };
    let display = if painrx_kb::lexicon::normalize(typed) == title {
        title
    } else {
        format!("{typed} ({title})")
    };
    Some(Listed {
        input,
        medication: Medication { id, display, dose },
        in_kb,
        substance: Some(substance),
        strength,
        ansm: None,
    })
}

/// The id of a drug painrx has no monograph of: its name as a content id would write it
/// (`insulin human` → `insulin-human`, `virus de la fièvre jaune` → `virus-de-la-fievre-jaune`),
/// so findings name every drug the same way; `None` for a name with no letter or digit.
pub fn drug_id(name: &str) -> Option<MonographId> {
    let folded = painrx_kb::ansm::normalize(name);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-").parse().ok()
}
