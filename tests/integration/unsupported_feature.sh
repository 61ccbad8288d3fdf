#!/usr/bin/env bash
# Manifest features that parse but are not implemented yet (http and postgres sources, cluster
# targets) make `run` refuse up front: exit 2, "not supported yet" with file:line:column, and
# nothing written (not even the groups that would work).
source "$(dirname "$0")/lib.sh"

start_redis
line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1; }

# An http source used by one group, next to a group that alone would work.
cat >"$T/http.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  api:
    http: {base_url: "http://127.0.0.1:9", timeout: 1s}
groups:
  - name: works
    keys: [plain]
    value: {text: "x"}
  - name: homepage
    keys: [page:home]
    value: {source: api, get: "/pages/{key}"}
EOF
expect_exit 2 cw run "$T/http.yaml"
expect_contains "$(cat "$T/err.txt")" "not supported yet" "http source: message"
grep -Eq 'http\.yaml:[0-9]+:[0-9]+: ' "$T/err.txt" || fail "http source: no file:line:column in: $(cat "$T/err.txt")"
expect_eq "$(cat "$T/out.json")" "" "http source: no report on stdout"
expect_eq "$(dbsize)" 0 "http source: nothing written"

# A postgres source.
cat >"$T/pg.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  orders: {postgres: "postgresql://app@127.0.0.1:9/orders"}
groups:
  - name: works
    keys: [plain]
    value: {text: "x"}
  - name: orders
    keys: [order:1]
    value: {source: orders, sql: "SELECT body FROM orders WHERE key = \$1", params: ["{key}"]}
EOF
expect_exit 2 cw run "$T/pg.yaml"
expect_contains "$(cat "$T/err.txt")" "not supported yet" "postgres source: message"
grep -Eq 'pg\.yaml:[0-9]+:[0-9]+: ' "$T/err.txt" || fail "postgres source: no file:line:column in: $(cat "$T/err.txt")"
expect_eq "$(dbsize)" 0 "postgres source: nothing written"

# A cluster target.
cat >"$T/cluster.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
  eu: {url: "$(redis_url)", cluster: true}
defaults: {target: main}
groups:
  - name: works
    keys: [plain]
    value: {text: "x"}
  - name: everywhere
    targets: [main, eu]
    keys: [k]
    value: {text: "x"}
EOF
expect_exit 2 cw run "$T/cluster.yaml"
expect_contains "$(cat "$T/err.txt")" "not supported yet" "cluster target: message"
expect_contains "$(cat "$T/err.txt")" "cluster.yaml:$(line_of 'cluster: true' "$T/cluster.yaml"):" \
  "cluster target: names the line of the target"
expect_eq "$(dbsize)" 0 "cluster target: nothing written"
