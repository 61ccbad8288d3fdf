#!/usr/bin/env bash
# NULLs in a bulk query are per-key failures, never empty values: a NULL in a key template's
# column is `null_key`, a NULL value column is `not_found`; the other rows are written (exit 1).
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/db.sqlite" <<'SQL'
CREATE TABLE t (id INTEGER, v TEXT);
INSERT INTO t VALUES (1, 'one'), (2, NULL), (NULL, 'orphan'), (4, 'four'), (5, '');
SQL
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: db.sqlite}
groups:
  - name: rows
    query: {source: db, sql: "SELECT id, v FROM t"}
    key: "t:{id}"
    value: {column: v}
EOF

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json
expect_eq "$(scan_keys | paste -sd ' ')" "t:1 t:4 t:5" "only rows with a key and a value are written"
expect_eq "$(rcli get t:5)" "" "an empty string is a value, not a NULL"
expect_eq "$(rcli exists t:2)" 0 "a NULL value writes nothing"
expect_eq "$(rcli exists t:)" 0 "a NULL key column writes nothing"
expect_json "$r" .status partial
expect_json "$r" .totals.planned 5
expect_json "$r" .totals.written 3
expect_json "$r" .totals.failed 2
expect_json "$r" '.groups[0].errors[] | select(.kind == "null_key") | .count' 1
expect_json "$r" '.groups[0].errors[] | select(.kind == "not_found") | .count' 1
expect_json "$r" '[.groups[0].errors[] | select(.kind == "not_found") | .samples[]
                   | select(startswith("t:2"))] | length' 1
expect_report_invariant "$r"
