#!/usr/bin/env bash
# --resume after SIGINT: an interrupted run exits 130 with status "interrupted" and keeps its
# state file (what Redis acknowledged, a prefix of the rows); the same command then completes:
# it resumes after those rows, every key is present, and the state file is removed.
source "$(dirname "$0")/lib.sh"

keys=10000
start_redis
resume_manifest "$T/m.yaml" "$keys"

# Job control on: the background job gets default SIGINT handling (bash otherwise ignores
# SIGINT in asynchronous commands).
set -m
"$CACHEWARM" run "$T/m.yaml" --resume "$T/state.json" --progress never >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
set +m
on_exit "kill -9 $cw_pid 2>/dev/null"
# Interrupted after 2000 of 10000 keys at 5000/s: 1.6 s to spare (under a sanitizer on a busy
# machine, each redis-cli call here can take a few hundred ms).
arrived=$(wait_for_dbsize 2000)
expect_ge "$arrived" 2000 "keys arrive before the SIGINT"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the SIGINT"
kill -INT "$cw_pid"
rc=0
wait "$cw_pid" || rc=$?
expect_eq "$rc" 130 "exit code after SIGINT"
r=$T/out.json
expect_json "$r" .status interrupted
expect_report_invariant "$r"
written_before=$(jget "$r" .totals.written)
expect_eq "$(dbsize)" "$written_before" "DBSIZE equals the interrupted run's written"

[[ -f "$T/state.json" ]] || fail "no state file after SIGINT"
expect_eq "$(stat -c %a "$T/state.json")" 600 "state file mode"
expect_json "$T/state.json" '.groups.first.done' true
expect_json "$T/state.json" '.groups.big.done' false
rows=$(jget "$T/state.json" '.groups.big.rows')
expect_ge "$rows" 1000 "rows acknowledged before the SIGINT"
expect_le "$rows" $((keys - 1)) "rows acknowledged before the SIGINT"
expect_le "$rows" $((written_before - 2)) "the state claims no more rows than were written"
expect_eq "$(rcli get "big:$rows")" "v$rows" "the last acknowledged row is in redis"

expect_exit 0 cw run "$T/m.yaml" --resume "$T/state.json" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" '.groups[0].ran' false
expect_contains "$(jget "$r" '.groups[0].reason')" "already completed (state file $T/state.json)" "first is not run again"
expect_contains "$(jget "$r" '.groups[1].reason')" "resumed after $rows rows" "big resumes"
expect_json "$r" '.groups[1].written' $((keys - rows))
expect_json "$r" .totals.failed 0
expect_report_invariant "$r"
expect_eq "$(dbsize)" $((keys + 2)) "every key is present"
expect_eq "$(rcli get "big:$keys")" "v$keys" "the last key"
[[ ! -e "$T/state.json" ]] || fail "the state file should be removed after a complete run"
