#!/usr/bin/env bash
# Issue 4 speed: titration, taper and switch plans per iteration (criterion, release build).
# Target: ≤ 50 µs per plan. Prints criterion's estimates.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p painrx-engine --bench plans -- --noplot "$@" 2>&1 | grep -E "^(titrate|taper|switch)|time:"
