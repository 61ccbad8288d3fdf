#!/usr/bin/env bash
# redis://user:password@host:port/db authenticates as an ACL user (AUTH user password) and
# selects the database: the keys land in db 3, none in db 0.
source "$(dirname "$0")/lib.sh"

# The default user has a different password, so only an ACL login as `warmer` can write.
start_redis --requirepass admin-pw-0000
export RCLI_ARGS="-a admin-pw-0000"
rcli acl setuser warmer on '>w4rm-pass' '~warm:*' '+@all' >/dev/null

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://warmer:w4rm-pass@127.0.0.1:${REDIS_PORT}/3"}
groups:
  - name: g
    pattern: "warm:{i}"
    with: {i: "1..20"}
    value: {text: "v{i}"}
EOF

expect_exit 0 cw run "$T/m.yaml"
expect_eq "$(dbsize 3)" 20 "DBSIZE of db 3"
expect_eq "$(dbsize 0)" 0 "DBSIZE of db 0"
expect_eq "$(rcli -n 3 get warm:7)" v7 "GET warm:7 in db 3"
expect_json "$T/out.json" .totals.written 20
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" w4rm-pass "the password is never printed"

# The ACL is really in force: keys outside ~warm:* are refused for this user (a per-key error,
# not a connection failure).
cat >"$T/denied.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://warmer:w4rm-pass@127.0.0.1:${REDIS_PORT}/3"}
groups:
  - name: g
    keys: ["other:1"]
    value: {text: "x"}
EOF
expect_exit 1 cw run "$T/denied.yaml"
expect_json "$T/out.json" .totals.failed 1
expect_eq "$(rcli -n 3 exists other:1)" 0 "other:1 not written"
