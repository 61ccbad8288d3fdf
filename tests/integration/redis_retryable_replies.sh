#!/usr/bin/env bash
# -LOADING, -MASTERDOWN and -TRYAGAIN replies are waited out within the target's
# reconnect_budget. A scripted server (tests/fixtures/resp_server.py) answers the first 25 writes
# of each connection with the reply, then stores what it gets: with one worker, batches of 10 and
# a 5 s budget the run rides them out (exit 0, every key stored, exactly 25 error replies sent,
# each resent). With a server that never stops answering so and a 300 ms budget the target counts
# as unreachable (README, targets: reconnect_budget): exit 3, and the report and log name the reply.
source "$(dirname "$0")/lib.sh"

keys=50
declare -A reply_of=(
  [loading]="LOADING Redis is loading the dataset in memory"
  [masterdown]="MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
  [tryagain]="TRYAGAIN Multiple keys request during rehashing of slot"
)

# manifest FILE BUDGET: one group of $keys keys to the scripted server at $RESP_PORT.
manifest() {
  cat >"$1" <<EOF2
version: 1
targets:
  main: {url: "redis://127.0.0.1:${RESP_PORT}/0", reconnect_budget: $2}
groups:
  - name: g
    pattern: "rr:{i}"
    with: {i: "1..${keys}"}
    value: {text: "v-{i}"}
    batch: 10
    concurrency: 1
EOF2
}

# resp ARGS...: redis-cli against the scripted server.
resp() {
  redis-cli -h 127.0.0.1 -p "$RESP_PORT" "$@"
}

start_resp_server resp
# script ERROR N: a fresh store; connections opened from now on get -ERROR for their first N writes.
script() {
  expect_eq "$(resp cwreset "$1" "$2")" OK "CWRESET $1 $2"
}

# --- Ridden out: 25 error replies, then every key. ----------------------------------------------
for kind in loading masterdown tryagain; do
  script "${reply_of[$kind]}" 25
  manifest "$T/$kind.yaml" 5s
  start=$(now_ms)
  expect_exit 0 cw run "$T/$kind.yaml" --progress never
  expect_le $(($(now_ms) - start)) 5000 "$kind: ridden out within the 5s budget (ms)"
  r=$T/out.json
  expect_json "$r" .status ok
  expect_json "$r" .totals.written "$keys"
  expect_json "$r" .totals.failed 0
  expect_json "$r" '.groups[0].targets[0].written' "$keys"
  expect_report_invariant "$r"
  expect_contains "$(cat "$T/err.txt")" "10 of 10 keys got $kind replies (${reply_of[$kind]}); resending them for up to 5s" \
    "$kind: the worker logs the replies it waits out"
  expect_contains "$(cat "$T/err.txt")" "recovered: batch written" "$kind: and its recovery"
  stats=$(resp cwstats)
  expect_eq "$(jq -r .errors_sent <<<"$stats")" 25 "$kind: error replies sent"
  expect_eq "$(jq -r .writes_stored <<<"$stats")" "$keys" "$kind: writes stored after the errors"
  expect_eq "$(jq -r .commands.SET <<<"$stats")" $((keys + 25)) "$kind: SETs received (25 resent)"
  expect_eq "$(resp dbsize)" "$keys" "$kind: keys on the server"
  for i in 1 25 26 "$keys"; do
    expect_eq "$(resp get "rr:$i")" "v-$i" "$kind: GET rr:$i"
  done
done

# --- Never ending: the budget runs out, the target is unreachable. ------------------------------
for kind in loading masterdown tryagain; do
  script "${reply_of[$kind]}" 1000000000
  manifest "$T/$kind-forever.yaml" 300ms
  start=$(now_ms)
  rc=0
  timeout --kill-after=5 60 "$CACHEWARM" run "$T/$kind-forever.yaml" --progress never \
    >"$T/out.json" 2>"$T/err.txt" || rc=$?
  elapsed=$(($(now_ms) - start))
  r=$T/out.json
  expect_json "$r" .totals.written 0
  # The first batch that gives up marks the target down: the run stops feeding it, so keys not
  # yet read are not planned; every planned key failed as target_unreachable.
  expect_json "$r" '.totals.failed == .totals.planned' true
  expect_ge "$(jget "$r" .totals.planned)" 10 "$kind: at least the first batch was planned"
  expect_le "$(jget "$r" .totals.planned)" "$keys" "$kind: planned"
  expect_json "$r" '[.groups[0].errors[].kind] | unique | join(",")' target_unreachable
  expect_report_invariant "$r"
  expect_contains "$(cat "$T/out.json" "$T/err.txt")" "${reply_of[$kind]}" "$kind: the reply is named"
  expect_contains "$(cat "$T/err.txt")" "resending them for up to 300ms" "$kind: the budget is named"
  expect_eq "$(resp dbsize)" 0 "$kind: nothing stored"
  expect_json "$r" .status failed
  expect_eq "$rc" 3 "$kind: exit code once the budget is spent (README: the target counts as unreachable)"
  expect_le "$elapsed" 10000 "$kind: ms until the run gave up"
done
