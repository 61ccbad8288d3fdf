#!/usr/bin/env bash
# -g GROUP (repeatable) runs only the named groups; an unknown group is a usage error (exit 2,
# nothing written).
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: alpha
    pattern: "a:{i}"
    with: {i: "1..3"}
    value: {text: "a"}
  - name: beta
    pattern: "b:{i}"
    with: {i: "1..5"}
    value: {text: "b"}
  - name: gamma
    keys: [c:1]
    value: {text: "c"}
EOF

expect_exit 0 cw run "$T/m.yaml" -g beta
expect_eq "$(scan_keys | paste -sd ' ')" "b:1 b:2 b:3 b:4 b:5" "only beta's keys"
expect_json "$T/out.json" '[.groups[] | select(.ran) | .name] | join(",")' beta
expect_json "$T/out.json" .totals.planned 5
expect_json "$T/out.json" .totals.written 5

rcli flushall >/dev/null
expect_exit 0 cw run "$T/m.yaml" --group gamma -g alpha
expect_eq "$(scan_keys | paste -sd ' ')" "a:1 a:2 a:3 c:1" "alpha's and gamma's keys"
expect_json "$T/out.json" '[.groups[] | select(.ran) | .name] | sort | join(",")' alpha,gamma
expect_json "$T/out.json" .totals.written 4

rcli flushall >/dev/null
expect_exit 2 cw run "$T/m.yaml" -g nosuchgroup
expect_contains "$(cat "$T/err.txt")" nosuchgroup "the unknown group is named"
expect_eq "$(cat "$T/out.json")" "" "no report for a usage error"
expect_eq "$(dbsize)" 0 "nothing written for an unknown group"

expect_exit 2 cw run "$T/m.yaml" -g beta -g nosuchgroup
expect_eq "$(dbsize)" 0 "nothing written when one of several groups is unknown"
