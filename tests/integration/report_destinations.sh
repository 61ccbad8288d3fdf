#!/usr/bin/env bash
# Where the report goes, truthfully: a report that cannot be written to stdout (/dev/full, a
# closed pipe) or to --report (a missing directory, /dev/full) exits 74 with a clear
# `cachewarm: error:` line. --report replaces a regular file atomically, follows a symlink
# (the link stays a link, its target gets the report), and writes a FIFO or a device in place
# (never replacing it with a regular file).
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    pattern: "r:{i}"
    with: {i: "1..20"}
    value: {text: "v"}
EOF

# stdout is /dev/full: the keys are written, the report is lost, exit 74.
rc=0
"$CACHEWARM" run "$T/m.yaml" >/dev/full 2>"$T/err.txt" || rc=$?
expect_eq "$rc" 74 "exit code with stdout on /dev/full"
expect_contains "$(cat "$T/err.txt")" \
  "cachewarm: error: cannot write the report to stdout: No space left on device" \
  "stderr names the stdout failure"
expect_eq "$(dbsize)" 20 "the keys were written all the same"

# stdout is a pipe whose reader has gone: EPIPE, not a silent death by SIGPIPE.
rc=0
python3 - "$CACHEWARM" "$T/m.yaml" "$T/err.txt" <<'PY' || rc=$?
import os, subprocess, sys
read, write = os.pipe()
os.close(read)  # nobody will ever read the report
with open(sys.argv[3], "w") as err:
    code = subprocess.call([sys.argv[1], "run", sys.argv[2]], stdout=write, stderr=err)
sys.exit(code)
PY
expect_eq "$rc" 74 "exit code with stdout on a closed pipe"
expect_contains "$(cat "$T/err.txt")" \
  "cachewarm: error: cannot write the report to stdout: Broken pipe" "stderr names the broken pipe"

# --report into a directory that does not exist: 74, and stdout still has the report.
expect_exit 74 cw run "$T/m.yaml" --report "$T/no/such/dir/report.json"
expect_contains "$(cat "$T/err.txt")" \
  "cachewarm: error: --report $T/no/such/dir/report.json: cannot create" \
  "stderr names the unwritable --report"
expect_json "$T/out.json" .status ok
[[ ! -e "$T/no" ]] || fail "a failed --report left something behind"

# --report /dev/full: written in place (and fails: 74). A run that failed for a bigger reason
# (an unreachable target, exit 3) keeps its own code.
expect_exit 74 cw run "$T/m.yaml" --report /dev/full
expect_contains "$(cat "$T/err.txt")" \
  "--report /dev/full: cannot write /dev/full: No space left on device" "stderr names the device"
[[ -c /dev/full ]] || fail "/dev/full is no longer a character device"
port=$(closed_port)
sed "s/127.0.0.1:${REDIS_PORT}/127.0.0.1:${port}/" "$T/m.yaml" >"$T/down.yaml"
expect_exit 3 cw run "$T/down.yaml" --report /dev/full

# A regular file is replaced atomically; no temporary file stays behind.
echo old >"$T/report.json"
expect_exit 0 cw run "$T/m.yaml" --report "$T/report.json"
expect_eq "$(jq -S . "$T/report.json")" "$(jq -S . "$T/out.json")" "a regular file gets the report"
expect_eq "$(find "$T" -name 'report.json.tmp.*' | wc -l)" 0 "no temporary file left"

# A symlink is followed: the link stays, its target (even a dangling one) gets the report.
mkdir "$T/reports"
ln -s reports/last.json "$T/link.json"
expect_exit 0 cw run "$T/m.yaml" --report "$T/link.json"
[[ -L "$T/link.json" ]] || fail "--report replaced the symlink with a regular file"
expect_json "$T/reports/last.json" .totals.written 20
expect_exit 0 cw run "$T/m.yaml" --report "$T/link.json"
[[ -L "$T/link.json" ]] || fail "--report replaced the symlink on the second run"
expect_json "$T/reports/last.json" .status ok

# A FIFO is written in place: its reader gets the report, and it is still a FIFO.
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/from-fifo.json" &
reader=$!
on_exit "kill $reader 2>/dev/null"
expect_exit 0 cw run "$T/m.yaml" --report "$T/fifo"
wait "$reader"
[[ -p "$T/fifo" ]] || fail "--report replaced the FIFO with a regular file"
expect_eq "$(jq -S . "$T/from-fifo.json")" "$(jq -S . "$T/out.json")" "the FIFO's reader got the report"

# /dev/stdout is written in place: into a pipe the report then arrives twice, as asked.
"$CACHEWARM" run "$T/m.yaml" --report /dev/stdout 2>"$T/err.txt" | cat >"$T/piped.json"
expect_eq "$(jq -s length "$T/piped.json")" 2 "two documents through the pipe"
expect_eq "$(jq -s '.[0] == .[1]' "$T/piped.json")" true "the same document twice"
[[ -L /dev/stdout ]] || fail "/dev/stdout is no longer a symlink"

# The other commands' output lost on /dev/full: 74 too, naming what could not be written.
cat >"$T/sched.yaml" <<EOF2
version: 1
targets:
  main: {url: "$(redis_url)"}
schedules:
  morning: {cron: "0 6 * * *", timezone: UTC}
groups:
  - name: g
    schedule: morning
    pattern: "s:{i}"
    with: {i: "1..3"}
    value: {text: "v"}
EOF2
printf '%s %s\n' 1700000000 a 1700000001 b 1700003600 a 1700003601 a >"$T/log.txt"
for words in "plan $T/sched.yaml|the plan" "cron $T/sched.yaml|the crontab" \
  "cron $T/sched.yaml --systemd|the units" \
  "predict --log $T/log.txt --log-format fields --key {2} --time-field 1 --time-unit s --top 1|the predicted keys" \
  "evaluate --log $T/log.txt --log-format fields --key {2} --time-field 1 --time-unit s --top 1|the evaluation"; do
  IFS='|' read -r command what <<<"$words"
  rc=0
  # shellcheck disable=SC2086 # the command's words
  "$CACHEWARM" $command >/dev/full 2>"$T/err.txt" || rc=$?
  expect_eq "$rc" 74 "exit code of '$command' with stdout on /dev/full"
  expect_contains "$(cat "$T/err.txt")" \
    "cachewarm: error: cannot write $what to stdout: No space left on device" \
    "stderr of '$command' names the stdout failure"
done
