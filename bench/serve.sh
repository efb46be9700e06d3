#!/usr/bin/env bash
# Issue 6 speed and memory: painrx serve's resident memory with everything loaded, and
# POST /api/v1/check throughput against a bare axum JSON endpoint (crates/painrx-server/examples/bare.rs),
# both with wrk on loopback, in one run. Prints the ratio (target ≥ 60 %) and the RSS (target < 64 MB).
# A second peer answers painrx's own check response (same bytes), to separate the cost of the
# clinical work from the cost of serialising and sending a 12 KB answer.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
cargo build --release -q --bin painrx -p painrx-cli
cargo build --release -q --example bare -p painrx-server
data=$(mktemp -d)
target/release/painrx --data-dir "$data" serve --addr 127.0.0.1:18090 > /dev/null 2>&1 &
painrx_pid=$!
trap 'kill $painrx_pid ${bare_pid:-} 2>/dev/null || true; rm -rf "$data"' EXIT
sleep 2
body='{"medications":["pregabalin","oxycodone 20 mg q6h","lorazepam","amitriptyline"],"age":72}'
# painrx's own answer, for the size-matched peer.
curl -sf -X POST -H 'Content-Type: application/json' -d "$body" http://127.0.0.1:18090/api/v1/check > "$data/answer.json"
target/release/examples/bare 127.0.0.1:18091 "$data/answer.json" &
bare_pid=$!
sleep 1
cat > "$data/check.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA
run() { wrk -t2 -c32 -d10s -s "$data/check.lua" "$1" | awk '/Requests\/sec/ {print $2}'; }
ours=$(run http://127.0.0.1:18090/api/v1/check)
peer=$(run http://127.0.0.1:18091/echo)
sized=$(run http://127.0.0.1:18091/sized)
# A short list whose answer is small, so the bare echo is a like-for-like peer.
small='{"medications":["gabapentin 300 mg tid"],"age":50}'
cat > "$data/small.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$small'
LUA
small_bytes=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$small" http://127.0.0.1:18090/api/v1/check | wc -c)
ours_small=$(wrk -t2 -c32 -d10s -s "$data/small.lua" http://127.0.0.1:18090/api/v1/check | awk '/Requests\/sec/ {print $2}')
rss=$(awk '/VmRSS/ {print $2}' /proc/$painrx_pid/status)
echo "painrx POST /api/v1/check: $ours req/s; bare axum JSON endpoint: $peer req/s"
python3 -c "print(f'ratio: {float($ours)/float($peer)*100:.0f} % of the bare echo endpoint (target ≥ 60 %)')"
echo "bare axum endpoint answering painrx's own $(wc -c < "$data/answer.json")-byte answer: $sized req/s"
python3 -c "print(f'ratio: {float($ours)/float($sized)*100:.0f} % of the size-matched bare endpoint')"
echo "painrx serve resident memory after the run: $((rss / 1024)) MB (target < 64 MB)"
echo "painrx POST /api/v1/check, one drug (${small_bytes}-byte answer): $ours_small req/s"
python3 -c "print(f'ratio: {float($ours_small)/float($peer)*100:.0f} % of the bare echo endpoint (target ≥ 60 %)')"
