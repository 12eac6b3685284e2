#!/usr/bin/env bash
# Runs the A2A TCK against examples/a2a-tck-agent and holds its failures to
# a2a-protocol/tck-baseline.txt strictly: a failure not listed there, or a listed one that
# now passes, fails this script.
#
#   bash a2a-protocol/scripts/tck.sh /path/to/a2a-tck   # a checkout of branch 1.0-dev with its venv
#
# The TCK is not on a package registry and none of its code is committed here, so CI cannot
# run this; run it by hand after protocol changes and update the baseline with the reason.
set -euo pipefail
tck="${1:?path to an a2a-tck checkout (branch 1.0-dev)}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
port="${A2A_TCK_PORT:-9999}"
python="${TCK_PYTHON:-$tck/.venv/bin/python}"
baseline="$repo/a2a-protocol/tck-baseline.txt"

cargo build --quiet -p a2a-tck-agent --manifest-path "$repo/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/a2a-tck-agent"
"$bin" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
agent=$!
trap 'kill $agent 2>/dev/null' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

failed=$(mktemp)
for level in must should; do
  (cd "$tck" && "$python" run_tck.py --sut-host "http://127.0.0.1:$port" --transport jsonrpc,http_json --level "$level" -- -rfEx) \
    > "$failed.$level.log" 2>&1 || true
  grep -E "^(FAILED|XFAIL) tests/" "$failed.$level.log" | awk '{print $2}' >> "$failed" || true
  grep -E '[0-9]+ (passed|failed)' "$failed.$level.log" | tail -n 1 | sed "s/^/$level: /"
done
sort -u "$failed" -o "$failed"
expected=$(mktemp)
grep -v '^#' "$baseline" | awk 'NF {print $1}' | sort -u > "$expected"
if diff -u "$expected" "$failed"; then
  echo "TCK failures match the baseline ($(wc -l < "$expected") known TCK-side failures)"
else
  echo "TCK failures differ from $baseline (- fixed, + new): update the code or the baseline" >&2
  exit 1
fi
