#!/usr/bin/env bash
# A redis+cluster:// target on a 3-master/1-replica cluster: 20,000 pattern keys land on the
# masters of their slots (each master a fair share, the report's nodes list the three masters
# with the 16384 slots and the group's writes per master, no redirection on a stable layout);
# `{{user{u}}}:f{i}` renders hash-tagged keys, so one user's keys share one slot and one master;
# strings, hashes, sets, sorted sets and lists (the collections one script call on one key, a
# 2,500-member set included) read back whole through redis-cli -c; `cluster: true` on a redis://
# URL seeds from one node (a master or a replica); replicas_ack: 1 leaves every key on the
# replicas too. `snapshot` of a cluster target scans every master, and a restore of it writes each
# key back to the master of its slot. Errors: no seed reachable (exit 3, `no cluster node
# reachable`), a server without cluster support behind a cluster URL (exit 3), a database in a
# cluster URL (exit 2).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cluster.sh"

start_cluster 3 1
masters=("${CLUSTER_MASTER_PORTS[@]}")
replicas=()
for p in "${CLUSTER_PORTS[@]}"; do
  [[ " ${masters[*]} " == *" $p "* ]] || replicas+=("$p")
done
expect_eq "${#replicas[@]}" 3 "one replica per master"
m0=${masters[0]}
# crcli ARGS...: redis-cli -c through the first master (follows MOVED).
crcli() { cluster_rcli "$m0" -c "$@"; }
expected_addrs=$(printf '127.0.0.1:%s\n' "${masters[@]}" | LC_ALL=C sort | paste -sd,)

# --- (a) 20,000 pattern keys over the three masters --------------------------------------------
keys=20000
cat >"$T/a.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url)"}
groups:
  - name: pat
    pattern: "pat:{i}"
    with: {i: "1..$keys"}
    value: {text: "v{i}"}
    concurrency: 2
    batch: 300
EOF
expect_exit 0 cw run "$T/a.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_eq "$(cluster_dbsize)" "$keys" "cluster DBSIZE after 20,000 keys"
for line in $(cluster_keys_per_master); do
  n=${line#*:}
  # An even share is 33 %; a master left out (or everything on one node) fails this.
  expect_ge "$n" $((keys / 5 + 1)) "keys on master ${line%%:*} (more than 20 %)"
done
t='.groups[0].targets[0]'
expect_json "$r" "$t.name" c
expect_json "$r" "$t.nodes | length" 3
expect_json "$r" "[$t.nodes[].address] | sort | join(\",\")" "$expected_addrs"
expect_json "$r" "[$t.nodes[].slots] | add" 16384
expect_json "$r" "[$t.nodes[].written] | add" "$keys"
expect_json "$r" '.groups[0] | ([.targets[0].nodes[].written] | add) == .written' true
expect_json "$r" "[$t.nodes[].failed] | add" 0
expect_json "$r" "[$t.nodes[].moved] | add" 0
expect_json "$r" "[$t.nodes[].ask] | add" 0
expect_json "$r" "[$t.nodes[].failovers] | add" 0
# Each master's written count is what it holds (the cluster was empty), and its slots are as many
# as its own CLUSTER NODES line lists.
for p in "${masters[@]}"; do
  held=$(cluster_rcli "$p" dbsize)
  expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$p\") | .written" "$held"
  slots=$(cluster_rcli "$p" cluster nodes | tr -d '\r' | awk '$3 ~ /myself/ {
    n = 0; for (i = 9; i <= NF; i++) { split($i, a, "-"); n += (a[2] == "" ? 1 : a[2] - a[1] + 1) }
    print n }')
  expect_json "$r" "$t.nodes[] | select(.address == \"127.0.0.1:$p\") | .slots" "$slots"
done
for i in 1 777 $((RANDOM % keys + 1)) "$keys"; do
  expect_eq "$(crcli get "pat:$i")" "v$i" "GET pat:$i through redis-cli -c"
done
# The key is on the master CLUSTER KEYSLOT names, not merely somewhere.
slot=$(crcli cluster keyslot pat:777)
owner=$(crcli cluster nodes | tr -d '\r' | awk -v s="$slot" '$3 ~ /master/ {
  for (i = 9; i <= NF; i++) { split($i, a, "-"); if (a[2] == "") a[2] = a[1]
    if (s + 0 >= a[1] + 0 && s + 0 <= a[2] + 0) { sub(/@.*/, "", $2); sub(/.*:/, "", $2); print $2 } } }')
expect_eq "$(cluster_rcli "$owner" exists pat:777)" 1 "pat:777 is on the master of slot $slot ($owner)"

# --- (b) hash tags: `{{user{u}}}:f{i}` renders {userN}:fI, one slot per user -------------------
users=6
per_user=40
cat >"$T/b.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url)"}
groups:
  - name: tagged
    pattern: "{{user{u}}}:f{i}"
    with: {u: "1..$users", i: "1..$per_user"}
    value: {text: "u{u}f{i}"}
  - name: untagged
    pattern: "user{u}:f{i}"
    with: {u: "1..$users", i: "1..$per_user"}
    value: {text: "u{u}f{i}"}
EOF
expect_exit 0 cw run "$T/b.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.written $((2 * users * per_user))
expect_eq "$(crcli get '{user3}:f7')" u3f7 "the rendered key is {user3}:f7 (braces literal)"
expect_eq "$(crcli exists 'user3:f7')" 1 "the untagged key user3:f7"
expect_eq "$(cluster_dbsize)" $((keys + 2 * users * per_user)) "cluster DBSIZE after the tag groups"
# Per user, the masters holding its keys (SCAN on each master): "userN PORT" lines.
for p in "${masters[@]}"; do
  cluster_rcli "$p" --scan --pattern '{user*' | sed "s/^{\(user[0-9]*\)}:.*/\1 $p/"
done | LC_ALL=C sort -u >"$T/tagged.txt"
expect_eq "$(wc -l <"$T/tagged.txt")" "$users" "each user's tagged keys on exactly one master: $(paste -sd' ' "$T/tagged.txt")"
expect_eq "$(cut -d' ' -f1 "$T/tagged.txt" | sort -u | wc -l)" "$users" "every user's tagged keys found"
for u in $(seq 1 "$users"); do
  owner=$(awk -v u="user$u" '$1 == u {print $2}' "$T/tagged.txt")
  expect_eq "$(cluster_rcli "$owner" eval "return #redis.call('keys', '{user$u}:*')" 0)" "$per_user" \
    "all $per_user keys of {user$u} on master $owner"
  expect_eq "$(crcli cluster keyslot "{user$u}:f1")" "$(crcli cluster keyslot "{user$u}:f$per_user")" \
    "{user$u}:f1 and :f$per_user share a slot"
done
# Control: without the tag, one user's keys spread over the masters (so the check above can fail).
for p in "${masters[@]}"; do
  cluster_rcli "$p" --scan --pattern 'user1:*' | sed "s/.*/$p/"
done | LC_ALL=C sort -u >"$T/untagged.txt"
expect_ge "$(wc -l <"$T/untagged.txt")" 2 "untagged keys of user1 spread over masters"
expect_json "$r" '[.groups[] | select(.name == "tagged") | .targets[0].nodes[].written] | add' $((users * per_user))

# --- (c) every value shape from one SQLite query each --------------------------------------------
make_db "$T/shop.db" <<'SQL'
CREATE TABLE products (id INTEGER, name TEXT, price TEXT, color TEXT);
INSERT INTO products VALUES (1, 'lamp', '19.90', 'red'), (2, 'desk', '120', 'oak'),
                            (3, 'chair', '45.5', NULL), (4, 'rug', '80', 'blue');
CREATE TABLE tags (product INTEGER, tag TEXT);
INSERT INTO tags VALUES (1, 'red'), (1, 'sale'), (1, 'red'), (2, 'wood'), (4, 'soft'), (4, 'blue');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
INSERT INTO tags SELECT 3, 'tag-' || i FROM n;
CREATE TABLE scores (board TEXT, player TEXT, points REAL);
INSERT INTO scores VALUES ('daily', 'ada', 120), ('daily', 'bob', 95.5), ('daily', 'cy', 130),
                          ('weekly', 'ada', 900), ('weekly', 'dee', 15), ('monthly', 'eve', 7);
CREATE TABLE events (feed TEXT, seq INTEGER, body TEXT);
INSERT INTO events VALUES ('home', 1, 'first'), ('home', 2, 'second'), ('home', 3, 'third'),
                          ('news', 1, 'only'), ('sport', 1, 'goal'), ('sport', 2, 'save');
SQL
# Stale collections a reader must never see merged with the new ones (written into the cluster).
crcli sadd tags:1 old-tag >/dev/null
crcli rpush feed:home old-item >/dev/null
crcli zadd board:daily 1 stale-player >/dev/null
crcli hset prod:1 stale yes >/dev/null
cat >"$T/c.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url)"}
sources:
  db: {sqlite: "$T/shop.db"}
groups:
  - name: names
    query: {source: db, sql: "SELECT id, name FROM products"}
    key: "name:{id}"
    value: {column: name}
  - name: products
    query: {source: db, sql: "SELECT id, name, price, color FROM products"}
    key: "prod:{id}"
    value: {hash: [name, price, color]}
  - name: tags
    query: {source: db, sql: "SELECT product, tag FROM tags ORDER BY product"}
    key: "tags:{product}"
    value: {set: tag}
    batch: 100
  - name: boards
    query: {source: db, sql: "SELECT board, player, points FROM scores ORDER BY board"}
    key: "board:{board}"
    value: {zset: {member: player, score: points}}
  - name: feeds
    query: {source: db, sql: "SELECT feed, body FROM events ORDER BY feed, seq"}
    key: "feed:{feed}"
    value: {list: body}
EOF
expect_exit 0 cw run "$T/c.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.failed 0
expect_json "$r" '[.groups[] | "\(.name)=\(.written)"] | join(" ")' \
  "names=4 products=4 tags=4 boards=3 feeds=3"
expect_json "$r" '[.groups[].targets[0].nodes | length] | unique | join(",")' 3
# The 18 keys hash to slots all over: more than one master got some.
for p in "${masters[@]}"; do
  cluster_rcli "$p" --scan | grep -E '^(name|prod|tags|board|feed):' | sed "s/.*/$p/" || true
done | sort -u >"$T/shapes.txt"
expect_ge "$(wc -l <"$T/shapes.txt")" 2 "the value-shape keys are spread over masters"

for i in 1 2 3 4; do
  expect_eq "$(crcli type "name:$i")" string "TYPE name:$i"
  expect_eq "$(crcli type "prod:$i")" hash "TYPE prod:$i"
  expect_eq "$(crcli type "tags:$i")" set "TYPE tags:$i"
done
expect_eq "$(crcli get name:2)" desk "GET name:2"
expect_eq "$(crcli hgetall prod:1 | paste -sd' ')" "name lamp price 19.90 color red" \
  "HGETALL prod:1 (stale field gone)"
expect_eq "$(crcli hgetall prod:3 | paste -sd' ')" "name chair price 45.5" "HGETALL prod:3 (NULL column left out)"
expect_eq "$(crcli smembers tags:1 | LC_ALL=C sort | paste -sd' ')" "red sale" "SMEMBERS tags:1 (stale member gone)"
expect_eq "$(crcli smembers tags:4 | LC_ALL=C sort | paste -sd' ')" "blue soft" "SMEMBERS tags:4"
expect_eq "$(crcli scard tags:3)" 2500 "SCARD tags:3 (2,500 members, more than one argument chunk)"
expect_eq "$(crcli sismember tags:3 tag-2500)" 1 "the last member of tags:3"
for b in daily weekly monthly; do
  expect_eq "$(crcli type "board:$b")" zset "TYPE board:$b"
done
expect_eq "$(crcli zrange board:daily 0 -1 withscores | paste -sd' ')" "bob 95.5 ada 120 cy 130" \
  "ZRANGE board:daily (stale member gone)"
expect_eq "$(crcli zrange board:weekly 0 -1 withscores | paste -sd' ')" "dee 15 ada 900" "ZRANGE board:weekly"
for f in home news sport; do
  expect_eq "$(crcli type "feed:$f")" list "TYPE feed:$f"
done
expect_eq "$(crcli lrange feed:home 0 -1 | paste -sd' ')" "first second third" "LRANGE feed:home (stale item gone)"
expect_eq "$(crcli lrange feed:sport 0 -1 | paste -sd' ')" "goal save" "LRANGE feed:sport"

# --- (d) cluster: true on a plain redis:// URL: one node as the seed ----------------------------
for seed in "${masters[2]}" "${replicas[0]}"; do
  cat >"$T/d.yaml" <<EOF
version: 1
targets:
  c: {url: "redis://127.0.0.1:$seed", cluster: true}
groups:
  - name: seeded
    pattern: "seed$seed:{i}"
    with: {i: "1..3000"}
    value: {text: "s{i}"}
EOF
  before=$(cluster_dbsize)
  expect_exit 0 cw run "$T/d.yaml" --progress never
  r=$T/out.json
  expect_json "$r" .status ok
  expect_json "$r" .totals.written 3000
  expect_json "$r" '.groups[0].targets[0].nodes | length' 3
  expect_json "$r" '[.groups[0].targets[0].nodes[].address] | sort | join(",")' "$expected_addrs"
  expect_json "$r" '[.groups[0].targets[0].nodes[].slots] | add' 16384
  expect_json "$r" '[.groups[0].targets[0].nodes[] | .moved + .ask] | add' 0
  expect_eq "$(cluster_dbsize)" $((before + 3000)) "cluster DBSIZE after the run seeded by $seed"
  expect_eq "$(crcli get "seed$seed:2999")" s2999 "GET seed$seed:2999"
done
# One node's cluster view is not the whole cluster: the seeded run wrote to all masters.
for p in "${masters[@]}"; do
  expect_ge "$(cluster_rcli "$p" eval "return #redis.call('keys', 'seed${masters[2]}:*')" 0)" 600 \
    "keys of the run seeded by ${masters[2]} on master $p"
done

# --- (e) replicas_ack: 1: WAIT 1 per master, every key on the replicas as the run ends ----------
cat >"$T/e.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url)", replicas_ack: 1, replicas_ack_timeout: 5s}
groups:
  - name: acked
    pattern: "ack:{i}"
    with: {i: "1..5000"}
    value: {text: "a{i}"}
    batch: 200
EOF
before=$(cluster_dbsize)
expect_exit 0 cw run "$T/e.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.written 5000
expect_json "$r" .totals.failed 0
expect_json "$r" '[.groups[0].targets[0].nodes[].written] | add' 5000
expect_eq "$(cluster_dbsize)" $((before + 5000)) "cluster DBSIZE after the replicas_ack run"
# Acknowledged by WAIT 1: each replica already holds its master's keys, no waiting for sync.
for p in "${replicas[@]}"; do
  mp=$(cluster_rcli "$p" info replication | tr -d '\r' | sed -n 's/^master_port://p')
  expect_eq "$(cluster_rcli "$p" eval "return #redis.call('keys', 'ack:*')" 0)" \
    "$(cluster_rcli "$mp" eval "return #redis.call('keys', 'ack:*')" 0)" \
    "replica $p holds every ack: key of its master $mp right after the run"
done

# --- (e2) snapshot scans every master; a restore writes each key back to its own master ---------
expect_exit 0 cw snapshot "$T/e.yaml" --target c --out "$T/snap.jsonl" --match 'ack:1?' \
  --top 100 --values --progress never
r=$T/out.json
expect_json "$r" .kept 10
expect_json "$r" .examined 10
expect_json "$r" .keys_in_db "$(cluster_dbsize)"
expect_json "$r" .ranked_by idle_time
expect_eq "$(tail -n +2 "$T/snap.jsonl" | jq -r .key | LC_ALL=C sort | paste -sd,)" \
  "$(printf 'ack:1%d\n' 0 1 2 3 4 5 6 7 8 9 | paste -sd,)" "the snapshot holds ack:10..ack:19"
for i in 0 1 2 3 4 5 6 7 8 9; do crcli del "ack:1$i" >/dev/null; done
cat >"$T/e2.yaml" <<EOF
version: 1
targets:
  c: {url: "$(cluster_url)"}
groups:
  - name: back
    keys_from: {snapshot: "$T/snap.jsonl"}
    value: {restore: snapshot}
EOF
expect_exit 0 cw run "$T/e2.yaml" --progress never
expect_json "$T/out.json" .totals.written 10
for i in 0 5 9; do
  expect_eq "$(crcli get "ack:1$i")" "a1$i" "ack:1$i restored on its master"
done

# --- (f) errors ---------------------------------------------------------------------------------
# Every seed on a closed port.
c1=$(closed_port)
c2=$(closed_port)
cat >"$T/f1.yaml" <<EOF
version: 1
targets:
  c: {url: "redis+cluster://127.0.0.1:$c1,127.0.0.1:$c2", connect_timeout: 1s}
groups:
  - name: g
    pattern: "nope:{i}"
    with: {i: "1..10"}
    value: {text: "x"}
EOF
start=$(now_ms)
expect_exit 3 cw run "$T/f1.yaml" --progress never
expect_le $(($(now_ms) - start)) 15000 "unreachable seeds fail fast (ms)"
err=$(cat "$T/err.txt")
expect_contains "$err" "no cluster node reachable" "all seeds down"
expect_contains "$err" "127.0.0.1:$c1" "the first seed is named"
expect_contains "$err" "127.0.0.1:$c2" "the second seed is named"

# A plain redis-server (no cluster support) behind a cluster URL, both spellings.
start_redis
cat >"$T/f2.yaml" <<EOF
version: 1
targets:
  c: {url: "redis+cluster://127.0.0.1:$REDIS_PORT"}
groups:
  - name: g
    pattern: "plain:{i}"
    with: {i: "1..10"}
    value: {text: "x"}
EOF
expect_exit 3 cw run "$T/f2.yaml" --progress never
expect_contains "$(cat "$T/err.txt")" "cluster support disabled" "the server's refusal is shown"
expect_eq "$(dbsize)" 0 "nothing written to the non-cluster server"
sed -i "s|url: \"redis+cluster://127.0.0.1:$REDIS_PORT\"|url: \"redis://127.0.0.1:$REDIS_PORT\", cluster: true|" "$T/f2.yaml"
grep -q 'cluster: true' "$T/f2.yaml" || fail "the sed did not rewrite f2.yaml"
expect_exit 3 cw run "$T/f2.yaml" --progress never
expect_contains "$(cat "$T/err.txt")" "cluster support disabled" "the server's refusal is shown (cluster: true)"
expect_eq "$(dbsize)" 0 "nothing written to the non-cluster server (cluster: true)"

# A database in a cluster URL: a manifest error.
cat >"$T/f3.yaml" <<EOF
version: 1
targets:
  c: {url: "redis+cluster://h:1/2"}
groups:
  - name: g
    keys: [a]
    value: {text: "x"}
EOF
expect_exit 2 cw run "$T/f3.yaml" --progress never
expect_contains "$(cat "$T/err.txt")" "only database 0" "a cluster URL with /2"
expect_exit 2 cw validate "$T/f3.yaml"
expect_contains "$(cat "$T/err.txt" "$T/out.json")" "only database 0" "validate finds it too"
