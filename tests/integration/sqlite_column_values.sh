#!/usr/bin/env bash
# A bulk SQLite query with {column: C}: one SET per row, values byte-equal to the column, TTL
# within ttl +- ttl_jitter, and the report's counts equal to what Redis holds.
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/shop.db" <<'SQL'
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, payload TEXT NOT NULL);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 300)
INSERT INTO items
SELECT n, 'item ' || n || ' "quoted" ünïcode',
       json_object('id', n, 'name', 'item ' || n, 'tags', json_array('a', 'b'), 'pad', hex(n * 7919))
FROM s;
SQL

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: shop.db}   # relative: resolved against this manifest's directory, not the cwd
groups:
  - name: items
    query: {source: db, sql: "SELECT id, payload FROM items WHERE id <= 250 ORDER BY id"}
    key: "item:{id}"
    value: {column: payload}
    ttl: 1h
    ttl_jitter: 10%
  - name: names
    query: {source: db, sql: "SELECT id, name FROM items WHERE id > 250"}
    key: "name:{id}"
    value: {column: name}
    ttl: 30m
EOF

cd "$CACHEWARM_SOURCE_DIR"
expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

# The server's truth first.
expect_eq "$(dbsize)" 300 "DBSIZE after the run"
for id in 1 2 99 250; do
  expect_eq "$(rcli get "item:$id")" "$(sql "$T/shop.db" "SELECT payload FROM items WHERE id = $id")" \
    "GET item:$id equals the payload column"
done
expect_eq "$(rcli get name:251)" 'item 251 "quoted" ünïcode' "GET name:251 (quotes, UTF-8)"
expect_eq "$(rcli exists item:251)" 0 "rows outside the query are not written"
expect_eq "$(rcli type item:7)" string "TYPE item:7"

# TTL: uniform in [0.9h, 1.1h] (a few seconds of slack below for the run itself).
for i in $(seq 1 250); do echo "PTTL item:$i"; done | rcli >"$T/pttl.txt"
min=$(sort -n "$T/pttl.txt" | head -n 1)
max=$(sort -n "$T/pttl.txt" | tail -n 1)
expect_ge "$min" $((3240000 - 10000)) "smallest PTTL of item:* (ttl 1h - 10%)"
expect_le "$max" 3960000 "largest PTTL of item:* (ttl 1h + 10%)"
expect_ge $((max - min)) 60000 "ttl_jitter spreads the PTTLs (max - min)"
ttl=$(rcli ttl name:300)
expect_ge "$ttl" 1790 "TTL name:300 (30m, no jitter)"
expect_le "$ttl" 1800 "TTL name:300 (30m, no jitter)"

# The report agrees with the server.
expect_json "$r" .status ok
expect_json "$r" .dry_run false
expect_json "$r" .totals.planned 300
expect_json "$r" .totals.written "$(dbsize)"
expect_json "$r" .totals.failed 0
expect_json "$r" .totals.skipped 0
expect_json "$r" '.groups[] | select(.name == "items") | .written' 250
expect_json "$r" '.groups[] | select(.name == "names") | .written' 50
expect_json "$r" '.groups[] | select(.name == "items") | .targets[0].name' main
expect_json "$r" '.groups[] | select(.name == "items") | .targets[0].written' 250
expect_report_invariant "$r"
payload_bytes=$(sql "$T/shop.db" "SELECT sum(length(CAST(payload AS BLOB))) FROM items WHERE id <= 250")
expect_ge "$(jget "$r" '.groups[] | select(.name == "items") | .bytes')" "$payload_bytes" \
  "report bytes of group items >= the payload bytes written"
