//! Safety rules as data (`content/rules/*.yaml`): the model, and their validation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::at::At;
use crate::diagnostic::Diagnostic;
use crate::id::{MechanismGroupId, MonographId, RuleId, SourceId};
use crate::load::ContentFile;
use crate::model::SourceRef;
use crate::quantity::Amount;
use crate::vocab::Kind;

pub use crate::severity::Severity;

macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

words! {
    /// What kind of finding a rule produces.
    RuleKind {
        Interaction => "interaction",
        Condition => "condition",
        Allergy => "allergy",
        Timing => "timing",
        Duplicate => "duplicate",
        Burden => "burden",
        Beers => "beers",
        Pregnancy => "pregnancy",
        Breastfeeding => "breastfeeding",
        Driving => "driving",
    }
}

words! {
    /// What a burden rule measures over the whole list.
    Measure {
        CnsActive => "cns_active",
        Anticholinergic => "anticholinergic",
        MmePerDay => "mme_per_day",
    }
}

/// A drug or a class a rule applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<MonographId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<MonographId>,
}

impl Target {
    /// The id named, and whether it is a class.
    pub fn id(&self) -> (&str, bool) {
        match (&self.class, &self.drug) {
            (Some(c), _) => (c.as_str(), true),
            (None, Some(d)) => (d.as_str(), false),
            (None, None) => ("", false),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: At<RuleId>,
    pub kind: RuleKind,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub between: Vec<Target>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_of: Vec<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allergen: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<At<MonographId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<Measure>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<MonographId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation_hours: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism_group: Option<MechanismGroupId>,
    pub effect: Arc<str>,
    pub mechanism: Arc<str>,
    pub management: Arc<str>,
    pub sources: Vec<SourceRef>,
    /// Rules file the rule was read from.
    #[serde(skip)]
    pub file: String,
    /// The id, shared cheaply with every finding the rule makes.
    #[serde(skip)]
    pub name: Arc<str>,
    /// The citations as plain ids, shared cheaply with every finding.
    #[serde(skip)]
    pub source_ids: Arc<[SourceId]>,
}

impl Rule {
    /// Every target the rule names.
    pub fn targets(&self) -> Vec<&Target> {
        let mut out: Vec<&Target> = self.between.iter().chain(self.all_of.iter()).collect();
        out.extend(self.within.iter());
        out.extend(self.drug.iter());
        out.extend(self.allergen.iter());
        out
    }

    /// The merge key: rules with the same group say the same thing.
    pub fn group(&self) -> &str {
        self.mechanism_group.as_deref().unwrap_or(&self.id.value)
    }
}

/// True for files of the rules folder.
pub fn is_rules_path(path: &str) -> bool {
    path.starts_with("rules/") && (path.ends_with(".yaml") || path.ends_with(".yml"))
}

/// Parse one rules file.
pub fn parse_rules(file: &ContentFile, diagnostics: &mut Vec<Diagnostic>) -> Vec<Rule> {
    match serde_saphyr::from_str::<Vec<Rule>>(&file.text) {
        Ok(mut rules) => {
            for r in &mut rules {
                r.file = file.path.clone();
                r.name = Arc::from(r.id.value.as_str());
                r.source_ids = r.sources.iter().map(|s| s.value.clone()).collect();
            }
            rules
        }
        Err(err) => {
            let line = err
                .location()
                .map(|l| usize::try_from(l.line()).unwrap_or(0))
                .unwrap_or(0);
            let message = err
                .without_snippet()
                .to_string()
                .lines()
                .next()
                .unwrap_or("malformed YAML")
                .to_string();
            diagnostics.push(
                Diagnostic::error(&file.path, line, format!("malformed YAML: {message}"))
                    .with_hint("docs/RULES-FORMAT.md lists every field"),
            );
            Vec::new()
        }
    }
}

/// Validate rules against the monographs and sources.
pub fn validate_rules(
    rules: &[Rule],
    kinds: &HashMap<&str, Kind>,
    sources: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, (&str, usize)> = HashMap::new();
    for r in rules {
        if let Some((file, line)) = seen.insert(&r.id.value, (&r.file, r.id.line)) {
            out.push(
                rule_error(r, format!("duplicate rule id `{}`", r.id.value))
                    .with_hint(format!("already used in `{file}` line {line}")),
            );
        }
        check_rule_references(r, kinds, out);
        check_rule_sources(r, sources, out);
        for (field, text) in [
            ("effect", &r.effect),
            ("mechanism", &r.mechanism),
            ("management", &r.management),
        ] {
            if text.trim().is_empty() {
                out.push(rule_error(
                    r,
                    format!("rule `{}` has an empty `{field}`", r.id.value),
                ));
            }
        }
        if !has_the_fields_of_its_kind(r) {
            out.push(
                rule_error(
                    r,
                    format!(
                        "rule `{}` does not have the fields its kind `{}` needs",
                        r.id.value, r.kind
                    ),
                )
                .with_hint("see the table in docs/RULES-FORMAT.md"),
            );
        }
    }
}

/// An error at the rule's id.
fn rule_error(r: &Rule, message: String) -> Diagnostic {
    Diagnostic::error(&r.file, r.id.line, message)
}

/// The drugs, classes and condition a rule names exist, each of the right kind.
fn check_rule_references(r: &Rule, kinds: &HashMap<&str, Kind>, out: &mut Vec<Diagnostic>) {
    for t in r.targets() {
        let (id, is_class) = t.id();
        if t.class.is_some() == t.drug.is_some() {
            out.push(rule_error(
                r,
                format!(
                    "rule `{}`: a target names exactly one `class` or `drug`",
                    r.id.value
                ),
            ));
            continue;
        }
        let want = if is_class { Kind::Class } else { Kind::Drug };
        match kinds.get(id) {
            Some(k) if *k == want => {}
            _ => out.push(
                rule_error(
                    r,
                    format!("rule `{}` names unknown {want} `{id}`", r.id.value),
                )
                .with_hint(format!(
                    "add content/{}/{id}.md or fix the id",
                    crate::validate::folder(want)
                )),
            ),
        }
    }
    for c in &r.classes {
        if kinds.get(c.as_str()) != Some(&Kind::Class) {
            out.push(rule_error(
                r,
                format!("rule `{}` counts unknown class `{c}`", r.id.value),
            ));
        }
    }
    if let Some(c) = &r.condition {
        if kinds.get(c.value.as_str()) != Some(&Kind::Condition) {
            out.push(Diagnostic::error(
                &r.file,
                c.line,
                format!(
                    "rule `{}` names unknown condition `{}`",
                    r.id.value, c.value
                ),
            ));
        }
    }
}

/// A rule cites at least one source, each in the registry.
fn check_rule_sources(r: &Rule, sources: &HashSet<&str>, out: &mut Vec<Diagnostic>) {
    if r.sources.is_empty() {
        out.push(
            rule_error(r, format!("rule `{}` has no source", r.id.value))
                .with_hint("every rule cites at least one registry source"),
        );
    }
    for s in &r.sources {
        let id = s.registry();
        if !sources.contains(id) {
            out.push(Diagnostic::error(
                &r.file,
                s.line,
                format!("rule `{}` cites unknown source `{id}`", r.id.value),
            ));
        }
    }
}

/// The fields each kind of rule needs (docs/RULES-FORMAT.md).
fn has_the_fields_of_its_kind(r: &Rule) -> bool {
    match r.kind {
        RuleKind::Interaction => (r.between.len() == 2) != (r.all_of.len() >= 2),
        RuleKind::Timing => {
            r.between.len() == 2 && r.separation_hours.is_some() && r.first.is_some_and(|f| f < 2)
        }
        RuleKind::Duplicate => r.within.is_some(),
        RuleKind::Condition => r.drug.is_some() && r.condition.is_some(),
        RuleKind::Allergy => r.drug.is_some() && r.allergen.is_some(),
        RuleKind::Beers => r.drug.is_some() && r.min_age.is_some(),
        RuleKind::Pregnancy | RuleKind::Breastfeeding | RuleKind::Driving => r.drug.is_some(),
        RuleKind::Burden => {
            r.measure.is_some()
                && r.threshold.is_some()
                && (r.measure != Some(Measure::CnsActive) || !r.classes.is_empty())
        }
    }
}

/// A site's change to one rule (`--policy FILE`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    pub rule: RuleId,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub disable: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Parse a policy file; every rule it names must exist (ANSM rules are named `ansm`).
pub fn parse_policy(text: &str, rules: &[Rule]) -> Result<Vec<PolicyEntry>, String> {
    let entries: Vec<PolicyEntry> = serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        format!(
            "line {line}: {}",
            e.without_snippet()
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
        )
    })?;
    for e in &entries {
        if !rules.iter().any(|r| r.id.value == e.rule) {
            return Err(format!("unknown rule `{}` in the policy", e.rule));
        }
        if e.severity.is_none() && !e.disable {
            return Err(format!(
                "policy entry for `{}` needs `severity` or `disable: true`",
                e.rule
            ));
        }
    }
    Ok(entries)
}
