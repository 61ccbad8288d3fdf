#!/usr/bin/env bash
# Error replies are per-key failures, counted by kind, never dropped: OOM from a full server and
# READONLY from a replica end the run with exit 1 (not 3), and "written" equals what landed.
source "$(dirname "$0")/lib.sh"

# A server with a tiny memory limit and no eviction: the first keys fit, the rest get -OOM.
start_redis --maxmemory 3mb --maxmemory-policy noeviction
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "oom:{i}"
    with: {i: "1..20000"}
    value: {text: "{i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
EOF
expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json
expect_json "$r" .status partial
expect_report_invariant "$r"
failed=$(jget "$r" .totals.failed)
expect_ge "$failed" 1 "keys failed with OOM"
expect_json "$r" '.groups[0].errors[] | select(.kind == "oom") | .count' "$failed"
expect_json "$r" '.groups[0].errors[] | select(.kind == "oom") | .samples | length > 0' true
expect_eq "$(dbsize)" "$(jget "$r" .totals.written)" "DBSIZE equals the report's written"

# A replica of a master that is down: every write gets -READONLY.
port=$(closed_port)
start_redis --replicaof 127.0.0.1 "$port"
sed "s/127.0.0.1:[0-9]*\//127.0.0.1:${REDIS_PORT}\//" "$T/m.yaml" >"$T/ro.yaml"
sed -i 's/1\.\.20000/1..10/' "$T/ro.yaml"
expect_exit 1 cw run "$T/ro.yaml"
expect_json "$T/out.json" .totals.failed 10
expect_json "$T/out.json" '.groups[0].errors[] | select(.kind == "readonly") | .count' 10
expect_eq "$(dbsize)" 0 "nothing written to the read-only replica"
