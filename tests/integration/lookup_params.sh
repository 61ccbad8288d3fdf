#!/usr/bin/env bash
# Per-key SQL lookups bind `params` as parameters (never SQL text): keys with quotes and spaces
# work, a missing row or a NULL value is a `not_found` failure (exit 1), and --fail-under turns
# a tolerable failure ratio into exit 0.
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/cfg.db" <<'SQL'
CREATE TABLE blobs (name TEXT PRIMARY KEY, body TEXT);
INSERT INTO blobs VALUES
  ('cfg:a', 'alpha'),
  ('o''brien key', 'irish'),
  ('robert''); DROP TABLE blobs;--', 'bobby tables'),
  ('cfg:null', NULL);
CREATE TABLE titles (id TEXT, lang TEXT, title TEXT);
INSERT INTO titles VALUES ('1', 'en', 'One'), ('1', 'de', 'Eins'), ('2', 'en', 'Two'),
                          ('2', 'de', 'Zwei');
SQL

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: cfg.db}
groups:
  - name: blobs
    keys: ["cfg:a", "o'brien key", "robert'); DROP TABLE blobs;--", "cfg:missing", "cfg:null"]
    value: {source: db, sql: "SELECT body FROM blobs WHERE name = ?", params: ["{key}"]}
  - name: titles
    pattern: "title:{id}:{lang}"
    with: {id: "1..2", lang: [en, de]}
    value: {source: db, sql: "SELECT title FROM titles WHERE id = ? AND lang = ?",
            params: ["{id}", "{lang}"]}
EOF

# 9 planned, 2 not found: 7/9 = 77.8% done.
expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json
expect_eq "$(rcli get "o'brien key")" irish "GET \"o'brien key\" (quote and space in a bound key)"
expect_eq "$(rcli get "robert'); DROP TABLE blobs;--")" "bobby tables" "GET of the injection-shaped key"
expect_eq "$(sql "$T/cfg.db" "SELECT count(*) FROM blobs")" 4 "the blobs table is intact"
expect_eq "$(rcli get cfg:a)" alpha "GET cfg:a"
expect_eq "$(rcli exists cfg:missing)" 0 "a missing row writes nothing"
expect_eq "$(rcli exists cfg:null)" 0 "a NULL value writes nothing"
expect_eq "$(rcli get title:2:de)" Zwei "GET title:2:de (two bound params)"
expect_eq "$(rcli get title:1:en)" One "GET title:1:en"
expect_eq "$(dbsize)" 7 "DBSIZE"

expect_json "$r" .status partial
expect_json "$r" .totals.planned 9
expect_json "$r" .totals.written 7
expect_json "$r" .totals.failed 2
expect_json "$r" '.groups[] | select(.name == "blobs") | .failed' 2
expect_json "$r" '.groups[] | select(.name == "blobs") | .errors[] | select(.kind == "not_found") | .count' 2
expect_json "$r" '[.groups[] | select(.name == "blobs") | .errors[].samples[]
                   | select(startswith("cfg:missing"))] | length' 1
expect_report_invariant "$r"

# The same failures are tolerable under --fail-under 50 (77.8% >= 50), not under 99.
rcli flushall >/dev/null
expect_exit 0 cw run "$T/m.yaml" --fail-under 50
expect_json "$T/out.json" .totals.failed 2
expect_eq "$(dbsize)" 7 "DBSIZE with --fail-under 50"
expect_exit 1 cw run "$T/m.yaml" --fail-under 99
expect_json "$T/out.json" .totals.failed 2
