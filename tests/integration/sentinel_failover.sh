#!/usr/bin/env bash
# A redis+sentinel:// target: cachewarm asks the sentinels for the master and writes there; a
# plain run names that one master and no failover. Then `SENTINEL FAILOVER` mid-run: the run
# follows the new master (-READONLY from the demoted one), resends what was not acknowledged and
# ends with exit 0 and every key on the new master (and, after sync, on both its replicas); the
# target entry counts the failover and lists both masters in order.
#
# A forced SENTINEL FAILOVER leaves the old master writable until a sentinel demotes it about 10 s
# later, and whatever it acknowledges in between is lost when it resyncs from the new master (for
# any client). So, like Redis's own FAILOVER command, the test first pauses writes on the old
# master (the run stalls mid-batch), waits until both replicas have its whole stream, fails over,
# demotes the old master itself (REPLICAOF the new one, what the sentinel would do later) and
# unpauses: the stalled writes get -READONLY. The sentinels' PINGs to the paused master go
# unanswered too (they queue behind a blocked PUBLISH), so down-after-milliseconds is long here:
# only the SENTINEL FAILOVER fails over.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_sentinel.sh"

SENTINEL_DOWN_AFTER_MS=15000
start_sentinel_setup mymaster
old=$MASTER_PORT

# --- A plain run: one master, no failover ------------------------------------------------------
cat >"$T/plain.yaml" <<EOF
version: 1
targets:
  ha: {url: "$(sentinel_url mymaster)"}
groups:
  - name: plain
    pattern: "plain:{i}"
    with: {i: "1..200"}
    value: {text: "p{i}"}
EOF
expect_exit 0 cw run "$T/plain.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned 200
expect_json "$r" .totals.written 200
expect_json "$r" '.groups[0].targets[0].name' ha
expect_json "$r" '.groups[0].targets[0].failovers' 0
expect_json "$r" '.groups[0].targets[0].masters | tojson' "[\"127.0.0.1:$old\"]"
expect_eq "$(node "$old" dbsize)" 200 "DBSIZE of the master after the plain run"
expect_eq "$(node "$old" get plain:200)" p200 "GET plain:200 on the master"

# --- SENTINEL FAILOVER mid-run ------------------------------------------------------------------
keys=6000
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  ha: {url: "$(sentinel_url mymaster)", reconnect_budget: 30s}
groups:
  - name: fo
    pattern: "fo:{i}"
    with: {i: "1..$keys"}
    value: {text: "v{i}"}
    rate: 2000/s
    batch: 50
EOF
total=$((keys + 200))

timeout --kill-after=5 "${CW_RUN_TIMEOUT:-120}" "$CACHEWARM" run "$T/m.yaml" --progress never \
  >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

arrived=$(wait_for_dbsize $((200 + 600)))
expect_ge "$arrived" $((200 + 600)) "keys arrive on the master before the failover"
expect_le "$arrived" $((total - 1)) "the failover comes before the run ends"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the failover"

node "$old" client pause 20000 write >/dev/null
on_exit "node $old client unpause >/dev/null 2>&1"
moff=$(_cw_info_field "$old" replication master_repl_offset)
for p in "${REPLICA_PORTS[@]}"; do
  for _ in $(seq 1 100); do
    roff=$(_cw_info_field "$p" replication slave_repl_offset)
    ((${roff:-0} >= moff)) && break
    sleep 0.05
  done
  expect_ge "$roff" "$moff" "replica $p has the paused master's stream (offset)"
done
expect_eq "$(node "${SENTINEL_PORTS[1]}" sentinel failover mymaster)" OK "SENTINEL FAILOVER"
new=$(wait_for_new_master "$old")
expect_ne "$new" "$old" "the new master"
node "$old" replicaof 127.0.0.1 "$new" >/dev/null
node "$old" client unpause >/dev/null

rc=0
wait "$cw_pid" || rc=$?
if ((rc != 0)); then
  _cw_dump_output
  fail "cachewarm exited $rc after the failover (expected 0)"
fi
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
t='.groups[0].targets[0]'
expect_json "$r" "$t.name" ha
expect_json "$r" "$t.written" "$keys"
expect_json "$r" "$t.failovers >= 1" true
expect_json "$r" "$t.masters | length >= 2" true
expect_json "$r" "$t.masters[0]" "127.0.0.1:$old"
# The master now (the one promoted above, unless the sentinels failed over once more) was the last
# one written to.
new=$(wait_for_new_master "$old")
expect_json "$r" "$t.masters[-1]" "127.0.0.1:$new"

# Every key on the new master, and on both of its replicas (the old master among them) once synced.
expect_eq "$(node "$new" dbsize)" "$total" "DBSIZE of the new master"
seq 1 "$keys" | sed 's/^/fo:/' | LC_ALL=C sort >"$T/expected.txt"
node "$new" --scan --pattern 'fo:*' | LC_ALL=C sort >"$T/actual.txt"
cmp -s "$T/expected.txt" "$T/actual.txt" ||
  fail "the new master lacks keys: $(comm -23 "$T/expected.txt" "$T/actual.txt" | head -5 | paste -sd' ')"
for i in 1 $((keys / 2)) $((RANDOM % keys + 1)) "$keys"; do
  expect_eq "$(node "$new" get "fo:$i")" "v$i" "GET fo:$i on the new master"
done
expect_eq "$(node "$old" role | head -n 1)" slave "the old master is a replica now"
for p in "$old" "${REPLICA_PORTS[@]}"; do
  [[ "$p" == "$new" ]] && continue
  expect_eq "$(wait_for_sync "$p" "$total")" "$total" "DBSIZE of replica $p after sync"
  expect_eq "$(node "$p" get "fo:$keys")" "v$keys" "GET fo:$keys on replica $p"
done
