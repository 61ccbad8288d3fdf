#!/usr/bin/env bash
# Two runs of one manifest never load at once: while a slow run holds the lock, a second run
# exits 75 at once with a clear message and a report (every group ran: false) and writes nothing; once the first is done, a run works.
# The lock file is created with mode 0600.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: slow
    pattern: "slow:{n}"
    with: {n: "1..3000"}
    value: {text: "v{n}"}
    rate: 1000/s
  - name: quick
    keys: [quick:1]
    value: {text: "q"}
EOF

"$CACHEWARM" run "$T/m.yaml" --lock "$T/run.lock" --progress never >"$T/first.json" 2>"$T/first.err" &
first=$!
on_exit "kill $first 2>/dev/null"
# Wait until the first run holds the lock (it writes its PID into the file).
for _ in $(seq 1 100); do
  [[ "$(cat "$T/run.lock" 2>/dev/null)" == "$first" ]] && break
  sleep 0.05
done
expect_eq "$(cat "$T/run.lock")" "$first" "the lock file names the holder's PID"
expect_eq "$(stat -c %a "$T/run.lock")" 600 "lock file mode"

expect_exit 75 cw run "$T/m.yaml" -g quick --lock "$T/run.lock"
expect_contains "$(cat "$T/err.txt")" "another cachewarm run holds $T/run.lock (pid $first)" \
  "the second run says who holds the lock"
# Cron and CI parse stdout: the refusal is a report too, every group ran: false, naming the PID.
expect_json "$T/out.json" .status failed
expect_json "$T/out.json" '[.groups[] | select(.ran)] | length' 0
expect_json "$T/out.json" '.groups | length' 1
expect_json "$T/out.json" '.groups[] | select(.name == "quick") | .reason' \
  "not started: another cachewarm run holds $T/run.lock (pid $first)"
expect_json "$T/out.json" .totals.written 0
expect_json "$T/out.json" .error "another cachewarm run holds $T/run.lock (pid $first)"
expect_eq "$(rcli exists quick:1)" 0 "the refused run wrote nothing"

wait "$first"
expect_eq "$(jq -r .totals.written "$T/first.json")" 3001 "the first run completed"
expect_exit 0 cw run "$T/m.yaml" -g quick --lock "$T/run.lock"
expect_json "$T/out.json" .totals.written 1

# Without --lock, the lock file is derived from the manifest's path: still exclusive.
"$CACHEWARM" run "$T/m.yaml" -g slow --progress never >/dev/null 2>&1 &
second=$!
on_exit "kill $second 2>/dev/null"
sleep 0.5
expect_exit 75 cw run "$T/m.yaml" -g quick
expect_contains "$(cat "$T/err.txt")" "another cachewarm run holds" "default lock path is shared"
wait "$second"
