//! Name resolution: the drug vocabulary (`lexicon::understand`, `suggest`, `starting_with`),
//! painrx's own names (`Kb::resolve`) and the application's `App::understand` (`painrx resolve`,
//! `GET /api/v1/resolve`) and `App::names` (type-ahead).
//!
//! Input: UTF-8 text; each line is a name (at most 8 lines).
#![no_main]

use libfuzzer_sys::fuzz_target;
use painrx_app::resolve::{NamesRequest, ResolveRequest};
use painrx_app::values::Name;
use painrx_fuzz::{app, kb, lines};
use painrx_kb::lexicon::lexicon;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lex = lexicon();
    let mut names = Vec::new();
    for line in lines(text, 8) {
        let _ = lex.understand(line);
        let _ = lex.suggest(line);
        let _ = lex.starting_with(line, 10);
        let _ = lex.lookup(line);
        let _ = kb().resolve(line);
        let _ = kb().resolve_exact(line);
        if let Ok(name) = Name::new(line) {
            if let Ok(limit) = serde_json::from_value(serde_json::json!(10)) {
                let _ = app().names(&NamesRequest {
                    prefix: name.clone(),
                    limit: Some(limit),
                });
            }
            names.push(name);
        }
    }
    if !names.is_empty() {
        let _ = app().understand(&ResolveRequest { texts: names });
    }
});
