#!/usr/bin/env bash
# A collection query whose rows are not grouped by key (no ORDER BY the key column): a key whose
# rows come back after another key's fails once as rows_not_grouped, with a message asking for
# ORDER BY, instead of its later rows silently replacing its earlier members; what its first rows
# wrote is deleted again. Keys whose rows are contiguous are written whole.
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/shop.db" <<'SQL'
CREATE TABLE tags (product INTEGER, tag TEXT);
INSERT INTO tags VALUES (1, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (3, 'e'), (3, 'f'), (2, 'g'),
                        (1, 'h');
SQL

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: "$T/shop.db"}
groups:
  - name: tags
    query: {source: db, sql: "SELECT product, tag FROM tags ORDER BY rowid"}
    key: "tags:{product}"
    value: {set: tag}
    batch: 3
EOF

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json

# What the first runs of tags:1 and tags:2 wrote is only part of each set: the runner removes
# it again at the end of the group, so no partial collection stays behind as if it were whole.
expect_eq "$(rcli smembers tags:3 | LC_ALL=C sort | paste -sd ' ')" "e f" "a contiguous key whole"
expect_eq "$(rcli exists tags:1)" 0 "the partial tags:1 was removed"
expect_eq "$(rcli exists tags:2)" 0 "the partial tags:2 was removed"
expect_eq "$(dbsize)" 1 "only the whole key remains"
# Each key counts once: tags:3 written, tags:1 and tags:2 failed.
expect_json "$r" .totals.written 1
expect_json "$r" .totals.failed 2
expect_json "$r" .totals.planned 3
expect_json "$r" '.groups[0].targets[0].written' 1
expect_json "$r" '[.groups[0].errors[].kind] | join(",")' rows_not_grouped
expect_json "$r" '.groups[0].errors[0].count' 2
expect_json "$r" '.groups[0].errors[0].samples | length' 2
expect_json "$r" '.groups[0].errors[0].samples[0]' \
  "tags:1: the rows of key \"tags:1\" are not contiguous (they come back after other keys' rows): ORDER BY the key column(s) in the query"
expect_json "$r" '.groups[0].errors[0].samples[1] | startswith("tags:2: ")' true
expect_report_invariant "$r"

# An only_missing group never deletes (its first part may have been skipped: the key is
# traffic's): the failure is still reported.
rcli flushall >/dev/null
rcli sadd tags:1 traffic >/dev/null
sed -i 's/    batch: 3/    batch: 3\n    only_missing: true/' "$T/m.yaml"
expect_exit 1 cw run "$T/m.yaml"
expect_eq "$(rcli smembers tags:1)" traffic "only_missing: traffic's key untouched"
expect_json "$T/out.json" '.groups[0].errors[0].kind' rows_not_grouped
expect_report_invariant "$T/out.json"
