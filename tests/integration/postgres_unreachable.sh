#!/usr/bin/env bash
# A PostgreSQL source on a closed port: exit 3 (source unreachable) at once, for a query source
# and for a lookup, with a message naming 127.0.0.1:PORT and the password nowhere in the output;
# a server that never answers is given up on after connect_timeout.
source "$(dirname "$0")/lib.sh"

start_redis
port=$(closed_port)
secret='Unreach-Pa55word-9876'

cat >"$T/query.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "postgresql://cw:${secret}@127.0.0.1:${port}/cw"}
groups:
  - name: rows
    query: {source: pg, sql: "SELECT 1 AS id"}
    key: "row:{id}"
    value: {column: id}
EOF
cat >"$T/lookup.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  pg: {postgres: "host=127.0.0.1 port=${port} user=cw dbname=cw password='${secret}'"}
groups:
  - name: looked-up
    keys: [a, b]
    value: {source: pg, sql: "SELECT \$1::text", params: ["{key}"]}
EOF

for m in query lookup; do
  start=$(now_ms)
  expect_exit 3 cw run "$T/$m.yaml"
  expect_le $(($(now_ms) - start)) 15000 "$m: a refused connection fails fast (ms)"
  expect_json "$T/out.json" .status failed
  expect_json "$T/out.json" .totals.written 0
  expect_contains "$(cat "$T/err.txt")" "127.0.0.1:$port" "$m: stderr names host and port"
  expect_contains "$(jget "$T/out.json" .error)" "127.0.0.1:$port" "$m: the report's error names host and port"
  expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$secret" "$m: the password is never printed"
  expect_eq "$(dbsize)" 0 "$m: nothing written"
done

# A server that accepts the TCP connection but never answers: connect_timeout bounds the wait
# (cachewarm adds connect_timeout=10 only when the conninfo sets none). python3 plays the server.
command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh installs it)"
# The listener picks its own free port (a port chosen beforehand could be taken by a parallel
# test before it binds) and writes it to a file once it listens.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1]); time.sleep(60)' \
  "$T/silent.port" &
listener=$!
on_exit "kill $listener"
for ((i = 0; i < 100; i++)); do
  [[ -s "$T/silent.port" ]] && break
  sleep 0.1
done
silent=$(cat "$T/silent.port" 2>/dev/null || echo none)
listening=0
if [[ "$silent" != none ]] && (exec 3<>"/dev/tcp/127.0.0.1/$silent") 2>/dev/null; then
  listening=1
fi
expect_eq "$listening" 1 "the silent listener accepts on port $silent"
sed -i "s|@127.0.0.1:${port}/cw|@127.0.0.1:${silent}/cw?connect_timeout=2|" "$T/query.yaml"
start=$(now_ms)
expect_exit 3 cw run "$T/query.yaml"
elapsed=$(($(now_ms) - start))
expect_le "$elapsed" 8000 "connect_timeout=2 bounds a silent server (ms)"
expect_ge "$elapsed" 1500 "the silent server was waited for about connect_timeout=2 (ms)"
expect_contains "$(cat "$T/err.txt")" "127.0.0.1:$silent" "stderr names host and port"
expect_contains "$(cat "$T/err.txt")" "timeout expired" "libpq's reason"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$secret" "the password is never printed"
