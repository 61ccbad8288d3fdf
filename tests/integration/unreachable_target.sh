#!/usr/bin/env bash
# Nothing listening on the target's port: exit 3 within seconds (bounded retries), and a report
# with status "failed", a top-level error, and nothing counted as written.
source "$(dirname "$0")/lib.sh"

port=$(closed_port)
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://127.0.0.1:${port}/0"}
groups:
  - name: g
    pattern: "k:{i}"
    with: {i: "1..1000"}
    value: {text: "v"}
EOF

start=$(now_ms)
expect_exit 3 cw run "$T/m.yaml"
elapsed=$(($(now_ms) - start))
expect_le "$elapsed" 30000 "exit 3 comes quickly for a refused connection (ms)"

r=$T/out.json
expect_json "$r" .status failed
expect_json "$r" '.error | type' string
expect_json "$r" '.error | length > 0' true
expect_json "$r" .totals.written 0
expect_report_invariant "$r"
# The message says which target (by name or address).
msg="$(jget "$r" .error) $(cat "$T/err.txt")"
if [[ "$msg" != *main* && "$msg" != *"$port"* ]]; then
  fail "neither the report's error nor stderr names target main or port $port: $msg"
fi
