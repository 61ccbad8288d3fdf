#!/usr/bin/env bash
# A 500,000-row PostgreSQL query streams through a server-side cursor: every row lands
# (DBSIZE 500,000) while cachewarm's max RSS stays under 100 MB.
source "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/postgres-server.sh
source "$CACHEWARM_SOURCE_DIR/scripts/postgres-server.sh"

if why=$(cw_pg_unavailable); then skip "$why"; fi
[[ -x /usr/bin/time ]] || skip "/usr/bin/time is not installed (scripts/deps.sh installs 'time')"
# Sanitizer runtimes reserve shadow memory and quarantine far beyond 100 MB: scripts/test.sh
# leaves this test out of its asan phase by name (ctest -E). Run on such a build anyway, it
# fails here rather than on a meaningless RSS.
if sanitized; then
  fail "$CACHEWARM is built with a sanitizer: max RSS is not meaningful (scripts/test.sh excludes this test from its asan phase)"
fi
start_redis
cw_pg_start "$T" || fail "could not start PostgreSQL"
on_exit "cw_pg_stop $CW_PG_PID"

# ~110 bytes a row: the whole result (~55 MB as text) would not fit the budget with overhead.
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "$CW_PG_URI"}
defaults: {batch: 1000}
groups:
  - name: big
    query: {source: pg, sql: "SELECT i, repeat('x', 100) || i AS v FROM generate_series(1, 500000) AS i"}
    key: "row:{i}"
    value: {column: v}
EOF

CW_RUN_TIMEOUT=150 expect_exit 0 /usr/bin/time -v -o "$T/time.txt" "$CACHEWARM" run "$T/m.yaml"
rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$T/time.txt")
echo "max RSS ${rss_kb} kB, $(sed -n 's/^[[:space:]]*Elapsed (wall clock).*): //p' "$T/time.txt") wall" >&2
expect_le "$rss_kb" 102400 "max RSS of cachewarm in kB for 500k rows"
expect_eq "$(dbsize)" 500000 "DBSIZE"
expect_json "$T/out.json" .totals.written 500000
expect_json "$T/out.json" .status ok
expect_eq "$(rcli get row:499999)" "$(printf 'x%.0s' {1..100})499999" "GET row:499999"
