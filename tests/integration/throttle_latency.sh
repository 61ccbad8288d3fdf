#!/usr/bin/env bash
# The adaptive throttle backs off when the real server gets slow: while a throttled group writes,
# another client makes the server sleep (DEBUG SLEEP) 30 ms out of every 60 ms for about a
# second, so the probe's PINGs and the writes' round trips wait up to 30 ms. The report's
# throttle shows it: back-offs for latency or probe strain, a rate that fell below its 5000 keys/s
# start (never below min_rate), and the probe's and writes' p99 near the sleeps. Every key is
# written.
# (The writer thread runs at SCHED_IDLE: on a busy machine the run takes longer, not less strain.)
source "$(dirname "$0")/lib.sh"

keys=3000
start_redis --enable-debug-command yes
cat >"$T/m.yaml" <<EOF2
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "tl:{i}"
    with: {i: "1..${keys}"}
    value: {text: "v{i}"}
    throttle: {max_latency: 5ms, min_rate: 2000/s}
EOF2

expect_eq "$(rcli debug sleep 0)" OK "DEBUG is enabled"
"$CACHEWARM" run "$T/m.yaml" --progress never >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"
# The sleeper starts once keys arrive: the idle baseline (the probe's PINGs before any write) is
# taken on a quiet server, so the sleeps strain the intervals judged while writing.
for ((i = 0; i < 200; i++)); do
  (($(dbsize) > 0)) && break
  sleep 0.01
done
expect_ge "$(dbsize)" 1 "keys arrive"
# 20 sleeps of 30 ms, 30 ms apart: about 1.2 s of strain, then the server is quiet again.
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -r 20 -i 0.03 debug sleep 0.03 >/dev/null 2>&1 &
sleeper=$!
on_exit "kill $sleeper 2>/dev/null; wait $sleeper 2>/dev/null"
rc=0
wait "$cw_pid" || rc=$?
kill "$sleeper" 2>/dev/null || true # done already, unless the run was quicker
wait "$sleeper" 2>/dev/null || true
if ((rc != 0)); then
  _cw_dump_output
  fail "cachewarm exited $rc (expected 0)"
fi

r=$T/out.json
t='.groups[0].targets[0].throttle'
expect_json "$r" .status ok
expect_json "$r" .totals.written "$keys"
expect_eq "$(dbsize)" "$keys" "DBSIZE"
expect_eq "$(rcli get "tl:$keys")" "v$keys" "GET the last key"
expect_json "$r" "$t.intervals >= 1" true
expect_json "$r" "($t.backoffs.latency + $t.backoffs.probe) >= 1" true
expect_json "$r" "$t.backoffs.memory" 0
expect_json "$r" "$t.backoffs.evictions" 0
expect_json "$r" "$t.rate.min < 5000" true
expect_json "$r" "$t.rate.min >= 2000" true
expect_json "$r" "$t.rate.final >= 2000" true
# The probe (normal CPU priority) saw the 30 ms sleeps. (Not checked against its limit: on a
# busy machine the idle baseline is noisy, and the limit with it.)
expect_json "$r" "$t.probe_ms.p99 >= 15" true
# The writes' own round trips saw the sleeps too.
expect_json "$r" '.groups[0].targets[0].batch_latency_ms.p99 >= 15' true
