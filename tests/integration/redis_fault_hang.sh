#!/usr/bin/env bash
# A server that hangs instead of dying (SIGSTOP mid-run: it still accepts TCP connections, into
# its backlog, but answers nothing): each worker's pending reply times out after the target's
# `timeout` (500ms here), its reconnects (connect, then PING) time out the same way until the
# `reconnect_budget` (1s) is spent, and the run exits 3 with a report naming the target and the
# command timeout. (redis_fault_never_returns.sh covers a server that dies: connections refused.)
source "$(dirname "$0")/lib.sh"

start_redis
# Runs first at exit (cleanups run in reverse): a stopped server would not act on cw_stop_pid's
# SIGTERM.
on_exit "kill -CONT $REDIS_PID 2>/dev/null"
timeout_ms=500
budget_ms=1000
connect_ms=500
cat >"$T/m.yaml" <<EOF2
version: 1
targets:
  main: {url: "$(redis_url)", timeout: ${timeout_ms}ms, connect_timeout: ${connect_ms}ms,
         reconnect_budget: ${budget_ms}ms}
groups:
  - name: g
    pattern: "hang:{i}"
    with: {i: "1..200000"}
    value: {text: "v-{i}"}
    rate: 20000/s
    batch: 500
    concurrency: 4
EOF2

timeout --kill-after=5 60 "$CACHEWARM" run "$T/m.yaml" --progress never >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"
for ((i = 0; i < 100; i++)); do
  (($(dbsize) >= 2000)) && break
  sleep 0.05
done
expect_ge "$(dbsize)" 2000 "keys arrive before the hang"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the hang"
kill -STOP "$REDIS_PID"
stopped=$(now_ms)

rc=0
wait "$cw_pid" || rc=$?
elapsed=$(($(now_ms) - stopped))
echo "cachewarm exited $rc, $elapsed ms after SIGSTOP" >&2
# The in-flight reply times out (timeout), then reconnecting goes on for the budget; the attempt
# under way when the budget ends may still take a connect_timeout plus a timeout. 1 s of slack.
expect_ge "$elapsed" $((timeout_ms + budget_ms - 100)) "ms from SIGSTOP to exit (timeout + budget are spent first)"
expect_le "$elapsed" $((timeout_ms + budget_ms + connect_ms + timeout_ms + 1000)) "ms from SIGSTOP to exit"
expect_eq "$rc" 3 "exit code: the target is unreachable"

r=$T/out.json
expect_json "$r" .status failed
expect_report_invariant "$r"
expect_json "$r" '.totals.written >= 2000' true
expect_json "$r" '.totals.written < 200000' true
expect_json "$r" '.totals.failed > 0' true
error=$(jget "$r" .error)
expect_contains "$error" "target main (redis://127.0.0.1:${REDIS_PORT}/0)" "the error names the target"
expect_contains "$error" "gave up after 1s" "the error gives the budget"
expect_contains "$(cat "$T/err.txt")" "connection lost: no reply within 500ms (command timeout); reconnecting for up to 1s" \
  "the first failure is the command timeout"
expect_json "$r" '.groups[0].errors[] | select(.kind == "target_unreachable") | .count > 0' true

# Once the server runs again it holds what the report counts as written, plus at most the
# batches that were in flight when it stopped (sent, never acknowledged: 4 workers x 500).
kill -CONT "$REDIS_PID"
written=$(jget "$r" .totals.written)
expect_ge "$(dbsize)" "$written" "DBSIZE after SIGCONT is at least the report's written"
expect_le "$(dbsize)" $((written + 4 * 500)) "DBSIZE after SIGCONT: written plus the in-flight batches at most"
