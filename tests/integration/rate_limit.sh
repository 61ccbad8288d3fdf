#!/usr/bin/env bash
# --rate N/s caps the write rate: 3000 keys at 1000/s cannot finish in less than ~2.5 s
# (a lower bound only: a loaded machine may always be slower).
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "rl:{i}"
    with: {i: "1..3000"}
    value: {text: "v"}
EOF

start=$(now_ms)
expect_exit 0 cw run "$T/m.yaml" --rate 1000/s --batch 50
elapsed=$(($(now_ms) - start))
expect_ge "$elapsed" 2500 "wall-clock ms for 3000 keys at --rate 1000/s"
expect_ge "$(jget "$T/out.json" '.duration_ms | floor')" 2500 "report duration_ms"
expect_eq "$(dbsize)" 3000 "DBSIZE"
expect_json "$T/out.json" .totals.written 3000

# A rate in the manifest (per minute) is honoured too: 120/m for 5 keys after a small burst
# still takes at least a second.
cat >"$T/m2.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
defaults: {rate: 120/m}
groups:
  - name: g
    keys: [m1, m2, m3, m4, m5, m6]
    value: {text: "v"}
EOF
start=$(now_ms)
expect_exit 0 cw run "$T/m2.yaml" --batch 1 --concurrency 1
elapsed=$(($(now_ms) - start))
expect_ge "$elapsed" 1000 "wall-clock ms for 6 keys at rate 120/m (2/s)"
expect_eq "$(dbsize)" 3006 "DBSIZE after the second run"
