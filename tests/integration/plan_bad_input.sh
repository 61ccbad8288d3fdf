#!/usr/bin/env bash
# A bad --at is a usage error (exit 2) for plan and run --due, with nothing written; a schedule
# that does not compile makes plan and cron fail with its manifest location.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  nightly: {cron: "0 3 * * *", timezone: Europe/Berlin}
groups:
  - name: reports
    schedule: nightly
    keys: [report:daily]
    value: {text: "r"}
EOF

for at in bogus 2026-13-01T00:00:00Z 2026-11-23T25:00:00Z 08:45; do
  expect_exit 2 cw plan "$T/m.yaml" --at "$at"
  expect_contains "$(cat "$T/err.txt")" "invalid time \"$at\"" "plan --at '$at' is rejected"
  expect_eq "$(cat "$T/out.json")" "" "nothing on stdout for plan --at '$at'"
done

expect_exit 2 cw run --due --at bogus --progress never "$T/m.yaml"
expect_contains "$(cat "$T/err.txt")" 'invalid time "bogus"' "run --at bogus is rejected"
expect_eq "$(cat "$T/out.json")" "" "no report for a usage error"
expect_eq "$(dbsize)" 0 "nothing written"

expect_exit 2 cw plan "$T/m.yaml" --window 0m
expect_exit 2 cw plan "$T/m.yaml" --window soon

cat >"$T/bad.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  nightly: {cron: "0 3 * * *", timezone: Mars/Base}
groups:
  - name: reports
    schedule: nightly
    keys: [report:daily]
    value: {text: "r"}
EOF
expect_exit 2 cw plan "$T/bad.yaml" --at 2026-11-23T08:45:00Z
expect_contains "$(cat "$T/err.txt")" "$T/bad.yaml:5:" "the schedule's location"
expect_contains "$(cat "$T/err.txt")" 'unknown time zone "Mars/Base"' "the problem"
expect_eq "$(cat "$T/out.json")" "" "no table"
expect_exit 2 cw cron "$T/bad.yaml"
expect_contains "$(cat "$T/err.txt")" 'unknown time zone "Mars/Base"' "cron checks schedules too"
expect_eq "$(cat "$T/out.json")" "" "no crontab"
expect_exit 2 cw plan "$T/missing.yaml"
