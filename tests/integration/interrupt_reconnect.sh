#!/usr/bin/env bash
# SIGINT or SIGTERM while the workers wait out a lost target inside a long reconnect budget
# (60 s): the run stops within about a second, prints its report (status interrupted, counts
# consistent with Redis) and exits 130; it does not sit out the budget.
source "$(dirname "$0")/lib.sh"

# interrupt SIGNAL
interrupt() {
  local sig=$1 pid rc=0 i start elapsed
  start_redis
  cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)", reconnect_budget: 60s}
groups:
  - name: slow
    pattern: "k:{i}"
    with: {i: "1..100000"}
    value: {text: "v{i}"}
    rate: 2000/s
    batch: 50
EOF
  set -m # the background job gets default SIGINT handling
  "$CACHEWARM" run "$T/m.yaml" --progress never >"$T/out.json" 2>"$T/err.txt" &
  pid=$!
  set +m
  on_exit "kill -9 $pid 2>/dev/null"
  expect_ge "$(wait_for_dbsize 1)" 1 "keys arrive before the server goes ($(cat "$T/err.txt"))"
  cw_stop_pid "$REDIS_PID"
  # Wait until a worker noticed and is inside its reconnect budget.
  for ((i = 0; i < 100; i++)); do
    grep -q "reconnecting for up to 60s" "$T/err.txt" && break
    sleep 0.1
  done
  expect_contains "$(cat "$T/err.txt")" "reconnecting for up to 60s" "a worker waits out the fault"
  sleep 0.5
  start=$(now_ms)
  kill "-$sig" "$pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  elapsed=$(($(now_ms) - start))
  kill -0 "$pid" 2>/dev/null && fail "cachewarm still running 5 s after $sig"
  wait "$pid" || rc=$?
  expect_eq "$rc" 130 "exit code after $sig"
  # The wait checks for a stop every 50 ms; a second allows for a loaded machine.
  expect_le "$elapsed" 1500 "ms from $sig to exit (reconnect budget 60 s)"
  expect_json "$T/out.json" .status interrupted
  expect_report_invariant "$T/out.json"
  expect_json "$T/out.json" '[.groups[].errors[] | select(.kind == "target_unreachable")] | length' 0
}

interrupt INT
interrupt TERM
