#!/usr/bin/env bash
# {hash: [a, b]} makes each key a hash with exactly those fields: fields of a pre-existing hash
# that are not in the list are removed, and the values equal the query's columns.
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/users.db" <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, score REAL,
                    secret TEXT);
INSERT INTO users VALUES
  (1, 'Ada Lovelace', 'ada@example.org', 36, 99.5, 'x'),
  (2, 'Alan Turing', 'alan@example.org', 41, 97.25, 'y'),
  (3, 'Grace Hopper', 'grace@example.org', 85, 98.0, 'z');
SQL

# user:1 was cached before, with an old name and fields the new layout no longer has.
rcli hset user:1 name "Old Name" stale yes legacy_field 1 >/dev/null

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: "$T/users.db"}
defaults: {ttl: 10m}
groups:
  - name: users
    query: {source: db, sql: "SELECT id, name, email, age, score FROM users"}
    key: "user:{id}"
    value: {hash: [name, email, age, score]}
EOF

expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(dbsize)" 3 "DBSIZE"
expect_eq "$(rcli type user:1)" hash "TYPE user:1"
expect_eq "$(rcli hlen user:1)" 4 "HLEN user:1: exactly the listed fields (stale ones removed)"
expect_eq "$(rcli hexists user:1 stale)" 0 "stale field removed from the pre-existing hash"
expect_eq "$(rcli hexists user:1 legacy_field)" 0 "legacy field removed from the pre-existing hash"
expect_eq "$(rcli hexists user:2 secret)" 0 "columns not listed are not written"
for id in 1 2 3; do
  expect_eq "$(rcli hgetall "user:$id" | paste -d= - - | LC_ALL=C sort | paste -sd ';')" \
    "$(sql "$T/users.db" "SELECT 'age=' || age || ';email=' || email || ';name=' || name
                          || ';score=' || score FROM users WHERE id = $id")" \
    "HGETALL user:$id equals the row"
done
expect_eq "$(rcli hget user:3 score)" "$(sql "$T/users.db" "SELECT score FROM users WHERE id = 3")" \
  "REAL column rendered as sqlite3 renders it"
ttl=$(rcli ttl user:1)
expect_ge "$ttl" 590 "TTL user:1 (defaults.ttl 10m)"
expect_le "$ttl" 600 "TTL user:1 (defaults.ttl 10m)"

expect_json "$r" .status ok
expect_json "$r" .totals.written 3
expect_json "$r" .totals.planned 3
expect_report_invariant "$r"
