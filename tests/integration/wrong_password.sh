#!/usr/bin/env bash
# A wrong password makes the target unreachable: exit 3, a report with status "failed" and an
# error naming the target, nothing written, and the password appears nowhere in the output.
source "$(dirname "$0")/lib.sh"

start_redis --requirepass 'right-Pa55word-1234'
wrong='wrong-Pa55word-XYZ'

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://default:${wrong}@127.0.0.1:${REDIS_PORT}/0"}
groups:
  - name: g
    keys: [a, b, c]
    value: {text: "v-{key}"}
EOF

expect_exit 3 cw run "$T/m.yaml"
expect_json "$T/out.json" .status failed
expect_json "$T/out.json" .totals.written 0
expect_json "$T/out.json" '.error | type' string
error=$(jget "$T/out.json" .error)
expect_contains "$error" main "the report's error names the target"
expect_contains "$(cat "$T/err.txt")" main "stderr names the target"
expect_not_contains "$(cat "$T/out.json")" "$wrong" "the password is not in the report"
expect_not_contains "$(cat "$T/err.txt")" "$wrong" "the password is not in stderr"
expect_eq "$(RCLI_ARGS="-a right-Pa55word-1234" dbsize)" 0 "nothing written"

# With the right password, the same manifest works, and the password is still never printed.
sed -i "s/${wrong}/right-Pa55word-1234/" "$T/m.yaml"
expect_exit 0 cw run "$T/m.yaml" --log-format json
expect_eq "$(RCLI_ARGS="-a right-Pa55word-1234" dbsize)" 3 "DBSIZE with the right password"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" right-Pa55word "the password is never printed"
