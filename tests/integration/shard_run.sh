#!/usr/bin/env bash
# --shard I/N: four shards run in parallel write every key of an unsharded run exactly once (the
# same DBSIZE, one SET per key, reports with "shard" {index, count} whose counts add up), each key
# in the shard fmix64(FNV-1a-64(key)) mod N (checked against a Python model of that hash);
# `--shard auto/N` reads JOB_COMPLETION_INDEX; a shard is deterministic; bad values exit 2 with a
# `--shard` error; the run lock is per shard (two shards of one manifest run at once, the same
# shard twice exits 75); and --resume keeps a state file per shard (state.shard-I-of-N.json) and
# resumes an SQL query whose other shards' rows the source dropped itself.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh installs it)"
start_redis

# Three groups, 2600 keys: a pattern (700 x 2), a key list of 600 lines and an SQLite query of
# 600 rows (whose source drops other shards' rows itself, after reading their key column only).
seq 1 600 | sed 's/^/user:/' >"$T/users.txt"
make_db "$T/items.db" <<'SQL'
CREATE TABLE items(name TEXT, id INTEGER PRIMARY KEY);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 600)
INSERT INTO items(name, id) SELECT 'item-' || x, x FROM c;
SQL
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://127.0.0.1:${REDIS_PORT}/\${CW_SHARD_DB:-0}"}
sources:
  db: {sqlite: items.db}
defaults: {batch: 100, concurrency: 4}
groups:
  - name: items
    query: {source: db, sql: "SELECT name, id FROM items"}
    key: "item:{id}"
    value: {column: name}
  - name: pages
    pattern: "page:{id}:{lang}"
    with: {id: "1..700", lang: [en, de]}
    value: {text: "<p lang=\"{lang}\">{id}</p>"}
  - name: users
    keys_from: {file: users.txt}
    value: {text: "u-{line}"}
EOF
keys=2600
shards=4

# set_calls: how many SET commands the server executed since the last CONFIG RESETSTAT.
set_calls() {
  rcli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p' | grep . || echo 0
}

# --- (a) four shards in parallel write exactly the keys of an unsharded run, each once -----------
rcli config resetstat >/dev/null
expect_exit 0 cw run "$T/m.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" 'has("shard")' false
expect_report_invariant "$r"
whole_planned=$(jget "$r" .totals.planned)
expect_eq "$whole_planned" "$keys" "the unsharded run's planned"
whole_db=$(dbsize)
expect_eq "$whole_db" "$keys" "DBSIZE after the unsharded run"
expect_eq "$(set_calls)" "$keys" "SET calls of the unsharded run (one per key)"
pages_planned=$(jget "$r" '.groups[] | select(.name == "pages") | .planned')
users_planned=$(jget "$r" '.groups[] | select(.name == "users") | .planned')
expect_json "$r" '.groups[] | select(.name == "items") | .planned' 600
scan_keys >"$T/whole.keys"

rcli flushall >/dev/null
rcli config resetstat >/dev/null
pids=()
for ((i = 0; i < shards; i++)); do
  "$CACHEWARM" run "$T/m.yaml" --shard "$i/$shards" --progress never \
    >"$T/shard$i.json" 2>"$T/shard$i.err" &
  pids+=($!)
  on_exit "kill ${pids[i]} 2>/dev/null"
done
for ((i = 0; i < shards; i++)); do
  rc=0
  wait "${pids[i]}" || rc=$?
  if [[ "$rc" != 0 ]]; then
    cat "$T/shard$i.err" >&2
    fail "shard $i/$shards exited $rc (expected 0)"
  fi
done
expect_eq "$(dbsize)" "$whole_db" "DBSIZE after 4 parallel shards equals the unsharded run's"
expect_eq "$(set_calls)" "$keys" "SET calls of the 4 shards (every key written exactly once)"
scan_keys >"$T/sharded.keys"
cmp -s "$T/whole.keys" "$T/sharded.keys" ||
  fail "the shards wrote other keys than the unsharded run: $(diff "$T/whole.keys" "$T/sharded.keys" | head -5)"
sum_planned=0 sum_written=0 sum_pages=0 sum_users=0 sum_items=0
for ((i = 0; i < shards; i++)); do
  r=$T/shard$i.json
  expect_json "$r" .status ok
  expect_json "$r" '.shard | keys | join(",")' "count,index"
  expect_json "$r" '(keys_unsorted | index("shard")) - (keys_unsorted | index("dry_run"))' 1
  expect_json "$r" '.shard | "\(.index)/\(.count)"' "$i/$shards"
  expect_json "$r" '.shard.index | type' number
  expect_report_invariant "$r"
  expect_json "$r" .totals.failed 0
  planned=$(jget "$r" .totals.planned)
  expect_ge "$planned" $((keys / 10 + 1)) "shard $i's share of $keys keys (more than 10 %)"
  expect_json "$r" .totals.written "$planned"
  sum_planned=$((sum_planned + planned))
  sum_written=$((sum_written + $(jget "$r" .totals.written)))
  sum_pages=$((sum_pages + $(jget "$r" '.groups[] | select(.name == "pages") | .planned')))
  sum_users=$((sum_users + $(jget "$r" '.groups[] | select(.name == "users") | .planned')))
  sum_items=$((sum_items + $(jget "$r" '.groups[] | select(.name == "items") | .planned')))
done
expect_eq "$sum_planned" "$whole_planned" "the shards' planned add up to the unsharded planned"
expect_eq "$sum_written" "$(dbsize)" "the shards' written add up to DBSIZE (no key in two shards)"
expect_eq "$sum_pages" "$pages_planned" "group pages: the shards' planned add up"
expect_eq "$sum_users" "$users_planned" "group users: the shards' planned add up"
expect_eq "$sum_items" 600 "group items: the shards' planned add up"
expect_eq "$(rcli get item:17)" "item-17" "an SQL row's value column is read for the shard's keys"

# Which keys: each shard alone into its own database (1..4), checked against the spec's hash,
# shard(key) = fmix64(FNV-1a-64(key)) mod N.
for ((i = 0; i < shards; i++)); do
  expect_exit 0 env CW_SHARD_DB=$((i + 1)) "$CACHEWARM" run "$T/m.yaml" --shard "$i/$shards" --progress never
  expect_eq "$(dbsize $((i + 1)))" "$(jget "$T/shard$i.json" .totals.written)" \
    "shard $i alone writes as many keys as in the parallel run"
  scan_keys $((i + 1)) >"$T/db$i.keys"
done
python3 - "$T" "$shards" >"$T/model.txt" <<'PY' || fail "the shard model failed"
import sys
M = (1 << 64) - 1
def shard(key, n):
    h = 0xCBF29CE484222325
    for b in key:
        h = ((h ^ b) * 0x100000001B3) & M
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M
    h ^= h >> 33
    return h % n
t, n = sys.argv[1], int(sys.argv[2])
bad = []
for i in range(n):
    with open(f"{t}/db{i}.keys", "rb") as f:
        for line in f.read().splitlines():
            if shard(line, n) != i:
                bad.append(f"{line.decode()} in shard {i}, model says {shard(line, n)}")
with open(f"{t}/whole.keys", "rb") as f:
    counts = [0] * n
    for line in f.read().splitlines():
        counts[shard(line, n)] += 1
print(" ".join(map(str, counts)))
print(f"{len(bad)} misplaced" + ("".join("\n  " + b for b in bad[:5])))
PY
expect_eq "$(sed -n 2p "$T/model.txt")" "0 misplaced" "keys in the shard of fmix64(FNV-1a-64(key)) mod $shards"
read -r -a model_counts < <(head -n 1 "$T/model.txt")
for ((i = 0; i < shards; i++)); do
  expect_json "$T/shard$i.json" .totals.planned "${model_counts[i]}"
done
cat "$T"/db?.keys | LC_ALL=C sort | cmp -s - "$T/whole.keys" ||
  fail "the union of the shards run alone is not the unsharded key set"

# --- (b) --shard auto/N takes the index from JOB_COMPLETION_INDEX ---------------------------------
expect_exit 0 cw run "$T/m.yaml" --dry-run --shard 2/4 --progress never
explicit=$(jget "$T/out.json" .totals.planned)
expect_eq "$explicit" "${model_counts[2]}" "dry run of shard 2/4 counts shard 2's keys"
expect_exit 0 env JOB_COMPLETION_INDEX=2 "$CACHEWARM" run "$T/m.yaml" --dry-run --shard auto/4 --progress never
expect_json "$T/out.json" .totals.planned "$explicit"
expect_json "$T/out.json" .shard.index 2
expect_json "$T/out.json" .shard.count 4
expect_json "$T/out.json" .dry_run true

# --- (c) a shard is the same every time; no --shard, no "shard" ------------------------------------
expect_exit 0 cw run "$T/m.yaml" --dry-run --shard 1/4 --progress never
first=$(jq -c '[.totals.planned, [.groups[] | .planned]]' "$T/out.json")
expect_exit 0 cw run "$T/m.yaml" --dry-run --shard 1/4 --progress never
expect_eq "$(jq -c '[.totals.planned, [.groups[] | .planned]]' "$T/out.json")" "$first" \
  "two dry runs of shard 1/4"
expect_json "$T/out.json" .totals.planned "${model_counts[1]}"
expect_exit 0 cw run "$T/m.yaml" --dry-run --progress never
expect_json "$T/out.json" 'has("shard")' false
expect_json "$T/out.json" .totals.planned "$keys"
expect_exit 0 cw plan "$T/m.yaml" --json --shard 1/4
expect_json "$T/out.json" '.shard | "\(.index)/\(.count)"' 1/4

# --- (d) bad values exit 2 with a --shard error, write nothing and print no report -----------------
rcli flushall >/dev/null
# bad_shard ENV_INDEX VALUE: JOB_COMPLETION_INDEX is ENV_INDEX (unset when "-").
bad_shard() {
  local env=(env -u JOB_COMPLETION_INDEX)
  [[ "$1" == - ]] || env=(env JOB_COMPLETION_INDEX="$1")
  expect_exit 2 "${env[@]}" "$CACHEWARM" run "$T/m.yaml" --shard "$2" --progress never
  expect_ge "$(grep -c '^cachewarm: error: --shard' "$T/err.txt" || true)" 1 \
    "a 'cachewarm: error: --shard' line for --shard $2 (JOB_COMPLETION_INDEX=$1)"
  expect_eq "$(wc -c <"$T/out.json")" 0 "no report for --shard $2 (JOB_COMPLETION_INDEX=$1)"
}
bad_shard - 4/4
bad_shard - 1/0
bad_shard - x/4
bad_shard - 2
bad_shard - auto/4
bad_shard abc auto/4
bad_shard 7 auto/4
bad_shard 4 auto/4
bad_shard "" auto/4
bad_shard - "" # an empty value (an unset $SHARD in a template) must not mean "unsharded"
expect_eq "$(dbsize)" 0 "the refused runs wrote nothing"

# --- (e) the run lock is per shard ---------------------------------------------------------------
# 3000 keys at 400/s per process: a shard (about 750 keys) takes about 1.9 s.
cat >"$T/slow.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: slow
    pattern: "slow:{n}"
    with: {n: "1..3000"}
    value: {text: "v{n}"}
    rate: 400/s
EOF
"$CACHEWARM" run "$T/slow.yaml" --shard 0/4 --progress never >"$T/lock0.json" 2>"$T/lock0.err" &
p0=$!
on_exit "kill $p0 2>/dev/null"
"$CACHEWARM" run "$T/slow.yaml" --shard 1/4 --progress never >"$T/lock1.json" 2>"$T/lock1.err" &
p1=$!
on_exit "kill $p1 2>/dev/null"
rc0=0 rc1=0
wait "$p0" || rc0=$?
wait "$p1" || rc1=$?
expect_eq "$rc0" 0 "shard 0/4 beside shard 1/4 of the same manifest: $(tail -n 2 "$T/lock0.err")"
expect_eq "$rc1" 0 "shard 1/4 beside shard 0/4 of the same manifest: $(tail -n 2 "$T/lock1.err")"
s0=$(jget "$T/lock0.json" .started_at) f0=$(jget "$T/lock0.json" .finished_at)
s1=$(jget "$T/lock1.json" .started_at) f1=$(jget "$T/lock1.json" .finished_at)
expect_ge "$(jget "$T/lock0.json" '.duration_ms | floor')" 1000 "shard 0's run is rate-limited"
# ISO 8601 UTC with milliseconds: string order is time order.
[[ "$s0" < "$f1" && "$s1" < "$f0" ]] ||
  fail "the two shards did not overlap in time: shard 0 $s0..$f0, shard 1 $s1..$f1"
expect_eq "$(dbsize)" $(($(jget "$T/lock0.json" .totals.written) + $(jget "$T/lock1.json" .totals.written))) \
  "DBSIZE after shards 0 and 1 of slow.yaml"

# The same shard twice at once: the second exits 75 and writes nothing. The first runs at 200/s
# (about 3.7 s), so the second surely starts while it holds the lock.
rcli flushall >/dev/null
"$CACHEWARM" run "$T/slow.yaml" --shard 1/4 --rate 200/s --progress never >"$T/holder.json" 2>"$T/holder.err" &
holder=$!
on_exit "kill $holder 2>/dev/null"
seen=$(wait_for_dbsize 1)
expect_ge "$seen" 1 "the first run of shard 1/4 is writing"
expect_exit 75 cw run "$T/slow.yaml" --shard 1/4 --progress never
expect_contains "$(cat "$T/err.txt")" "another cachewarm run holds" "the second run of shard 1/4 is locked out"
expect_contains "$(cat "$T/err.txt")" "(pid $holder)" "the lock names the first run's PID"
expect_json "$T/out.json" .totals.written 0
expect_json "$T/out.json" '[.groups[] | select(.ran)] | length' 0
rc=0
wait "$holder" || rc=$?
expect_eq "$rc" 0 "the first run of shard 1/4 completes"
expect_eq "$(dbsize)" "$(jget "$T/holder.json" .totals.written)" "only the first run of shard 1/4 wrote"

# --- (f) --resume keeps one state file per shard -------------------------------------------------
# Group big is an ordered SQLite query: the resumed shard skips exactly the rows read before,
# counting those of other shards that the source dropped (too few would rewrite keys, too many
# would lose them).
rcli flushall >/dev/null
make_db "$T/big.db" <<'SQL'
CREATE TABLE big(n INTEGER PRIMARY KEY);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000)
INSERT INTO big(n) SELECT x FROM c;
SQL
cat >"$T/r.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: big.db}
groups:
  - name: first
    keys: [first:a, first:b]
    value: {text: "done"}
  - name: big
    query: {source: db, sql: "SELECT n FROM big ORDER BY n"}
    key: "big:{n}"
    value: {text: "v{n}"}
    rate: 5000/s
    batch: 100
EOF
expect_exit 0 cw run "$T/r.yaml" --dry-run --shard 1/4 --progress never
shard_keys=$(jget "$T/out.json" .totals.planned)
expect_ge "$shard_keys" 1500 "shard 1/4 of r.yaml"
# Job control on: the background job gets default SIGINT handling.
set -m
"$CACHEWARM" run "$T/r.yaml" --resume "$T/state.json" --shard 1/4 --rate 1000/s --progress never \
  >"$T/int.json" 2>"$T/int.err" &
cw_pid=$!
set +m
on_exit "kill -9 $cw_pid 2>/dev/null"
arrived=$(wait_for_dbsize 200)
expect_ge "$arrived" 200 "keys arrive before the SIGINT"
kill -0 "$cw_pid" 2>/dev/null || fail "cachewarm ended before the SIGINT"
kill -INT "$cw_pid"
rc=0
wait "$cw_pid" || rc=$?
expect_eq "$rc" 130 "exit code after SIGINT"
expect_json "$T/int.json" .status interrupted
expect_json "$T/int.json" .shard.index 1
written_before=$(jget "$T/int.json" .totals.written)
expect_le "$written_before" $((shard_keys - 1)) "the interrupted run stopped before the end of its shard"
[[ -f "$T/state.shard-1-of-4.json" ]] || fail "no state.shard-1-of-4.json after SIGINT: $(ls "$T")"
[[ ! -e "$T/state.json" ]] || fail "--resume with --shard wrote the unsharded state file state.json"
expect_json "$T/state.shard-1-of-4.json" '.groups.big.done' false
cp "$T/state.shard-1-of-4.json" "$T/state1.saved"

# Another shard with the same --resume keeps to its own file.
expect_exit 0 cw run "$T/r.yaml" --resume "$T/state.json" --shard 2/4 --progress never
expect_json "$T/out.json" .shard.index 2
[[ ! -e "$T/state.shard-2-of-4.json" ]] || fail "shard 2 completed but kept its state file"
cmp -s "$T/state.shard-1-of-4.json" "$T/state1.saved" || fail "shard 2 changed shard 1's state file"
shard2=$(jget "$T/out.json" .totals.written)

expect_exit 0 cw run "$T/r.yaml" --resume "$T/state.json" --shard 1/4 --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .shard.index 1
expect_json "$r" .totals.failed 0
reason=$(jget "$r" '.groups[] | select(.name == "big") | .reason')
expect_contains "$reason" "resumed after" "shard 1's group big resumes"
# The rows skipped are all the rows read, about 4 for every key shard 1 wrote before.
skipped_rows=$(sed -n 's/.*resumed after \([0-9]*\) rows.*/\1/p' <<<"$reason")
expect_ge "$skipped_rows" $((written_before * 2)) "rows skipped on resume (shard 1 wrote $written_before)"
[[ ! -e "$T/state.shard-1-of-4.json" ]] || fail "the completed shard 1 kept its state file"
[[ ! -e "$T/state.json" ]] || fail "state.json appeared"
expect_eq "$(dbsize)" $((shard_keys + shard2)) "every key of shards 1 and 2 is present"
# Resumed, not rewritten from scratch: the second run wrote at most the rest plus 100 ms of keys.
expect_le "$(jget "$r" .totals.written)" $((shard_keys - written_before + 300)) \
  "the resumed run writes the rest of shard 1"
