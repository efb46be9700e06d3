//! The drug vocabulary against lists written from its sources (tests/data/vocab), not from
//! painrx's monographs: common prescriptions resolve, common words do not, RxNorm strings give
//! exactly their substances.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use painrx_kb::lexicon::{lexicon, LexiconError, NameType};

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/vocab")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .collect()
}

fn substances(text: &str) -> Result<Vec<&'static str>, LexiconError> {
    lexicon()
        .understand(text)
        .map(|u| u.parts.iter().map(|p| p.substance.name).collect())
}

#[test]
fn common_prescriptions_resolve() {
    let text = data("common_drugs.txt");
    let all = lines(&text);
    assert!(all.len() >= 300, "{} drugs", all.len());
    let missed: Vec<&&str> = all.iter().filter(|d| substances(d).is_err()).collect();
    assert!(
        missed.len() * 100 <= all.len(),
        "{} of {} do not resolve: {missed:?}",
        missed.len(),
        all.len()
    );
}

#[test]
fn common_words_and_lab_terms_name_no_drug() {
    let text = data("not_drugs.txt");
    let all = lines(&text);
    assert_eq!(all.len(), 100);
    let resolved: Vec<(&&str, Vec<&str>)> = all
        .iter()
        .filter_map(|w| substances(w).ok().map(|s| (w, s)))
        .collect();
    assert!(resolved.is_empty(), "{resolved:?}");
}

#[test]
fn rxnorm_strings_give_exactly_their_substances() {
    let text = data("rxnorm_strings.tsv");
    let mut checked = 0;
    for line in lines(&text).into_iter().skip(1) {
        let (input, expected) = line.split_once('\t').unwrap();
        let mut want: Vec<&str> = expected.split(';').map(str::trim).collect();
        want.sort_unstable();
        let mut got = substances(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, want, "{input}");
        checked += 1;
    }
    assert!(checked >= 50, "{checked}");
}

#[test]
fn every_synthetic_patients_medication_resolves() {
    let patients: serde_json::Value =
        serde_json::from_str(&data("carebundle_patients.json")).unwrap();
    let mut seen = 0;
    for p in patients.as_array().unwrap() {
        for m in p["medications"].as_array().unwrap() {
            let display = m["display"].as_str().unwrap();
            substances(display).unwrap_or_else(|e| panic!("{display}: {e}"));
            seen += 1;
        }
    }
    assert!(seen >= 200, "{seen} medications");
}

#[test]
fn names_of_every_kind() {
    let cases: &[(&str, &[&str])] = &[
        ("paracetamol", &["acetaminophen"]),
        ("Oxycodone Hydrochloride", &["oxycodone"]),
        ("warfarin sodium", &["warfarin"]),
        ("losartan potassium", &["losartan"]),
        ("Cozaar", &["losartan"]),
        ("Doliprane", &["acetaminophen"]),
        ("prégabaline", &["pregabalin"]),
        ("PREGABALINE", &["pregabalin"]),
        ("gabapentin 300 MG Oral Capsule", &["gabapentin"]),
        (
            "24 HR tramadol hydrochloride 100 MG Extended Release Oral Tablet",
            &["tramadol"],
        ),
        (
            "acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet",
            &["acetaminophen", "oxycodone"],
        ),
        ("pregabalin 75 MG Oral Capsule [Lyrica]", &["pregabalin"]),
    ];
    for (input, want) in cases {
        let mut got = substances(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        got.sort_unstable();
        assert_eq!(got, *want, "{input}");
    }
    for combination in ["Percocet", "Norco", "Co-codamol", "Tylenol with Codeine"] {
        let u = lexicon().understand(combination).unwrap();
        assert!(u.parts.len() >= 2, "{combination}: {:?}", u.parts);
        assert_eq!(u.name_type, Some(NameType::Combination), "{combination}");
    }
}

#[test]
fn an_rxnorm_string_keeps_strength_and_form_but_no_frequency() {
    let u = lexicon()
        .understand("acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet")
        .unwrap();
    let strengths: Vec<_> = u.parts.iter().map(|p| p.strength.clone()).collect();
    assert_eq!(
        strengths,
        [
            Some((325.0, "mg".to_string())),
            Some((5.0, "mg".to_string()))
        ]
    );
    assert_eq!(u.form.as_deref(), Some("Oral Tablet"));
    let u = lexicon()
        .understand("24 HR tramadol hydrochloride 100 MG Extended Release Oral Tablet")
        .unwrap();
    assert_eq!(u.release.as_deref(), Some("24 HR"));
    assert_eq!(u.form.as_deref(), Some("Extended Release Oral Tablet"));
}

#[test]
fn codes_and_links() {
    let pregabalin = lexicon().substance_named("pregabalin").unwrap();
    assert_eq!(pregabalin.unii, "55JG375S6M");
    assert_eq!(lexicon().by_rxcui("187832"), Some(pregabalin));
    assert_eq!(lexicon().by_ansm("PREGABALINE"), Some(pregabalin));
    assert!(pregabalin.ansm.contains(&"pregabaline"));
}

#[test]
fn a_misspelling_is_refused_with_suggestions_and_long_input_at_once() {
    match lexicon().understand("sumatriptin") {
        Err(LexiconError::NotFound { suggestions, .. }) => {
            assert!(
                suggestions.iter().any(|s| s == "sumatriptan"),
                "{suggestions:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    let long = "a".repeat(60_000);
    assert!(matches!(
        lexicon().understand(&long),
        Err(LexiconError::TooLong { .. })
    ));
    assert_eq!(lexicon().understand("  "), Err(LexiconError::Empty));
}

/// Issue 13, found by fuzzing (`fuzz/`, targets `names` and `dose_line`): "did you mean" built
/// fst's Levenshtein DFA for each unknown name, 20–70 ms in release for a 40–60 character one,
/// so a list of unknown names held a core for seconds. The walk that replaced it builds
/// nothing first (about 1 ms a name in release); the bound here leaves room for an unoptimised
/// build on a busy machine. Same suggestions (`near_names_are_fst_levenshtein_matches`).
#[test]
fn suggestions_for_long_unknown_names_take_bounded_time() {
    let names = [
        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
        "sinoprilone hydlis\u{1}linoprilone hydrochl",
        "gabape5 mg prnntin 300 MG Oral Capsule",
        "ééééééééééééééééééééééééééééééééééééééé",
    ];
    let start = std::time::Instant::now();
    for i in 0..128 {
        let name = names[i % names.len()];
        assert!(
            matches!(
                lexicon().understand(name),
                Err(LexiconError::NotFound { .. })
            ),
            "{name}"
        );
    }
    let took = start.elapsed();
    assert!(
        took < std::time::Duration::from_secs(15),
        "128 unknown names took {took:?}"
    );
    let near = lexicon().suggest("oxycodonne hydrochlorde");
    assert!(
        near.iter().any(|s| s == "oxycodone hydrochloride"),
        "{near:?}"
    );
}

#[test]
fn kb_check_counts_what_the_vocabulary_leaves_unlinked() {
    let kb = painrx_kb::Kb::embedded().unwrap();
    let summary = painrx_kb::Kb::check_summary(&painrx_kb::load::embedded(), "content");
    let v = &summary.vocabulary;
    assert_eq!(v.ansm_edition, "2020_01");
    assert_eq!(v.ansm_linked + v.ansm_unlinked.len(), v.ansm_substances);
    assert!(v.ansm_substances > 1000, "{v:?}");
    assert!(v.ansm_unlinked.iter().any(|u| u == "bcg"), "{v:?}");
    assert!(v.ansm_unlinked.len() <= 25, "{:?}", v.ansm_unlinked);
    // Every drug monograph painrx has is a vocabulary substance but a few named on purpose.
    assert!(
        v.monographs_unlinked.len() <= 3,
        "{:?}",
        v.monographs_unlinked
    );
    assert!(kb.get("pregabalin").is_some());
    assert!(!v.monographs_unlinked.iter().any(|m| m == "pregabalin"));
}
