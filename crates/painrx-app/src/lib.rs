//! The application layer of painrx: one typed request per operation, read the same way from
//! argv (clap), JSON and web forms (serde), validated once, and run against the knowledge base,
//! the engine and the imported rule sources.
//!
//! Architecture Invariant: the CLI, the JSON API, the web pages and the CDS Hooks service call
//! this crate and nothing below it for an answer; they hold no validation, defaults or clinical
//! logic of their own, so the four cannot disagree.

pub mod calc;
pub mod diary;
pub mod error;
pub mod knowledge;
pub mod plan;
pub mod request;
pub mod resolve;
pub mod screen;
pub mod values;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use painrx_engine::ansm::AnsmIndex;
use painrx_engine::screen::Screener;
use painrx_kb::Kb;

pub use error::{AppError, AppResult, ErrorKind};
pub use request::*;

/// Everything an operation can reach: the knowledge base, its rule index, the imported rule
/// sources. Cheap to clone (one `Arc`).
#[derive(Clone, Debug)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    kb: Arc<Kb>,
    /// The rules indexed once for the life of the process.
    screener: Screener<'static>,
    /// Where imported rule sources (the ANSM thesaurus editions) live.
    data_dir: PathBuf,
    /// ANSM editions read from `data_dir`, by edition name, read once.
    ansm: Mutex<HashMap<String, Arc<AnsmIndex>>>,
}

impl App {
    /// An application over this knowledge base. The screener borrows the Kb for the life of the
    /// process: one `Arc` handle is leaked on purpose so the borrow is `'static` (the Kb is
    /// loaded once per process and never dropped before exit anyway).
    pub fn new(kb: Arc<Kb>, data_dir: PathBuf) -> App {
        let forever: &'static Arc<Kb> = Box::leak(Box::new(Arc::clone(&kb)));
        App {
            inner: Arc::new(Inner {
                screener: Screener::new(forever),
                kb,
                data_dir,
                ansm: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn kb(&self) -> &Kb {
        &self.inner.kb
    }

    pub fn kb_arc(&self) -> Arc<Kb> {
        Arc::clone(&self.inner.kb)
    }

    pub fn screener(&self) -> &Screener<'static> {
        &self.inner.screener
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.inner.data_dir
    }

    /// A monograph's title, or the id itself if there is none.
    pub fn title_of(&self, id: &str) -> String {
        self.kb()
            .get(id)
            .map(|m| m.title().to_string())
            .unwrap_or_else(|| id.to_string())
    }
}

/// Any operation of the application layer as one value: `{"operation": "dose_range",
/// "request": {…}}`. The scenario corpus (`tests/scenarios/app/`) is written in it, and a batch
/// or a hook service can carry operations in it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(tag = "operation", content = "request", rename_all = "snake_case")]
#[serde(deny_unknown_fields)]
pub enum Operation {
    Check(CheckRequest),
    Renal(RenalRequest),
    DoseRange(DoseRangeRequest),
    DoseCheck(DoseCheckRequest),
    Titrate(TitrateRequest),
    Taper(TaperRequest),
    Switch(SwitchRequest),
    Equiv(EquivRequest),
    Acr2016(AcrRequest),
    Fiqr(FiqrRequest),
}

impl App {
    /// Run one operation; its answer as the JSON the API gives for it.
    pub fn run(&self, operation: &Operation) -> AppResult<serde_json::Value> {
        let json = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| AppError::Internal(format!("cannot serialise the answer: {e}")))
        };
        match operation {
            Operation::Check(r) => json(serde_json::to_value(self.check(r)?.screening)),
            Operation::Renal(r) => json(serde_json::to_value(self.renal(r)?)),
            Operation::DoseRange(r) => json(serde_json::to_value(self.dose_range(r)?)),
            Operation::DoseCheck(r) => json(serde_json::to_value(self.dose_check(r)?)),
            Operation::Titrate(r) => json(serde_json::to_value(self.titrate(r)?.plan)),
            Operation::Taper(r) => json(serde_json::to_value(self.taper(r)?.plan)),
            Operation::Switch(r) => json(serde_json::to_value(self.switch(r)?.plan)),
            Operation::Equiv(r) => json(serde_json::to_value(self.equiv(r)?)),
            Operation::Acr2016(r) => json(serde_json::to_value(self.acr(r)?)),
            Operation::Fiqr(r) => json(serde_json::to_value(self.fiqr(r)?)),
        }
    }
}
