#!/usr/bin/env bash
# The memory pre-flight against a real redis-server with maxmemory: each group's memory is
# estimated from its row count (a SELECT count(*) for queries) and its first resolved batch;
# without --max-memory-use an overfilling group is warned about (with the eviction policy's
# consequence) and still written; with it, the lowest-priority groups that would pass the limit
# are cut (exit 1, kind memory_limit, nothing of theirs written) while the others are warmed.
# Without maxmemory there is nothing to compare: no estimate. The estimate is checked against the
# used_memory a real write adds.
source "$(dirname "$0")/lib.sh"

pad=$(printf 'x%.0s' $(seq 1 180))
make_db "$T/items.db" <<EOF
CREATE TABLE items(id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
INSERT INTO items SELECT x, x || '-$pad' FROM c;
EOF

manifest() { # manifest FILE
  cat >"$1" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: items.db}
groups:
  - name: small
    priority: 10
    pattern: "small:{i}"
    with: {i: "1..100"}
    value: {text: "v{i}"}
  - name: big
    priority: 1
    query: {source: db, sql: "SELECT id, payload FROM items;"}
    key: "item:{id}"
    value: {column: payload}
    ttl: 1h
EOF
}

# --- No maxmemory: nothing to compare, no estimate, everything written. --------------------------
start_redis
manifest "$T/m.yaml"
expect_exit 0 cw run "$T/m.yaml" --progress never --max-memory-use 50
expect_json "$T/out.json" .totals.written 20100
expect_json "$T/out.json" '[.groups[].estimated_bytes] | map(. == null) | all' true

# --- The estimate is close to what the keys really take (within 25%). ---------------------------
rcli flushall >/dev/null
rcli config set maxmemory 1gb >/dev/null
before=$(rcli info memory | tr -d '\r' | sed -n 's/^used_memory://p')
expect_exit 0 cw run "$T/m.yaml" --progress never -g big
after=$(rcli info memory | tr -d '\r' | sed -n 's/^used_memory://p')
estimate=$(jget "$T/out.json" '.groups[] | select(.name == "big") | .estimated_bytes')
actual=$((after - before))
expect_ge "$estimate" $((actual * 3 / 4)) "estimate vs the used_memory 20000 keys added ($actual)"
expect_le "$estimate" $((actual * 5 / 4)) "estimate vs the used_memory 20000 keys added ($actual)"
cw_stop_pid "$REDIS_PID"

# --- maxmemory 4mb, noeviction: a warning, and the group still runs (and hits OOM). --------------
start_redis --maxmemory 4mb --maxmemory-policy noeviction
manifest "$T/m.yaml"
expect_exit 1 cw run "$T/m.yaml" --progress never
expect_contains "$(cat "$T/err.txt")" "keys would take target main from" "the pre-flight warning"
expect_contains "$(cat "$T/err.txt")" "writes will fail with OOM once it is full" "noeviction"
expect_contains "$(cat "$T/err.txt")" "--max-memory-use PCT cuts the group instead" "the hint"
expect_json "$T/out.json" '.groups[] | select(.name == "big") | .estimated_bytes > 4000000' true
expect_json "$T/out.json" '.groups[] | select(.name == "big") | .errors[0].kind' oom
rcli flushall >/dev/null

# --- With --max-memory-use 80: the low-priority group is cut, the high-priority one written. ----
expect_exit 1 cw run "$T/m.yaml" --progress never --max-memory-use 80
r=$T/out.json
expect_report_invariant "$r"
expect_json "$r" .status partial
expect_json "$r" '.groups[0].name' small
expect_json "$r" '.groups[0].written' 100
expect_json "$r" '.groups[1].name' big
expect_json "$r" '.groups[1].ran' false
expect_json "$r" '.groups[1].written' 0
expect_json "$r" '.groups[1].failed' 20000
expect_json "$r" '.groups[1].errors[0].kind' memory_limit
expect_json "$r" '.groups[1].errors[0].count' 20000
expect_contains "$(jget "$r" '.groups[1].reason')" "cut: about " "the reason"
expect_contains "$(jget "$r" '.groups[1].reason')" "for 20000 keys would take target main" "reason"
expect_contains "$(jget "$r" '.groups[1].reason')" "(over --max-memory-use 80%)" "the reason"
expect_eq "$(dbsize)" 100 "only the high-priority group was written"

# --- allkeys-lru names the eviction it would cause. ----------------------------------------------
rcli config set maxmemory-policy allkeys-lru >/dev/null
rcli flushall >/dev/null
expect_exit 0 cw run "$T/m.yaml" --progress never -g big
expect_contains "$(cat "$T/err.txt")" "it will evict live keys (allkeys-lru)" "allkeys-lru warning"

# --- Bad values of --max-memory-use are usage errors. --------------------------------------------
expect_exit 2 cw run "$T/m.yaml" --max-memory-use 0
expect_exit 2 cw run "$T/m.yaml" --max-memory-use 101
expect_exit 2 cw run "$T/m.yaml" --max-memory-use lots
