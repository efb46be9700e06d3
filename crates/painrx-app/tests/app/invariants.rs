//! The architecture invariants of ARCHITECTURE.md that a test can check, over the source tree.

use std::path::{Path, PathBuf};

fn crates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out
}

/// The engine's entry points: an edge that calls one decides something the other edges may
/// decide differently. Edges call painrx-app.
const ENGINE_ENTRY_POINTS: &[&str] = &[
    "schedule::titrate(",
    "schedule::taper(",
    "schedule::taper_via_diazepam(",
    "schedule::switch(",
    "range::dose_range(",
    "check::check_dose(",
    "equiv::equivalent(",
    "assess::acr(",
    "assess::fiqr(",
    "renal::estimate(",
    "cockcroft_gault(",
    "Patient::parse(",
    "Medication::parse(",
    "Patient {",
    "Kidneys {",
    ".screen(&",
    ".screen_ansm(",
];

#[test]
fn the_edges_call_the_application_layer_not_the_engine() {
    for edge in ["painrx-cli/src", "painrx-server/src"] {
        for (path, text) in sources(&crates().join(edge)) {
            for call in ENGINE_ENTRY_POINTS {
                // `Role::Patient {` is a match arm on an account's role, not a screening patient.
                let found = text
                    .match_indices(call)
                    .any(|(at, _)| !text[..at].ends_with("::"));
                assert!(
                    !found,
                    "{} calls `{call}`: edges translate to a request of painrx-app and back",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_cli_uses_the_server_crate_only_to_serve() {
    for (path, text) in sources(&crates().join("painrx-cli/src")) {
        for (n, line) in text.lines().enumerate() {
            if line.contains("painrx_server::") {
                let before = &text[..text.lines().take(n).map(|l| l.len() + 1).sum::<usize>()];
                let in_serve = before
                    .rfind("\nfn ")
                    .map(|at| before[at..].starts_with("\nfn serve("))
                    .unwrap_or(false);
                assert!(
                    in_serve,
                    "{}:{}: the CLI reaches into painrx-server outside `serve`",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn only_the_loaders_and_the_edges_read_files() {
    // Content and thesaurus loading (painrx-kb), imported rule sources (painrx-app) and files a
    // user names on the command line (painrx-cli). The engine, the renderers, the server and the
    // FHIR mapping read none.
    let allowed = [
        "painrx-kb/src/load.rs",
        "painrx-kb/src/ansm.rs",
        "painrx-app/src/screen.rs",
        "painrx-cli/src/",
    ];
    for (path, text) in sources(&crates()) {
        let shown = path.display().to_string();
        if shown.contains("/tests/")
            || shown.contains("/benches/")
            || shown.contains("/build.rs")
            || shown.contains("/examples/")
        {
            continue;
        }
        if allowed.iter().any(|a| shown.contains(a)) {
            continue;
        }
        for needle in ["std::fs::", "File::open", "fs::read"] {
            assert!(
                !text.contains(needle),
                "{shown} uses `{needle}`: file IO belongs to the loaders and the edges"
            );
        }
    }
}
