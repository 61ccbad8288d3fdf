#!/usr/bin/env bash
# A rediss+cluster:// target on a TLS-only 3-master/1-replica cluster (CLUSTER_TLS=1: the nodes
# announce their TLS ports, which cachewarm dials): with the test CA as tls.ca_file every key lands
# on the master of its slot (strings and a set, read back with redis-cli --tls -c), the report
# says `"tls": {"verify": true}` and lists the three masters; `rediss://` with `cluster: true`
# seeds from one node. A CA that did not sign the nodes' certificates is exit 3 `unknown CA`, a
# plain redis+cluster:// URL on the TLS ports exit 3 too, and neither writes anything.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_tls.sh"
source "$(dirname "$0")/lib_cluster.sh"

CLUSTER_TLS=1
# TLS handshakes on a loaded machine: a longer node timeout keeps the cluster from failing over.
CLUSTER_NODE_TIMEOUT=${CLUSTER_NODE_TIMEOUT:-3000}
start_cluster 3 1
masters=("${CLUSTER_MASTER_PORTS[@]}")
url=$(cluster_url)
[[ "$url" == rediss+cluster://* ]] || fail "cluster_url with CLUSTER_TLS=1: $url"
# crcli ARGS...: redis-cli --tls -c through the first master (follows MOVED).
crcli() { cluster_rcli "${masters[0]}" -c "$@"; }
expected_addrs=$(printf '127.0.0.1:%s\n' "${masters[@]}" | LC_ALL=C sort | paste -sd,)
make_db "$T/tags.db" <<'SQL'
CREATE TABLE tags (product INTEGER, tag TEXT);
INSERT INTO tags VALUES (1, 'red'), (1, 'sale'), (2, 'blue'), (3, 'green'), (3, 'new');
SQL

# manifest FILE URL_FIELDS TLS_BLOCK PREFIX COUNT: target `c` ({url: ..., tls: ...}), a group of
# COUNT pattern keys PREFIX:i = PREFIX-v{i} and a group of sets PREFIX-tags:{product}.
manifest() {
  cat >"$1" <<EOF
version: 1
targets:
  c: {$2, tls: $3}
sources:
  db: {sqlite: "$T/tags.db"}
groups:
  - name: keys
    pattern: "$4:{i}"
    with: {i: "1..$5"}
    value: {text: "$4-v{i}"}
  - name: tags
    query: {source: db, sql: "SELECT product, tag FROM tags ORDER BY product"}
    key: "$4-tags:{product}"
    value: {set: tag}
EOF
}

# --- A verified run over TLS ----------------------------------------------------------------------
keys=5000
manifest "$T/ok.yaml" "url: \"$url\"" "{ca_file: $TLS_CERTS/ca.pem}" tk "$keys"
expect_exit 0 cw run "$T/ok.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned $((keys + 3))
expect_json "$r" .totals.written $((keys + 3))
expect_json "$r" .totals.failed 0
for g in 0 1; do
  t=".groups[$g].targets[0]"
  expect_json "$r" "$t.name" c
  expect_json "$r" "$t.tls.verify" true
  expect_json "$r" "$t.nodes | length" 3
  expect_json "$r" "[$t.nodes[].address] | sort | join(\",\")" "$expected_addrs"
  expect_json "$r" "[$t.nodes[].slots] | add" 16384
  expect_json "$r" "[$t.nodes[] | .moved + .ask + .failovers] | add" 0
done
expect_json "$r" '[.groups[0].targets[0].nodes[].written] | add' "$keys"
expect_eq "$(cluster_dbsize)" $((keys + 3)) "cluster DBSIZE after the TLS run"
for line in $(cluster_keys_per_master); do
  expect_ge "${line#*:}" $((keys / 5)) "keys on master ${line%%:*}"
  expect_json "$r" ".groups[0].targets[0].nodes[] | select(.address == \"127.0.0.1:${line%%:*}\") | .written" \
    "$(cluster_rcli "${line%%:*}" eval "return #redis.call('keys', 'tk:*')" 0)"
done
for p in "${masters[@]}"; do
  cluster_rcli "$p" --scan --pattern 'tk:*'
done | LC_ALL=C sort >"$T/actual.txt"
seq 1 "$keys" | sed 's/^/tk:/' | LC_ALL=C sort >"$T/expected.txt"
cmp -s "$T/expected.txt" "$T/actual.txt" ||
  fail "keys missing: $(comm -23 "$T/expected.txt" "$T/actual.txt" | head -5 | paste -sd' ')"
for i in 1 1234 $((RANDOM % keys + 1)) "$keys"; do
  expect_eq "$(crcli get "tk:$i")" "tk-v$i" "GET tk:$i over TLS (redis-cli --tls -c)"
done
expect_eq "$(crcli type tk-tags:1)" set "TYPE tk-tags:1"
expect_eq "$(crcli smembers tk-tags:1 | LC_ALL=C sort | paste -sd' ')" "red sale" "SMEMBERS tk-tags:1"
expect_eq "$(crcli smembers tk-tags:3 | LC_ALL=C sort | paste -sd' ')" "green new" "SMEMBERS tk-tags:3"

# --- rediss:// with cluster: true, one node (the third master) as the seed ---------------------------
manifest "$T/seed.yaml" "url: \"rediss://127.0.0.1:${masters[2]}\", cluster: true" \
  "{ca_file: $TLS_CERTS/ca.pem}" sd 2000
before=$(cluster_dbsize)
expect_exit 0 cw run "$T/seed.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.written 2003
expect_json "$r" '.groups[0].targets[0].tls.verify' true
expect_json "$r" '[.groups[0].targets[0].nodes[].address] | sort | join(",")' "$expected_addrs"
expect_eq "$(cluster_dbsize)" $((before + 2003)) "cluster DBSIZE after the seeded TLS run"
expect_eq "$(crcli get sd:2000)" sd-v2000 "GET sd:2000"

# --- A CA that did not sign the nodes' certificates -----------------------------------------------
before=$(cluster_dbsize)
manifest "$T/wrongca.yaml" "url: \"$url\"" "{ca_file: $TLS_CERTS/other-ca.pem}" wc 100
expect_exit 3 cw run "$T/wrongca.yaml" --progress never
err=$(cat "$T/err.txt")
expect_contains "$err" "unknown CA" "a wrong CA is named as such"
expect_contains "$err" "127.0.0.1:${masters[0]}" "the seed is named"
expect_eq "$(cluster_dbsize)" "$before" "nothing written with the wrong CA"

# --- redis+cluster:// (no TLS) on the TLS ports ----------------------------------------------------
plain=${url/rediss+cluster:/redis+cluster:}
cat >"$T/plain.yaml" <<EOF
version: 1
targets:
  c: {url: "$plain", connect_timeout: 1s, timeout: 2s}
groups:
  - name: g
    pattern: "pl:{i}"
    with: {i: "1..10"}
    value: {text: "x"}
EOF
start=$(now_ms)
expect_exit 3 cw run "$T/plain.yaml" --progress never
expect_le $(($(now_ms) - start)) 20000 "a plain-text client on TLS ports gives up in bounded time (ms)"
expect_contains "$(cat "$T/err.txt")" "no cluster node reachable" "plain text to TLS nodes"
expect_eq "$(cluster_dbsize)" "$before" "nothing written over plain text"
