#!/usr/bin/env bash
# The report on stdout is exactly one JSON document with the fields of the design's schema
# (schema_version 1, totals, groups with per-target batch latency percentiles, errors by kind).
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/db.sqlite" <<'SQL'
CREATE TABLE b (name TEXT, body TEXT);
INSERT INTO b VALUES ('have', 'body');
SQL
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: db.sqlite}
groups:
  - name: pages
    pattern: "s:{i}"
    with: {i: "1..60"}
    value: {text: "v{i}"}
  - name: lookups
    keys: [have, missing]
    value: {source: db, sql: "SELECT body FROM b WHERE name = ?", params: ["{key}"]}
EOF

expect_exit 1 cw run "$T/m.yaml" --batch 7 --concurrency 2
r=$T/out.json
expect_eq "$(jq -s length "$r")" 1 "stdout holds exactly one JSON document"
version=$(cw version)
expect_json "$r" .schema_version 1
expect_json "$r" '.cachewarm | type' string
expect_contains "$version" "$(jget "$r" .cachewarm)" "report .cachewarm is the binary's version"
expect_json "$r" .manifest "$T/m.yaml"
expect_json "$r" .status partial
expect_json "$r" .dry_run false
expect_json "$r" '.started_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")' true
expect_json "$r" '.finished_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")' true
expect_json "$r" '.finished_at >= .started_at' true
expect_json "$r" '.duration_ms | type' number
expect_json "$r" '.totals | [.planned, .written, .skipped, .failed, .bytes, .keys_per_sec]
                  | map(type) | unique | join(",")' number
expect_json "$r" .totals.planned 62
expect_json "$r" .totals.written 61
expect_json "$r" .totals.failed 1
expect_json "$r" '[.groups[].name] | sort | join(",")' lookups,pages
expect_json "$r" '[.groups[] | .ran] | all' true
expect_json "$r" '[.groups[] | (.reason | type)] | unique | join(",")' string
expect_json "$r" '[.groups[] | .duration_ms | type] | unique | join(",")' number
g='.groups[] | select(.name == "pages")'
expect_json "$r" "$g | .planned" 60
expect_json "$r" "$g | .targets | length" 1
expect_json "$r" "$g | .targets[0] | [.name, .written, .skipped, .failed] | join(\",\")" main,60,0,0
expect_json "$r" "$g | .targets[0].batch_latency_ms | [.p50, .p95, .p99] | map(type) | unique | join(\",\")" number
expect_json "$r" "$g | .targets[0].batch_latency_ms | .p50 <= .p95 and .p95 <= .p99" true
expect_json "$r" "$g | .errors" '[]'
l='.groups[] | select(.name == "lookups")'
expect_json "$r" "$l | .errors | length" 1
expect_json "$r" "$l | .errors[0].kind" not_found
expect_json "$r" "$l | .errors[0].count" 1
expect_json "$r" "$l | .errors[0].samples | length" 1
expect_json "$r" "$l | .errors[0].samples[0] | startswith(\"missing: \")" true
expect_report_invariant "$r"
