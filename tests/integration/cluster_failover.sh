#!/usr/bin/env bash
# A master of a 3-master/2-replica cluster is SIGKILLed mid-run (replicas_ack: 1, reconnect_budget
# 30s): the cluster answers CLUSTERDOWN until a replica takes the dead master's slots over, and
# the run waits that out, follows the promotion and resends every key not yet acknowledged by
# `WAIT 1`: exit 0, every key in the cluster with its value, and the report's entry of the killed
# master counts the failover while the promoted replica joins the nodes list. Then replicas_ack: 3
# on the same cluster (no master has 3 replicas): the first batches are resent until the 1 s
# reconnect_budget is spent and every key fails as not_replicated (exit 1), in bounded time.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cluster.sh"

# On a loaded machine a node timeout of 1000 ms fails live masters over too.
CLUSTER_NODE_TIMEOUT=${CLUSTER_NODE_TIMEOUT:-2000}
start_cluster 3 2
victim=${CLUSTER_MASTER_PORTS[1]}
victim_id=$(cluster_node_id "$victim")
# The victim's replicas: the nodes whose CLUSTER NODES line says "slave <victim id>". Gossip may
# not have told the victim about both yet on a loaded machine: ask again for up to 15 s.
for _ in $(seq 1 75); do
  mapfile -t victim_replicas < <(cluster_rcli "$victim" cluster nodes | tr -d '\r' |
    awk -v id="$victim_id" '$3 ~ /slave/ && $4 == id { a = $2; sub(/@.*/, "", a); sub(/.*:/, "", a); print a }')
  ((${#victim_replicas[@]} == 2)) && break
  sleep 0.2
done
expect_eq "${#victim_replicas[@]}" 2 "the victim master $victim has two replicas"
# Seeds: the two other masters (the victim's death must not leave cachewarm without a seed).
seeds=$(cluster_url "${CLUSTER_MASTER_PORTS[0]}" "${CLUSTER_MASTER_PORTS[2]}")

# --- kill -9 of a master mid-run ----------------------------------------------------------------
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

keys=30000
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  c:
    url: "$seeds"
    replicas_ack: 1
    replicas_ack_timeout: 2s
    reconnect_budget: 30s
groups:
  - name: fo
    pattern: "fo:{i}"
    with: {i: "1..$keys"}
    value: {text: "v{i}"}
    rate: 10000/s
    concurrency: 2
    batch: 200
EOF

start=$(now_ms)
timeout --kill-after=5 "${CW_RUN_TIMEOUT:-120}" "$CACHEWARM" run "$T/m.yaml" --progress never \
  >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

arrived=0
for _ in $(seq 1 300); do
  arrived=$(masters_dbsize)
  ((arrived >= keys / 4)) && break
  kill -0 "$cw_pid" 2>/dev/null || break
  sleep 0.05
done
expect_ge "$arrived" $((keys / 4)) "keys arrive before the kill"
expect_le "$arrived" $((keys * 3 / 4)) "the kill comes well before the run ends"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the kill"
kill_cluster_node "$victim"
killed_at=$(now_ms)
wait_for_cluster_ok 30
promoted=''
for p in $(cluster_masters); do
  [[ " ${victim_replicas[*]} " == *" $p "* ]] && promoted=$p
done
[[ -n "$promoted" ]] || fail "none of the victim's replicas (${victim_replicas[*]}) is a master: $(cluster_masters | paste -sd' ')"
echo "master $victim killed after $arrived keys at +$((killed_at - start)) ms; replica $promoted" \
  "took over after $(($(now_ms) - killed_at)) ms" >&2

rc=0
wait "$cw_pid" || rc=$?
echo "the run took $(($(now_ms) - start)) ms" >&2
if ((rc != 0)); then
  _cw_cluster_dump
  fail "cachewarm exited $rc after a master was killed (expected 0)"
fi
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[0].errors | length' 0

# No key lost: every acknowledged key was on a replica, and the promoted one has them.
wait_for_cluster_ok 30
expect_eq "$(cluster_masters | wc -l)" 3 "three masters after the failover"
expect_eq "$(cluster_dbsize)" "$keys" "cluster DBSIZE after the failover"
for p in $(cluster_masters); do
  cluster_rcli "$p" --scan
done | LC_ALL=C sort >"$T/actual.txt"
seq 1 "$keys" | sed 's/^/fo:/' | LC_ALL=C sort >"$T/expected.txt"
cmp -s "$T/expected.txt" "$T/actual.txt" ||
  fail "keys missing after the failover: $(comm -23 "$T/expected.txt" "$T/actual.txt" | wc -l), e.g. $(comm -23 "$T/expected.txt" "$T/actual.txt" | head -5 | paste -sd' ')"
{
  echo 1
  echo "$keys"
  for _ in $(seq 1 98); do echo $(((RANDOM * 32768 + RANDOM) % keys + 1)); done
} >"$T/sample.txt"
sed 's/^/GET fo:/' "$T/sample.txt" | cluster_rcli "$promoted" -c | grep -v '^-> Redirected' >"$T/sample-got.txt"
sed 's/^/v/' "$T/sample.txt" >"$T/sample-want.txt"
cmp -s "$T/sample-want.txt" "$T/sample-got.txt" ||
  fail "GET through redis-cli -c: $(diff "$T/sample-want.txt" "$T/sample-got.txt" | head -6 | paste -sd'|')"
# The promoted master's keys are all of the dead master's slots' keys, written before or after.
expect_ge "$(cluster_rcli "$promoted" dbsize)" $((keys / 5)) "keys on the promoted master $promoted"

t='.groups[0].targets[0]'
echo "report nodes: $(jq -c "[$t.nodes[]]" "$r")" >&2
expect_json "$r" "[$t.nodes[].written] | add" "$keys"
expect_json "$r" "[$t.nodes[].failed] | add" 0
expect_json "$r" "[$t.nodes[].failovers] | add >= 1" true
expect_json "$r" "[$t.nodes[] | select(.address == \"127.0.0.1:$victim\") | .failovers] | .[0] >= 1" true
# Every master during the group is listed: the three first ones and the promoted replica.
for p in "${CLUSTER_MASTER_PORTS[@]}" "$promoted"; do
  expect_json "$r" "[$t.nodes[] | select(.address == \"127.0.0.1:$p\")] | length" 1
done
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$promoted\") | .written > 0" true
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$victim\") | .written > 0" true
# Slots at the end: the promoted replica serves the dead master's, the dead one none.
expect_json "$r" "[$t.nodes[].slots] | add" 16384
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$victim\") | .slots" 0
expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$promoted\") | .slots > 5000" true

# --- replicas_ack: 3 with at most 2 replicas: not_replicated, bounded time ---------------------
nr=300
cat >"$T/nr.yaml" <<EOF
version: 1
targets:
  c:
    url: "$seeds"
    replicas_ack: 3
    replicas_ack_timeout: 200ms
    reconnect_budget: 1s
groups:
  - name: nr
    pattern: "nr:{i}"
    with: {i: "1..$nr"}
    value: {text: "v{i}"}
    batch: 50
    concurrency: 1
EOF
start=$(now_ms)
expect_exit 1 cw run "$T/nr.yaml" --progress never
elapsed=$(($(now_ms) - start))
echo "replicas_ack: 3 run took $elapsed ms" >&2
expect_ge "$elapsed" 1000 "the first batch is resent for the whole 1 s reconnect_budget (ms)"
expect_le "$elapsed" 15000 "replicas_ack that cannot be met ends in bounded time (ms)"
r=$T/out.json
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$nr"
expect_json "$r" .totals.written 0
expect_json "$r" .totals.failed "$nr"
expect_json "$r" '.groups[0].errors | length' 1
expect_json "$r" '.groups[0].errors[0].kind' not_replicated
expect_json "$r" '.groups[0].errors[0].count' "$nr"
expect_json "$r" '.groups[0].errors[0].samples[0] | test("only [0-2] of 3 replicas acknowledged within 200ms \\(replicas_ack\\)")' true
expect_json "$r" "[$t.nodes[].failed] | add" "$nr"
expect_json "$r" "[$t.nodes[].written] | add" 0
expect_json "$r" "$t.nodes | length" 3
