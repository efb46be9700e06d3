//! The dose-string parser and the reading of a medication line, as `painrx check "gabapentin
//! 300 mg tid"` reads each line: `dose::parse_dose`, `Medication::parse` (painrx's names) and
//! `list::read_line` (painrx's names, then the drug vocabulary).
//!
//! Input: UTF-8 text; each line is read on its own (at most 8), and the whole text as one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use painrx_engine::dose::parse_dose;
use painrx_engine::list::read_line;
use painrx_engine::screen::Medication;
use painrx_fuzz::{kb, lines};

fn one(text: &str) {
    if let Ok(dose) = parse_dose(text) {
        let _ = dose.daily_mg();
        // What painrx writes of a dose (the CLI's verdict, `resolve`'s answer) reads back as
        // the same dose, and writing that gives the same text.
        let written = dose.to_string();
        match parse_dose(&written) {
            Ok(again) => {
                assert_eq!(again.to_string(), written, "{text:?}");
                assert_eq!(again.frequency, dose.frequency, "{text:?}");
            }
            Err(e) => {
                panic!("{text:?} reads as {dose:?}, written {written:?}, which reads as: {e}")
            }
        }
    }
    let kb = kb();
    let _ = Medication::parse(kb, text);
    if let Ok(line) = read_line(kb, 0, text) {
        for d in &line.drugs {
            let _ = d.medication.dose.map(|x| x.to_string());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    one(text);
    for line in lines(text, 8) {
        one(line);
    }
});
