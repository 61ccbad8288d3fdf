#!/usr/bin/env bash
# `run --due --at TIME` writes only the groups whose schedule is due at TIME; the report lists
# every group with ran true/false and why. A group without a schedule never runs with --due, but
# does with a plain run or -g.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  business-hours: {peak: "09:00-18:00", days: [mon, tue, wed, thu, fri],
                   timezone: America/New_York, lead: 30m}
  black-friday:   {dates: ["11-27", "11-28"], at: "05:30", timezone: UTC}
  nightly:        {cron: "0 3 * * *", timezone: Europe/Berlin}
groups:
  - name: homepage
    priority: 100
    schedule: business-hours
    keys: [page:home, page:about]
    value: {text: "home"}
  - name: deals
    schedule: black-friday
    pattern: "deal:{i}"
    with: {i: "1..3"}
    value: {text: "deal"}
  - name: reports
    schedule: nightly
    keys: [report:daily]
    value: {text: "r"}
  - name: misc
    keys: [misc:1]
    value: {text: "m"}
EOF

# ran GROUP: the report's ran flag of GROUP; why GROUP: its reason.
ran() { jget "$T/out.json" ".groups[] | select(.name == \"$1\") | .ran"; }
why() { jget "$T/out.json" ".groups[] | select(.name == \"$1\") | .reason"; }

# Monday 08:45 EST: business hours (lead 30m) are due, nothing else.
expect_exit 0 cw run --due --at 2026-11-23T08:45:00-05:00 --progress never "$T/m.yaml"
expect_eq "$(dbsize)" 2 "only homepage's keys"
expect_eq "$(rcli exists page:home page:about)" 2 "homepage's keys exist"
expect_eq "$(rcli exists deal:1 report:daily misc:1)" 0 "no other group's keys"
expect_json "$T/out.json" '[.groups[].name] | sort | join(",")' deals,homepage,misc,reports
expect_eq "$(ran homepage) $(ran deals) $(ran reports) $(ran misc)" "true false false false" "ran flags"
expect_eq "$(why homepage)" "due: business-hours peak 09:00 EST starts in 15m" "homepage's reason"
expect_contains "$(why deals)" "not due: black-friday next due 2026-11-27 05:30 UTC" "deals' reason"
expect_contains "$(why reports)" "not due: nightly" "reports' reason"
expect_contains "$(why misc)" "no schedule" "misc's reason"
expect_json "$T/out.json" .totals.written 2
expect_json "$T/out.json" '.groups[] | select(.ran | not) | .written' "0
0
0"
expect_report_invariant "$T/out.json"

# Black Friday 06:00 UTC (01:00 EST, 07:00 CET): only the dates schedule is due.
rcli flushall >/dev/null
expect_exit 0 cw run --due --at 2026-11-27T06:00:00Z --progress never "$T/m.yaml"
expect_eq "$(scan_keys | paste -sd ' ')" "deal:1 deal:2 deal:3" "only deals' keys"
expect_eq "$(ran homepage) $(ran deals) $(ran reports) $(ran misc)" "false true false false" "ran flags"
expect_contains "$(why deals)" "due: black-friday" "deals' reason"

# 03:00 CET (02:00 UTC) on a Tuesday: the nightly cron fires; business hours are not due.
rcli flushall >/dev/null
expect_exit 0 cw run --due --at 2026-11-24T02:00:00Z --progress never "$T/m.yaml"
expect_eq "$(scan_keys | paste -sd ' ')" "report:daily" "only reports' key"
expect_eq "$(ran homepage) $(ran deals) $(ran reports) $(ran misc)" "false false true false" "ran flags"
expect_contains "$(why reports)" "due: nightly" "reports' reason"

# Nothing due: a report, nothing written, exit 0.
rcli flushall >/dev/null
expect_exit 0 cw run --due --at 2026-11-22T12:00:00Z --progress never "$T/m.yaml"
expect_eq "$(dbsize)" 0 "nothing due, nothing written"
expect_json "$T/out.json" '[.groups[] | select(.ran)] | length' 0
expect_json "$T/out.json" .totals.written 0

# Without --due every group runs, whatever the instant; -g runs an unscheduled group.
rcli flushall >/dev/null
expect_exit 0 cw run --at 2026-11-22T12:00:00Z --progress never "$T/m.yaml"
expect_eq "$(dbsize)" 7 "a plain run writes every group"
expect_json "$T/out.json" '[.groups[] | .ran] | all' true
rcli flushall >/dev/null
expect_exit 0 cw run -g misc --progress never "$T/m.yaml"
expect_eq "$(scan_keys | paste -sd ' ')" "misc:1" "-g runs the unscheduled group"
expect_eq "$(ran misc)" true "misc ran with -g"
