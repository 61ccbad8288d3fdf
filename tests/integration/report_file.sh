#!/usr/bin/env bash
# --report FILE writes the same JSON document that goes to stdout.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "r:{i}"
    with: {i: "1..40"}
    value: {text: "v"}
EOF

expect_exit 0 cw run "$T/m.yaml" --report "$T/report.json"
[[ -s "$T/report.json" ]] || fail "--report did not write $T/report.json"
jq -e . "$T/report.json" >/dev/null || fail "$T/report.json is not JSON"
expect_eq "$(jq -S . "$T/report.json")" "$(jq -S . "$T/out.json")" "--report FILE equals stdout"
expect_json "$T/report.json" .totals.written 40
expect_eq "$(dbsize)" 40 "DBSIZE"

# An existing file is replaced, and the report still goes to both when the target is down.
port=$(closed_port)
sed "s/127.0.0.1:${REDIS_PORT}/127.0.0.1:${port}/" "$T/m.yaml" >"$T/down.yaml"
expect_exit 3 cw run "$T/down.yaml" --report "$T/report.json"
expect_json "$T/report.json" .status failed
expect_eq "$(jq -S . "$T/report.json")" "$(jq -S . "$T/out.json")" "--report FILE equals stdout on failure"
