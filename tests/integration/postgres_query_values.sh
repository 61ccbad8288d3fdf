#!/usr/bin/env bash
# A PostgreSQL query source streams text, numbers, json/jsonb and bytea (with NUL bytes) into
# Redis byte-exact; NULL value columns are `not_found`, a NULL key column is `null_key`, and the
# report's written count equals DBSIZE.
source "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/postgres-server.sh
source "$CACHEWARM_SOURCE_DIR/scripts/postgres-server.sh"

if why=$(cw_pg_unavailable); then skip "$why"; fi
start_redis
cw_pg_start "$T" || fail "could not start PostgreSQL"
on_exit "cw_pg_stop $CW_PG_PID"

cw_pg_sql <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(12, 2), qty bigint,
                    ratio double precision, doc json, docb jsonb, blob bytea, slug text);
INSERT INTO items VALUES
  (1, 'plain', 9.99, 42, 0.5, '{"a": [1, 2],  "b": "x"}', '{"b": "x", "a": [1, 2]}',
   '\x00010200ff'::bytea, 's1'),
  (2, 'quotes "x" and ''y'' ünïcode ✓', -0.01, -9223372036854775808, 1e-300, '[]', 'null',
   '\x'::bytea, 's2'),
  (3, E'tab\tnewline\nend\n', 0, 0, 'NaN', '"s"', '{"nested": {"k": "v"}}', '\x00'::bytea, NULL),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 's4');
SQL

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$CW_PG_URI"}
groups:
EOF
for col in name price qty ratio doc docb blob; do
  cat >>"$T/m.yaml" <<EOF
  - name: $col
    query: {source: pg, sql: "SELECT id, $col FROM items ORDER BY id"}
    key: "$col:{id}"
    value: {column: $col}
EOF
done
cat >>"$T/m.yaml" <<EOF
  - name: slugs
    query: {source: pg, sql: "SELECT slug, name FROM items ORDER BY id"}
    key: "slug:{slug}"
    value: {column: name}
EOF

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json

# hex of a Redis value (redis-cli ends its output with a newline, which is not the value's).
redis_hex() { rcli get "$1" | head -c -1 | od -An -v -tx1 | tr -d ' \n'; }
# hex of a PostgreSQL expression's bytes, as the server sends it as text (bytea: its raw bytes).
pg_hex() { cw_pg_sql -c "SELECT encode($1, 'hex') FROM items WHERE id = $2"; }

for id in 1 2 3; do
  for col in name price qty ratio doc docb; do
    expect_eq "$(redis_hex "$col:$id")" "$(pg_hex "convert_to($col::text, 'UTF8')" "$id")" \
      "$col:$id is byte-equal to the column's text"
  done
  expect_eq "$(redis_hex "blob:$id")" "$(pg_hex blob "$id")" "blob:$id is byte-equal to the bytea"
  expect_eq "$(rcli strlen "blob:$id")" "$(cw_pg_sql -c "SELECT length(blob) FROM items WHERE id = $id")" \
    "STRLEN blob:$id"
done
expect_eq "$(redis_hex blob:1)" 00010200ff "bytea with NUL bytes lands raw (not as \\x hex text)"
expect_eq "$(rcli get price:1)" 9.99 "GET price:1"
expect_eq "$(rcli get qty:2)" -9223372036854775808 "GET qty:2"
expect_eq "$(rcli get ratio:3)" NaN "GET ratio:3"
expect_eq "$(rcli get doc:1)" '{"a": [1, 2],  "b": "x"}' "json keeps its text as stored"
expect_eq "$(rcli get docb:1)" '{"a": [1, 2], "b": "x"}' "jsonb is its normalised text"
expect_eq "$(rcli get name:2)" "quotes \"x\" and 'y' ünïcode ✓" "GET name:2 (quotes, UTF-8)"
expect_eq "$(rcli exists name:4)" 0 "a NULL value column writes nothing"
expect_eq "$(rcli get slug:s1)" plain "GET slug:s1"

# 8 groups x 4 rows: the 8 NULL values of row 4 are not_found, row 3's NULL slug is a null_key.
expect_eq "$(dbsize)" 23 "DBSIZE"
expect_json "$r" .totals.written "$(dbsize)"
expect_json "$r" .totals.failed 9
expect_json "$r" '.groups[] | select(.name == "blob") | .errors[] | select(.kind == "not_found") | .count' 1
expect_json "$r" '.groups[] | select(.name == "slugs") | .errors[] | select(.kind == "null_key") | .count' 1
expect_json "$r" '.groups[] | select(.name == "slugs") | .written' 2
expect_report_invariant "$r"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$CW_PG_PASSWORD" "the password is never printed"

# Errors: SQL the server rejects and a key template naming no column are manifest errors (exit
# 2) found before anything is written; a failure in the middle of the stream is exit 3.
bad() {
  cat >"$T/bad.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$CW_PG_URI"}
groups:
  - name: bad
    query: {source: pg, sql: "$1"}
    key: "$2"
    value: {column: v}
EOF
}
rcli flushall >/dev/null
bad "SELECT id, name AS v FROM no_such_table" "x:{id}"
expect_exit 2 cw run "$T/bad.yaml"
expect_contains "$(cat "$T/err.txt")" 'sql: relation "no_such_table" does not exist' "bad SQL"
bad "SELECT id, name AS v FROM items" "x:{nope}"
expect_exit 2 cw run "$T/bad.yaml"
expect_contains "$(cat "$T/err.txt")" "unknown variable {nope}" "unknown key column"
bad "SELECT i, (1 / (2500 - i))::text AS v FROM generate_series(1, 3000) AS i" "x:{i}"
expect_exit 3 cw run "$T/bad.yaml"
expect_contains "$(cat "$T/err.txt")" "127.0.0.1:$CW_PG_PORT: query failed: division by zero" \
  "a server error mid-stream"
expect_json "$T/out.json" .status failed

# The memory pre-flight counts a query's rows in the cursor's own snapshot (SELECT count(*))
# when the target has maxmemory. A count that fails only costs the estimate: it is rolled back to
# a savepoint and the stream goes on. (The slow query below sleeps 1 ms every 10th row: counting
# its 10000 rows takes about 1 s, past the 300 ms statement_timeout; each 1000-row FETCH 0.1 s.)
rcli flushall >/dev/null
rcli config set maxmemory 1gb >/dev/null
cat >"$T/count.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$CW_PG_URI"}
  slow: {postgres: "${CW_PG_URI}?options=-c%20statement_timeout%3D300"}
groups:
  - name: counted
    query: {source: pg, sql: "SELECT i, repeat('x', 100) AS v FROM generate_series(1, 3000) AS i;"}
    key: "c:{i}"
    value: {column: v}
  - name: uncountable
    query: {source: slow, sql: "SELECT i, CASE WHEN i % 10 = 0 THEN pg_sleep(0.001)::text ELSE '' END || 'v' AS v FROM generate_series(1, 10000) AS i"}
    key: "u:{i}"
    value: {column: v}
EOF
expect_exit 0 cw run "$T/count.yaml" --progress never
expect_json "$T/out.json" .totals.written 13000
expect_eq "$(dbsize)" 13000 "both groups written"
# 3000 keys of 3-6 + 100 bytes: 3000 x (16 + 112 + 80) bytes.
expect_json "$T/out.json" '.groups[0].estimated_bytes' 624000
expect_json "$T/out.json" '.groups[1].estimated_bytes' null
expect_contains "$(cat "$T/err.txt")" "memory pre-flight: counting rows: " "the failed count"
expect_contains "$(cat "$T/err.txt")" "statement timeout" "why the count failed"
rcli config set maxmemory 0 >/dev/null
