#!/usr/bin/env bash
# Manifest features that parse but are not implemented yet (cluster targets) make `run` refuse
# up front: exit 2, "not supported yet" with file:line:column, and
# nothing written (not even the groups that would work).
source "$(dirname "$0")/lib.sh"

start_redis
line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1; }

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
