//! One rules file (`content/rules/*.yaml`) parsed and validated against the real monographs and
//! sources, as `painrx kb check` does; when it parses, the knowledge base is built with it in
//! place of the real rules, the screener indexes it, and a list naming its drugs is screened.
//!
//! Input: the file's text.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use painrx_engine::screen::{Medication, Patient, Screener};
use painrx_fuzz::{content_files, kb};
use painrx_kb::rules::{is_rules_path, parse_rules, validate_rules};
use painrx_kb::vocab::Kind;
use painrx_kb::{ContentFile, Kb};

/// Every content file but the rules.
fn others() -> &'static [ContentFile] {
    static OTHERS: OnceLock<Vec<ContentFile>> = OnceLock::new();
    OTHERS.get_or_init(|| content_files(|p| !is_rules_path(p)))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = ContentFile {
        path: "rules/fuzzed.yaml".into(),
        text: text.to_string(),
    };
    let mut diagnostics = Vec::new();
    let rules = parse_rules(&file, &mut diagnostics);
    let real = kb();
    let kinds: HashMap<&str, Kind> = real
        .monographs()
        .iter()
        .map(|m| (m.id().as_str(), m.kind()))
        .collect();
    let sources: HashSet<&str> = real.sources().iter().map(|s| s.id.value.as_str()).collect();
    validate_rules(&rules, &kinds, &sources, &mut diagnostics);
    for d in &diagnostics {
        let _ = d.to_string();
    }
    if rules.is_empty() {
        return;
    }
    // The whole load, as `kb check` runs it, with these rules as the only rules file.
    let mut files = others().to_vec();
    files.push(file);
    let (kb, _) = Kb::from_files(&files);
    let screener = Screener::new(&kb);
    let mut meds = Vec::new();
    for r in kb.rules() {
        for t in r.targets() {
            let (id, class) = t.id();
            let drug = if class {
                kb.members_of(id)
                    .first()
                    .map(|m| m.id().as_str().to_string())
            } else {
                Some(id.to_string())
            };
            if let Some(Ok(m)) = drug.map(|d| Medication::parse(&kb, &d)) {
                meds.push(m);
            }
        }
    }
    meds.truncate(painrx_engine::screen::MAX_MEDICATIONS);
    let conditions: Vec<String> = kb
        .rules()
        .iter()
        .filter_map(|r| r.condition.as_ref().map(|c| c.value.to_string()))
        .collect();
    for age in [None, Some(30.0), Some(80.0)] {
        if let Ok(patient) = Patient::parse(&kb, age, &conditions, &[], age == Some(30.0), false) {
            let _ = screener.screen(&patient, &meds);
        }
    }
    let _ = screener.burden(&meds);
});
