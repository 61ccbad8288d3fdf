#!/usr/bin/env bash
# keys_from a file that does not exist: exit 3 with a message naming the path, and nothing is
# written to Redis.
source "$(dirname "$0")/lib.sh"

start_redis

missing=$T/no-such-dir/keys.txt
cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: listed
    keys_from: {file: "$missing"}
    value: {text: "v-{key}"}
YAML

cd "$CACHEWARM_SOURCE_DIR"
expect_exit 3 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(dbsize)" 0 "nothing is written"
expect_json "$r" .status failed
expect_json "$r" .totals.written 0
expect_report_invariant "$r"
# The report's error says which file and why (the reason reaches the user on stdout's report).
expect_contains "$(jget "$r" .error)" "$missing: cannot open: no such file or directory" \
  "the report's error names the missing file"
