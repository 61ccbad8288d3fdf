#!/usr/bin/env bash
# replicas_ack with Sentinel: the master is SIGKILLed mid-run; the sentinels promote a replica,
# and the run goes on there within reconnect_budget, resending every key not yet acknowledged by
# `WAIT 1` (so none is lost with the master): exit 0 and every key on the new master. Then a
# master without replicas: `replicas_ack: 1` cannot be met, so the first batch's keys are resent
# until reconnect_budget is spent and then fail with kind not_replicated, and later batches fail
# after one replicas_ack_timeout each (exit 1, never a hang).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_sentinel.sh"

start_sentinel_setup mymaster
old=$MASTER_PORT

# --- kill -9 of the master mid-run ------------------------------------------------------------
keys=6000
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  ha:
    url: "$(sentinel_url mymaster)"
    reconnect_budget: 30s
    replicas_ack: 1
    replicas_ack_timeout: 5s
groups:
  - name: km
    pattern: "km:{i}"
    with: {i: "1..$keys"}
    value: {text: "v{i}"}
    rate: 2000/s
    batch: 50
EOF

start=$(now_ms)
timeout --kill-after=5 "${CW_RUN_TIMEOUT:-120}" "$CACHEWARM" run "$T/m.yaml" --progress never \
  >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

arrived=$(wait_for_dbsize 600)
expect_ge "$arrived" 600 "keys arrive on the master before the kill"
expect_le "$arrived" $((keys - 1)) "the kill comes before the run ends"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the kill"
kill_redis
new=$(wait_for_new_master "$old")
echo "master $old killed after $arrived keys; sentinels promoted $new after $(($(now_ms) - start)) ms" >&2

rc=0
wait "$cw_pid" || rc=$?
echo "run took $(($(now_ms) - start)) ms" >&2
if ((rc != 0)); then
  _cw_dump_output
  fail "cachewarm exited $rc after the master was killed (expected 0)"
fi
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[0].errors | length' 0
t='.groups[0].targets[0]'
expect_json "$r" "$t.name" ha
expect_json "$r" "$t.failovers >= 1" true
expect_json "$r" "$t.masters | length >= 2" true
expect_json "$r" "$t.masters[0]" "127.0.0.1:$old"
# The master now (the one promoted above, unless the sentinels failed over once more) was the last
# one written to.
new=$(wait_for_new_master "$old")
expect_json "$r" "$t.masters[-1]" "127.0.0.1:$new"

expect_eq "$(node "$new" role | head -n 1)" master "the promoted replica is the master"
expect_eq "$(node "$new" dbsize)" "$keys" "DBSIZE of the new master"
seq 1 "$keys" | sed 's/^/km:/' | LC_ALL=C sort >"$T/expected.txt"
node "$new" --scan | LC_ALL=C sort >"$T/actual.txt"
cmp -s "$T/expected.txt" "$T/actual.txt" ||
  fail "the new master lacks keys: $(comm -23 "$T/expected.txt" "$T/actual.txt" | head -5 | paste -sd' ')"
for i in 1 $((keys / 2)) $((RANDOM % keys + 1)) "$keys"; do
  expect_eq "$(node "$new" get "km:$i")" "v$i" "GET km:$i on the new master"
done
for p in "${REPLICA_PORTS[@]}"; do
  [[ "$p" == "$new" ]] && continue
  expect_eq "$(wait_for_sync "$p" "$keys")" "$keys" "DBSIZE of the remaining replica $p after sync"
done

# --- replicas_ack that cannot be met: not_replicated, in bounded time ---------------------------
start_redis # a master without replicas: WAIT 1 returns 0 after its timeout
cat >"$T/noreplica.yaml" <<EOF
version: 1
targets:
  solo: {url: "$(redis_url)", replicas_ack: 1, replicas_ack_timeout: 300ms, reconnect_budget: 2s}
groups:
  - name: nr
    pattern: "nr:{i}"
    with: {i: "1..60"}
    value: {text: "v{i}"}
    batch: 20
    concurrency: 1
EOF
start=$(now_ms)
expect_exit 1 cw run "$T/noreplica.yaml" --progress never
elapsed=$(($(now_ms) - start))
echo "not_replicated run took $elapsed ms" >&2
expect_ge "$elapsed" 2000 "the first batch is resent for the whole reconnect_budget (ms)"
# Were every batch to wait out the budget, 3 batches would take over 6 s.
expect_le "$elapsed" 5500 "later batches fail after one 300ms replicas_ack_timeout (ms)"
r=$T/out.json
expect_report_invariant "$r"
expect_json "$r" .totals.planned 60
expect_json "$r" .totals.failed 60
expect_json "$r" .totals.written 0
expect_json "$r" '.groups[0].failed' 60
expect_json "$r" '.groups[0].errors | length' 1
expect_json "$r" '.groups[0].errors[0].kind' not_replicated
expect_json "$r" '.groups[0].errors[0].count' 60
expect_json "$r" '.groups[0].errors[0].samples[0] | contains("only 0 of 1 replicas acknowledged within 300ms (replicas_ack)")' true
expect_json "$r" '.groups[0].targets[0].failed' 60
