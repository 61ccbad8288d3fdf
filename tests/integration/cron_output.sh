#!/usr/bin/env bash
# `cron MANIFEST` prints crontab lines that invoke `run --due` every --window (default 5m) with
# the absolute manifest path, and a comment per schedule; `--systemd` prints a .service and a
# .timer unit instead (checked with `systemd-analyze verify`).
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/etc"
cat >"$T/etc/shop.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://127.0.0.1:$(closed_port)/0"}
schedules:
  business-hours: {peak: "09:00-18:00", days: [mon, tue, wed, thu, fri],
                   timezone: America/New_York, lead: 30m}
  black-friday:   {dates: ["11-27", "11-28"], at: "05:30", timezone: UTC}
  nightly:        {cron: "0 3 * * *", timezone: Europe/Berlin}
groups:
  - name: homepage
    schedule: business-hours
    keys: [page:home]
    value: {text: "home"}
  - name: deals
    schedule: black-friday
    keys: [deal:1]
    value: {text: "deal"}
  - name: reports
    schedule: nightly
    keys: [report:daily]
    value: {text: "r"}
EOF
manifest=$T/etc/shop.yaml
binary=$(readlink -f "$CACHEWARM")

# A relative manifest path becomes absolute; the binary defaults to this executable.
expect_exit 0 env -C "$T/etc" "$CACHEWARM" cron shop.yaml
out=$(cat "$T/out.json")
jobs=$(grep -v '^#' "$T/out.json")
expect_eq "$(grep -c '' <<<"$jobs")" 1 "one job line; everything else is comments"
expect_eq "$jobs" \
  "*/5 * * * * $binary run --due --window 5m --progress never --log-format json $manifest > /dev/null 2>> /var/log/cachewarm.log" \
  "the crontab line"
expect_contains "$out" "# cachewarm schedules of $manifest" "the manifest is named"
expect_contains "$out" "# schedule business-hours: peak 09:00-18:00 on mon,tue,wed,thu,fri, lead 30m (America/New_York); next due " "business-hours"
expect_contains "$out" '# schedule black-friday: dates 11-27,11-28 from 05:30 (UTC); next due ' "black-friday"
expect_contains "$out" '# schedule nightly: cron "0 3 * * *" (Europe/Berlin); next due ' "nightly"
expect_eq "$(grep '^# schedule nightly' <<<"$out" | grep -cE 'next due [0-9-]+ 03:00 CES?T \([0-9-]+T0[12]:00:00Z\)$')" 1 \
  "next due in local time and UTC"
# black-friday has no lead: with a 5-minute interval warming may start after 05:30.
expect_contains "$(cat "$T/err.txt")" "schedule black-friday: no lead" "a warning for a start without lead"
expect_not_contains "$(cat "$T/err.txt")" "business-hours" "lead 30m covers a 5m interval"

# --window and --binary.
expect_exit 0 cw cron "$manifest" --window 15m --binary /opt/cachewarm/bin/cachewarm
expect_eq "$(grep -v '^#' "$T/out.json")" \
  "*/15 * * * * /opt/cachewarm/bin/cachewarm run --due --window 15m --progress never --log-format json $manifest > /dev/null 2>> /var/log/cachewarm.log" \
  "every 15 minutes"
expect_exit 0 cw cron "$manifest" --window 60m --binary /usr/bin/cachewarm
expect_contains "$(grep -v '^#' "$T/out.json")" "0 * * * * /usr/bin/cachewarm run --due --window 60m " "hourly"
expect_contains "$(cat "$T/err.txt")" "schedule business-hours: lead 30m and \`run --due\` every 60m" \
  "a lead shorter than the interval is warned about"
expect_exit 2 cw cron "$manifest" --window 7m
expect_contains "$(cat "$T/err.txt")" "must divide an hour" "7m does not divide an hour"
expect_eq "$(cat "$T/out.json")" "" "nothing on stdout for a usage error"

# A path with a space and a quote is one shell word; % is escaped for cron.
mkdir -p "$T/my dir"
cp "$manifest" "$T/my dir/it's 100%.yaml"
expect_exit 0 cw cron "$T/my dir/it's 100%.yaml" --binary /usr/bin/cachewarm
line=$(grep -v '^#' "$T/out.json")
expect_contains "$line" " '$T/my dir/it'\\''s 100\\%.yaml' > /dev/null" "the path is quoted"

# --systemd: a oneshot service and its timer.
expect_exit 0 cw cron "$manifest" --systemd
out=$(cat "$T/out.json")
expect_contains "$out" "# --- cachewarm-shop.service ---" "service header"
expect_contains "$out" "# --- cachewarm-shop.timer ---" "timer header"
expect_contains "$out" "[Service]" "a service section"
expect_contains "$out" "Type=oneshot" "a oneshot service"
expect_contains "$out" "ExecStart=$binary run --due --window 5m --progress never $manifest" "ExecStart"
expect_contains "$out" "[Timer]" "a timer section"
expect_contains "$out" "OnCalendar=*:0/5" "every 5 minutes"
expect_contains "$out" "AccuracySec=1s" "on time"
expect_contains "$out" "Persistent=false" "no catch-up runs"
expect_contains "$out" "Unit=cachewarm-shop.service" "the timer starts the service"
expect_contains "$out" "WantedBy=timers.target" "installable"
expect_contains "$out" "# schedule nightly: " "schedule comments too"

mkdir -p "$T/units"
awk -v dir="$T/units" '/^# --- .* ---$/ { file = dir "/" $3; next } file { print > file }' "$T/out.json"
expect_eq "$(find "$T/units" -type f -printf '%f\n' | sort | paste -sd ' ')" "cachewarm-shop.service cachewarm-shop.timer" "two units"
# systemd-analyze verify checks unit files without systemd as PID 1, ExecStart's binary included
# (it must exist and be executable: $binary is the binary under test).
command -v systemd-analyze >/dev/null ||
  fail "systemd-analyze is not installed (scripts/deps.sh installs systemd)"
(cd "$T/units" && systemd-analyze verify ./cachewarm-shop.service ./cachewarm-shop.timer) \
  >"$T/verify.txt" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify.txt")"
expect_eq "$(cat "$T/verify.txt")" "" "systemd-analyze verify has no warnings"
# The verifier really looks: the same units with a missing ExecStart binary are refused.
mkdir -p "$T/broken-units"
sed "s|^ExecStart=$binary |ExecStart=$T/no-such-cachewarm |" "$T/units/cachewarm-shop.service" \
  >"$T/broken-units/cachewarm-shop.service"
cp "$T/units/cachewarm-shop.timer" "$T/broken-units/"
if (cd "$T/broken-units" && systemd-analyze verify ./cachewarm-shop.service ./cachewarm-shop.timer) \
  >"$T/verify-broken.txt" 2>&1; then
  fail "systemd-analyze verify accepted an ExecStart that does not exist"
fi
expect_contains "$(cat "$T/verify-broken.txt")" "no-such-cachewarm is not executable" "the verifier names the missing binary"

# No schedules: a comment saying so, and no job.
cat >"$T/plain.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://127.0.0.1:1/0"}
groups:
  - name: g
    keys: [k]
    value: {text: "v"}
EOF
expect_exit 0 cw cron "$T/plain.yaml"
expect_contains "$(cat "$T/out.json")" "has no schedules" "no schedules"
expect_eq "$(grep -vc '^#' "$T/out.json" || true)" 0 "no job line"
expect_exit 0 cw cron "$T/plain.yaml" --systemd
expect_not_contains "$(cat "$T/out.json")" "[Timer]" "no units"
