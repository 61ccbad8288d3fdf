#!/usr/bin/env bash
# Resharding under load: 60,000 keys at 10,000/s (about 6 s) into a 3-master/1-replica cluster
# while `redis-cli --cluster reshard` moves 3,000 slots from one master to another, started once
# a fifth of the keys are in. Slots in migration answer -ASK (ASKING + the command on the
# importing node), slots already moved answer -MOVED (the slot map is patched and the layout read
# again): the run ends with exit 0, every key in the cluster with its value, written == planned,
# redirections counted in the report's nodes (which show the layout at the end: 3,000 slots
# fewer on the source, more on the destination), and at least one SET per key over the masters
# (INFO commandstats; a redirected SET is refused, not executed, and sent again).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cluster.sh"

# A loaded machine must not fail a node over in the middle of the reshard.
CLUSTER_NODE_TIMEOUT=${CLUSTER_NODE_TIMEOUT:-5000}
start_cluster 3 1
from=${CLUSTER_MASTER_PORTS[0]}
to=${CLUSTER_MASTER_PORTS[1]}
other=${CLUSTER_MASTER_PORTS[2]}
move=3000

# slots_of PORT: how many slots the node on PORT serves, by its own CLUSTER NODES line.
slots_of() {
  cluster_rcli "$1" cluster nodes | tr -d '\r' | awk '$3 ~ /myself/ {
    n = 0; for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue; split($i, a, "-")
      n += (a[2] == "" ? 1 : a[2] - a[1] + 1) }
    print n }'
}
from_slots=$(slots_of "$from")
to_slots=$(slots_of "$to")
other_slots=$(slots_of "$other")
expect_eq $((from_slots + to_slots + other_slots)) 16384 "the three masters serve every slot"

# masters_dbsize: DBSIZE summed over the masters of the start (a quicker poll than cluster_dbsize,
# which asks every node for its ROLE first).
masters_dbsize() {
  local p n total=0
  for p in "${CLUSTER_MASTER_PORTS[@]}"; do
    n=$(cluster_rcli "$p" dbsize 2>/dev/null | tr -d '\r')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

keys=60000
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url "$other" "$to")", reconnect_budget: 30s}
groups:
  - name: rs
    pattern: "rs:{i}"
    with: {i: "1..$keys"}
    value: {text: "value-{i}"}
    rate: 10000/s
    concurrency: 2
EOF

start=$(now_ms)
timeout --kill-after=5 "${CW_RUN_TIMEOUT:-120}" "$CACHEWARM" run "$T/m.yaml" --progress never \
  >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

# Start the reshard once a fifth of the keys are in (and the run is still going).
arrived=0
for _ in $(seq 1 300); do
  arrived=$(masters_dbsize)
  ((arrived >= keys / 5)) && break
  kill -0 "$cw_pid" 2>/dev/null || break
  sleep 0.05
done
expect_ge "$arrived" $((keys / 5)) "keys arrive before the reshard"
expect_le "$arrived" $((keys * 3 / 4)) "the reshard starts well before the run ends"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the reshard started"
reshard_start=$(now_ms)
# The reshard runs beside the run (on a loaded machine it outlasts it: moving a slot takes a few
# round trips of redis-cli to several nodes).
{
  cluster_reshard "$from" "$to" "$move"
  now_ms >"$T/reshard.end"
} >"$T/reshard.out" 2>&1 &
reshard_pid=$!
on_exit "kill $reshard_pid 2>/dev/null"

rc=0
wait "$cw_pid" || rc=$?
end=$(now_ms)
# How far the reshard had got when the run ended (the report's slots are the layout by then).
moved_by_end=$((from_slots - $(slots_of "$from")))
wait "$reshard_pid" || fail "the reshard failed: $(tail -n 20 "$T/reshard.out")"
reshard_end=$(cat "$T/reshard.end")
# Done a second before the run ended: the run has met the final layout since (keys of the last
# slots moved got MOVED, and the layout was read again).
reshard_done=0
((reshard_end + 1000 < end)) && reshard_done=1
echo "reshard of $move slots $from -> $to began after $arrived keys at +$((reshard_start - start)) ms" \
  "and took $((reshard_end - reshard_start)) ms; the run took $((end - start)) ms, and had seen" \
  "$moved_by_end slots moved when it ended (reshard done: $reshard_done)" >&2
if ((rc != 0)); then
  fail "cachewarm exited $rc during a reshard (expected 0)"
fi
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[0].errors | length' 0
# Whether the run could meet a redirection at all: slots had moved before it ended.
expect_ge "$moved_by_end" 1 "slots moved by the reshard while the run was going"

# No key lost: the cluster holds exactly the planned keys, each on the master of its slot.
wait_for_cluster_ok
expect_eq "$(cluster_dbsize)" "$keys" "cluster DBSIZE after the reshard"
for p in "${CLUSTER_MASTER_PORTS[@]}"; do
  cluster_rcli "$p" --scan
done | LC_ALL=C sort >"$T/actual.txt"
seq 1 "$keys" | sed 's/^/rs:/' | LC_ALL=C sort >"$T/expected.txt"
cmp -s "$T/expected.txt" "$T/actual.txt" ||
  fail "keys missing or doubled: $(diff "$T/expected.txt" "$T/actual.txt" | grep '^[<>]' | head -5 | paste -sd' ')"
# Values, through redis-cli -c (each GET answered by the slot's master, MOVED followed): a sample
# of 200 keys. (redis-cli -c reading commands from stdin prints "-> Redirected to slot" lines.)
{
  echo 1
  echo "$keys"
  for _ in $(seq 1 198); do echo $(((RANDOM * 32768 + RANDOM) % keys + 1)); done
} >"$T/sample.txt"
sed 's/^/GET rs:/' "$T/sample.txt" | cluster_rcli "$from" -c | grep -v '^-> Redirected' >"$T/sample-got.txt"
sed 's/^/value-/' "$T/sample.txt" >"$T/sample-want.txt"
cmp -s "$T/sample-want.txt" "$T/sample-got.txt" ||
  fail "GET through redis-cli -c: $(diff "$T/sample-want.txt" "$T/sample-got.txt" | head -6 | paste -sd'|')"
expect_eq "$(cluster_rcli "$from" -c get rs:31337)" value-31337 "GET rs:31337"

t='.groups[0].targets[0]'
expect_json "$r" "$t.nodes | length" 3
expect_json "$r" "[$t.nodes[].slots] | add" 16384
expect_json "$r" "[$t.nodes[].written] | add" "$keys"
expect_json "$r" "[$t.nodes[].failed] | add" 0
expect_json "$r" "[$t.nodes[].failovers] | add" 0
moved=$(jget "$r" "[$t.nodes[].moved] | add")
ask=$(jget "$r" "[$t.nodes[].ask] | add")
echo "report: moved $moved, ask $ask; nodes: $(jq -c "[$t.nodes[] | {address, slots, written, moved, ask}]" "$r")" >&2
expect_ge $((moved + ask)) 1 "redirections (moved + ask) counted during the reshard"
# Redirections are answered by the source: its slots moved or were migrating.
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$other\") | .moved + .ask" 0
# The report's slots are the layout as the group ended: the reshard's progress by then (all of it
# when the reshard ended well before). A MOVED from the source means it had given slots away.
r_from=$(jget "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$from\") | .slots")
r_to=$(jget "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$to\") | .slots")
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$other\") | .slots" "$other_slots"
expect_eq $((from_slots - r_from)) $((r_to - to_slots)) "slots the report shows gone from $from arrived at $to"
if ((reshard_done)); then
  expect_eq "$r_from" $((from_slots - move)) "the report's slots of the source (the reshard ended first)"
else
  expect_ge "$r_from" $((from_slots - move)) "the report's slots of the source"
  from_moved=$(jget "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$from\") | .moved")
  ((from_moved == 0)) || expect_le "$r_from" $((from_slots - 1)) "the report's slots of the source after a MOVED"
fi

# Every key SET at least once on the masters (MIGRATE moves keys with RESTORE, not SET).
set_calls=$(cluster_commandstats_set_calls)
echo "SET calls summed over the masters: $set_calls for $keys keys" >&2
expect_ge "$set_calls" "$keys" "SET calls over the masters"

# --- After the reshard: a fresh run reads the new layout (no redirection) ------------------------
expect_eq "$(slots_of "$from")" $((from_slots - move)) "slots left on the source master"
expect_eq "$(slots_of "$to")" $((to_slots + move)) "slots on the destination master"
cat >"$T/after.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url "$from")"}
groups:
  - name: after
    pattern: "after:{i}"
    with: {i: "1..3000"}
    value: {text: "a{i}"}
EOF
expect_exit 0 cw run "$T/after.yaml" --progress never
r=$T/out.json
expect_json "$r" .totals.written 3000
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$from\") | .slots" $((from_slots - move))
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$to\") | .slots" $((to_slots + move))
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$other\") | .slots" "$other_slots"
expect_json "$r" "[$t.nodes[] | .moved + .ask] | add" 0
for p in "${CLUSTER_MASTER_PORTS[@]}"; do
  expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$p\") | .written" \
    "$(cluster_rcli "$p" eval "return #redis.call('keys', 'after:*')" 0)"
done
expect_eq "$(cluster_dbsize)" $((keys + 3000)) "cluster DBSIZE after the second run"
