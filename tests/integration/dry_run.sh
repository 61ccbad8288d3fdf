#!/usr/bin/env bash
# --dry-run resolves keys and values but never connects to Redis: DBSIZE stays 0, the server
# receives no connection, and the report counts what would be written in "written".
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/db.sqlite" <<'SQL'
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50)
INSERT INTO t SELECT n, 'value ' || n FROM s;
SQL
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: db.sqlite}
groups:
  - name: pattern
    pattern: "p:{i}"
    with: {i: "1..100"}
    value: {text: "x{i}"}
  - name: query
    query: {source: db, sql: "SELECT id, v FROM t"}
    key: "q:{id}"
    value: {column: v}
EOF

connections() { rcli info stats | tr -d '\r' | sed -n 's/^total_connections_received://p'; }
before=$(connections)
expect_exit 0 cw run "$T/m.yaml" --dry-run
after=$(connections)
# The only connection in between is the INFO call itself.
expect_eq "$after" $((before + 1)) "connections the server received during --dry-run (+1 for INFO)"
expect_eq "$(dbsize)" 0 "DBSIZE after --dry-run"

r=$T/out.json
expect_json "$r" .dry_run true
expect_json "$r" .status ok
expect_json "$r" .totals.planned 150
expect_json "$r" .totals.written 150
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[] | select(.name == "query") | .written' 50
expect_report_invariant "$r"

# The same manifest without --dry-run writes exactly what the dry run counted.
expect_exit 0 cw run "$T/m.yaml"
expect_eq "$(dbsize)" 150 "DBSIZE after the real run"
expect_json "$T/out.json" .dry_run false
