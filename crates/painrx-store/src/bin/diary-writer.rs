//! `diary-writer URL PATIENT COUNT`: add COUNT diary entries one at a time and print `ack <id>`
//! (flushed) after each insert the store has acknowledged. Used by the crash test, which kills
//! this process mid-stream and checks that every acknowledged entry survived.
//!
//! Entry `n` (counting from 0) has date `2024-01-01` + `n % 28` days, time `HH:MM` from `n`, pain
//! `n % 11` and note `crash test entry n`; the test rebuilds the same data to compare.

use std::io::Write;
use std::process::ExitCode;

use painrx_engine::diary::EntryData;
use painrx_engine::id::PatientId;
use painrx_engine::time::{ClockTime, Date};
use painrx_store::Store;

fn entry(n: u64) -> Result<EntryData, String> {
    let small = |v: u64| u32::try_from(v).unwrap_or(0);
    let time = ClockTime::new(small(n / 60 % 24), small(n % 60)).map_err(|e| e.to_string())?;
    let date = Date::from_ymd(2024, 1, small(n % 28 + 1)).map_err(|e| e.to_string())?;
    Ok(EntryData {
        time: Some(time),
        note: Some(format!("crash test entry {n}")),
        ..EntryData::new(date, u8::try_from(n % 11).unwrap_or(0))
    })
}

async fn run(url: &str, patient: &PatientId, count: u64) -> Result<(), String> {
    let store = Store::open(url).await.map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    for n in 0..count {
        let added = store
            .add_entry(patient, &entry(n)?)
            .await
            .map_err(|e| e.to_string())?;
        writeln!(out, "ack {}", added.id)
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, patient, count] = args.as_slice() else {
        eprintln!("usage: diary-writer URL PATIENT COUNT");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("diary-writer: `{count}` is not a count");
        return ExitCode::from(2);
    };
    let patient = match patient.parse::<PatientId>() {
        Ok(patient) => patient,
        Err(e) => {
            eprintln!("diary-writer: {e}");
            return ExitCode::from(2);
        }
    };
    match run(url, &patient, count).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("diary-writer: {e}");
            ExitCode::FAILURE
        }
    }
}
