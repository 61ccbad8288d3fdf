#!/usr/bin/env bash
# A group with `targets: [a, b]` writes every key to both redis-servers: each holds exactly the
# group's keys with their values and TTLs, and the report counts per key and target (planned and
# written twice the keys) with one entry per target, each with its own written count.
source "$(dirname "$0")/lib.sh"

keys=500
start_redis
port_a=$REDIS_PORT
start_redis
port_b=$REDIS_PORT
cat >"$T/m.yaml" <<EOF2
version: 1
targets:
  a: {url: "redis://127.0.0.1:${port_a}/0"}
  b: {url: "redis://127.0.0.1:${port_b}/2"}
groups:
  - name: both
    targets: [a, b]
    pattern: "two:{i}"
    with: {i: "1..${keys}"}
    value: {text: "v{i}"}
    ttl: 1h
    batch: 50
  - name: only-a
    target: a
    keys: [solo]
    value: {text: "s"}
EOF2

expect_exit 0 cw run "$T/m.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" '.groups[0].planned' $((2 * keys))
expect_json "$r" '.groups[0].written' $((2 * keys))
expect_json "$r" '.groups[0].targets | length' 2
expect_json "$r" '[.groups[0].targets[] | "\(.name)=\(.written)/\(.failed)"] | sort | join(" ")' \
  "a=${keys}/0 b=${keys}/0"
expect_json "$r" '.groups[1].targets | map(.name) | join(",")' a
expect_json "$r" .totals.written $((2 * keys + 1))

seq 1 "$keys" | sed 's/^/two:/' | LC_ALL=C sort >"$T/expected.txt"
# on PORT DB ARGS...: redis-cli against one of the two servers.
on() {
  redis-cli -h 127.0.0.1 -p "$1" -n "$2" "${@:3}"
}
on "$port_a" 0 --scan --pattern 'two:*' | LC_ALL=C sort >"$T/a.txt"
on "$port_b" 2 --scan --pattern 'two:*' | LC_ALL=C sort >"$T/b.txt"
cmp -s "$T/expected.txt" "$T/a.txt" || fail "server a lacks keys: $(comm -23 "$T/expected.txt" "$T/a.txt" | head -5)"
cmp -s "$T/expected.txt" "$T/b.txt" || fail "server b lacks keys: $(comm -23 "$T/expected.txt" "$T/b.txt" | head -5)"
expect_eq "$(on "$port_a" 0 dbsize)" $((keys + 1)) "DBSIZE of a (the group and solo)"
expect_eq "$(on "$port_b" 2 dbsize)" "$keys" "DBSIZE of b, database 2"
expect_eq "$(on "$port_b" 0 dbsize)" 0 "nothing in b's database 0"
expect_eq "$(on "$port_b" 2 exists solo)" 0 "solo only went to a"
for i in 1 250 "$keys"; do
  expect_eq "$(on "$port_a" 0 get "two:$i")" "v$i" "a: GET two:$i"
  expect_eq "$(on "$port_b" 2 get "two:$i")" "v$i" "b: GET two:$i"
  ttl=$(on "$port_b" 2 ttl "two:$i")
  expect_ge "$ttl" 3500 "b: TTL of two:$i"
  expect_le "$ttl" 3600 "b: TTL of two:$i"
done
