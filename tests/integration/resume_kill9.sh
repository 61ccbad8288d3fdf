#!/usr/bin/env bash
# --resume: a run killed with SIGKILL mid-way leaves a state file (mode 0600) recording what every
# target acknowledged; the next run with the same state file skips that prefix, writes the rest,
# and removes the state file once everything is done. A state file of another manifest is refused.
source "$(dirname "$0")/lib.sh"

start_redis
resume_manifest "$T/m.yaml" 20000

"$CACHEWARM" run "$T/m.yaml" --resume "$T/state.json" --progress never >/dev/null 2>"$T/first.err" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
sleep 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true

[[ -f "$T/state.json" ]] || fail "no state file after kill -9"
expect_eq "$(stat -c %a "$T/state.json")" 600 "state file mode"
expect_json "$T/state.json" '.groups.first.done' true
expect_json "$T/state.json" '.groups.big.done' false
rows=$(jq '.groups.big.rows' "$T/state.json")
expect_ge "$rows" 1000 "rows acknowledged before the kill"
expect_le "$rows" 19999 "rows acknowledged before the kill"
# Everything the state file claims is really in Redis (a prefix of the pattern's order).
for n in 1 $((rows / 2)) "$rows"; do
  expect_eq "$(rcli get "big:$n")" "v$n" "big:$n acknowledged before the kill is in redis"
done

# Remove a key the first run wrote and the state covers: a resumed run must not rewrite it.
rcli del big:1 >/dev/null
expect_exit 0 cw run "$T/m.yaml" --resume "$T/state.json"
r=$T/out.json
expect_json "$r" '.groups[0].ran' false
expect_contains "$(jq -r '.groups[0].reason' "$r")" "already completed" "first group skipped"
expect_contains "$(jq -r '.groups[1].reason' "$r")" "resumed after $rows rows" "big resumed"
expect_json "$r" '.groups[1].written' $((20000 - rows))
expect_eq "$(rcli exists big:1)" 0 "acknowledged keys are not rewritten"
expect_eq "$(rcli get big:20000)" v20000 "the rest was written"
expect_eq "$(dbsize)" 20001 "every other key is present"
[[ ! -e "$T/state.json" ]] || fail "the state file should be removed after a complete run"
expect_report_invariant "$r"

# A state file written for another manifest is refused before anything runs.
"$CACHEWARM" run "$T/m.yaml" --resume "$T/other.json" -g first >/dev/null 2>&1 || true
rm -f "$T/other.json"
printf '{"schema_version":1,"manifest":"x.yaml","manifest_digest":"0000000000000000","groups":{}}\n' \
  >"$T/other.json"
rcli flushall >/dev/null
expect_exit 2 cw run "$T/m.yaml" --resume "$T/other.json"
expect_contains "$(cat "$T/err.txt")" "state file $T/other.json belongs to another manifest" \
  "another manifest's state is refused"
expect_eq "$(dbsize)" 0 "nothing written"
printf 'garbage' >"$T/garbage.json"
expect_exit 2 cw run "$T/m.yaml" --resume "$T/garbage.json"
expect_contains "$(cat "$T/err.txt")" "is not a cachewarm state file" "garbage state is refused"
