#!/usr/bin/env bash
# Reconnect and resume over TLS. (1) The TLS server is SIGKILLed mid-run and restarted on the same
# port a second later (as redis_fault_restart.sh does in plain text): the workers handshake again,
# resend what was not acknowledged, and the run ends with exit 0 and every key present. (2) A run
# interrupted by SIGINT keeps its state file, and `--resume` completes it over TLS (as
# resume_after_sigint.sh does in plain text).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_tls.sh"

# restart_tls_redis starts it again with these arguments; the fsync-always AOF keeps whatever it
# acknowledged before the SIGKILL.
start_tls_redis --appendonly yes --appendfsync always
target="{url: \"$(tls_url)\", tls: {ca_file: $TLS_CERTS/ca.pem}}"

# --- (1) The server restarts mid-run ------------------------------------------------------------
keys=300000
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: $target
groups:
  - name: g
    pattern: "fr:{i}"
    with: {i: "1..${keys}"}
    value: {text: "v-{i}"}
    rate: 80000/s
    batch: 500
    concurrency: 4
EOF

start=$(now_ms)
timeout --kill-after=5 60 "$CACHEWARM" run "$T/m.yaml" >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
on_exit "kill $cw_pid 2>/dev/null"

sleep 1.5
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the crash (after $(($(now_ms) - start)) ms)"
before=$(tls_dbsize)
kill_tls_redis
sleep 1
restart_tls_redis
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended while the server was down"

rc=0
wait "$cw_pid" || rc=$?
elapsed=$(($(now_ms) - start))
echo "keys before the crash: $before; run took $elapsed ms" >&2
if ((rc != 0)); then
  _cw_dump_output
  fail "cachewarm exited $rc (expected 0)"
fi
expect_ge "$before" 1 "keys were written before the crash"
expect_le "$before" $((keys - 1)) "the crash came before the run ended"

r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned "$keys"
expect_json "$r" .totals.written "$keys"
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[0].targets[0].tls.verify' true
expect_contains "$(cat "$T/err.txt")" "connection lost" "a worker logged the lost connection"

expect_eq "$(tls_dbsize)" "$keys" "DBSIZE after the restart"
for _ in $(seq 1 20); do
  i=$((1 + (RANDOM * 32768 + RANDOM) % keys))
  expect_eq "$(rcli_tls get "fr:$i")" "v-$i" "value of fr:$i"
done
expect_eq "$(rcli_tls get "fr:1")" "v-1" "value of the first key"
expect_eq "$(rcli_tls get "fr:$keys")" "v-$keys" "value of the last key"

# --- (2) SIGINT, then --resume -------------------------------------------------------------------
rcli_tls flushall >/dev/null
expect_eq "$(tls_dbsize)" 0 "empty before the resume part"
keys=10000
cat >"$T/resume.yaml" <<EOF
version: 1
targets:
  main: $target
groups:
  - name: first
    keys: [first:a, first:b]
    value: {text: "done"}
  - name: big
    pattern: "big:{n}"
    with: {n: "1..${keys}"}
    value: {text: "v{n}"}
    rate: 5000/s
    batch: 100
EOF

# Job control on: the background job gets default SIGINT handling.
set -m
"$CACHEWARM" run "$T/resume.yaml" --resume "$T/state.json" --progress never >"$T/out.json" 2>"$T/err.txt" &
cw_pid=$!
set +m
on_exit "kill -9 $cw_pid 2>/dev/null"
arrived=$(wait_for_tls_dbsize 2000)
expect_ge "$arrived" 2000 "keys arrive before the SIGINT"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the SIGINT"
kill -INT "$cw_pid"
rc=0
wait "$cw_pid" || rc=$?
expect_eq "$rc" 130 "exit code after SIGINT"
r=$T/out.json
expect_json "$r" .status interrupted
expect_report_invariant "$r"
written_before=$(jget "$r" .totals.written)
expect_eq "$(tls_dbsize)" "$written_before" "DBSIZE equals the interrupted run's written"

[[ -f "$T/state.json" ]] || fail "no state file after SIGINT"
expect_json "$T/state.json" '.groups.first.done' true
expect_json "$T/state.json" '.groups.big.done' false
rows=$(jget "$T/state.json" '.groups.big.rows')
expect_ge "$rows" 1000 "rows acknowledged before the SIGINT"
expect_le "$rows" $((keys - 1)) "rows acknowledged before the SIGINT"
expect_le "$rows" $((written_before - 2)) "the state claims no more rows than were written"
expect_eq "$(rcli_tls get "big:$rows")" "v$rows" "the last acknowledged row is in redis"

expect_exit 0 cw run "$T/resume.yaml" --resume "$T/state.json" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" '.groups[0].ran' false
expect_contains "$(jget "$r" '.groups[1].reason')" "resumed after $rows rows" "big resumes"
expect_json "$r" '.groups[1].written' $((keys - rows))
expect_json "$r" '.groups[1].targets[0].tls.verify' true
expect_json "$r" .totals.failed 0
expect_report_invariant "$r"
expect_eq "$(tls_dbsize)" $((keys + 2)) "every key is present"
expect_eq "$(rcli_tls get "big:1")" v1 "the first key"
expect_eq "$(rcli_tls get "big:$keys")" "v$keys" "the last key"
[[ ! -e "$T/state.json" ]] || fail "the state file should be removed after a complete run"
