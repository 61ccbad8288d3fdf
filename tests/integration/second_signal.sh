#!/usr/bin/env bash
# A second SIGINT or SIGTERM exits at once with 130 and no report. The first one starts the
# orderly stop, which lets in-flight batches finish: a worker blocked on a hung target (the
# redis-server is stopped with SIGSTOP; the command timeout is 30s) keeps the run going a second
# later. The second signal ends the process within half a second (3 s under a sanitizer), with
# nothing on stdout. (A worker merely waiting to reconnect gives up at the first signal: see
# interrupt_reconnect.sh.)
source "$(dirname "$0")/lib.sh"

# "At once": 500 ms. ThreadSanitizer runs a signal handler only when the thread reaches one of
# its interceptors, and its exit is slower: 3 s there, still a tenth of the 30 s the orderly stop
# may wait.
at_once_ms=500
if sanitized; then
  at_once_ms=3000
fi

# twice FIRST SECOND: a run whose target hangs mid-run, interrupted with FIRST then SECOND.
twice() {
  local first=$1 second=$2 pid rc=0 i sent elapsed
  start_redis
  cat >"$T/m.yaml" <<EOF2
version: 1
targets:
  main: {url: "$(redis_url)", timeout: 30s, reconnect_budget: 30s}
groups:
  - name: g
    pattern: "s:{i}"
    with: {i: "1..200000"}
    value: {text: "v{i}"}
    rate: 5000/s
    batch: 100
EOF2
  # Job control on: the background job gets default SIGINT handling.
  set -m
  "$CACHEWARM" run "$T/m.yaml" --progress never >"$T/out.json" 2>"$T/err.txt" &
  pid=$!
  set +m
  on_exit "kill -9 $pid 2>/dev/null"
  for ((i = 0; i < 100; i++)); do
    (($(dbsize) >= 500)) && break
    sleep 0.05
  done
  expect_ge "$(dbsize)" 500 "$first+$second: keys arrive before the outage"
  kill -STOP "$REDIS_PID"
  on_exit "kill -CONT $REDIS_PID 2>/dev/null"
  # A batch is written every 20 ms: within half a second a worker waits for a reply.
  sleep 0.5

  kill "-$first" "$pid"
  sleep 1
  kill -0 "$pid" 2>/dev/null || fail "$first+$second: the first SIG$first ended the run at once (the orderly stop should wait for the in-flight batch)"
  sent=$(now_ms)
  kill "-$second" "$pid"
  for ((i = 0; i < 500; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  elapsed=$(($(now_ms) - sent))
  kill -0 "$pid" 2>/dev/null && fail "$first+$second: still running $elapsed ms after the second signal"
  wait "$pid" || rc=$?
  expect_eq "$rc" 130 "$first+$second: exit code after the second signal"
  expect_le "$elapsed" "$at_once_ms" "$first+$second: ms from the second signal to exit"
  expect_eq "$(cat "$T/out.json")" "" "$first+$second: no report after the second signal"
}

twice INT INT
twice TERM TERM
twice INT TERM
