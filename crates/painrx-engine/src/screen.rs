//! Safety screening: (patient, medications) → findings, each naming its rule, the path that
//! fired it, what to do and its sources. Rules are looked up by the drug's own id and classes
//! (an index, not a scan), so the cost does not grow with the size of the rule base.

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use painrx_kb::rules::{Measure, Rule, RuleKind, Severity, Target};
use painrx_kb::vocab::DoseUnit;
use painrx_kb::Kb;
use serde::Serialize;

use crate::ansm::{AnsmIndex, LevelReport};
use crate::dose::{Amount, Dose};
use painrx_kb::id::{AnsmEditionId, AnsmTerm, MonographId, RuleId, SourceId};
use painrx_kb::quantity::format_number;

/// The oldest age a request may give, in years.
pub const MAX_AGE_YEARS: f64 = 120.0;

/// Who the medications are for.
#[derive(Clone, Debug, Default)]
pub struct Patient {
    pub age: Option<f64>,
    /// Sex as the request gave it (kept for the rules and estimates that need it).
    pub sex: Option<crate::renal::Sex>,
    /// Condition ids.
    pub conditions: Vec<MonographId>,
    /// Drug or class ids the patient is allergic to.
    pub allergies: Vec<MonographId>,
    pub pregnant: bool,
    pub breastfeeding: bool,
}

impl Patient {
    /// The patient a check screens for, from what the user typed: an age in 0–120, condition
    /// names and drug or class names for allergies, each resolved to its id. Shared by
    /// `painrx check` and the API; the error is a sentence for the user.
    pub fn parse(
        kb: &Kb,
        age: Option<f64>,
        conditions: &[String],
        allergies: &[String],
        pregnant: bool,
        breastfeeding: bool,
    ) -> Result<Patient, String> {
        use painrx_kb::vocab::Kind;
        if let Some(age) = age {
            if !(age.is_finite() && (0.0..=MAX_AGE_YEARS).contains(&age)) {
                return Err(format!("age `{age}` is impossible"));
            }
        }
        let ids = |names: &[String], fits: fn(Kind) -> bool, what: &str| {
            names
                .iter()
                .map(|name| {
                    let found = kb.resolve(name).map_err(|e| e.to_string())?;
                    if fits(found.kind) {
                        Ok(found.id)
                    } else {
                        Err(format!("`{name}` is a {}, not {what}", found.kind))
                    }
                })
                .collect::<Result<Vec<MonographId>, String>>()
        };
        Ok(Patient {
            age,
            sex: None,
            conditions: ids(conditions, |k| k == Kind::Condition, "a condition")?,
            allergies: ids(
                allergies,
                |k| matches!(k, Kind::Drug | Kind::Class),
                "a drug or drug class",
            )?,
            pregnant,
            breastfeeding,
        })
    }
}

/// One medication of the list, resolved.
#[derive(Clone, Debug)]
pub struct Medication {
    /// Canonical drug id.
    pub id: MonographId,
    /// How to name it to the user: "Lyrica (pregabalin)".
    pub display: String,
    pub dose: Option<Dose>,
}

impl Medication {
    /// "oxycodone 20 mg q6h" → the drug and its dose; "Lyrica" or "Lyrica 75 mg" → the drug
    /// (a strength names the product). The one reading of a medication line that `painrx check`,
    /// the API and the web checker share; the error is a sentence for the user.
    ///
    /// An exact name is a hash lookup; only a line with no dose to split off goes through the
    /// full resolution, whose error carries "did you mean" suggestions (costly to build).
    pub fn parse(kb: &Kb, text: &str) -> Result<Medication, String> {
        let (found, dose) = match kb.resolve_exact(text) {
            Some(found) => (found, None),
            None => {
                let tokens: Vec<&str> = text.split_whitespace().collect();
                let at = tokens.iter().position(|t| {
                    t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
                });
                match at {
                    Some(at) if at > 0 => {
                        let name = tokens.get(..at).unwrap_or_default().join(" ");
                        let dose_text = tokens.get(at..).unwrap_or_default().join(" ");
                        let found = kb.resolve(&name).map_err(|e| e.to_string())?;
                        let dose = crate::dose::parse_dose(&dose_text)
                            .map_err(|e| format!("`{text}`: {e}"))?;
                        (found, Some(dose))
                    }
                    _ => (kb.resolve(text).map_err(|e| e.to_string())?, None),
                }
            }
        };
        if found.kind != painrx_kb::vocab::Kind::Drug {
            return Err(format!("`{text}` is a {}, not a medication", found.kind));
        }
        Ok(Medication {
            display: found.display_name(),
            id: found.id,
            dose,
        })
    }
}

/// Which rules to screen with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSet {
    Painrx,
    Ansm,
    All,
}

/// A level of an ANSM entry, as reported.
pub type AnsmLevel = LevelReport;

/// A finding's stable id: its rule and the sorted ids of the drugs it is about
/// (`gabapentinoid-opioid:oxycodone+pregabalin`); a burden rule's is the rule id alone, an ANSM
/// entry's `ansm-EDITION:drug+drug:main+plus`. Only the screening makes one (from typed ids);
/// on the wire it is that string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct FindingId(String);

impl FindingId {
    /// `head:drug+drug`, the drugs sorted.
    fn of(head: &str, drugs: &[MonographId]) -> FindingId {
        let mut sorted: Vec<&str> = drugs.iter().map(MonographId::as_str).collect();
        sorted.sort_unstable();
        FindingId(format!("{head}:{}", sorted.join("+")))
    }

    /// A rule about the whole list (a burden): its id alone.
    fn whole_list(rule: &RuleId) -> FindingId {
        FindingId(rule.to_string())
    }

    /// An ANSM entry's finding: the edition, the drugs and the entry's two terms.
    fn ansm(
        edition: &AnsmEditionId,
        drugs: &[MonographId],
        main: &AnsmTerm,
        plus: &AnsmTerm,
    ) -> FindingId {
        let FindingId(head) = FindingId::of(&format!("ansm-{edition}"), drugs);
        FindingId(format!("{head}:{}+{}", slug(main), slug(plus)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for FindingId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq<str> for FindingId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: rule and the sorted drug ids (`gabapentinoid-opioid:oxycodone+pregabalin`).
    pub id: FindingId,
    pub kind: RuleKind,
    pub severity: Severity,
    /// Canonical drug ids.
    pub drugs: Vec<MonographId>,
    /// 0-based positions in the request.
    pub inputs: Vec<usize>,
    pub summary: Arc<str>,
    /// Why it fired: the path from the medications to the rule.
    pub explanation: String,
    pub management: Arc<str>,
    pub sources: Arc<[SourceId]>,
    /// `painrx` or `ansm 2020_01`.
    pub rule_source: Arc<str>,
    pub rule: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ansm_levels: Vec<AnsmLevel>,
    /// Severity before a local policy changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_severity: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// Burden totals over the whole list.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Burden {
    pub cns_active: usize,
    pub anticholinergic: f64,
    /// Total morphine milligram equivalents per day; null when no opioid had a dose.
    pub mme_per_day: Option<f64>,
    /// Opioids whose dose was not given (so MME could not count them), by position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mme_missing_doses: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Screening {
    pub findings: Vec<Finding>,
    pub burden: Burden,
    /// Medications a rule source could not screen, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unscreened: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScreenError {
    #[error("`{0}` is not a drug in the knowledge base")]
    Unknown(String),
    #[error("{0} is not in ANSM thesaurus edition {1}: it cannot be screened against it")]
    NotInAnsm(String, String),
    #[error("no ANSM thesaurus is loaded: import one with `painrx kb import-ansm DIR`")]
    NoAnsm,
    #[error("{0} medications: painrx screens at most 128 in one check")]
    TooMany(usize),
}

/// The rules indexed by the drug or class they name.
#[derive(Debug)]
pub struct Screener<'a> {
    kb: &'a Kb,
    /// Target id → group (`all_of`) and duplicate-therapy rules naming it.
    by_target: FxHashMap<&'a str, Vec<usize>>,
    /// Target id → pair rules (`between` two targets) naming it.
    pair_by_target: FxHashMap<&'a str, Vec<usize>>,
    /// The two target ids of a pair rule, in order → the pair rules between them. A target on
    /// more pair rules than the list has keys is looked up pair by pair instead of scanning its
    /// rules, so the cost of a check does not grow with the size of the rule base
    /// (`bench/screen.sh`: a million synthetic pair rules).
    pairs: FxHashMap<(&'a str, &'a str), Vec<usize>>,
    /// The classes whose members count as CNS-active in the burden (from the burden rules).
    cns_classes: Vec<&'a str>,
    /// Rules about a single medication, by target id.
    single: FxHashMap<&'a str, Vec<usize>>,
    burdens: Vec<usize>,
    /// Drug id → itself and every class (transitively).
    keys: FxHashMap<MonographId, Vec<MonographId>>,
    /// Class id → its title in lower case, for explanations.
    class_names: FxHashMap<&'a str, String>,
    painrx: Arc<str>,
}

impl<'a> Screener<'a> {
    pub fn new(kb: &'a Kb) -> Screener<'a> {
        let mut by_target: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut pair_by_target: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut pairs: FxHashMap<(&str, &str), Vec<usize>> = FxHashMap::default();
        let mut single: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut burdens = Vec::new();
        for (i, rule) in kb.rules().iter().enumerate() {
            match rule.kind {
                RuleKind::Interaction | RuleKind::Timing => {
                    if let [a, b] = rule.between.as_slice() {
                        let (a, b) = (a.id().0, b.id().0);
                        pair_by_target.entry(a).or_default().push(i);
                        if b != a {
                            pair_by_target.entry(b).or_default().push(i);
                        }
                        pairs.entry(ordered(a, b)).or_default().push(i);
                    }
                    for t in &rule.all_of {
                        by_target.entry(t.id().0).or_default().push(i);
                    }
                }
                RuleKind::Duplicate => {
                    if let Some(t) = &rule.within {
                        by_target.entry(t.id().0).or_default().push(i);
                    }
                }
                RuleKind::Burden => burdens.push(i),
                _ => {
                    if let Some(t) = &rule.drug {
                        single.entry(t.id().0).or_default().push(i);
                    }
                }
            }
        }
        let keys = kb
            .monographs()
            .iter()
            .filter(|m| m.kind() == painrx_kb::vocab::Kind::Drug)
            .map(|m| {
                let mut k = vec![m.id().clone()];
                k.extend(kb.classes_of(m.id()).into_iter().cloned());
                (m.id().clone(), k)
            })
            .collect();
        let class_names = kb
            .monographs()
            .iter()
            .filter(|m| m.kind() == painrx_kb::vocab::Kind::Class)
            .map(|m| (m.id().as_str(), m.title().to_lowercase()))
            .collect();
        let cns_classes = kb
            .rules()
            .iter()
            .filter(|r| r.measure == Some(Measure::CnsActive))
            .flat_map(|r| r.classes.iter().map(MonographId::as_str))
            .collect();
        Screener {
            kb,
            by_target,
            pair_by_target,
            pairs,
            cns_classes,
            single,
            burdens,
            keys,
            class_names,
            painrx: Arc::from("painrx"),
        }
    }

    fn keys(&self, drug: &str) -> &[MonographId] {
        self.keys.get(drug).map(Vec::as_slice).unwrap_or(&[])
    }

    fn matches(&self, drug: &str, target: &Target) -> bool {
        let (id, _) = target.id();
        self.keys(drug).iter().any(|k| k == id)
    }

    /// "pregabalin is one of the gabapentinoids" / "oxycodone is oxycodone".
    fn path(&self, med: &Medication, target: &Target) -> String {
        let (id, is_class) = target.id();
        if is_class {
            let class = self.class_names.get(id).map(String::as_str).unwrap_or(id);
            format!("{} is one of the {class}", med.display)
        } else {
            med.display.clone()
        }
    }

    fn finding(&self, rule: &Rule, meds: &[(usize, &Medication)], explanation: String) -> Finding {
        let mut drugs: Vec<MonographId> = meds.iter().map(|(_, m)| m.id.clone()).collect();
        let mut inputs: Vec<usize> = meds.iter().map(|(i, _)| *i).collect();
        inputs.sort_unstable();
        drugs.sort();
        Finding {
            id: FindingId::of(&rule.id.value, &drugs),
            kind: rule.kind,
            severity: rule.severity,
            drugs,
            inputs,
            summary: rule.effect.clone(),
            explanation,
            management: rule.management.clone(),
            sources: rule.source_ids.clone(),
            rule_source: self.painrx.clone(),
            rule: rule.name.clone(),
            mechanism: Some(rule.mechanism.clone()),
            ansm_levels: Vec::new(),
            original_severity: None,
            policy: None,
        }
    }

    /// Screen with the curated rules.
    pub fn screen(&self, patient: &Patient, meds: &[Medication]) -> Result<Screening, ScreenError> {
        if meds.len() > MAX_MEDICATIONS {
            return Err(ScreenError::TooMany(meds.len()));
        }
        let mut med_keys: Vec<&[MonographId]> = Vec::with_capacity(meds.len());
        for m in meds {
            match self.keys.get(m.id.as_str()) {
                Some(k) => med_keys.push(k),
                None => return Err(ScreenError::Unknown(m.id.to_string())),
            }
        }
        let holders = holders(&med_keys);
        let mut hits = self.pair_and_group_hits(meds, &holders);
        hits.extend(self.single_hits(patient, meds, &med_keys));
        let burden = self.burden(meds);
        hits.extend(self.burden_hits(patient, meds, &med_keys, &burden));
        let mut findings: Vec<Finding> = merge(hits, meds, self.kb.rules())
            .into_iter()
            .filter_map(|hit| self.materialize(&hit, meds))
            .collect();
        sort(&mut findings);
        Ok(Screening {
            findings,
            burden,
            unscreened: Vec::new(),
        })
    }

    /// Pair and group rules, found through the index from each medication's keys.
    fn pair_and_group_hits(&self, meds: &[Medication], holders: &Holders<'_>) -> Vec<Hit<'a>> {
        let rules = self.kb.rules();
        let mut hits: Vec<Hit> = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        let keys: Vec<&str> = holders.keys().copied().collect();
        for &k in &keys {
            if let Some(list) = self.by_target.get(k) {
                candidates.extend_from_slice(list);
            }
            match self.pair_by_target.get(k) {
                Some(list) if list.len() <= keys.len() => candidates.extend_from_slice(list),
                // More pair rules than keys on the list: only pairs of keys the list holds can
                // match, so look those up.
                Some(_) => {
                    for &other in &keys {
                        if let Some(list) = self.pairs.get(&ordered(k, other)) {
                            candidates.extend_from_slice(list);
                        }
                    }
                }
                None => {}
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for r in candidates {
            let Some(rule) = rules.get(r) else { continue };
            match rule.kind {
                RuleKind::Interaction | RuleKind::Timing if rule.between.len() == 2 => {
                    let (Some(a), Some(b)) = (rule.between.first(), rule.between.get(1)) else {
                        continue;
                    };
                    for positions in pairs(mask(holders, a), mask(holders, b), meds) {
                        hits.push(Hit {
                            rule: r,
                            positions,
                            group: (rule.group(), None),
                            detail: Detail::Pair,
                        });
                    }
                }
                RuleKind::Interaction => {
                    for assigned in assignments(&rule.all_of, meds, |m, t| self.matches(&m.id, t)) {
                        hits.push(Hit {
                            rule: r,
                            positions: assigned,
                            group: (rule.group(), None),
                            detail: Detail::Group,
                        });
                    }
                }
                RuleKind::Duplicate => {
                    let Some(t) = &rule.within else { continue };
                    let m = mask(holders, t);
                    for i in bits(m) {
                        for j in bits(m).filter(|j| *j > i) {
                            hits.push(Hit {
                                rule: r,
                                positions: vec![i, j],
                                group: (rule.group(), None),
                                detail: Detail::Duplicate,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        hits
    }

    /// Rules about one medication and the patient, and allergies to a drug on the list.
    fn single_hits(
        &self,
        patient: &Patient,
        meds: &[Medication],
        med_keys: &[&[MonographId]],
    ) -> Vec<Hit<'a>> {
        let rules = self.kb.rules();
        let mut hits: Vec<Hit> = Vec::new();
        for (i, (m, keys)) in meds.iter().zip(med_keys).enumerate() {
            let mut seen_rules: Vec<usize> = Vec::new();
            for key in keys.iter() {
                for &r in self
                    .single
                    .get(key.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    if seen_rules.contains(&r) {
                        continue;
                    }
                    seen_rules.push(r);
                    let Some(rule) = rules.get(r) else { continue };
                    if too_young(rule, patient) {
                        continue;
                    }
                    if self.applies(rule, patient, m) {
                        hits.push(Hit {
                            rule: r,
                            positions: vec![i],
                            group: (rule.group(), Some(i)),
                            detail: Detail::Single,
                        });
                    }
                }
            }
            if patient.allergies.iter().any(|a| a == &m.id) {
                hits.push(Hit {
                    rule: usize::MAX,
                    positions: vec![i],
                    group: ("allergy-same-drug", Some(i)),
                    detail: Detail::SameDrugAllergy,
                });
            }
        }
        hits
    }

    /// Whether a rule about one medication applies to this patient.
    fn applies(&self, rule: &Rule, patient: &Patient, m: &Medication) -> bool {
        match rule.kind {
            RuleKind::Condition => rule
                .condition
                .as_ref()
                .is_some_and(|c| patient.conditions.iter().any(|p| p == &c.value)),
            RuleKind::Allergy => rule
                .allergen
                .as_ref()
                .and_then(|allergen| {
                    patient
                        .allergies
                        .iter()
                        .find(|a| allergy_matches(self, a, allergen))
                })
                .is_some_and(|allergy| allergy != &m.id),
            RuleKind::Beers | RuleKind::Driving => true,
            RuleKind::Pregnancy => patient.pregnant,
            RuleKind::Breastfeeding => patient.breastfeeding,
            _ => false,
        }
    }

    /// Burden rules over the whole list, at or above their threshold.
    fn burden_hits(
        &self,
        patient: &Patient,
        meds: &[Medication],
        med_keys: &[&[MonographId]],
        burden: &Burden,
    ) -> Vec<Hit<'a>> {
        let rules = self.kb.rules();
        let mut hits: Vec<Hit> = Vec::new();
        for &r in &self.burdens {
            let Some(rule) = rules.get(r) else { continue };
            if too_young(rule, patient) {
                continue;
            }
            let threshold = rule.threshold.map(|t| t.get()).unwrap_or(f64::INFINITY);
            let (value, involved) = match rule.measure {
                Some(Measure::CnsActive) => {
                    let involved: Vec<usize> = (0..meds.len())
                        .filter(|&i| {
                            med_keys
                                .get(i)
                                .is_some_and(|ks| ks.iter().any(|k| rule.classes.contains(k)))
                        })
                        .collect();
                    (distinct(meds, &involved) as f64, involved)
                }
                Some(Measure::Anticholinergic) => (
                    burden.anticholinergic,
                    self.positions(meds, |id| acb(self.kb, id) > 0.0),
                ),
                Some(Measure::MmePerDay) => (
                    burden.mme_per_day.unwrap_or(0.0),
                    self.positions(meds, |id| {
                        self.kb.get(id).is_some_and(|x| x.front.mme.is_some())
                    }),
                ),
                None => continue,
            };
            if value + 1e-9 >= threshold && !involved.is_empty() {
                hits.push(Hit {
                    rule: r,
                    positions: involved,
                    group: (rule.group(), None),
                    detail: Detail::Burden(value),
                });
            }
        }
        hits
    }

    /// Positions of the medications whose drug id passes `keep`.
    fn positions(&self, meds: &[Medication], keep: impl Fn(&str) -> bool) -> Vec<usize> {
        meds.iter()
            .enumerate()
            .filter(|(_, m)| keep(&m.id))
            .map(|(i, _)| i)
            .collect()
    }

    /// Turn a hit into the finding people read.
    fn materialize(&self, hit: &Hit<'_>, meds: &[Medication]) -> Option<Finding> {
        let picked: Vec<(usize, &Medication)> = hit
            .positions
            .iter()
            .filter_map(|&i| meds.get(i).map(|m| (i, m)))
            .collect();
        if hit.detail == Detail::SameDrugAllergy {
            let (i, m) = *picked.first()?;
            return Some(self.same_drug_allergy(i, m));
        }
        let rule = self.kb.rules().get(hit.rule)?;
        let explanation = match hit.detail {
            Detail::Pair => self.explain_pair(rule, &picked)?,
            Detail::Group => rule
                .all_of
                .iter()
                .zip(&picked)
                .map(|(t, (_, m))| self.path(m, t))
                .collect::<Vec<_>>()
                .join("; "),
            Detail::Duplicate => self.explain_duplicate(rule, &picked)?,
            Detail::Single => self.explain_single(rule, &picked)?,
            Detail::Burden(value) => explain_burden(rule, &picked, value),
            Detail::SameDrugAllergy => return None,
        };
        let mut f = self.finding(rule, &picked, explanation);
        if matches!(hit.detail, Detail::Burden(_)) {
            f.id = FindingId::whole_list(&rule.id.value);
        }
        Some(f)
    }

    /// The patient reports an allergy to a drug on the list.
    fn same_drug_allergy(&self, i: usize, m: &Medication) -> Finding {
        let source = self
            .kb
            .get(&m.id)
            .and_then(|x| x.front.sources.first())
            .map(|s| s.value.clone());
        Finding {
            id: FindingId::of("allergy-same-drug", std::slice::from_ref(&m.id)),
            kind: RuleKind::Allergy,
            severity: Severity::Contraindicated,
            drugs: vec![m.id.clone()],
            inputs: vec![i],
            summary: Arc::from("The patient reports an allergy to this drug."),
            explanation: format!(
                "{} is on the list and the patient reports an allergy to it",
                m.display
            ),
            management: Arc::from("Do not give it; clarify the reaction and choose another drug."),
            sources: source.into_iter().collect(),
            rule_source: self.painrx.clone(),
            rule: Arc::from("allergy-same-drug"),
            mechanism: None,
            ansm_levels: Vec::new(),
            original_severity: None,
            policy: None,
        }
    }

    /// Both paths of a pair rule; a timing rule says which to take first.
    fn explain_pair(&self, rule: &Rule, picked: &[(usize, &Medication)]) -> Option<String> {
        let (Some(a), Some(b)) = (rule.between.first(), rule.between.get(1)) else {
            return None;
        };
        let ((_, first), (_, second)) = (*picked.first()?, *picked.get(1)?);
        let mut text = format!("{}; {}", self.path(first, a), self.path(second, b));
        if rule.kind == RuleKind::Timing {
            let hours = rule.separation_hours.map(|h| h.get()).unwrap_or(0.0);
            let (before, after) = if rule.first == Some(0) {
                (first, second)
            } else {
                (second, first)
            };
            text.push_str(&format!(
                ". Take {} at least {} hours after {}",
                after.display,
                format_number(hours),
                before.display
            ));
        }
        Some(text)
    }

    /// "A and B are both opioids".
    fn explain_duplicate(&self, rule: &Rule, picked: &[(usize, &Medication)]) -> Option<String> {
        let t = rule.within.as_ref()?;
        let ((_, a), (_, b)) = (*picked.first()?, *picked.get(1)?);
        let (id, is_class) = t.id();
        let group = if is_class {
            self.kb
                .get(id)
                .map(|c| c.title().to_lowercase())
                .unwrap_or_else(|| id.to_string())
        } else {
            id.to_string()
        };
        Some(format!("{} and {} are both {group}", a.display, b.display))
    }

    /// The medication's path and what about the patient made the rule apply.
    fn explain_single(&self, rule: &Rule, picked: &[(usize, &Medication)]) -> Option<String> {
        let (_, m) = *picked.first()?;
        let path = self.path(m, rule.drug.as_ref()?);
        Some(match rule.kind {
            RuleKind::Condition => {
                let c = rule.condition.as_ref()?;
                let name = self
                    .kb
                    .get(&c.value)
                    .map(|x| x.title().to_lowercase())
                    .unwrap_or_else(|| c.value.to_string());
                format!("{path}; the patient has {name}")
            }
            RuleKind::Allergy => {
                format!("{path}; the patient reports an allergy that can cross-react with it")
            }
            RuleKind::Beers => format!("{path}; the patient is 65 or older (AGS Beers 2023)"),
            RuleKind::Pregnancy => format!("{path}; the patient is pregnant"),
            RuleKind::Breastfeeding => format!("{path}; the patient is breastfeeding"),
            _ => path,
        })
    }

    /// Burden totals.
    pub fn burden(&self, meds: &[Medication]) -> Burden {
        let mut seen = BTreeSet::new();
        let mut out = Burden::default();
        let cns = &self.cns_classes;
        let mut total_mme = 0.0;
        let mut any_mme = false;
        for (i, m) in meds.iter().enumerate() {
            if !seen.insert(m.id.as_str()) {
                continue;
            }
            if self.keys(&m.id).iter().any(|k| cns.contains(&k.as_str())) {
                out.cns_active += 1;
            }
            out.anticholinergic += acb(self.kb, &m.id);
            if let Some(factor) = self.kb.get(&m.id).and_then(|x| x.front.mme.as_ref()) {
                match (m.dose.as_ref(), factor.unit) {
                    (Some(d), DoseUnit::McgPerHour) => match d.amount {
                        Amount::McgPerHour { mcg_per_hour } => {
                            total_mme += mcg_per_hour * factor.factor.get();
                            any_mme = true;
                        }
                        _ => out.mme_missing_doses.push(i),
                    },
                    (Some(d), _) => match d.daily_mg() {
                        Some(mg) => {
                            total_mme += mg * factor.factor.get();
                            any_mme = true;
                        }
                        None => out.mme_missing_doses.push(i),
                    },
                    (None, _) => out.mme_missing_doses.push(i),
                }
            }
        }
        out.mme_per_day = any_mme.then_some((total_mme * 10.0).round() / 10.0);
        out
    }

    /// Screen with an ANSM edition; medications map to thesaurus substances through their names.
    pub fn screen_ansm(
        &self,
        index: &AnsmIndex,
        meds: &[Medication],
    ) -> Result<Vec<Finding>, ScreenError> {
        let mut names = Vec::with_capacity(meds.len());
        for m in meds {
            match index.substance_for(self.kb, &m.id) {
                Some(name) => names.push(name),
                None => {
                    return Err(ScreenError::NotInAnsm(
                        m.display.clone(),
                        index.edition.to_string(),
                    ))
                }
            }
        }
        Ok(self.screen_ansm_named(index, meds, &names))
    }

    /// Screen with the thesaurus, each medication given as the thesaurus substance it is
    /// (`names[i]` for `meds[i]`, normalised as [`AnsmIndex::substance_named`] gives it).
    pub fn screen_ansm_named(
        &self,
        index: &AnsmIndex,
        meds: &[Medication],
        names: &[AnsmTerm],
    ) -> Vec<Finding> {
        let refs: Vec<&str> = names.iter().map(AnsmTerm::as_str).collect();
        let mut out = Vec::new();
        for hit in index.detect(&refs) {
            let [i, j] = hit.positions;
            let (Some(mi), Some(mj)) = (meds.get(i), meds.get(j)) else {
                continue;
            };
            if mi.id == mj.id {
                continue;
            }
            let mut drugs = vec![mi.id.clone(), mj.id.clone()];
            drugs.sort();
            let label = |n: &str| index.label(n).unwrap_or(n).to_string();
            let mut explanation = format!(
                "{} ({} in the thesaurus) and {} ({}) meet the entry {} + {}",
                mi.display,
                label(names.get(i).map(AnsmTerm::as_str).unwrap_or_default()),
                mj.display,
                label(names.get(j).map(AnsmTerm::as_str).unwrap_or_default()),
                hit.main_label,
                hit.plus_label
            );
            if !hit.decided {
                explanation.push_str("; which conditional level applies could not be decided, so the most severe is shown");
            }
            let chosen = hit
                .levels
                .iter()
                .find(|l| l.severity == hit.severity && l.applies != crate::ansm::Applies::No)
                .or_else(|| hit.levels.first());
            let management = chosen
                .map(|l| {
                    if l.text.is_empty() {
                        l.level.clone()
                    } else {
                        format!("{}: {}", l.level, l.text)
                    }
                })
                .unwrap_or_default();
            out.push(Finding {
                id: FindingId::ansm(&index.edition, &drugs, &hit.main, &hit.plus),
                kind: RuleKind::Interaction,
                severity: hit.severity,
                drugs,
                inputs: vec![i, j],
                summary: Arc::from(hit.mechanism.as_str()),
                explanation,
                management: Arc::from(management),
                sources: Arc::from(ansm_citation(&index.edition)),
                rule_source: Arc::from(format!("ansm {}", index.edition)),
                rule: Arc::from(format!("{} + {}", hit.main_label, hit.plus_label)),
                mechanism: Some(Arc::from(hit.mechanism.as_str())),
                ansm_levels: hit.levels,
                original_severity: None,
                policy: None,
            });
        }
        out
    }
}

/// "2 CNS-active drugs (threshold 2): A, B".
fn explain_burden(rule: &Rule, picked: &[(usize, &Medication)], value: f64) -> String {
    let names: Vec<&str> = picked.iter().map(|(_, m)| m.display.as_str()).collect();
    let what = match rule.measure {
        Some(Measure::CnsActive) => {
            format!("{} CNS-active drugs", format_number(value))
        }
        Some(Measure::Anticholinergic) => {
            format!("anticholinergic burden {}", format_number(value))
        }
        _ => format!("{} MME/day", format_number(value)),
    };
    format!(
        "{what} (threshold {}): {}",
        format_number(rule.threshold.map(|t| t.get()).unwrap_or(0.0)),
        names.join(", ")
    )
}

/// Which positions hold each drug id and class: one bit per medication.
type Holders<'k> = FxHashMap<&'k str, u128>;

/// Two target ids in a fixed order, the key of [`Screener::pairs`].
fn ordered<'k>(a: &'k str, b: &'k str) -> (&'k str, &'k str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn holders<'k>(med_keys: &[&'k [MonographId]]) -> Holders<'k> {
    let mut holders: Holders<'k> = FxHashMap::default();
    holders.reserve(med_keys.len() * 6);
    for (i, keys) in med_keys.iter().enumerate() {
        for k in keys.iter() {
            *holders.entry(k.as_str()).or_default() |= 1 << i;
        }
    }
    holders
}

/// The positions holding a rule's target.
fn mask(holders: &Holders<'_>, t: &Target) -> u128 {
    holders.get(t.id().0).copied().unwrap_or(0)
}

/// Each pair of different drugs, one from each side, once.
fn pairs(ma: u128, mb: u128, meds: &[Medication]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for i in bits(ma) {
        for j in bits(mb) {
            if i == j || meds.get(i).map(|m| &m.id) == meds.get(j).map(|m| &m.id) {
                continue;
            }
            // Each unordered pair once: when both orders match, keep i < j.
            if (ma >> j) & 1 == 1 && (mb >> i) & 1 == 1 && j < i {
                continue;
            }
            out.push(vec![i, j]);
        }
    }
    out
}

/// The rule is for older patients and this one is younger (or of unknown age).
fn too_young(rule: &Rule, patient: &Patient) -> bool {
    rule.min_age
        .is_some_and(|a| patient.age.is_none_or(|age| age < a.get()))
}

fn slug(text: &str) -> String {
    painrx_kb::text::slug(text)
}

/// The registry source of the ANSM thesaurus at an edition (`ansm-thesaurus#2020_01`).
fn ansm_citation(edition: &AnsmEditionId) -> Vec<SourceId> {
    SourceId::parse("ansm-thesaurus")
        .ok()
        .and_then(|s| s.at_section(edition))
        .into_iter()
        .collect()
}

fn acb(kb: &Kb, drug: &str) -> f64 {
    kb.get(drug)
        .and_then(|m| m.front.acb.as_ref())
        .map(|a| a.score.get())
        .unwrap_or(0.0)
}

fn distinct(meds: &[Medication], positions: &[usize]) -> usize {
    positions
        .iter()
        .filter_map(|&i| meds.get(i).map(|m| m.id.as_str()))
        .collect::<BTreeSet<_>>()
        .len()
}

fn allergy_matches(s: &Screener<'_>, allergy: &str, target: &Target) -> bool {
    let (id, is_class) = target.id();
    if allergy == id {
        return true;
    }
    // An allergy to a drug that belongs to the target class.
    is_class && s.keys(allergy).iter().any(|k| k == id)
}

/// Every way of giving each target a different medication (different drugs), each set of drugs
/// once. Adding a medication only adds combinations, and the order of the list does not matter.
fn assignments(
    targets: &[Target],
    meds: &[Medication],
    matches: impl Fn(&Medication, &Target) -> bool,
) -> Vec<Vec<usize>> {
    fn go(
        k: usize,
        targets: &[Target],
        meds: &[Medication],
        used: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
        matches: &dyn Fn(&Medication, &Target) -> bool,
    ) {
        let Some(t) = targets.get(k) else {
            out.push(used.clone());
            return;
        };
        for (i, m) in meds.iter().enumerate() {
            if used.contains(&i)
                || used
                    .iter()
                    .any(|&u| meds.get(u).is_some_and(|x| x.id == m.id))
                || !matches(m, t)
            {
                continue;
            }
            used.push(i);
            go(k + 1, targets, meds, used, out, matches);
            used.pop();
        }
    }
    let mut out = Vec::new();
    go(0, targets, meds, &mut Vec::new(), &mut out, &matches);
    // One per set of drugs (the same drugs can fill the roles in several ways).
    let mut seen: Vec<Vec<&str>> = Vec::new();
    out.retain(|positions| {
        let mut drugs: Vec<&str> = positions
            .iter()
            .filter_map(|&i| meds.get(i).map(|m| m.id.as_str()))
            .collect();
        drugs.sort_unstable();
        drugs.dedup();
        if seen.contains(&drugs) {
            false
        } else {
            seen.push(drugs);
            true
        }
    });
    out
}

/// A mechanism group, with the position for rules about one medication.
type Group<'r> = (&'r str, Option<usize>);

/// What merging sorts by: drugs, group, severity, rule id, hit number.
type MergeKey<'a, 'r> = (Vec<&'a str>, Group<'r>, Severity, &'a str, usize);

/// What matched, before any text is made.
#[derive(Clone, Debug, PartialEq)]
struct Hit<'r> {
    rule: usize,
    positions: Vec<usize>,
    /// Mechanism group, and the position for per-medication rules.
    group: Group<'r>,
    detail: Detail,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Detail {
    Pair,
    Group,
    Duplicate,
    Single,
    SameDrugAllergy,
    Burden(f64),
}

/// At most this many medications in one check (one bit each).
pub const MAX_MEDICATIONS: usize = 128;

fn bits(mut mask: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let i = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(i)
    })
}

/// One hit per set of drugs and mechanism group: the most severe rule wins (ties: rule order).
fn merge<'r>(hits: Vec<Hit<'r>>, meds: &[Medication], rules: &[Rule]) -> Vec<Hit<'r>> {
    // Sort by (drugs, group, severity, rule id): the first of each (drugs, group) is kept.
    let mut keyed: Vec<MergeKey<'_, 'r>> = Vec::with_capacity(hits.len());
    for (n, h) in hits.iter().enumerate() {
        let mut drugs: Vec<&str> = h
            .positions
            .iter()
            .filter_map(|&i| meds.get(i).map(|m| m.id.as_str()))
            .collect();
        drugs.sort_unstable();
        let (severity, id) = rules
            .get(h.rule)
            .map(|r| (r.severity, r.id.value.as_str()))
            .unwrap_or((Severity::Contraindicated, ""));
        keyed.push((drugs, h.group, severity, id, n));
    }
    keyed.sort_unstable();
    let mut keep: Vec<usize> = Vec::new();
    let mut last: Option<(&Vec<&str>, &Group<'r>)> = None;
    for (drugs, group, _, _, n) in &keyed {
        if last == Some((drugs, group)) {
            continue;
        }
        last = Some((drugs, group));
        keep.push(*n);
    }
    keep.sort_unstable();
    keep.into_iter()
        .filter_map(|n| hits.get(n).cloned())
        .collect()
}

/// Harms named in a finding's text, in English (painrx) or French (the ANSM thesaurus), as bits:
/// two findings on the same pair speak of the same mechanism when their harms overlap. The words
/// are the thesaurus's own headings for each harm and painrx's wording of it, not drug facts.
const HARMS: &[&[&str]] = &[
    &["serotonin", "sérotoninergique", "serotoninergique"],
    &["seizure", "convulsion", "épileptogène", "epileptogene"],
    &[
        "sedation",
        "breathing",
        "respiratory",
        "central nervous system",
        "cns",
        "sédati",
        "dépression centrale",
        "dépression respiratoire",
        "vigilance",
    ],
    &["qt interval", "qt prolong", "torsade", "qt"],
    &["bleeding", "hémorragique", "saignement"],
    &["siadh", "sodium", "hyponatrémie"],
    &["anticholinergic", "atropine", "atropinique"],
    &["blood pressure", "hypotension", "hypertension"],
    &["kidney", "renal", "rénale"],
    &["rhabdomyolysis", "rhabdomyolyse", "myopath"],
];

fn harms(text: &str) -> u32 {
    let text = text.to_lowercase();
    HARMS
        .iter()
        .zip(0u32..)
        .filter(|(words, _)| words.iter().any(|w| text.contains(w)))
        .fold(0, |bits, (_, i)| bits | (1 << i))
}

fn harms_of(f: &Finding) -> u32 {
    harms(&f.summary) | f.mechanism.as_deref().map_or(0, harms)
}

/// Join the thesaurus's findings to painrx's: where painrx has an interaction finding on both
/// drugs of a thesaurus finding and the two name the same harm (serotonin syndrome, seizures,
/// CNS depression, …), they speak of the same pair and mechanism and become one — painrx's
/// text, the more severe of the two severities, the thesaurus levels in `ansm_levels`, both
/// sources and both rule sources listed. Anything else the thesaurus says stays on its own.
pub fn merge_sources(findings: &mut Vec<Finding>, ansm: Vec<Finding>) {
    for a in ansm {
        let harm = harms_of(&a);
        let same = findings
            .iter_mut()
            .filter(|f| {
                f.kind == RuleKind::Interaction
                    && !f.rule_source.starts_with("ansm")
                    && harm & harms_of(f) != 0
                    && a.drugs.iter().all(|d| f.drugs.contains(d))
            })
            .min_by_key(|f| f.severity);
        let Some(f) = same else {
            findings.push(a);
            continue;
        };
        if a.severity < f.severity {
            f.explanation.push_str(&format!(
                "; the ANSM thesaurus rates this pair {} (entry {}), more severe than painrx's {}",
                a.severity, a.rule, f.severity
            ));
            f.severity = a.severity;
        } else {
            f.explanation.push_str(&format!(
                "; the ANSM thesaurus has it too (entry {})",
                a.rule
            ));
        }
        f.ansm_levels.extend(a.ansm_levels);
        let mut sources: Vec<SourceId> = f.sources.to_vec();
        for s in a.sources.iter() {
            if !sources.contains(s) {
                sources.push(s.clone());
            }
        }
        f.sources = Arc::from(sources);
        if !f.rule_source.contains(&*a.rule_source) {
            f.rule_source = Arc::from(format!("{} + {}", f.rule_source, a.rule_source));
        }
    }
}

/// Most severe first, then by kind and id: a stable order.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (a.severity, a.kind, &a.id).cmp(&(b.severity, b.kind, &b.id)));
}

pub use painrx_kb::rules::PolicyEntry;

/// Apply a local policy: raise, lower or disable rules; each changed finding says so.
pub fn apply_policy(findings: Vec<Finding>, policy: &[PolicyEntry], name: &str) -> Vec<Finding> {
    let mut out = Vec::with_capacity(findings.len());
    for mut f in findings {
        match policy.iter().find(|p| *p.rule == *f.rule) {
            Some(p) if p.disable => continue,
            Some(p) => {
                if let Some(s) = p.severity {
                    if s != f.severity {
                        f.original_severity = Some(f.severity);
                        f.severity = s;
                        f.policy = Some(match &p.reason {
                            Some(r) => format!("{name}: {r}"),
                            None => name.to_string(),
                        });
                    }
                }
                out.push(f);
            }
            None => out.push(f),
        }
    }
    sort(&mut out);
    out
}
