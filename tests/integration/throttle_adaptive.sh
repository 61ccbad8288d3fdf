#!/usr/bin/env bash
# `rate: auto` and `throttle:` against a real redis-server: every key is written, the report
# carries what the throttle did (idle probe baseline, limit, intervals judged, rates), a numeric
# rate caps the adaptive rate, and a server near its maxmemory makes it back off (memory or
# eviction strain) while the keys still get written.
source "$(dirname "$0")/lib.sh"

# --- A healthy server: rate auto writes everything and reports its throttle. ---------------------
start_redis
keys=6000
cat >"$T/auto.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: auto
    pattern: "auto:{i}"
    with: {i: "1..${keys}"}
    value: {text: "value-{i}"}
    rate: auto
EOF
expect_exit 0 cw run "$T/auto.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.written "$keys"
expect_eq "$(dbsize)" "$keys" "DBSIZE after rate: auto"
t='.groups[0].targets[0].throttle'
expect_json "$r" "$t | type" object
expect_json "$r" "$t.probe_ms.idle > 0" true
# The probe limit is twice the idle p90, never under the 0.1 ms floor.
expect_json "$r" "$t.probe_ms.limit >= 0.1" true
expect_json "$r" "$t.probe_ms.limit >= 2 * $t.probe_ms.idle - 0.002" true
expect_json "$r" "$t.rate.min >= 500" true
expect_json "$r" "$t.rate.max >= $t.rate.min" true
expect_json "$r" "$t.intervals >= 1" true
expect_json "$r" "$t.intervals >= ($t.backoffs | add)" true
expect_json "$r" '.groups[0].targets[0].batch_latency_ms.p50 > 0' true
# --rate unlimited on the command line replaces rate: auto: no throttle, none reported.
expect_exit 0 cw run "$T/auto.yaml" --progress never --rate unlimited
expect_json "$T/out.json" '.groups[0].targets[0] | has("throttle")' false
rcli flushall >/dev/null

# --- A numeric rate with a throttle is its ceiling. ----------------------------------------------
cat >"$T/capped.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: capped
    pattern: "capped:{i}"
    with: {i: "1..3000"}
    value: {text: "v{i}"}
    rate: 2000/s
    throttle: {max_latency: 50ms, min_rate: 100/s}
EOF
expect_exit 0 cw run "$T/capped.yaml" --progress never
r=$T/out.json
expect_json "$r" .totals.written 3000
expect_json "$r" "$t.rate.max <= 2000" true
expect_json "$r" "$t.rate.min >= 100" true
expect_eq "$(dbsize)" 3000 "DBSIZE after the capped run"

# --- The command line: --rate auto throttles a group whose manifest has no throttle. -------------
cat >"$T/plain.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: plain
    pattern: "plain:{i}"
    with: {i: "1..3000"}
    value: {text: "p{i}"}
EOF
rcli flushall >/dev/null
expect_exit 0 cw run "$T/plain.yaml" --progress never
expect_json "$T/out.json" '.groups[0].targets[0] | has("throttle")' false
rcli flushall >/dev/null
expect_exit 0 cw run "$T/plain.yaml" --progress never --rate auto
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.written 3000
expect_eq "$(dbsize)" 3000 "DBSIZE after --rate auto"
expect_eq "$(rcli get plain:3000)" p3000 "GET plain:3000"
expect_json "$r" "$t | type" object
expect_json "$r" "$t.probe_ms.idle > 0" true
expect_json "$r" "$t.intervals >= 1" true
# The throttle's defaults (min_rate 500/s, no ceiling): it starts at 5000 keys/s.
expect_json "$r" "$t.rate.min >= 500" true
expect_json "$r" "$t.rate.max >= 5000" true

# --- A server near maxmemory: the throttle backs off (memory / evictions), keys still written. ---
cw_stop_pid "$REDIS_PID"
start_redis --maxmemory 2mb --maxmemory-policy allkeys-lru
cat >"$T/full.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: full
    pattern: "full:{i}"
    with: {i: "1..20000"}
    value: {text: "{i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
    throttle: {max_memory: 50%, min_rate: 2000/s}
EOF
expect_exit 0 cw run "$T/full.yaml" --progress never
r=$T/out.json
expect_json "$r" .totals.written 20000
expect_json "$r" "($t.backoffs.memory + $t.backoffs.evictions) >= 1" true
# Backing off took the rate down to (or toward) its floor at least once.
expect_json "$r" "$t.rate.min < 5000" true
expect_json "$r" "$t.rate.min >= 2000" true
evicted=$(rcli info stats | tr -d '\r' | sed -n 's/^evicted_keys://p')
expect_ge "$evicted" 1 "allkeys-lru evicted keys (20000 keys do not fit in 2mb)"
