//! Plans are computed, not searched: titration, taper and switch, each one plan per iteration,
//! on the content compiled into the knowledge base. Target ≤ 50 µs per plan (issue 4).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use painrx_engine::range::Kidneys;
use painrx_engine::schedule::{
    switch, taper, taper_via_diazepam, titrate, TaperPace, TitrateOptions,
};
use painrx_kb::vocab::Frequency;
use painrx_kb::Kb;

fn plans(c: &mut Criterion) {
    let kb = match Kb::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")) {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("cannot load content: {e}");
            return;
        }
    };
    let renal = Kidneys {
        crcl_ml_min: Some(45.0),
        hemodialysis: false,
    };
    c.bench_function("titrate gabapentin PHN (label steps + increments)", |b| {
        let options = TitrateOptions {
            indication: Some("postherpetic-neuralgia"),
            ..Default::default()
        };
        b.iter(|| titrate(black_box(&kb), "gabapentin", black_box(&options)))
    });
    c.bench_function("titrate pregabalin fibromyalgia, CrCl 45", |b| {
        let options = TitrateOptions {
            indication: Some("fibromyalgia"),
            kidneys: renal,
            ..Default::default()
        };
        b.iter(|| titrate(black_box(&kb), "pregabalin", black_box(&options)))
    });
    c.bench_function("taper gabapentin 600 mg TID standard", |b| {
        b.iter(|| {
            taper(
                black_box(&kb),
                "gabapentin",
                None,
                black_box(600.0),
                Some(Frequency::Tid),
                &TaperPace::Standard,
            )
        })
    });
    c.bench_function(
        "taper lorazepam 1 mg TID standard (liquid steps, ~19 steps)",
        |b| {
            b.iter(|| {
                taper(
                    black_box(&kb),
                    "lorazepam",
                    None,
                    black_box(1.0),
                    Some(Frequency::Tid),
                    &TaperPace::Standard,
                )
            })
        },
    );
    c.bench_function("taper alprazolam 1 mg TID via diazepam (~30 steps)", |b| {
        b.iter(|| {
            taper_via_diazepam(
                black_box(&kb),
                "alprazolam",
                None,
                black_box(1.0),
                Some(Frequency::Tid),
                &TaperPace::Standard,
            )
        })
    });
    c.bench_function("switch gabapentin 600 mg TID to pregabalin", |b| {
        b.iter(|| {
            switch(
                black_box(&kb),
                "gabapentin",
                black_box(600.0),
                Some(Frequency::Tid),
                "pregabalin",
                Kidneys::default(),
            )
        })
    });
}

criterion_group!(benches, plans);
criterion_main!(benches);
