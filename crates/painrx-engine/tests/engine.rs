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

mod dose_range {
    use painrx_engine::range::{dose_range, Kidneys, RangeError};
    use painrx_kb::vocab::Frequency;
    use painrx_kb::Kb;
    use std::path::Path;
    use std::sync::OnceLock;

    fn kb() -> &'static Kb {
        static KB: OnceLock<Kb> = OnceLock::new();
        KB.get_or_init(|| {
            Kb::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content"))
                .unwrap_or_else(|e| panic!("{e}"))
        })
    }

    fn range(
        drug: &str,
        indication: &str,
        crcl: f64,
        hd: bool,
    ) -> (f64, f64, Vec<Frequency>, Vec<f64>) {
        let r = dose_range(
            kb(),
            drug,
            None,
            Some(indication),
            Kidneys {
                crcl_ml_min: Some(crcl),
                hemodialysis: hd,
            },
        )
        .unwrap_or_else(|e| panic!("{drug} {indication} {crcl}: {e}"));
        (
            r.min_daily_mg.unwrap_or(f64::NAN),
            r.max_daily_mg.unwrap_or(f64::NAN),
            r.frequencies,
            r.post_hemodialysis_mg,
        )
    }

    #[test]
    fn pregabalin_label_renal_table_band_by_band() {
        use Frequency::*;
        // US Lyrica label, renal table: columns 150/300/450/600 mg/day at CrCl ≥ 60 become
        // 75/150/225/300 (30–60), 25–50/75/100–150/150 (15–30), 25/25–50/50–75/75 (< 15).
        // Postherpetic neuralgia spans the 150 and 600 columns; fibromyalgia the 150 and 450;
        // diabetic neuropathy the 150 and 300.
        let cases = [
            ("postherpetic-neuralgia", 80.0, 150.0, 600.0, vec![Bid, Tid]),
            ("postherpetic-neuralgia", 45.0, 75.0, 300.0, vec![Bid, Tid]),
            ("postherpetic-neuralgia", 20.0, 25.0, 150.0, vec![Bid]),
            ("postherpetic-neuralgia", 10.0, 25.0, 75.0, vec![Qd]),
            ("fibromyalgia", 80.0, 150.0, 450.0, vec![Bid]),
            ("fibromyalgia", 30.0, 75.0, 225.0, vec![Bid]),
            ("fibromyalgia", 29.9, 25.0, 150.0, vec![Bid]),
            ("fibromyalgia", 14.0, 25.0, 75.0, vec![Qd]),
            (
                "diabetic-peripheral-neuropathy",
                60.0,
                150.0,
                300.0,
                vec![Tid],
            ),
            (
                "diabetic-peripheral-neuropathy",
                59.9,
                75.0,
                150.0,
                vec![Tid],
            ),
            (
                "diabetic-peripheral-neuropathy",
                15.0,
                25.0,
                75.0,
                vec![Qd, Bid],
            ),
            ("diabetic-peripheral-neuropathy", 0.0, 25.0, 50.0, vec![Qd]),
        ];
        for (indication, crcl, min, max, freqs) in cases {
            let (lo, hi, f, _) = range("pregabalin", indication, crcl, false);
            assert_eq!(
                (lo, hi, f),
                (min, max, freqs),
                "{indication} at CrCl {crcl}"
            );
        }
        // Haemodialysis: one supplement after each session, by the once-daily regimen.
        let (_, _, _, supplements) = range("pregabalin", "fibromyalgia", 10.0, true);
        assert_eq!(supplements, [25.0, 50.0, 75.0, 100.0, 150.0]);
    }

    #[test]
    fn gabapentin_label_renal_table_band_by_band() {
        use Frequency::*;
        // US Neurontin label Table 1: ≥60 900–3600 TID; >30–59 400–1400 BID; >15–29 200–700 QD;
        // 15: 100–300 QD, reduced in proportion below 15 (7.5 mL/min: half); post-HD 125–350 mg.
        let cases = [
            (90.0, 900.0, 3600.0, vec![Tid]),
            (45.0, 400.0, 1400.0, vec![Bid]),
            (20.0, 200.0, 700.0, vec![Qd]),
            (
                14.999,
                100.0 * 14.999 / 15.0,
                300.0 * 14.999 / 15.0,
                vec![Qd],
            ),
            (7.5, 50.0, 150.0, vec![Qd]),
        ];
        for (crcl, min, max, freqs) in cases {
            let (lo, hi, f, _) = range("gabapentin", "postherpetic-neuralgia", crcl, false);
            assert!(
                (lo - min).abs() < 1e-9 && (hi - max).abs() < 1e-9,
                "CrCl {crcl}: {lo}–{hi}"
            );
            assert_eq!(f, freqs, "CrCl {crcl}");
        }
        let (_, _, _, supplements) = range("gabapentin", "postherpetic-neuralgia", 15.0, true);
        assert_eq!(supplements, [125.0, 150.0, 200.0, 250.0, 350.0]);
    }

    #[test]
    fn products_with_their_own_tables() {
        // Lyrica CR: 165–660 at ≥ 60 for PHN; not below CrCl 30.
        let cr = dose_range(
            kb(),
            "pregabalin",
            Some("lyrica-cr"),
            Some("postherpetic-neuralgia"),
            Kidneys {
                crcl_ml_min: Some(45.0),
                hemodialysis: false,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (cr.min_daily_mg, cr.max_daily_mg),
            (Some(82.5), Some(330.0))
        );
        let low = dose_range(
            kb(),
            "pregabalin",
            Some("lyrica-cr"),
            Some("postherpetic-neuralgia"),
            Kidneys {
                crcl_ml_min: Some(20.0),
                hemodialysis: false,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(low.avoid && low.max_daily_mg.is_none());
        // Gralise is not used below CrCl 30.
        let gralise = dose_range(
            kb(),
            "gabapentin",
            Some("gralise"),
            Some("postherpetic-neuralgia"),
            Kidneys {
                crcl_ml_min: Some(25.0),
                hemodialysis: false,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(gralise.avoid);
    }

    #[test]
    fn no_guessing() {
        assert!(matches!(
            dose_range(kb(), "pregabalin", None, None, Kidneys::default()),
            Err(RangeError::WhichIndication { .. })
        ));
        assert!(matches!(
            dose_range(
                kb(),
                "pregabalin",
                None,
                Some("insomnia"),
                Kidneys::default()
            ),
            Err(RangeError::NoIndication { .. })
        ));
        assert!(matches!(
            dose_range(
                kb(),
                "pregabalin",
                None,
                Some("fibromyalgia"),
                Kidneys {
                    crcl_ml_min: Some(-3.0),
                    hemodialysis: false
                }
            ),
            Err(RangeError::Crcl(_))
        ));
    }
}
