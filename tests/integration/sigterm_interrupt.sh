#!/usr/bin/env bash
# SIGTERM (and SIGINT) during a long run: the workers stop at a batch boundary, cachewarm exits
# 130 promptly, and the report is still printed with status "interrupted", consistent counts,
# and "written" equal to what Redis holds.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: slow
    pattern: "slow:{i}"
    with: {i: "1..200000"}
    value: {text: "value-{i}"}
EOF

# interrupt SIGNAL: starts a rate-limited run (~100 s at 2000/s), waits until keys arrive,
# sends SIGNAL to cachewarm by PID and checks the outcome.
interrupt() {
  local sig=$1 pid rc=0 i start elapsed
  rcli flushall >/dev/null
  # Job control on: the background job gets default SIGINT handling (bash otherwise ignores
  # SIGINT in asynchronous commands).
  set -m
  "$CACHEWARM" run "$T/m.yaml" --rate 2000/s --batch 100 >"$T/out.json" 2>"$T/err.txt" &
  pid=$!
  set +m
  on_exit "kill -9 $pid 2>/dev/null"
  for ((i = 0; i < 100; i++)); do
    (($(dbsize) > 0)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  expect_ge "$(dbsize)" 1 "keys arrive before the $sig ($(cat "$T/err.txt"))"
  sleep 1
  kill -0 "$pid" 2>/dev/null || fail "cachewarm ended before the $sig"
  start=$(now_ms)
  kill "-$sig" "$pid"
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  elapsed=$(($(now_ms) - start))
  kill -0 "$pid" 2>/dev/null && fail "cachewarm still running 15 s after $sig"
  wait "$pid" || rc=$?
  expect_eq "$rc" 130 "exit code after $sig"
  expect_le "$elapsed" 10000 "ms from $sig to exit"

  local r=$T/out.json
  jq -e . "$r" >/dev/null || fail "the report after $sig is not JSON: $(head -c 500 "$r")"
  expect_json "$r" .status interrupted
  expect_report_invariant "$r"
  # Keys are planned as they stream, so an interrupted run plans fewer than the pattern's 200000.
  expect_le "$(jget "$r" .totals.planned)" 200000 "planned after $sig"
  written=$(jget "$r" .totals.written)
  expect_ge "$written" 1 "written after $sig"
  expect_le "$written" 199999 "written after $sig (the run was cut short)"
  expect_eq "$(dbsize)" "$written" "DBSIZE equals the report's written after $sig"
}

interrupt TERM
interrupt INT
