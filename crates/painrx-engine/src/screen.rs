//! Safety screening: (patient, medications) → findings, each naming its rule, the path that
//! fired it, what to do and its sources. Rules are looked up by the drug's own id and classes
//! (an index, not a scan), so the cost does not grow with the size of the rule base.

use std::collections::{BTreeSet, HashMap};

use painrx_kb::rules::{Measure, Rule, RuleKind, Severity, Target};
use painrx_kb::vocab::DoseUnit;
use painrx_kb::Kb;
use serde::Serialize;

use crate::ansm::{AnsmIndex, LevelReport};
use crate::dose::{Amount, Dose};

/// Who the medications are for.
#[derive(Clone, Debug, Default)]
pub struct Patient {
    pub age: Option<f64>,
    /// Condition ids.
    pub conditions: Vec<String>,
    /// Drug or class ids the patient is allergic to.
    pub allergies: Vec<String>,
    pub pregnant: bool,
    pub breastfeeding: bool,
}

/// One medication of the list, resolved.
#[derive(Clone, Debug)]
pub struct Medication {
    /// Canonical drug id.
    pub id: String,
    /// How to name it to the user: "Lyrica (pregabalin)".
    pub display: String,
    pub dose: Option<Dose>,
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

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: rule and the sorted drug ids (`gabapentinoid-opioid:oxycodone+pregabalin`).
    pub id: String,
    pub kind: RuleKind,
    pub severity: Severity,
    /// Canonical drug ids.
    pub drugs: Vec<String>,
    /// 0-based positions in the request.
    pub inputs: Vec<usize>,
    pub summary: String,
    /// Why it fired: the path from the medications to the rule.
    pub explanation: String,
    pub management: String,
    pub sources: Vec<String>,
    /// `painrx` or `ansm 2020_01`.
    pub rule_source: String,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
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
}

/// The rules indexed by the drug or class they name.
#[derive(Debug)]
pub struct Screener<'a> {
    kb: &'a Kb,
    /// Target id → (rule index, side) for pair rules; side 0/1 for `between`, i for `all_of`.
    by_target: HashMap<&'a str, Vec<(usize, usize)>>,
    /// Rules about a single medication, by target id.
    single: HashMap<&'a str, Vec<usize>>,
    burdens: Vec<usize>,
    /// Drug id → itself and every class (transitively).
    keys: HashMap<String, Vec<String>>,
}

impl<'a> Screener<'a> {
    pub fn new(kb: &'a Kb) -> Screener<'a> {
        let mut by_target: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut single: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut burdens = Vec::new();
        for (i, rule) in kb.rules().iter().enumerate() {
            match rule.kind {
                RuleKind::Interaction | RuleKind::Timing => {
                    for (side, t) in rule.between.iter().chain(rule.all_of.iter()).enumerate() {
                        by_target.entry(t.id().0).or_default().push((i, side));
                    }
                }
                RuleKind::Duplicate => {
                    if let Some(t) = &rule.within {
                        by_target.entry(t.id().0).or_default().push((i, 0));
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
                let mut k = vec![m.id().to_string()];
                k.extend(kb.classes_of(m.id()).into_iter().map(str::to_string));
                (m.id().to_string(), k)
            })
            .collect();
        Screener {
            kb,
            by_target,
            single,
            burdens,
            keys,
        }
    }

    fn keys(&self, drug: &str) -> &[String] {
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
            let class = self
                .kb
                .get(id)
                .map(|m| m.title().to_lowercase())
                .unwrap_or_else(|| id.to_string());
            format!("{} is one of the {class}", med.display)
        } else {
            med.display.clone()
        }
    }

    fn finding(&self, rule: &Rule, meds: &[(usize, &Medication)], explanation: String) -> Finding {
        let mut drugs: Vec<String> = meds.iter().map(|(_, m)| m.id.clone()).collect();
        let mut inputs: Vec<usize> = meds.iter().map(|(i, _)| *i).collect();
        inputs.sort_unstable();
        drugs.sort();
        Finding {
            id: format!("{}:{}", rule.id.value, drugs.join("+")),
            kind: rule.kind,
            severity: rule.severity,
            drugs,
            inputs,
            summary: rule.effect.trim().to_string(),
            explanation,
            management: rule.management.trim().to_string(),
            sources: rule.sources.iter().map(|s| s.value.clone()).collect(),
            rule_source: "painrx".into(),
            rule: rule.id.value.clone(),
            mechanism: Some(rule.mechanism.trim().to_string()),
            ansm_levels: Vec::new(),
            original_severity: None,
            policy: None,
        }
    }

    /// Screen with the curated rules.
    pub fn screen(&self, patient: &Patient, meds: &[Medication]) -> Result<Screening, ScreenError> {
        for m in meds {
            if !self.keys.contains_key(&m.id) {
                return Err(ScreenError::Unknown(m.id.clone()));
            }
        }
        let rules = self.kb.rules();
        let mut findings: Vec<(Finding, String)> = Vec::new();
        // Pair and group rules, found through the index from each medication's keys.
        let mut candidates: BTreeSet<usize> = BTreeSet::new();
        for m in meds {
            for key in self.keys(&m.id) {
                if let Some(list) = self.by_target.get(key.as_str()) {
                    candidates.extend(list.iter().map(|(r, _)| *r));
                }
            }
        }
        for r in candidates {
            let Some(rule) = rules.get(r) else { continue };
            match rule.kind {
                RuleKind::Interaction | RuleKind::Timing if rule.between.len() == 2 => {
                    let (Some(a), Some(b)) = (rule.between.first(), rule.between.get(1)) else {
                        continue;
                    };
                    for (i, mi) in meds.iter().enumerate() {
                        for (j, mj) in meds.iter().enumerate() {
                            if i == j
                                || mi.id == mj.id
                                || !self.matches(&mi.id, a)
                                || !self.matches(&mj.id, b)
                            {
                                continue;
                            }
                            // Each unordered pair once: when both orders match, keep i < j.
                            if self.matches(&mj.id, a) && self.matches(&mi.id, b) && j < i {
                                continue;
                            }
                            let mut explanation =
                                format!("{}; {}", self.path(mi, a), self.path(mj, b));
                            if rule.kind == RuleKind::Timing {
                                let hours = rule.separation_hours.map(|h| h.get()).unwrap_or(0.0);
                                let (first, second) = if rule.first == Some(0) {
                                    (mi, mj)
                                } else {
                                    (mj, mi)
                                };
                                explanation.push_str(&format!(
                                    ". Take {} at least {} hours after {}",
                                    second.display,
                                    painrx_kb::quantity::format_number(hours),
                                    first.display
                                ));
                            }
                            findings.push((
                                self.finding(rule, &[(i, mi), (j, mj)], explanation),
                                rule.group().to_string(),
                            ));
                        }
                    }
                }
                RuleKind::Interaction => {
                    if let Some(assigned) =
                        assign(&rule.all_of, meds, |m, t| self.matches(&m.id, t))
                    {
                        let picked: Vec<(usize, &Medication)> = assigned
                            .iter()
                            .filter_map(|&i| meds.get(i).map(|m| (i, m)))
                            .collect();
                        let explanation = rule
                            .all_of
                            .iter()
                            .zip(&picked)
                            .map(|(t, (_, m))| self.path(m, t))
                            .collect::<Vec<_>>()
                            .join("; ");
                        findings.push((
                            self.finding(rule, &picked, explanation),
                            rule.group().to_string(),
                        ));
                    }
                }
                RuleKind::Duplicate => {
                    let Some(t) = &rule.within else { continue };
                    for (i, mi) in meds.iter().enumerate() {
                        for (j, mj) in meds.iter().enumerate().skip(i + 1) {
                            if self.matches(&mi.id, t) && self.matches(&mj.id, t) {
                                let explanation = format!(
                                    "{} and {} are both in the same group: {}",
                                    mi.display,
                                    mj.display,
                                    self.path(mj, t)
                                        .split(" is one of the ")
                                        .nth(1)
                                        .unwrap_or(t.id().0)
                                );
                                findings.push((
                                    self.finding(rule, &[(i, mi), (j, mj)], explanation),
                                    rule.group().to_string(),
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Rules about one medication and the patient.
        for (i, m) in meds.iter().enumerate() {
            let mut seen_rules = BTreeSet::new();
            for key in self.keys(&m.id) {
                for &r in self
                    .single
                    .get(key.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    if !seen_rules.insert(r) {
                        continue;
                    }
                    let Some(rule) = rules.get(r) else { continue };
                    let Some(target) = &rule.drug else { continue };
                    if rule
                        .min_age
                        .is_some_and(|a| patient.age.is_none_or(|age| age < a.get()))
                    {
                        continue;
                    }
                    let path = self.path(m, target);
                    let explanation = match rule.kind {
                        RuleKind::Condition => {
                            let Some(c) = &rule.condition else { continue };
                            if !patient.conditions.iter().any(|p| p == &c.value) {
                                continue;
                            }
                            let name = self
                                .kb
                                .get(&c.value)
                                .map(|x| x.title().to_lowercase())
                                .unwrap_or_else(|| c.value.clone());
                            format!("{path}; the patient has {name}")
                        }
                        RuleKind::Allergy => {
                            let Some(allergen) = &rule.allergen else {
                                continue;
                            };
                            let Some(allergy) = patient
                                .allergies
                                .iter()
                                .find(|a| allergy_matches(self, a, allergen))
                            else {
                                continue;
                            };
                            if allergy == &m.id {
                                continue; // the same drug is reported by the built-in rule below
                            }
                            format!("{path}; the patient reports an allergy to {allergy}, which can cross-react")
                        }
                        RuleKind::Beers => format!(
                            "{path}; the patient is {} (AGS Beers 2023, 65 and over)",
                            patient.age.map(|a| format!("{a:.0}")).unwrap_or_default()
                        ),
                        RuleKind::Pregnancy if patient.pregnant => {
                            format!("{path}; the patient is pregnant")
                        }
                        RuleKind::Breastfeeding if patient.breastfeeding => {
                            format!("{path}; the patient is breastfeeding")
                        }
                        RuleKind::Driving => path,
                        _ => continue,
                    };
                    findings.push((
                        self.finding(rule, &[(i, m)], explanation),
                        format!("{}:{}", rule.group(), i),
                    ));
                }
            }
            // An allergy to the drug itself.
            if patient.allergies.iter().any(|a| a == &m.id) {
                let source = self
                    .kb
                    .get(&m.id)
                    .and_then(|x| x.front.sources.first())
                    .map(|s| s.value.clone());
                findings.push((
                    Finding {
                        id: format!("allergy-same-drug:{}", m.id),
                        kind: RuleKind::Allergy,
                        severity: Severity::Contraindicated,
                        drugs: vec![m.id.clone()],
                        inputs: vec![i],
                        summary: "The patient reports an allergy to this drug.".into(),
                        explanation: format!(
                            "{} is on the list and the patient reports an allergy to it",
                            m.display
                        ),
                        management: "Do not give it; clarify the reaction and choose another drug."
                            .into(),
                        sources: source.into_iter().collect(),
                        rule_source: "painrx".into(),
                        rule: "allergy-same-drug".into(),
                        mechanism: None,
                        ansm_levels: Vec::new(),
                        original_severity: None,
                        policy: None,
                    },
                    format!("allergy-same-drug:{i}"),
                ));
            }
        }
        let burden = self.burden(meds);
        for &r in &self.burdens {
            let Some(rule) = rules.get(r) else { continue };
            if rule
                .min_age
                .is_some_and(|a| patient.age.is_none_or(|age| age < a.get()))
            {
                continue;
            }
            let threshold = rule.threshold.map(|t| t.get()).unwrap_or(f64::INFINITY);
            let (value, involved, text) = match rule.measure {
                Some(Measure::CnsActive) => {
                    let involved: Vec<usize> = meds
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| self.keys(&m.id).iter().any(|k| rule.classes.contains(k)))
                        .map(|(i, _)| i)
                        .collect();
                    let n = distinct(meds, &involved);
                    (n as f64, involved, format!("{n} CNS-active drugs"))
                }
                Some(Measure::Anticholinergic) => {
                    let involved: Vec<usize> = meds
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| acb(self.kb, &m.id) > 0.0)
                        .map(|(i, _)| i)
                        .collect();
                    (
                        burden.anticholinergic,
                        involved,
                        format!(
                            "anticholinergic burden {}",
                            painrx_kb::quantity::format_number(burden.anticholinergic)
                        ),
                    )
                }
                Some(Measure::MmePerDay) => {
                    let involved: Vec<usize> = meds
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| self.kb.get(&m.id).is_some_and(|x| x.front.mme.is_some()))
                        .map(|(i, _)| i)
                        .collect();
                    (
                        burden.mme_per_day.unwrap_or(0.0),
                        involved,
                        format!(
                            "{} MME/day",
                            painrx_kb::quantity::format_number(burden.mme_per_day.unwrap_or(0.0))
                        ),
                    )
                }
                None => continue,
            };
            if value + 1e-9 < threshold || involved.is_empty() {
                continue;
            }
            let picked: Vec<(usize, &Medication)> = involved
                .iter()
                .filter_map(|&i| meds.get(i).map(|m| (i, m)))
                .collect();
            let names: Vec<&str> = picked.iter().map(|(_, m)| m.display.as_str()).collect();
            let explanation = format!(
                "{text} (threshold {}): {}",
                painrx_kb::quantity::format_number(threshold),
                names.join(", ")
            );
            let mut f = self.finding(rule, &picked, explanation);
            f.id = rule.id.value.clone();
            findings.push((f, rule.group().to_string()));
        }
        Ok(Screening {
            findings: merge(findings),
            burden,
            unscreened: Vec::new(),
        })
    }

    /// Burden totals.
    pub fn burden(&self, meds: &[Medication]) -> Burden {
        let mut seen = BTreeSet::new();
        let mut out = Burden::default();
        let cns: Vec<&str> = self
            .kb
            .rules()
            .iter()
            .filter(|r| r.measure == Some(Measure::CnsActive))
            .flat_map(|r| r.classes.iter().map(String::as_str))
            .collect();
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
                        index.edition.clone(),
                    ))
                }
            }
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
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
                label(names.get(i).map(String::as_str).unwrap_or_default()),
                mj.display,
                label(names.get(j).map(String::as_str).unwrap_or_default()),
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
                id: format!("ansm-{}:{}", index.edition, drugs.join("+"))
                    + &format!(":{}+{}", slug(&hit.main), slug(&hit.plus)),
                kind: RuleKind::Interaction,
                severity: hit.severity,
                drugs,
                inputs: vec![i, j],
                summary: hit.mechanism.clone(),
                explanation,
                management,
                sources: vec![format!("ansm-thesaurus#{}", index.edition)],
                rule_source: format!("ansm {}", index.edition),
                rule: format!("{} + {}", hit.main_label, hit.plus_label),
                mechanism: Some(hit.mechanism.clone()),
                ansm_levels: hit.levels,
                original_severity: None,
                policy: None,
            });
        }
        Ok(out)
    }
}

fn slug(text: &str) -> String {
    painrx_kb::text::slug(text)
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

/// Give each target a different medication (the lowest positions that work), if possible.
fn assign(
    targets: &[Target],
    meds: &[Medication],
    matches: impl Fn(&Medication, &Target) -> bool,
) -> Option<Vec<usize>> {
    fn go(
        k: usize,
        targets: &[Target],
        meds: &[Medication],
        used: &mut Vec<usize>,
        matches: &dyn Fn(&Medication, &Target) -> bool,
    ) -> bool {
        let Some(t) = targets.get(k) else { return true };
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
            if go(k + 1, targets, meds, used, matches) {
                return true;
            }
            used.pop();
        }
        false
    }
    let mut used = Vec::new();
    go(0, targets, meds, &mut used, &matches).then_some(used)
}

/// One finding per set of medications and mechanism group: the most severe rule wins.
fn merge(findings: Vec<(Finding, String)>) -> Vec<Finding> {
    let mut best: HashMap<(Vec<String>, String), Finding> = HashMap::new();
    for (f, group) in findings {
        let key = (f.drugs.clone(), group);
        match best.get(&key) {
            Some(existing) if (existing.severity, &existing.id) <= (f.severity, &f.id) => {}
            _ => {
                best.insert(key, f);
            }
        }
    }
    let mut out: Vec<Finding> = best.into_values().collect();
    sort(&mut out);
    out
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
        match policy.iter().find(|p| p.rule == f.rule) {
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
