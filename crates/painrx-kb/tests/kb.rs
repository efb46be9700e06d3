//! Integration tests of the knowledge base over the real `content/` folder.

use std::path::{Path, PathBuf};

use painrx_kb::compare::compare;
use painrx_kb::facts::facts;
use painrx_kb::import::import_page;
use painrx_kb::load::{read_dir, ContentFile};
use painrx_kb::{has_errors, Kb, Level, ResolveError};
use serde::Deserialize;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn content_files() -> Vec<ContentFile> {
    read_dir(&repo().join("content")).unwrap_or_default()
}

fn kb() -> Kb {
    let (kb, diagnostics) = Kb::from_files(&content_files());
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "content has errors:\n{}",
        errors.join("\n")
    );
    kb
}

#[test]
fn content_passes_validation() {
    let kb = kb();
    assert!(
        kb.monographs().len() >= 80,
        "only {} monographs",
        kb.monographs().len()
    );
    assert!(kb.get("pregabalin").is_some());
}

#[test]
fn embedded_content_equals_content_folder() {
    let embedded = painrx_kb::load::embedded();
    let on_disk = content_files();
    let names = |files: &[ContentFile]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert_eq!(names(&embedded), names(&on_disk));
}

#[test]
fn every_computable_fact_cites_a_registered_source() {
    let kb = kb();
    let mut checked = 0;
    for m in kb.monographs() {
        for fact in facts(&m.front) {
            let source = fact
                .source
                .unwrap_or_else(|| panic!("{}: {} has no source", m.path, fact.what));
            assert!(
                kb.source(source).is_some(),
                "{}: {} cites unknown `{}`",
                m.path,
                fact.what,
                source.value
            );
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} facts found");
}

#[derive(Debug, Deserialize)]
struct Corruption {
    name: String,
    file: String,
    find: String,
    replace: String,
    message: String,
    #[serde(default = "unset")]
    line_of: Option<String>,
}

fn unset() -> Option<String> {
    Some(String::new())
}

#[test]
fn validator_rejects_each_corrupted_copy_naming_file_and_line() {
    let cases_text =
        std::fs::read_to_string(repo().join("tests/scenarios/bad/kb-corruptions.yaml"))
            .unwrap_or_default();
    let cases: Vec<Corruption> = serde_saphyr::from_str(&cases_text).unwrap_or_default();
    assert!(cases.len() >= 15, "corruption cases did not load");
    let pristine = content_files();
    let mut failures = Vec::new();
    for case in &cases {
        let mut files = pristine.clone();
        let Some(target) = files.iter_mut().find(|f| f.path == case.file) else {
            failures.push(format!("{}: no file {}", case.name, case.file));
            continue;
        };
        if !target.text.contains(&case.find) {
            failures.push(format!(
                "{}: `{}` not found in {}",
                case.name, case.find, case.file
            ));
            continue;
        }
        target.text = target.text.replacen(&case.find, &case.replace, 1);
        let expected_line = match &case.line_of {
            None => None,
            Some(anchor) => {
                let anchor = if anchor.is_empty() {
                    case.replace.trim_end_matches('\n')
                } else {
                    anchor
                };
                target
                    .text
                    .lines()
                    .position(|l| l.contains(anchor.lines().next().unwrap_or(anchor)))
                    .map(|i| i + 1)
            }
        };
        let (_, diagnostics) = Kb::from_files(&files);
        let hit = diagnostics.iter().find(|d| {
            d.level == Level::Error
                && d.message.contains(&case.message)
                && d.file == case.file
                && d.line > 0
                && expected_line.is_none_or(|line| d.line == line)
        });
        if hit.is_none() {
            let seen: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            failures.push(format!(
                "{}: expected `{}` in {} at line {:?}; got:\n  {}",
                case.name,
                case.message,
                case.file,
                expected_line,
                seen.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn names_resolve_generic_brand_international_and_strength() {
    let kb = kb();
    let id = |name: &str| {
        kb.resolve(name)
            .map(|r| r.id)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert_eq!(id("Lyrica"), "pregabalin");
    assert_eq!(id("LYRICA CR"), "pregabalin");
    assert_eq!(id("prégabaline"), "pregabalin");
    assert_eq!(id("PREGABALINE"), "pregabalin");
    for (brand, generic) in [
        ("Neurontin", "gabapentin"),
        ("Gralise", "gabapentin"),
        ("Horizant", "gabapentin"),
        ("Elavil", "amitriptyline"),
        ("Cymbalta", "duloxetine"),
        ("Savella", "milnacipran"),
        ("Valium", "diazepam"),
        ("Ativan", "lorazepam"),
        ("Xanax", "alprazolam"),
        ("Klonopin", "clonazepam"),
        ("Ultram", "tramadol"),
        ("Nucynta", "tapentadol"),
        ("paracetamol", "acetaminophen"),
    ] {
        assert_eq!(id(brand), generic, "{brand}");
    }
    let horizant = kb.resolve("Horizant").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(horizant.product.as_deref(), Some("horizant"));

    let with_strength = kb
        .resolve("Gabapentin 400 mg")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(with_strength.id, "gabapentin");
    let strength = with_strength
        .strength
        .unwrap_or_else(|| panic!("no strength parsed"));
    assert_eq!(strength.value, 400.0);
    assert!(strength.exists(), "gabapentin comes in 400 mg");
    let missing = kb
        .resolve("pregabalin 400mg")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !missing.strength.is_some_and(|s| s.exists()),
        "there is no 400 mg pregabalin"
    );
}

#[test]
fn near_misses_suggest_and_ambiguity_lists_candidates() {
    let kb = kb();
    match kb.resolve("pregablin") {
        Err(ResolveError::NotFound { suggestions, .. }) => {
            assert_eq!(
                suggestions.first().map(|c| c.id.as_str()),
                Some("pregabalin")
            );
        }
        other => panic!("expected a suggestion, got {other:?}"),
    }
    let message = kb
        .resolve("pregablin")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("did you mean pregabalin?"), "{message}");
    match kb.resolve("gaba") {
        Err(ResolveError::Ambiguous { candidates, .. }) => {
            let ids: Vec<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
            assert!(
                ids.contains(&"gabapentin") && ids.contains(&"gabapentinoids"),
                "{ids:?}"
            );
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
    assert!(matches!(kb.resolve("   "), Err(ResolveError::Empty)));
    assert!(
        matches!(kb.resolve("xyzzyq"), Err(ResolveError::NotFound { suggestions, .. }) if suggestions.is_empty())
    );
    assert!(matches!(
        kb.resolve("gabapentin -5 mg"),
        Err(ResolveError::BadStrength { .. })
    ));
}

/// Issue 13, found by fuzzing (`fuzz/`, target `dose_line`): an unknown name was compared with
/// every name painrx knows for its "did you mean" (30–90 ms in release for a 200-character
/// one), so a list of 128 held a core for seconds. Names whose lengths and letters rule them
/// out are now skipped before the comparison (exactly: `names_ruled_out_are_never_similar`);
/// the bound leaves room for an unoptimised build on a busy machine.
#[test]
fn long_unknown_names_are_refused_in_bounded_time() {
    let kb = kb();
    let names = [
        "x".repeat(200),
        "abcdefghij".repeat(20),
        "a ".repeat(100),
        "é".repeat(200),
        "gabape5 mg prnntin 300 MG Oral Capsule".to_string(),
    ];
    let start = std::time::Instant::now();
    for i in 0..128 {
        let name = &names[i % names.len()];
        assert!(
            matches!(kb.resolve(name), Err(ResolveError::NotFound { .. })),
            "{name}"
        );
    }
    let took = start.elapsed();
    assert!(
        took < std::time::Duration::from_secs(10),
        "128 long unknown names took {took:?}"
    );
}

#[test]
fn exact_resolution_agrees_with_full_resolution() {
    let kb = kb();
    for input in [
        "Lyrica",
        "LYRICA CR",
        "prégabaline",
        "Gabapentin 400 mg",
        "gabapentin 450 mg",
        "pregabalin 400mg",
        "Horizant",
        "oxycodone",
    ] {
        let full = kb.resolve(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let exact = kb
            .resolve_exact(input)
            .unwrap_or_else(|| panic!("{input}: no exact match"));
        assert_eq!(
            serde_json::to_value(&exact).ok(),
            serde_json::to_value(&full).ok(),
            "{input}"
        );
    }
    // Everything the full resolution refuses, the exact one refuses too (without suggestions).
    for input in [
        "pregablin",
        "gaba",
        "   ",
        "xyzzyq",
        "gabapentin -5 mg",
        "oxycodone 20 mg q6h",
    ] {
        assert!(kb.resolve(input).is_err(), "{input}");
        assert!(kb.resolve_exact(input).is_none(), "{input}");
    }
}

#[test]
fn search_counts_brand_names_and_finds_the_passage() {
    let kb = kb();
    let hits = kb.search("Lyrica weight gain", 5);
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("pregabalin"),
        "{hits:#?}"
    );
    let snippet = hits
        .first()
        .map(|h| h.snippet.to_lowercase())
        .unwrap_or_default();
    assert!(snippet.contains("weight"), "snippet: {snippet}");

    let hits = kb.search("fibro fog", 5);
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("fibromyalgia"),
        "{hits:#?}"
    );
    let hits = kb.search("escort home after infusion", 3);
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("ketamine-infusion-therapy"),
        "{hits:#?}"
    );
    assert!(kb.search("qwertyuiop", 5).is_empty());
}

#[test]
fn comparison_cells_come_from_the_monographs() {
    let kb = kb();
    let table = compare(&kb, &["gabapentin", "pregabalin"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table.drugs, ["gabapentin", "pregabalin"]);
    let row = |name: &str| {
        table
            .rows
            .iter()
            .find(|r| r.attribute == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    let half_life = row("Half-life");
    assert_eq!(half_life.values[1], "6.3 h");
    assert!(half_life
        .sources
        .iter()
        .any(|s| s.starts_with("lyrica-uspi")));
    assert!(row("Bioavailability").values[0].starts_with("dose-dependent"));
    assert!(row("Dosing frequency").values[0].contains("TID"));
    assert!(row("Maximum daily dose").values[1].contains("450 mg/day (Fibromyalgia)"));
    for r in &table.rows {
        assert_eq!(r.values.len(), 2, "{}", r.attribute);
    }

    // Change the monograph and the table follows.
    let mut files = content_files();
    if let Some(f) = files.iter_mut().find(|f| f.path == "drugs/pregabalin.md") {
        f.text = f
            .text
            .replace("half_life_h: { value: 6.3,", "half_life_h: { value: 7.9,");
    }
    let (changed, diagnostics) = Kb::from_files(&files);
    assert!(!has_errors(&diagnostics));
    let table = compare(&changed, &["gabapentin", "pregabalin"]).unwrap_or_else(|e| panic!("{e}"));
    let half_life = table
        .rows
        .iter()
        .find(|r| r.attribute == "Half-life")
        .map(|r| r.values[1].clone());
    assert_eq!(half_life.as_deref(), Some("7.9 h"));
}

#[test]
fn compare_refuses_non_drugs_and_single_drugs() {
    let kb = kb();
    assert!(compare(&kb, &["pregabalin"]).is_err());
    assert!(compare(&kb, &["pregabalin", "fibromyalgia"]).is_err());
}

#[test]
fn seed_page_imports_with_nine_clean_faqs() {
    let page = std::fs::read_to_string(
        repo().join("tests/fixtures/seed-002-amitriptyline-pregabalin.txt"),
    )
    .unwrap_or_default();
    let draft = import_page(&page).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draft.report.id, "amitriptyline-pregabalin");
    assert_eq!(draft.report.faqs, 9);
    let (yaml, body, _) = painrx_kb::load::split_front_matter(&draft.text).unwrap_or_default();
    let front: painrx_kb::model::FrontMatter =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(front.faqs.len(), 9);
    for faq in &front.faqs {
        for text in [&faq.q, &faq.a] {
            assert!(
                !text.contains("**") && !text.starts_with("A:"),
                "artefact left in `{text}`"
            );
        }
    }
    assert_eq!(
        front.faqs[0].q,
        "What is the recommended dosage for Amitriptyline + Pregabalin?"
    );
    assert!(front.faqs[6].a.starts_with("Reduce the dosage"));
    let unmapped: Vec<&str> = draft
        .report
        .unmapped
        .iter()
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(unmapped, ["Drug Profile Summary", "Popular Combinations"]);
    assert!(
        draft.report.missing_sections.is_empty(),
        "{:?}",
        draft.report.missing_sections
    );
    assert!(body.contains("## Side Effects") && body.contains("### Rare but Serious"));
    assert!(!body.contains("## **"));
    // The draft is structurally sound: loading it reports only what the editor must complete.
    let file = ContentFile {
        path: "combinations/amitriptyline-pregabalin.md".into(),
        text: draft.text.clone(),
    };
    let mut diagnostics = Vec::new();
    let monograph = painrx_kb::load::parse_monograph(&file, &mut diagnostics);
    assert!(
        monograph.is_some() && diagnostics.is_empty(),
        "{diagnostics:?}"
    );
}

mod properties {
    use super::*;
    use painrx_kb::names::split_strength;
    use painrx_kb::text::fold;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn shared() -> &'static Kb {
        static KB: OnceLock<Kb> = OnceLock::new();
        KB.get_or_init(kb)
    }

    proptest! {
        #[test]
        fn resolving_any_text_never_panics_and_never_guesses(input in "\\PC{0,40}") {
            if let Ok(found) = shared().resolve(&input) {
                // A success is always an exact name (optionally with a strength).
                let m = shared().get(&found.id).unwrap_or_else(|| panic!("dangling id"));
                let names: Vec<String> = m.all_names().iter().map(|n| fold(n)).collect();
                let typed = fold(&input);
                let base = split_strength(&typed).map(|(name, _)| name).unwrap_or(typed.clone());
                prop_assert!(names.contains(&typed) || names.contains(&base), "{input:?} -> {}", found.id);
            }
        }

        #[test]
        fn fold_is_idempotent(input in "\\PC{0,60}") {
            let once = fold(&input);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn any_name_with_any_listed_strength_resolves(index in 0usize..50, strength in 0usize..8) {
            let kb = shared();
            let drugs: Vec<_> = kb.monographs().iter().filter(|m| !m.front.products.is_empty()).collect();
            let m = drugs[index % drugs.len()];
            let strengths: Vec<f64> = m.front.products.iter().flat_map(|p| p.strengths_mg.iter().map(|s| s.get())).collect();
            if let Some(mg) = strengths.get(strength % strengths.len().max(1)) {
                let input = format!("{} {} mg", m.title(), painrx_kb::quantity::format_number(*mg));
                let found = kb.resolve(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
                prop_assert_eq!(&found.id, m.id());
                prop_assert!(found.strength.is_some_and(|s| s.exists()), "{}", input);
            }
        }

        #[test]
        fn importing_any_text_never_panics(page in "(---\\n)?\\PC{0,200}(\\n---\\n)?(## \\PC{0,20}\\n)?\\PC{0,100}") {
            let _ = import_page(&page);
        }
    }
}

#[test]
fn regression_class_synonym_naming_a_member_does_not_shadow_the_drug() {
    // Found by the strength property test: a class listing `linezolid` among its synonyms made
    // "Linezolid 600 mg" ambiguous. A monograph's own name wins, and the validator warns.
    let mut files = content_files();
    if let Some(f) = files
        .iter_mut()
        .find(|f| f.path == "classes/gabapentinoids.md")
    {
        f.text = f
            .text
            .replacen("\nsynonyms: [", "\nsynonyms: [pregabalin, ", 1);
    }
    let (kb, diagnostics) = Kb::from_files(&files);
    assert!(diagnostics.iter().any(|d| d.level == Level::Warning
        && d.file == "classes/gabapentinoids.md"
        && d.message
            .contains("name `pregabalin` also belongs to `pregabalin`")));
    assert_eq!(
        kb.resolve("Pregabalin 75 mg").map(|r| r.id).ok().as_deref(),
        Some("pregabalin")
    );
}
