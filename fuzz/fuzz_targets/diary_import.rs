//! The diary import (`painrx diary import`, `POST …/diary/import`): `painrx_app::diary::import`
//! of CSV or a FHIR R4 Bundle. What imports is exported again and must import back the same,
//! and the report is computed over it.
//!
//! Input: byte 0 picks the format (even: csv, odd: fhir), the rest is the file's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use painrx_app::diary::import;
use painrx_engine::diary::{report, Entry};
use painrx_engine::id::PatientId;

fuzz_target!(|data: &[u8]| {
    let Some((&format, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = if format % 2 == 0 { "csv" } else { "fhir" };
    let Ok(entries) = import(format, text) else {
        return;
    };
    let Ok(patient) = "fuzz".parse::<PatientId>() else {
        return;
    };
    // Every edge exports what it imported: the export must read back as the same entries.
    let again = match format {
        "csv" => painrx_render::csv::write(&entries).map_err(|e| e.to_string()),
        _ => painrx_fhir::diary_bundle(&patient, &entries)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::to_string(&b).map_err(|e| e.to_string())),
    };
    match again {
        Ok(written) => match import(format, &written) {
            Ok(back) => assert_eq!(back, entries, "{format} export does not read back"),
            Err(e) => panic!("{format} export of imported entries does not import: {e}"),
        },
        Err(e) => panic!("imported entries cannot be exported as {format}: {e}"),
    }
    let stored: Vec<Entry> = entries
        .into_iter()
        .enumerate()
        .map(|(i, data)| Entry {
            id: i64::try_from(i).unwrap_or(i64::MAX),
            patient: patient.clone(),
            version: 1,
            data,
        })
        .collect();
    let _ = report(&patient, &stored, None, None);
});
