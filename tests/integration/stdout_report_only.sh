#!/usr/bin/env bash
# stdout carries only the JSON report, whatever the logging and progress settings: progress and
# logs go to stderr, and --log-format json makes every stderr line a JSON object.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "o:{i}"
    with: {i: "1..5000"}
    value: {text: "v"}
EOF

expect_exit 0 cw run "$T/m.yaml" --progress always --log-format text
expect_eq "$(jq -s length "$T/out.json")" 1 "stdout is exactly one JSON document with --progress always"
expect_json "$T/out.json" .totals.written 5000

rcli flushall >/dev/null
expect_exit 0 cw run "$T/m.yaml" --progress never --log-format json
expect_eq "$(jq -s length "$T/out.json")" 1 "stdout is exactly one JSON document with --log-format json"
expect_json "$T/out.json" .totals.written 5000
[[ -s "$T/err.txt" ]] || fail "--log-format json logged nothing on stderr"
while IFS= read -r line; do
  jq -e 'type == "object"' <<<"$line" >/dev/null 2>&1 ||
    fail "stderr line is not a JSON object with --log-format json: $line"
done <"$T/err.txt"
expect_eq "$(dbsize)" 5000 "DBSIZE"
