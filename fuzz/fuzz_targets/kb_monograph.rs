//! One monograph file (Markdown with YAML front matter) loaded and validated as `painrx kb check`
//! does, beside the entries of the real sources registry it cites, then indexed (names, search) and queried.
//!
//! Input: byte 0 picks the folder (drugs, combinations, classes, conditions, procedures), the
//! rest is the file's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use painrx_fuzz::{sources_cited_in, MONOGRAPH_FOLDERS};
use painrx_kb::{ContentFile, Kb};

fuzz_target!(|data: &[u8]| {
    let Some((&folder, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let folder = MONOGRAPH_FOLDERS[usize::from(folder) % MONOGRAPH_FOLDERS.len()];
    let mut files = vec![sources_cited_in(text)];
    files.push(ContentFile {
        path: format!("{folder}fuzzed.md"),
        text: text.to_string(),
    });
    let (kb, diagnostics) = Kb::from_files(&files);
    for d in &diagnostics {
        let _ = d.to_string();
    }
    for m in kb.monographs() {
        for name in m.all_names() {
            let _ = kb.resolve(name);
        }
        let _ = kb.search(m.title(), 10);
        let _ = kb.monograph_json(
            m,
            &match kb.resolve(m.id().as_str()) {
                Ok(r) => r,
                Err(_) => continue,
            },
        );
        let _ = painrx_kb::compare::compare(&kb, &[m.id().as_str()]);
    }
});
