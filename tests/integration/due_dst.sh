#!/usr/bin/env bash
# Cron schedules across DST changes, with `run --due` invoked every 5 minutes (--window 5m):
# - spring forward (Europe/Berlin, 2026-03-29 02:00 CET -> 03:00 CEST): "30 2 * * *" names a
#   local time that does not exist; it fires once, at the first instant after the gap, 03:00 CEST
#   (01:00Z);
# - fall back (2026-10-25 03:00 CEST -> 02:00 CET): "30 2 * * *" names a local time that happens
#   twice; it fires once, at its first occurrence, 02:30 CEST (00:30Z), not again at 02:30 CET.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  nightly: {cron: "30 2 * * *", timezone: Europe/Berlin}
groups:
  - name: nightly
    schedule: nightly
    keys: [nightly:done]
    value: {text: "x"}
EOF

# due_instants FROM_EPOCH TO_EPOCH: runs `run --due` at every 5 minutes in [FROM, TO] as cron
# would, and prints the instants (UTC) at which the group ran, one a line.
due_instants() {
  local t at
  for ((t = $1; t <= $2; t += 300)); do
    at=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
    expect_exit 0 cw run --due --window 5m --at "$at" --progress never "$T/m.yaml"
    if [[ "$(jget "$T/out.json" '.groups[0].ran')" == true ]]; then
      echo "$at"
    fi
  done
}

# The spring-forward day, 22:00Z the evening before to 04:00Z: once, at 01:00Z (03:00 CEST).
from=$(date -u -d 2026-03-28T22:00:00Z +%s)
to=$(date -u -d 2026-03-29T04:00:00Z +%s)
expect_eq "$(due_instants "$from" "$to" | paste -sd ' ')" 2026-03-29T01:00:00Z \
  "spring forward: due once, at the first instant after the gap"
expect_eq "$(rcli exists nightly:done)" 1 "the due run wrote its key"

expect_exit 0 cw plan --json --at 2026-03-28T12:00:00Z "$T/m.yaml"
expect_json "$T/out.json" '.groups[0].next_due' 2026-03-29T01:00:00Z
expect_json "$T/out.json" '.groups[0].next_due_local' "2026-03-29 03:00 CEST"

# The run at 01:00Z writes; the invocations just before and after write nothing.
rcli flushall >/dev/null
expect_exit 0 cw run --due --window 5m --at 2026-03-29T00:55:00Z --progress never "$T/m.yaml"
expect_exit 0 cw run --due --window 5m --at 2026-03-29T01:05:00Z --progress never "$T/m.yaml"
expect_eq "$(dbsize)" 0 "not due 5 minutes before or after"
expect_exit 0 cw run --due --window 5m --at 2026-03-29T01:00:00Z --progress never "$T/m.yaml"
expect_eq "$(dbsize)" 1 "due at 03:00 CEST"

# The fall-back day, 22:00Z the evening before to 04:00Z: once, at 00:30Z (02:30 CEST), and not
# at 01:30Z (02:30 CET, the same wall-clock time an hour later).
from=$(date -u -d 2026-10-24T22:00:00Z +%s)
to=$(date -u -d 2026-10-25T04:00:00Z +%s)
expect_eq "$(due_instants "$from" "$to" | paste -sd ' ')" 2026-10-25T00:30:00Z \
  "fall back: due once, at the first occurrence"

expect_exit 0 cw plan --json --at 2026-10-24T12:00:00Z "$T/m.yaml"
expect_json "$T/out.json" '.groups[0].next_due' 2026-10-25T00:30:00Z
expect_json "$T/out.json" '.groups[0].next_due_local' "2026-10-25 02:30 CEST"
expect_exit 0 cw plan --json --at 2026-10-25T01:30:00Z "$T/m.yaml"
expect_json "$T/out.json" '.groups[0].due' false
expect_json "$T/out.json" '.groups[0].next_due' 2026-10-26T01:30:00Z
expect_json "$T/out.json" '.groups[0].next_due_local' "2026-10-26 02:30 CET"

# An invocation that is late (not on the 5-minute grid) still catches the fire time once.
expect_eq "$(
  for at in 2026-10-25T00:28:00Z 2026-10-25T00:33:00Z 2026-10-25T00:38:00Z; do
    expect_exit 0 cw run --due --window 5m --at "$at" --progress never "$T/m.yaml"
    jget "$T/out.json" '.groups[0].ran'
  done | paste -sd ' '
)" "false true false" "a 3-minute-late invocation runs it, the next one does not"
