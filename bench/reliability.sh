#!/usr/bin/env bash
# Issue 13 reliability runs, each one command (docs/RELIABILITY.md has the latest figures):
#   bench/reliability.sh kill9 --db sqlite     kill -9 during concurrent diary writes
#   bench/reliability.sh kill9 --db postgres
#   bench/reliability.sh outage                PostgreSQL outage under load: 503, then recovery
#   bench/reliability.sh dos                   denial-of-service suite: p99 and peak RSS
#   bench/reliability.sh load                  concurrency 16 and 64, non-2xx, ratio to bare axum
#   bench/reliability.sh                       all of the above, in that order
# Builds the release binary (and the bare axum peer) first; exits non-zero when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p painrx-cli --bin painrx
cargo build --release -q -p painrx-server --example bare
if [ $# -gt 0 ]; then
    [ "$1" = load ] && ! command -v wrk >/dev/null && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
    exec python3 bench/reliability.py "$@"
fi
command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
status=0
for run in "kill9 --db sqlite" "kill9 --db postgres" outage dos load; do
    echo "== $run"
    # shellcheck disable=SC2086
    python3 bench/reliability.py $run || status=1
done
exit $status
