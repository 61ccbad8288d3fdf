#!/usr/bin/env bash
# --resume after exit 3: the target dies mid-run (SIGKILL) and stays down past its
# reconnect_budget, so the run exits 3 and keeps its state file. Once the server is back (an
# fsync-always AOF keeps what it acknowledged) the same command completes: the done group is not
# run again, the other resumes after the acknowledged rows, every key is present, and the state
# file is removed.
source "$(dirname "$0")/lib.sh"

keys=10000
start_redis --appendonly yes --appendfsync always
resume_manifest "$T/m.yaml" "$keys" "reconnect_budget: 1s"

timeout --kill-after=5 60 "$CACHEWARM" run "$T/m.yaml" --resume "$T/state.json" --progress never \
  >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"
# Interrupted after 2000 of 10000 keys at 5000/s: 1.6 s to spare (under a sanitizer on a busy
# machine, each redis-cli call here can take a few hundred ms).
arrived=$(wait_for_dbsize 2000)
expect_ge "$arrived" 2000 "keys arrive before the outage"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the outage"
kill_redis
rc=0
wait "$cw_pid" || rc=$?
expect_eq "$rc" 3 "exit code when the target stays down"
r=$T/out.json
expect_json "$r" .status failed
expect_contains "$(jget "$r" .error)" "target main (redis://127.0.0.1:${REDIS_PORT}/0): connection lost" \
  "the report names the target"
expect_report_invariant "$r"
written_before=$(jget "$r" '.groups[1].written')

[[ -f "$T/state.json" ]] || fail "no state file after exit 3"
expect_json "$T/state.json" '.groups.first.done' true
expect_json "$T/state.json" '.groups.big.done' false
rows=$(jget "$T/state.json" '.groups.big.rows')
expect_ge "$rows" 1000 "rows acknowledged before the outage"
expect_le "$rows" $((keys - 1)) "rows acknowledged before the outage"
expect_le "$rows" "$written_before" "the state claims no more than the report's written"

restart_redis
# Everything the state file claims survived in the AOF.
for n in 1 "$rows"; do
  expect_eq "$(rcli get "big:$n")" "v$n" "big:$n, acknowledged before the outage, is in redis"
done

expect_exit 0 cw run "$T/m.yaml" --resume "$T/state.json" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" '.groups[0].ran' false
expect_contains "$(jget "$r" '.groups[0].reason')" "already completed (state file $T/state.json)" "first is not run again"
expect_json "$r" '.groups[1].ran' true
expect_contains "$(jget "$r" '.groups[1].reason')" "resumed after $rows rows" "big resumes"
expect_json "$r" '.groups[1].written' $((keys - rows))
expect_json "$r" .totals.failed 0
expect_report_invariant "$r"
expect_eq "$(dbsize)" $((keys + 2)) "every key is present"
expect_eq "$(rcli get "big:$keys")" "v$keys" "the last key"
expect_eq "$(rcli get "big:$((rows + 1))")" "v$((rows + 1))" "the first key after the resume point"
[[ ! -e "$T/state.json" ]] || fail "the state file should be removed after a complete run"
