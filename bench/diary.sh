#!/usr/bin/env bash
# Issue 5 speed: two years of daily entries on SQLite — report with chart (target ≤ 50 ms) and a
# page of entries (target ≤ 5 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p painrx-store --bench diary -- --noplot "$@" 2>&1 | grep -E "^diary|time:"
