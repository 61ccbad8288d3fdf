#!/usr/bin/env bash
# A full server (maxmemory 2mb, noeviction) answers -OOM: those keys fail at once with kind "oom"
# (not retried, unlike -BUSY), the run ends quickly with exit 1, and every planned key is counted.
source "$(dirname "$0")/lib.sh"

keys=40000
start_redis --maxmemory 2mb --maxmemory-policy noeviction
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "oom:{i}"
    with: {i: "1..${keys}"}
    value: {text: "{i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
    batch: 500
    concurrency: 4
EOF

start=$(now_ms)
expect_exit 1 cw run "$T/m.yaml"
elapsed=$(($(now_ms) - start))
expect_le "$elapsed" 10000 "ms for the run (OOM is not retried)"

r=$T/out.json
expect_json "$r" .status partial
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" '.totals.written + .totals.failed' "$keys"
failed=$(jget "$r" .totals.failed)
expect_ge "$failed" $((keys / 2)) "most keys do not fit in 2mb"
expect_json "$r" '.groups[0].errors[] | select(.kind == "oom") | .count' "$failed"
expect_json "$r" '[.groups[0].errors[] | select(.kind != "oom")] | length' 0
expect_not_contains "$(cat "$T/err.txt")" "resending" "OOM replies are not resent"
expect_eq "$(dbsize)" "$(jget "$r" .totals.written)" "DBSIZE equals the report's written"
