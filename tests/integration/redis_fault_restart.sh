#!/usr/bin/env bash
# The server is SIGKILLed mid-run and restarted on the same port a second later: the workers
# reconnect (backoff within the reconnect budget), resend every unacknowledged entry, and the run
# ends with exit 0 and every key in Redis. The server keeps an fsync-always AOF, so whatever it
# acknowledged before the crash survives the SIGKILL; what it did not acknowledge is resent.
source "$(dirname "$0")/lib.sh"

keys=500000
# restart_redis (lib.sh) starts it again with these arguments.
start_redis --appendonly yes --appendfsync always
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "fr:{i}"
    with: {i: "1..${keys}"}
    value: {text: "v-{i}"}
    rate: 100000/s
    batch: 500
    concurrency: 4
EOF

start=$(now_ms)
timeout --kill-after=5 120 "$CACHEWARM" run "$T/m.yaml" >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

sleep 1.5
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the crash (after $(($(now_ms) - start)) ms)"
before=$(dbsize)
kill_redis
sleep 1
restart_redis
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended while the server was down"

rc=0
wait "$cw_pid" || rc=$?
elapsed=$(($(now_ms) - start))
echo "keys before the crash: $before; run took $elapsed ms" >&2
if ((rc != 0)); then
  _cw_dump_output
  fail "cachewarm exited $rc (expected 0)"
fi
expect_ge "$before" 1 "keys were written before the crash"
expect_le "$before" $((keys - 1)) "the crash came before the run ended"

r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_contains "$(cat "$T/err.txt")" "connection lost" "a worker logged the lost connection"

expect_eq "$(dbsize)" "$keys" "DBSIZE after the restart"
for _ in $(seq 1 20); do
  i=$((1 + (RANDOM * 32768 + RANDOM) % keys))
  expect_eq "$(rcli get "fr:$i")" "v-$i" "value of fr:$i"
done
expect_eq "$(rcli get "fr:1")" "v-1" "value of the first key"
expect_eq "$(rcli get "fr:$keys")" "v-$keys" "value of the last key"
