#!/usr/bin/env bash
# The server is killed mid-run and never comes back: each worker keeps reconnecting for the
# target's reconnect_budget (3s here), then gives up. The run exits 3 soon after the budget,
# the report says "failed" with an error naming the target, and every planned key is counted.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)", reconnect_budget: 3s}
groups:
  - name: g
    pattern: "nr:{i}"
    with: {i: "1..200000"}
    value: {text: "v-{i}"}
    rate: 20000/s
    batch: 500
    concurrency: 4
EOF

start=$(now_ms)
timeout --kill-after=5 60 "$CACHEWARM" run "$T/m.yaml" >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

sleep 1
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the crash"
kill -9 "$REDIS_PID"
killed=$(now_ms)

rc=0
wait "$cw_pid" || rc=$?
done_ms=$(now_ms)
echo "run took $((done_ms - start)) ms, $((done_ms - killed)) ms after the kill" >&2
if ((rc != 3)); then
  _cw_dump_output
  fail "cachewarm exited $rc (expected 3)"
fi
expect_ge $((done_ms - killed)) 2500 "ms from the kill to exit (the 3s budget is spent first)"
expect_le $((done_ms - killed)) 15000 "ms from the kill to exit"

r=$T/out.json
expect_json "$r" .status failed
expect_report_invariant "$r"
expect_json "$r" '.totals.failed > 0' true
expect_json "$r" '.totals.written < 200000' true
error=$(jget "$r" .error)
expect_contains "$error" "target main (redis://127.0.0.1:${REDIS_PORT}/0)" "the error names the target"
expect_contains "$error" "connection lost" "the error says what happened"
expect_contains "$error" "gave up after 3s" "the error gives the budget"
expect_json "$r" '.groups[0].errors[] | select(.kind == "target_unreachable") | .count > 0' true
