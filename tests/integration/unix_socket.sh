#!/usr/bin/env bash
# unix://[user:password@]/abs/path.sock?db=N connects over a Unix domain socket, authenticates
# and selects the database.
source "$(dirname "$0")/lib.sh"

sock=$T/redis.sock
start_redis --unixsocket "$sock" --unixsocketperm 700 --requirepass sock-pw-5678
export RCLI_ARGS="-a sock-pw-5678"

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "unix://default:sock-pw-5678@${sock}?db=2"}
groups:
  - name: g
    keys: [s1, s2, s3]
    value: {text: "over-socket-{key}"}
EOF

expect_exit 0 cw run "$T/m.yaml"
expect_eq "$(redis-cli -s "$sock" --no-auth-warning -a sock-pw-5678 -n 2 dbsize)" 3 "DBSIZE of db 2 via the socket"
expect_eq "$(dbsize 0)" 0 "DBSIZE of db 0"
expect_eq "$(rcli -n 2 get s2)" over-socket-s2 "GET s2 in db 2"
expect_json "$T/out.json" .totals.written 3
expect_json "$T/out.json" .status ok
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" sock-pw-5678 "the password is never printed"

# Without db: database 0.
cat >"$T/m0.yaml" <<EOF
version: 1
targets:
  main: {url: "unix://default:sock-pw-5678@${sock}"}
groups:
  - name: g
    keys: [z]
    value: {text: "zero"}
EOF
expect_exit 0 cw run "$T/m0.yaml"
expect_eq "$(rcli -n 0 get z)" zero "GET z in db 0"
