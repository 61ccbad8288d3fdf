#!/usr/bin/env bash
# Another client runs a ~2 s Lua busy loop while cachewarm writes: after busy-reply-threshold
# (100 ms) the server answers -BUSY. cachewarm waits (backoff within the reconnect budget),
# resends only the entries that got -BUSY, and finishes with every key written (exit 0).
source "$(dirname "$0")/lib.sh"

keys=150000
start_redis --busy-reply-threshold 100
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "busy:{i}"
    with: {i: "1..${keys}"}
    value: {text: "v-{i}"}
    rate: 30000/s
    batch: 500
    concurrency: 4
EOF

# Ends by itself after 2 s of server time (no SCRIPT KILL needed); the iteration cap is a safety.
busy_script="local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] local n = 0
while true do
  local now = redis.call('TIME')
  n = n + 1
  if now[1] * 1000000 + now[2] - start >= 2000000 or n > 100000000 then return n end
end"

timeout --kill-after=5 120 "$CACHEWARM" run "$T/m.yaml" >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

sleep 1
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the busy script"
before=$(dbsize)
busy_start=$(now_ms)
rcli eval "$busy_script" 0 >"$T/busy.txt" 2>&1 || fail "the busy script failed: $(cat "$T/busy.txt")"
busy_ms=$(($(now_ms) - busy_start))
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended during the busy script"

rc=0
wait "$cw_pid" || rc=$?
echo "keys before the busy script: $before; it ran $busy_ms ms" >&2
if ((rc != 0)); then
  _cw_dump_output
  fail "cachewarm exited $rc (expected 0)"
fi
expect_ge "$before" 1 "keys were written before the busy script"
expect_ge "$busy_ms" 1900 "the busy script ran about 2 s"

r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_contains "$(cat "$T/err.txt")" "busy replies" "a worker logged the -BUSY replies it waited out"
expect_eq "$(dbsize)" "$keys" "DBSIZE"
for _ in $(seq 1 20); do
  i=$((1 + (RANDOM * 32768 + RANDOM) % keys))
  expect_eq "$(rcli get "busy:$i")" "v-$i" "value of busy:$i"
done
