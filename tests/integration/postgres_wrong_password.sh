#!/usr/bin/env bash
# A wrong PostgreSQL password: exit 3 with the server's "password authentication failed", the
# source's host and port named, and the secret printed nowhere (URI and quoted key=value forms).
source "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/postgres-server.sh
source "$CACHEWARM_SOURCE_DIR/scripts/postgres-server.sh"

if why=$(cw_pg_unavailable); then skip "$why"; fi
start_redis
cw_pg_start "$T" || fail "could not start PostgreSQL"
on_exit "cw_pg_stop $CW_PG_PID"
wrong='Wrong-Pa55 word-XYZ'

manifest() {
  cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$1"}
groups:
  - name: rows
    query: {source: pg, sql: "SELECT i FROM generate_series(1, 3) AS i"}
    key: "row:{i}"
    value: {column: i}
EOF
}

for conninfo in "postgresql://cw:${wrong// /%20}@127.0.0.1:${CW_PG_PORT}/cw" \
  "host=127.0.0.1 port=${CW_PG_PORT} user=cw dbname=cw password='${wrong}'"; do
  manifest "$conninfo"
  expect_exit 3 cw run "$T/m.yaml"
  expect_json "$T/out.json" .status failed
  expect_contains "$(cat "$T/err.txt")" "password authentication failed" "the server's reason"
  expect_contains "$(cat "$T/err.txt")" "127.0.0.1:$CW_PG_PORT" "stderr names host and port"
  for secret in "$wrong" "${wrong// /%20}" Wrong-Pa55; do
    expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$secret" "the password is never printed"
  done
  expect_eq "$(dbsize)" 0 "nothing written"
done

# The right password works, and is not printed either.
manifest "$CW_PG_URI"
expect_exit 0 cw run "$T/m.yaml"
expect_eq "$(dbsize)" 3 "DBSIZE with the right password"
expect_eq "$(rcli get row:2)" 2 "GET row:2"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$CW_PG_PASSWORD" "the password is never printed"
