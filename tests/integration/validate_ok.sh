#!/usr/bin/env bash
# `validate` on a good manifest exits 0 with a one-line ok message, and never connects to the
# targets (a target that is down does not matter).
source "$(dirname "$0")/lib.sh"

make_db "$T/db.sqlite" <<'SQL'
CREATE TABLE t (id INTEGER, v TEXT);
SQL
port=$(closed_port)
cat >"$T/good.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://default:\${CW_TEST_UNSET_PASSWORD:-pw}@127.0.0.1:${port}/0"}
sources:
  db: {sqlite: db.sqlite}
defaults: {target: main, ttl: 1h, batch: 500, concurrency: 4, rate: 50000/s}
groups:
  - name: q
    query: {source: db, sql: "SELECT id, v FROM t"}
    key: "t:{id}"
    value: {column: v}
    ttl: 2h
    ttl_jitter: 10%
  - name: p
    pattern: "p:{a}:{b}"
    with: {a: "001..120", b: [x, y]}
    value: {text: "{a}-{b}"}
  - name: k
    keys: [k1, k2]
    only_missing: true
    value: {source: db, sql: "SELECT v FROM t WHERE id = ?", params: ["{key}"]}
EOF

expect_exit 0 cw validate "$T/good.yaml"
out=$(cat "$T/out.json" "$T/err.txt")
expect_eq "$(grep -c . <<<"$out")" 1 "validate prints one line"
expect_contains "$(tr '[:upper:]' '[:lower:]' <<<"$out")" ok "validate's message says ok"
expect_not_contains "$out" "pw@" "no secret in validate's output"

# The demo manifest validates once its catalog exists (validate opens every source read-only).
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (scripts/deps.sh)"
sqlite3 -bail "$T/catalog.db" <"$CACHEWARM_SOURCE_DIR/configs/demo/seed.sql" >/dev/null
CACHEWARM_DEMO_DB="$T/catalog.db" expect_exit 0 cw validate "$CACHEWARM_SOURCE_DIR/configs/demo.yaml"

# Without it, validate names each group that reads the missing database and exits 3.
CACHEWARM_DEMO_DB="$T/missing.db" expect_exit 3 cw validate "$CACHEWARM_SOURCE_DIR/configs/demo.yaml"
expect_contains "$(cat "$T/err.txt")" "demo.yaml:28:7: group \"top-products\": sqlite $T/missing.db: unable to open database file" "missing catalog named with its location"
