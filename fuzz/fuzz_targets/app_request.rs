//! Every JSON request of the application layer: the bytes are read with serde_json as each
//! request type (`Operation` — check, renal, dose_range, dose_check, titrate, taper, switch,
//! equiv, acr2016, fiqr —, `ResolveRequest`, `NamesRequest`, `SearchRequest`, `CourseRequest`
//! a comparison's list of names and a diary entry), and whatever reads is run as the API would run it.
//!
//! Input: JSON text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use painrx_app::diary::{resolve_course, CourseRequest};
use painrx_app::knowledge::SearchRequest;
use painrx_app::resolve::{NamesRequest, ResolveRequest};
use painrx_app::values::Name;
use painrx_app::{
    AcrRequest, CheckRequest, DoseCheckRequest, DoseRangeRequest, EquivRequest, FiqrRequest,
    Operation, RenalRequest, SwitchRequest, TaperRequest, TitrateRequest,
};
use painrx_engine::diary::EntryData;
use painrx_fuzz::{app, kb};

fn read<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_json::from_slice(data).ok()
}

fuzz_target!(|data: &[u8]| {
    let app = app();
    if let Some(op) = read::<Operation>(data) {
        let _ = app.run(&op);
    }
    // The same request types as the API's bodies read them (without the operation wrapper).
    if let Some(r) = read::<CheckRequest>(data) {
        let _ = app.run(&Operation::Check(r));
    }
    if let Some(r) = read::<RenalRequest>(data) {
        let _ = app.run(&Operation::Renal(r));
    }
    if let Some(r) = read::<DoseRangeRequest>(data) {
        let _ = app.run(&Operation::DoseRange(r));
    }
    if let Some(r) = read::<DoseCheckRequest>(data) {
        let _ = app.run(&Operation::DoseCheck(r));
    }
    if let Some(r) = read::<TitrateRequest>(data) {
        let _ = app.run(&Operation::Titrate(r));
    }
    if let Some(r) = read::<TaperRequest>(data) {
        let _ = app.run(&Operation::Taper(r));
    }
    if let Some(r) = read::<SwitchRequest>(data) {
        let _ = app.run(&Operation::Switch(r));
    }
    if let Some(r) = read::<EquivRequest>(data) {
        let _ = app.run(&Operation::Equiv(r));
    }
    if let Some(r) = read::<AcrRequest>(data) {
        let _ = app.run(&Operation::Acr2016(r));
    }
    if let Some(r) = read::<FiqrRequest>(data) {
        let _ = app.run(&Operation::Fiqr(r));
    }
    if let Some(r) = read::<ResolveRequest>(data) {
        let _ = app.understand(&r);
    }
    if let Some(r) = read::<NamesRequest>(data) {
        let _ = app.names(&r);
    }
    if let Some(r) = read::<SearchRequest>(data) {
        let _ = app.search(&r);
    }
    if let Some(r) = read::<CourseRequest>(data) {
        let _ = resolve_course(kb(), r);
    }
    if let Some(names) = read::<Vec<Name>>(data) {
        let _ = app.compare(&names);
    }
    // A diary entry as `POST …/diary/entries` reads it, checked as the store checks it.
    if let Some(entry) = read::<EntryData>(data) {
        if entry.validate().is_ok() {
            let _ = painrx_render::csv::write(std::slice::from_ref(&entry));
        }
    }
});
