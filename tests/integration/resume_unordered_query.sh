#!/usr/bin/env bash
# --resume skips the rows an earlier run finished by their position, so a query must order its
# rows: a query without an outer ORDER BY is refused (exit 2, file:line:col, nothing written,
# no state file); an ORDER BY only inside a subquery does not count; the ordered query runs.
# Collections (always restarted from the top) and a run without --resume are not affected.
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/c.db" <<'SQL'
CREATE TABLE p (id INTEGER PRIMARY KEY, body TEXT, tag TEXT);
INSERT INTO p VALUES (1, 'a', 'x'), (2, 'b', 'x'), (3, 'c', 'y');
SQL

manifest() { # manifest SQL [VALUE]
  cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: c.db}
groups:
  - name: products
    query: {source: db, sql: "$1"}
    key: "p:{id}"
    value: ${2:-"{column: body}"}
EOF
}

manifest "SELECT id, body FROM p"
expect_exit 2 cw run "$T/m.yaml" --resume "$T/state.json"
expect_contains "$(cat "$T/err.txt")" \
  "$T/m.yaml:8:12: group \"products\": --resume needs the query's rows in a stable order" \
  "names file:line:col, the group and the fix"
expect_contains "$(cat "$T/err.txt")" "add an ORDER BY on a unique key" "says what to do"
expect_eq "$(dbsize)" 0 "nothing written"
[[ ! -e "$T/state.json" ]] || fail "a refused run left a state file"

manifest "SELECT id, body FROM (SELECT id, body FROM p ORDER BY id)"
expect_exit 2 cw run "$T/m.yaml" --resume "$T/state.json"
expect_contains "$(cat "$T/err.txt")" "--resume needs the query's rows in a stable order" \
  "an ORDER BY inside a subquery is not the outer order"

# Without --resume the same query runs.
expect_exit 0 cw run "$T/m.yaml"
expect_json "$T/out.json" .totals.written 3

manifest "SELECT id, body FROM p ORDER BY id"
rcli flushall >/dev/null
expect_exit 0 cw run "$T/m.yaml" --resume "$T/state.json"
expect_json "$T/out.json" .totals.written 3
expect_eq "$(rcli get p:2)" b "written"

# A collection restarts from the top: no order needed for --resume.
manifest "SELECT tag AS id, body FROM p" "{set: body}"
expect_exit 0 cw run "$T/m.yaml" --resume "$T/state.json"
expect_eq "$(rcli scard p:x)" 2 "the set was built"
