#!/usr/bin/env bash
# Fuzz painrx's parsers and request types (fuzz/README.md lists the targets).
#
#   scripts/fuzz.sh [TARGET] [SECONDS]    one target, or all of them one after the other
#                                          (default: all, 600 seconds each)
#
# Installs cargo-fuzz if it is missing. Only a stable toolchain is needed: RUSTC_BOOTSTRAP=1 lets
# stable accept the -Z flags cargo-fuzz passes. SANITIZER=none if AddressSanitizer does not link
# (default: address). Each run starts from the committed corpus (fuzz/corpus/TARGET, seeded from
# the repository by fuzz/seed.py when empty), grows it in fuzz/corpus-run/TARGET (not committed),
# leaves crashes and slow inputs in fuzz/artifacts/TARGET/ and the run's output in
# fuzz/logs/TARGET.log. `cargo fuzz cmin` then shrinks a corpus before
# it is committed (see fuzz/README.md). CARGO_TARGET_DIR and CARGO_BUILD_JOBS are honoured.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET="${1:-all}"
SECONDS_EACH="${2:-600}"
SANITIZER="${SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

cd fuzz
TARGETS=$(cargo fuzz list)
if [ "$TARGET" != all ] && ! grep -qx "$TARGET" <<<"$TARGETS"; then
  echo "scripts/fuzz.sh: unknown target \`$TARGET\`; the targets are:" $TARGETS >&2
  exit 2
fi

# The longest input worth trying: files for the loaders and importers, lines for the rest.
max_len() {
  case "$1" in
    names | dose_line) echo 4096 ;;
    *) echo 65536 ;;
  esac
}

run() {
  local target="$1"
  if [ -z "$(ls -A "corpus/$target" 2>/dev/null)" ]; then
    python3 seed.py corpus >/dev/null
  fi
  mkdir -p "corpus-run/$target"
  echo "scripts/fuzz.sh: $target for ${SECONDS_EACH}s" >&2
  cargo fuzz run --sanitizer "$SANITIZER" "$target" "corpus-run/$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$target")" -timeout=10 -report_slow_units=1 \
    -rss_limit_mb=4096 -jobs=1 -workers=1 -print_final_stats=1
  # With -jobs libFuzzer writes the run's output to fuzz-0.log; keep it by target.
  mkdir -p logs
  if [ -f fuzz-0.log ]; then mv fuzz-0.log "logs/$target.log"; fi
  grep -E '^(stat::|Done)' "logs/$target.log" >&2 || true
}

if [ "$TARGET" = all ]; then
  for t in $TARGETS; do run "$t"; done
else
  run "$TARGET"
fi
