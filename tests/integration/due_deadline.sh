#!/usr/bin/env bash
# A scheduled run before a peak has a deadline (the peak start): groups run by priority, a group
# whose keys cannot be written at its rate before the deadline is cut, one whose keys can is run
# and meets it, and the report states ready_by and deadline_met per group.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  morning: {peak: "09:00-18:00", timezone: Europe/Berlin, lead: 30m}
groups:
  - name: critical
    priority: 100
    schedule: morning
    pattern: "critical:{n}"
    with: {n: "1..50"}
    value: {text: "c"}
  - name: bulky
    priority: 10
    schedule: morning
    pattern: "bulky:{n}"
    with: {n: "1..100000"}
    value: {text: "b"}
    rate: 1000/s
  - name: unscheduled
    keys: [other]
    value: {text: "o"}
EOF

# 08:59:30 in Berlin (CET, +01:00): the peak starts in 30 s.
expect_exit 0 cw run "$T/m.yaml" --due --at 2026-11-23T08:59:30+01:00
r=$T/out.json
expect_eq "$(dbsize)" 50 "only the critical group wrote keys"
expect_json "$r" '.groups[0].name' critical
expect_json "$r" '.groups[0].ran' true
expect_json "$r" '.groups[0].ready_by' 2026-11-23T08:00:00.000Z
expect_json "$r" '.groups[0].deadline_met' true
expect_json "$r" '.groups[1].name' bulky
expect_json "$r" '.groups[1].ran' false
expect_contains "$(jq -r '.groups[1].reason' "$r")" "cut: 100000 keys at 1000/s would finish after its deadline 2026-11-23T08:00:00Z" "bulky is cut"
expect_json "$r" '.groups[1].deadline_met' false
expect_json "$r" '.groups[2].name' unscheduled
expect_json "$r" '.groups[2].ran' false
expect_json "$r" '.groups[2].ready_by' null
expect_report_invariant "$r"

# At 08:40 there is time for everything scheduled; a plain run (no --due) has no deadlines.
rcli flushall >/dev/null
expect_exit 0 cw run "$T/m.yaml" -g critical --at 2026-11-23T08:40:00+01:00
expect_json "$T/out.json" '.groups[0].ready_by' null
expect_json "$T/out.json" '.groups[0].deadline_met' null

# --- A group with a rate and time to spare runs and meets its deadline; the same group with less
# time left than its estimate is cut. roomy: 1000 keys at 2000/s, an estimate of 0.5 s.
cat >"$T/roomy.yaml" <<EOF2
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  morning: {peak: "09:00-18:00", timezone: Europe/Berlin, lead: 30m}
groups:
  - name: roomy
    schedule: morning
    pattern: "roomy:{n}"
    with: {n: "1..1000"}
    value: {text: "r{n}"}
    rate: 2000/s
EOF2
rcli flushall >/dev/null
# 08:59:30: 30 s before the peak, far more than 0.5 s.
expect_exit 0 cw run "$T/roomy.yaml" --due --at 2026-11-23T08:59:30+01:00
r=$T/out.json
expect_json "$r" '.groups[0].ran' true
expect_contains "$(jget "$r" '.groups[0].reason')" "due: " "roomy is due"
expect_not_contains "$(jget "$r" '.groups[0].reason')" "cut" "roomy is not cut"
expect_json "$r" '.groups[0].written' 1000
expect_json "$r" '.groups[0].ready_by' 2026-11-23T08:00:00.000Z
expect_json "$r" '.groups[0].deadline_met' true
expect_eq "$(dbsize)" 1000 "roomy wrote every key"
expect_eq "$(rcli get roomy:1000)" r1000 "GET roomy:1000"
expect_report_invariant "$r"
# 08:59:59.800: 0.2 s left, less than the 0.5 s estimate.
rcli flushall >/dev/null
expect_exit 0 cw run "$T/roomy.yaml" --due --at 2026-11-23T08:59:59.800+01:00
r=$T/out.json
expect_json "$r" '.groups[0].ran' false
expect_contains "$(jget "$r" '.groups[0].reason')" "cut: 1000 keys at 2000/s would finish after its deadline 2026-11-23T08:00:00Z" "roomy is cut with 0.2 s left"
expect_json "$r" '.groups[0].deadline_met' false
expect_eq "$(dbsize)" 0 "nothing written when cut"
