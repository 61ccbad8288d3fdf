#!/usr/bin/env bash
# only_missing: keys that already exist (of any type) are left untouched, value and TTL, and
# counted as skipped; a second run skips everything.
source "$(dirname "$0")/lib.sh"

start_redis
rcli set k1 live-value EX 500 >/dev/null
rcli rpush k3 a b c >/dev/null

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: config
    keys: [k1, k2, k3, k4]
    only_missing: true
    ttl: 1h
    value: {text: "warm-{key}"}
EOF

expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json
expect_eq "$(rcli get k1)" live-value "pre-existing k1 untouched"
expect_le "$(rcli ttl k1)" 500 "pre-existing k1 keeps its TTL"
expect_eq "$(rcli lrange k3 0 -1 | paste -sd ,)" a,b,c "pre-existing list k3 untouched"
expect_eq "$(rcli get k2)" warm-k2 "missing k2 written"
expect_eq "$(rcli get k4)" warm-k4 "missing k4 written"
expect_ge "$(rcli ttl k2)" 3590 "k2 gets the group TTL"
expect_eq "$(dbsize)" 4 "DBSIZE"

expect_json "$r" .status ok
expect_json "$r" .totals.planned 4
expect_json "$r" .totals.written 2
expect_json "$r" .totals.skipped 2
expect_json "$r" .totals.failed 0
expect_report_invariant "$r"

# Everything exists now: a second run writes nothing and still exits 0.
rcli set k2 changed-by-traffic >/dev/null
expect_exit 0 cw run "$T/m.yaml"
expect_json "$T/out.json" .totals.written 0
expect_json "$T/out.json" .totals.skipped 4
expect_eq "$(rcli get k2)" changed-by-traffic "k2 untouched on the second run"
