#!/usr/bin/env bash
# `plan --at TIME` shows, per group in run order, whether its schedule is due at TIME and why, the
# next due time in the schedule's zone and in UTC, key counts and targets; `--json` gives the same
# as one document. plan never connects to a target.
source "$(dirname "$0")/lib.sh"

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://127.0.0.1:$(closed_port)/0"}
schedules:
  business-hours: {peak: "09:00-18:00", days: [mon, tue, wed, thu, fri],
                   timezone: America/New_York, lead: 30m}
  black-friday:   {dates: ["11-27", "11-28"], at: "05:30", timezone: UTC}
  nightly:        {cron: "0 3 * * *", timezone: Europe/Berlin}
groups:
  - name: reports
    schedule: nightly
    keys: [report:daily]
    value: {text: "r"}
  - name: homepage
    priority: 100
    schedule: business-hours
    keys: [page:home, page:about]
    value: {text: "home"}
  - name: deals
    priority: 50
    schedule: black-friday
    pattern: "deal:{i}"
    with: {i: "1..3"}
    value: {text: "deal"}
  - name: misc
    keys: [misc:1]
    value: {text: "m"}
EOF

# row NAME: the table line of group NAME.
row() { grep -E "^$1 " "$T/out.json" || fail "no row for group $1"; }

# Monday 2026-11-23 08:45 EST: business hours start in 15 minutes (lead 30m: due since 08:30).
expect_exit 0 cw plan "$T/m.yaml" --at 2026-11-23T08:45:00-05:00
expect_eq "$(head -n 1 "$T/out.json" | tr -s ' ')" \
  "GROUP PRIO SCHEDULE DUE WHY NEXT DUE (LOCAL) NEXT DUE (UTC) KEYS TARGETS" "header line first"
expect_eq "$(tail -n +2 "$T/out.json" | awk '{print $1}' | paste -sd ' ')" \
  "homepage deals reports misc" "groups in run order (priority, then manifest order)"
expect_eq "$(wc -l <"$T/out.json")" 5 "a header and one line per group"
expect_eq "$(row homepage | tr -s ' ')" \
  "homepage 100 business-hours yes due: business-hours peak 09:00 EST starts in 15m 2026-11-24 08:30 EST 2026-11-24T13:30:00Z 2 main" \
  "homepage is due before the peak"
expect_contains "$(row reports)" "not due: nightly" "nightly is not due"
expect_contains "$(row reports)" "2026-11-24 03:00 CET" "nightly's next run, local"
expect_contains "$(row reports)" "2026-11-24T02:00:00Z" "nightly's next run, UTC"
expect_eq "$(row misc | tr -s ' ')" "misc 0 - - no schedule - - 1 main" "an unscheduled group"
expect_eq "$(row deals | tr -s ' ' | cut -d ' ' -f 1-4)" "deals 50 black-friday no" "deals not due"

# Columns are aligned: each header starts where its cells start.
header=$(head -n 1 "$T/out.json")
for column in "SCHEDULE:business-hours" "WHY:due: business" "NEXT DUE (UTC):2026-11-24T13" "KEYS:2 "; do
  title=${column%%:*} cell=${column#*:}
  prefix=${header%%"$title"*}
  line=$(row homepage)
  expect_eq "${line:${#prefix}:${#cell}}" "$cell" "column $title is aligned"
done
expect_eq "$(grep -c ' $' "$T/out.json" || true)" 0 "no trailing spaces"

# The same as JSON.
expect_exit 0 cw plan "$T/m.yaml" --at 2026-11-23T08:45:00-05:00 --json
r=$T/out.json
expect_json "$r" .schema_version 1
expect_json "$r" .at 2026-11-23T13:45:00Z
expect_json "$r" '[.groups[].name] | join(",")' homepage,deals,reports,misc
expect_json "$r" '.groups[0] | [.name, .priority, .schedule, .due] | map(tostring) | join(" ")' \
  "homepage 100 business-hours true"
expect_json "$r" '.groups[0].reason' "due: business-hours peak 09:00 EST starts in 15m"
expect_json "$r" '.groups[0].deadline' 2026-11-23T14:00:00Z
expect_json "$r" '.groups[0].next_due' 2026-11-24T13:30:00Z
expect_json "$r" '.groups[0].next_due_local' "2026-11-24 08:30 EST"
expect_json "$r" '.groups[0].keys' 2
expect_json "$r" '.groups[0].targets | join(",")' main
expect_json "$r" '.groups[] | select(.name == "deals") | .keys' 3
expect_json "$r" '.groups[] | select(.name == "deals") | .next_due' 2026-11-27T05:30:00Z
expect_json "$r" '.groups[] | select(.name == "reports") | .due' false
expect_json "$r" '.groups[] | select(.name == "reports") | .deadline' null
expect_json "$r" '.groups[] | select(.name == "reports") | .next_due' 2026-11-24T02:00:00Z
expect_json "$r" '.groups[] | select(.name == "reports") | .next_due_local' "2026-11-24 03:00 CET"
expect_json "$r" '.groups[] | select(.name == "misc") | [.schedule, .due, .reason, .deadline, .next_due, .next_due_local] | map(tostring) | join(",")' \
  "null,null,null,null,null,null"
expect_json "$r" '.groups[] | select(.name == "misc") | .keys' 1

# Saturday 2026-11-21 noon EST: no business hours; next due Monday 08:30 EST.
expect_exit 0 cw plan "$T/m.yaml" --at 2026-11-21T12:00:00-05:00
expect_eq "$(row homepage | tr -s ' ' | cut -d ' ' -f 4)" no "business hours are not due on Saturday"
expect_contains "$(row homepage)" "2026-11-23 08:30 EST" "next due Monday 08:30 local"
expect_contains "$(row homepage)" "2026-11-23T13:30:00Z" "next due Monday 08:30 local, in UTC"
expect_exit 0 cw plan "$T/m.yaml" --at 2026-11-21T12:00:00-05:00 --json
expect_json "$T/out.json" '.groups[0].due' false
expect_json "$T/out.json" '.groups[0].reason' "not due: business-hours next due 2026-11-23 08:30 EST"
expect_json "$T/out.json" '.groups[0].next_due_local' "2026-11-23 08:30 EST"

# Black Friday 06:00 UTC: the dates schedule is due; business hours (01:00 EST) are not.
expect_exit 0 cw plan "$T/m.yaml" --at 2026-11-27T06:00:00Z --json
expect_json "$T/out.json" '[.groups[] | select(.due) | .name] | join(",")' deals
expect_json "$T/out.json" '.groups[] | select(.name == "deals") | .reason | startswith("due: black-friday")' true

# Without --at: evaluated now (only the shape is checked, never the wall clock).
expect_exit 0 cw plan "$T/m.yaml" --json
expect_json "$T/out.json" '.at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' true
expect_json "$T/out.json" '.groups | length' 4
expect_exit 0 cw plan "$T/m.yaml"
expect_eq "$(wc -l <"$T/out.json")" 5 "a table without --at too"
