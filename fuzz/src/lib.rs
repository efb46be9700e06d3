//! What the fuzz targets share: the knowledge base and the application built once per process
//! from the content compiled into painrx, and the content files by kind.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use painrx_app::App;
use painrx_kb::{ContentFile, Kb};

/// The content compiled in (valid: painrx's own tests check it).
pub fn kb() -> &'static Arc<Kb> {
    static KB: OnceLock<Arc<Kb>> = OnceLock::new();
    KB.get_or_init(|| match Kb::embedded() {
        Ok(kb) => Arc::new(kb),
        Err(e) => panic!("the compiled-in content does not load: {e}"),
    })
}

/// The application over [`kb`], with an empty data directory (no imported ANSM edition: the
/// built-in one is used, as on a fresh install).
pub fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("painrx-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        App::new(Arc::clone(kb()), PathBuf::from(dir))
    })
}

/// The compiled-in content files whose path satisfies `keep`.
pub fn content_files(keep: impl Fn(&str) -> bool) -> Vec<ContentFile> {
    painrx_kb::load::embedded()
        .into_iter()
        .filter(|f| keep(&f.path))
        .collect()
}

/// The folders a monograph file can live in (`load::is_monograph_path`), chosen by a byte.
pub const MONOGRAPH_FOLDERS: [&str; 5] = [
    "drugs/",
    "combinations/",
    "classes/",
    "conditions/",
    "procedures/",
];

/// Lines of `text`, at most `limit`, for targets that read one item per line.
pub fn lines(text: &str, limit: usize) -> impl Iterator<Item = &str> {
    text.lines().take(limit)
}

/// The sources registry cut down to the entries whose id `text` mentions, as one registry file
/// (`sources/cited.yaml`): parsing the whole registry takes most of the time of a load, and a
/// fuzzed file cites a handful of sources. The entries are the registry's own text.
pub fn sources_cited_in(text: &str) -> ContentFile {
    static ENTRIES: OnceLock<std::collections::HashMap<String, String>> = OnceLock::new();
    let entries = ENTRIES.get_or_init(|| {
        let mut by_id = std::collections::HashMap::new();
        for file in content_files(painrx_kb::load::is_source_path) {
            for chunk in file.text.split("\n- id:").skip(1) {
                let id = chunk.lines().next().unwrap_or_default().trim().to_string();
                by_id.insert(id, format!("- id:{chunk}\n"));
            }
        }
        by_id
    });
    let mut words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .filter(|w| entries.contains_key(*w))
        .collect();
    words.sort_unstable();
    words.dedup();
    ContentFile {
        path: "sources/cited.yaml".into(),
        text: words
            .iter()
            .filter_map(|w| entries.get(*w))
            .cloned()
            .collect(),
    }
}
