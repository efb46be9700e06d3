//! One rules file (`content/rules/*.yaml`) parsed and validated against the real monographs and
//! sources, as `painrx kb check` does; when it parses, a knowledge base is built with it as its
//! rules (over the monographs it names), the screener indexes it, and a list naming its drugs is screened.
//!
//! Input: the file's text.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use painrx_engine::screen::{Medication, Patient, Screener};
use painrx_fuzz::{content_files, kb, sources_cited_in};
use painrx_kb::rules::{parse_rules, validate_rules};
use painrx_kb::vocab::Kind;
use painrx_kb::{ContentFile, Kb};

/// Each monograph's file by its id.
fn monograph_files() -> &'static HashMap<String, ContentFile> {
    static FILES: OnceLock<HashMap<String, ContentFile>> = OnceLock::new();
    FILES.get_or_init(|| {
        let by_path: HashMap<String, ContentFile> = content_files(|_| true)
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        kb().monographs()
            .iter()
            .filter_map(|m| Some((m.id().to_string(), by_path.get(&m.path)?.clone())))
            .collect()
    })
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
    // The whole load, as `kb check` runs it, with these rules as the only rules file, over the
    // monographs they name (and the members of the classes they name): the whole content takes
    // too long per input to fuzz.
    let by_id = monograph_files();
    let mut wanted: Vec<&str> = Vec::new();
    for r in &rules {
        for t in r.targets() {
            let (id, class) = t.id();
            wanted.push(id);
            if class {
                wanted.extend(real.members_of(id).iter().take(4).map(|m| m.id().as_str()));
            }
        }
        wanted.extend(r.condition.iter().map(|c| c.value.as_str()));
        wanted.extend(r.classes.iter().map(|c| c.as_str()));
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut files: Vec<ContentFile> = wanted
        .iter()
        .filter_map(|id| by_id.get(*id).cloned())
        .collect();
    let cited: String = files
        .iter()
        .map(|f| f.text.as_str())
        .chain([text])
        .collect();
    files.push(sources_cited_in(&cited));
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
