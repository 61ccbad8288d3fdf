#!/usr/bin/env bash
# Per-key PostgreSQL lookups over 2000 keys: values right (bytea raw), missing rows and NULLs
# `not_found`, a key the server rejects `source_error` without losing the rest of its batch,
# keys shaped like SQL injection bound safely, and the lookups batched: one pipeline (one
# implicit transaction) per batch, so the server commits a handful of transactions, not 2000.
# A connection lost mid-batch ends the run with exit 3.
source "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/postgres-server.sh
source "$CACHEWARM_SOURCE_DIR/scripts/postgres-server.sh"

if why=$(cw_pg_unavailable); then skip "$why"; fi
start_redis
# No autovacuum: its transactions would blur the transaction count below.
cw_pg_start "$T" -c autovacuum=off || fail "could not start PostgreSQL"
on_exit "cw_pg_stop $CW_PG_PID"

# Every 10th key has no row, every 7th has a NULL value.
cw_pg_sql <<'SQL'
CREATE TABLE kv (k text PRIMARY KEY, v text, b bytea);
INSERT INTO kv SELECT 'k' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'value ' || i END,
                      decode(lpad(to_hex(i), 8, '0'), 'hex')
FROM generate_series(1, 2000) AS i WHERE i % 10 <> 0;
INSERT INTO kv VALUES ('o''brien key', 'irish', NULL), ('robert''); DROP TABLE kv;--', 'bobby', NULL);
SQL
missing=$(cw_pg_sql -c "SELECT count(*) FROM generate_series(1, 2000) i WHERE i % 10 = 0 OR i % 7 = 0")

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$CW_PG_URI"}
defaults: {batch: 500}
groups:
  - name: many
    pattern: "k{i}"
    with: {i: "1..2000"}
    value: {source: pg, sql: "SELECT v FROM kv WHERE k = \$1", params: ["{key}"]}
  - name: bytes
    pattern: "b:{i}"
    with: {i: "1..3"}
    value: {source: pg, sql: "SELECT b FROM kv WHERE k = \$1", params: ["k{i}"]}
  - name: quoted
    keys: ["o'brien key", "robert'); DROP TABLE kv;--"]
    value: {source: pg, sql: "SELECT v FROM kv WHERE k = \$1", params: ["{key}"]}
  - name: typed
    keys: ["1", "2", "x1", "3", "4"]
    value: {source: pg, sql: "SELECT v FROM kv WHERE k = 'k' || \$1::int", params: ["{key}"]}
EOF

xacts() { cw_pg_sql -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'cw'"; }
before=$(xacts)
expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(rcli get k1)" "value 1" "GET k1"
expect_eq "$(rcli get k1999)" "value 1999" "GET k1999"
expect_eq "$(rcli exists k10)" 0 "a missing row writes nothing"
expect_eq "$(rcli exists k7)" 0 "a NULL value writes nothing"
expect_eq "$(rcli get b:2 | head -c -1 | od -An -v -tx1 | tr -d ' \n')" 00000002 "bytea lookup is raw"
expect_eq "$(rcli get "o'brien key")" irish "GET \"o'brien key\" (a quote in a bound key)"
expect_eq "$(rcli get "robert'); DROP TABLE kv;--")" bobby "GET of the injection-shaped key"
expect_eq "$(cw_pg_sql -c "SELECT count(*) FROM kv")" 1802 "the kv table is intact"
# "x1" is no int: the server rejects that one key; the keys after it in the pipeline still land.
expect_eq "$(rcli get 3)" "value 3" "a key after the failing one in the same batch"
expect_eq "$(rcli get 4)" "value 4" "GET 4"

expect_json "$r" .totals.planned 2010
expect_json "$r" '.groups[] | select(.name == "many") | .written' $((2000 - missing))
expect_json "$r" '.groups[] | select(.name == "many") | .errors[] | select(.kind == "not_found") | .count' "$missing"
expect_json "$r" '.groups[] | select(.name == "typed") | .written' 4
expect_json "$r" '.groups[] | select(.name == "typed") | .errors[] | select(.kind == "source_error") | .count' 1
expect_json "$r" '[.groups[] | select(.name == "typed") | .errors[].samples[] | select(contains("invalid input syntax"))] | length' 1
expect_json "$r" .totals.written "$(dbsize)"
expect_report_invariant "$r"

# Batching, from the server's side: wait for cachewarm's backends to exit (they flush their
# statistics then), and count the transactions. Per-key round trips would commit >= 2010.
for ((i = 0; i < 50; i++)); do
  [[ $(cw_pg_sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cachewarm'") == 0 ]] && break
  sleep 0.1
done
after=$(xacts)
echo "transactions during the run: $((after - before))" >&2
expect_le $((after - before)) 100 "transactions the server committed for 2010 lookups"

# The server ends the session in the middle of a batch: exit 3, the report says why.
rcli flushall >/dev/null
cat >"$T/lost.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$CW_PG_URI"}
groups:
  - name: lost
    pattern: "k{i}"
    with: {i: "1..50"}
    value: {source: pg, params: ["{key}"],
            sql: "SELECT CASE WHEN \$1 = 'k25' THEN pg_terminate_backend(pg_backend_pid())::text ELSE v END FROM kv WHERE k = \$1"}
EOF
expect_exit 3 cw run "$T/lost.yaml"
expect_json "$T/out.json" .status failed
expect_contains "$(cat "$T/err.txt")" "127.0.0.1:$CW_PG_PORT" "the error names the server"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$CW_PG_PASSWORD" "the password is never printed"

# A parameter count that does not match the SQL is a manifest error (exit 2).
sed -e 's/params: \["{key}"\],/params: ["{key}", "{i}"],/' "$T/lost.yaml" >"$T/count.yaml"
expect_exit 2 cw run "$T/count.yaml"
expect_contains "$(cat "$T/err.txt")" "sql has 1 parameter(s) but params lists 2" "parameter count"
