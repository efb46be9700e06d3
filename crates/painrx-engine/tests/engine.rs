//! The engine's citations exist in the knowledge base's sources registry.

use std::path::Path;

use painrx_engine::renal::{CKD_EPI_2021_SOURCE, COCKCROFT_GAULT_SOURCE, DEVINE_SOURCE};
use painrx_kb::Kb;

#[test]
fn engine_sources_are_registered() {
    let (kb, _) = Kb::from_files(
        &painrx_kb::load::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content"))
            .unwrap_or_default(),
    );
    for id in [COCKCROFT_GAULT_SOURCE, CKD_EPI_2021_SOURCE, DEVINE_SOURCE] {
        assert!(kb.source(id).is_some(), "{id} missing from content/sources");
    }
}
