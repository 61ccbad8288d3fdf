#!/usr/bin/env bash
# `cachewarm snapshot` reads a live server's hot set, and `keys_from: {snapshot: FILE}` warms it
# again (issue 14, "The live hot set"). One redis-server:
#   a. LFU (allkeys-lfu, lfu-log-factor 0, lfu-decay-time 0, so OBJECT FREQ counts every read):
#      503 keys, 20 of them read 31..50 times (strings with and without TTL, a hash, a list and a
#      key that is not UTF-8); --top 20 keeps exactly those, hottest first, each line's freq and
#      ttl_ms what the server says, the header and the stdout document describe the scan; taking
#      the snapshot reads no key (OBJECT FREQ unchanged afterwards). The manifest used is the one
#      that warms from the snapshot, before the snapshot file exists.
#   b. --match 'k:1*' keeps only matching keys (with --top 9: the 9 hot ones among them);
#      --sample 100 examines a whole number of SCAN pages, at least 100 and fewer than DBSIZE.
#   c. FLUSHALL, then `run` keys_from {snapshot} with value {text: "v-{key}"}: exactly the 20 keys.
#   d. --values: every line has the key's DUMP; FLUSHALL, then value {restore: snapshot}: the same
#      types and values, the TTLs carried over (minus the time since), a key whose TTL ran out
#      since is neither written nor planned, an existing key of another type is replaced;
#      only_missing leaves a changed key alone and counts it as skipped.
#   e. allkeys-lru, database 1: the 10 keys read last after a 2 s pause are the snapshot's
#      --top 10, ranked by idle_s; the header names database 1. --rate 50 over those 100 keys
#      takes at least 1 s.
#   f. Errors: usage (2: unknown target named with the manifest's targets listed, no --out, no
#      --target, bad --top, bad --progress, missing manifest); closed port (3); --out in a missing
#      directory (74, nothing created); stdout on /dev/full (74); SIGINT and SIGTERM (130) with
#      --out untouched and no temporary file left; at run time (3, the report's error names the
#      file and line): a missing snapshot, a first line that is not a header, a bad key line,
#      restore from a snapshot taken without --values; `validate` of restore with a group ttl (2).
source "$(dirname "$0")/lib.sh"

start_redis
rcli config set maxmemory-policy allkeys-lfu >/dev/null
rcli config set lfu-log-factor 0 >/dev/null
rcli config set lfu-decay-time 0 >/dev/null

BIN=$'bin:\xff'                               # a key that is not valid UTF-8
BIN_B64=$(printf 'bin:\xff' | base64)          # YmluOv8=

# resp WORD...: one command in the Redis protocol, for `redis-cli --pipe` (byte lengths).
resp() {
  local LC_ALL=C a
  printf '*%d\r\n' "$#"
  for a in "$@"; do
    printf '$%d\r\n%s\r\n' "${#a}" "$a"
  done
}
# pipe_in [DB]: sends the protocol on stdin to database DB (default 0), failing on any error.
pipe_in() {
  rcli -n "${1:-0}" --pipe >"$T/pipe.txt" 2>&1 || fail "redis-cli --pipe: $(cat "$T/pipe.txt")"
  grep -q 'errors: 0,' "$T/pipe.txt" || fail "redis-cli --pipe had errors: $(cat "$T/pipe.txt")"
}
# keys_of FILE: the keys of a snapshot's key lines in file order, one a line; a key_base64 one
# as b64:BASE64.
keys_of() {
  tail -n +2 "$1" | jq -r '.key // ("b64:" + .key_base64)'
}
# header FILE JQ_EXPR EXPECTED: asserts on the snapshot's first line.
header() {
  head -n 1 "$1" >"$T/header.json"
  expect_json "$T/header.json" "$2" "$3"
}

# --- The data: 503 keys, 20 hot -----------------------------------------------------------------
# k:1..500 are strings "val-N", the even ones with EX 3600; h:1 a hash, l:1 a list, BIN a string.
# HOT[i] is read 31+i times, so its OBJECT FREQ is 5 (LFU_INIT_VAL) + 31 + i: all different.
HOT=(k:10 k:11 k:12 k:13 k:14 k:15 k:16 k:17 k:18 k:491 k:492 k:493 k:494 k:495 k:496 k:497 k:498
  h:1 l:1 "$BIN")
{
  for i in $(seq 1 500); do
    if ((i % 2 == 0)); then resp SET "k:$i" "val-$i" EX 3600; else resp SET "k:$i" "val-$i"; fi
  done
  resp HSET h:1 name ada score 42
  resp RPUSH l:1 first second third
  resp SET "$BIN" binary-value
} | pipe_in
{
  for i in "${!HOT[@]}"; do
    key=${HOT[i]}
    for ((n = 0; n < 31 + i; n++)); do
      case $key in
        h:1) resp HGETALL "$key" ;;
        l:1) resp LRANGE "$key" 0 -1 ;;
        *) resp GET "$key" ;;
      esac
    done
  done
} | pipe_in
expect_eq "$(dbsize)" 503 "DBSIZE of the test data"
# The test's own premise: every read counted once (lfu-log-factor 0), cold keys untouched.
expect_eq "$(rcli object freq k:10)" 36 "OBJECT FREQ of the least hot key (5 + 31 reads)"
expect_eq "$(rcli object freq "$BIN")" 55 "OBJECT FREQ of the hottest key (5 + 50 reads)"
expect_eq "$(rcli object freq k:300)" 5 "OBJECT FREQ of a cold key"

# Hottest first: HOT reversed, BIN as b64:.
expected_order=$(for ((i = ${#HOT[@]} - 1; i >= 0; i--)); do
  if [[ "${HOT[i]}" == "$BIN" ]]; then echo "b64:$BIN_B64"; else echo "${HOT[i]}"; fi
done)

mkdir "$T/snap"
# The manifest that warms from the snapshot also names the targets to snapshot. The group's file
# does not exist yet: `snapshot` must not need it.
cat >"$T/snap/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
  idle: {url: "$(redis_url 1)"}
  big: {url: "$(redis_url 2)"}
groups:
  - name: hot
    target: main
    keys_from: {snapshot: hot.jsonl}          # relative to this file's directory
    value: {text: "v-{key}"}
EOF

cd "$CACHEWARM_SOURCE_DIR" # not the manifest's directory

# --- a. LFU: --top 20 -----------------------------------------------------------------------------
before_ms=$(now_ms)
expect_exit 0 cw snapshot "$T/snap/m.yaml" --target main --out "$T/snap/hot.jsonl" --top 20 \
  --progress never
after_ms=$(now_ms)
s=$T/out.json
f=$T/snap/hot.jsonl
expect_json "$s" .target main
expect_json "$s" .out "$f"
expect_json "$s" .ranked_by lfu_freq
expect_json "$s" .maxmemory_policy allkeys-lfu
expect_json "$s" .keys_in_db 503
expect_json "$s" .examined 503
expect_json "$s" .kept 20
expect_json "$s" .vanished 0
expect_json "$s" .sampled false
expect_json "$s" .values false
expect_json "$s" '.seconds | type == "number" and . >= 0' true
expect_eq "$(ls "$T/snap" | LC_ALL=C sort | paste -sd ' ')" "hot.jsonl m.yaml" \
  "only the snapshot beside the manifest (no temporary file left)"

expect_eq "$(wc -l <"$f")" 21 "a header and 20 key lines"
header "$f" .cachewarm_snapshot 1
header "$f" .target main
header "$f" .server "$(redis_url)"
header "$f" .ranked_by lfu_freq
header "$f" .maxmemory_policy allkeys-lfu
header "$f" .keys_in_db 503
header "$f" .examined 503
header "$f" .sampled false
header "$f" .match ""
header "$f" .values false
taken_at_ms=$(jget "$T/header.json" .taken_at_ms)
expect_ge "$taken_at_ms" "$before_ms" "taken_at_ms is not before the command started"
expect_le "$taken_at_ms" "$after_ms" "taken_at_ms is not after the command ended"
taken_at=$(jget "$T/header.json" .taken_at)
[[ "$taken_at" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] ||
  fail "taken_at is not an ISO 8601 UTC instant with milliseconds: $taken_at"
expect_eq "$taken_at" "$(date -u -d "@$((taken_at_ms / 1000))" +%Y-%m-%dT%H:%M:%S).$(printf '%03d' $((taken_at_ms % 1000)))Z" \
  "taken_at and taken_at_ms are the same instant"

expect_eq "$(keys_of "$f")" "$expected_order" "the 20 hot keys, hottest first"
expect_eq "$(tail -n +2 "$f" | jq -r 'select(has("idle_s") or has("dump")) | .key' | wc -l)" 0 \
  "LFU key lines have freq, no idle_s, and no dump without --values"
expect_eq "$(tail -n +2 "$f" | jq -r 'select(has("key_base64")) | .key_base64')" "$BIN_B64" \
  "the non-UTF-8 key is key_base64"
for i in "${!HOT[@]}"; do
  key=${HOT[i]}
  if [[ "$key" == "$BIN" ]]; then sel=".key_base64 == \"$BIN_B64\""; else sel=".key == \"$key\""; fi
  line=$(tail -n +2 "$f" | jq -c "select($sel)")
  expect_eq "$(jq -r .freq <<<"$line")" "$((36 + i))" "freq of $key"
  # Taking the snapshot read no key: OBJECT FREQ is what the file says.
  expect_eq "$(rcli object freq "$key")" "$((36 + i))" "OBJECT FREQ of $key after the snapshot"
  ttl_ms=$(jq -r .ttl_ms <<<"$line")
  if [[ "$key" =~ ^k:([0-9]+)$ ]] && ((BASH_REMATCH[1] % 2 == 0)); then
    expect_ge "$ttl_ms" 3500000 "ttl_ms of $key (EX 3600)"
    expect_le "$ttl_ms" 3600000 "ttl_ms of $key (EX 3600)"
  else
    expect_eq "$ttl_ms" -1 "ttl_ms of $key (no expiry)"
  fi
done

# --- b. --match and --sample ----------------------------------------------------------------------
expect_exit 0 cw snapshot "$T/snap/m.yaml" --target main --out "$T/match9.jsonl" --match 'k:1*' \
  --top 9
expect_json "$T/out.json" .kept 9
expect_json "$T/out.json" .examined 111
expect_json "$T/out.json" .keys_in_db 503
expect_eq "$(keys_of "$T/match9.jsonl" | paste -sd ' ')" "k:18 k:17 k:16 k:15 k:14 k:13 k:12 k:11 k:10" \
  "--match 'k:1*' --top 9: the hot keys among the matching ones, hottest first"
header "$T/match9.jsonl" .match 'k:1*'
header "$T/match9.jsonl" .examined 111

expect_exit 0 cw snapshot "$T/snap/m.yaml" --target main --out "$T/match.jsonl" --match 'k:1*'
expect_json "$T/out.json" .kept 111
expect_eq "$(keys_of "$T/match.jsonl" | LC_ALL=C sort | paste -sd ' ')" \
  "$(rcli --scan --pattern 'k:1*' | LC_ALL=C sort | paste -sd ' ')" \
  "--match 'k:1*' (default --top 1000): every matching key once, nothing else"
expect_eq "$(keys_of "$T/match.jsonl" | head -n 9 | paste -sd ' ')" \
  "k:18 k:17 k:16 k:15 k:14 k:13 k:12 k:11 k:10" "the hot matching keys come first"
expect_eq "$(keys_of "$T/match.jsonl" | tail -n +10 | while read -r key; do rcli object freq "$key"; done | sort -u)" \
  5 "the others are the cold ones"

expect_exit 0 cw snapshot "$T/snap/m.yaml" --target main --out "$T/sample.jsonl" --sample 100 \
  --top 20 --rate 0
s=$T/out.json
examined=$(jget "$s" .examined)
expect_ge "$examined" 100 "--sample 100 examines at least 100 keys"
expect_le "$examined" 502 "--sample 100 examines fewer keys than DBSIZE"
expect_json "$s" .sampled true
expect_json "$s" .kept 20
expect_json "$s" .keys_in_db 503
header "$T/sample.jsonl" .sampled true
header "$T/sample.jsonl" .examined "$examined"
expect_eq "$(keys_of "$T/sample.jsonl" | sort -u | wc -l)" 20 "20 different keys from the sample"
expect_eq "$(tail -n +2 "$T/sample.jsonl" | jq -r .freq | sort -rn | paste -sd ' ')" \
  "$(tail -n +2 "$T/sample.jsonl" | jq -r .freq | paste -sd ' ')" "sampled keys hottest first"

# --- d (snapshot). --values, with a hot key about to expire ---------------------------------------
short_set_ms=$(now_ms)
{
  resp SET short:1 gone-soon PX 2500
  for ((n = 0; n < 100; n++)); do resp GET short:1; done
} | pipe_in
expect_exit 0 cw snapshot "$T/snap/m.yaml" --target main --out "$T/snap/vals.jsonl" --top 21 \
  --values
s=$T/out.json
v=$T/snap/vals.jsonl
expect_json "$s" .values true
expect_json "$s" .kept 21
expect_json "$s" .vanished 0
header "$v" .values true
expect_eq "$(keys_of "$v" | head -n 1)" short:1 "the hottest key is short:1"
short_ttl=$(head -n 2 "$v" | tail -n 1 | jq -r .ttl_ms)
expect_ge "$short_ttl" 1 "ttl_ms of short:1 (PX 2500)"
expect_le "$short_ttl" 2500 "ttl_ms of short:1 (PX 2500)"
expect_eq "$(keys_of "$v" | tail -n +2)" "$expected_order" "then the 20 hot keys"
expect_eq "$(tail -n +2 "$v" | jq -r 'select((.dump | type) != "string" or (.dump | length) == 0) | .key' | wc -l)" \
  0 "every key line has a dump"
# (DUMP reads the key: only now, so that the freqs above stayed apart.)
expect_eq "$(tail -n +2 "$v" | jq -r 'select(.key == "k:10") | .dump')" \
  "$(rcli dump k:10 | head -c -1 | base64 -w 0)" \
  "the dump of k:10 is the base64 of DUMP k:10"

# --- c. keys_from: {snapshot} with a text value ---------------------------------------------------
rcli flushall >/dev/null
expect_exit 0 cw run "$T/snap/m.yaml"
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.planned 20
expect_json "$r" .totals.written 20
expect_report_invariant "$r"
expect_eq "$(dbsize)" 20 "exactly the snapshot's keys"
for key in "${HOT[@]}"; do
  expect_eq "$(rcli get "$key")" "v-$key" "GET $key after warming from the snapshot"
done

# --- d (restore). value {restore: snapshot} -------------------------------------------------------
cat >"$T/snap/restore.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: restored
    keys_from: {snapshot: vals.jsonl}
    value: {restore: snapshot}
EOF
expect_exit 0 cw validate "$T/snap/restore.yaml"
rcli flushall >/dev/null
rcli rpush k:12 stale-list >/dev/null # another type: restore replaces it
# short:1 (PX 2500) has expired since the snapshot.
wait_ms=$((short_set_ms + 2800 - $(now_ms)))
if ((wait_ms > 0)); then
  sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
fi
expect_exit 0 cw run "$T/snap/restore.yaml"
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.planned 20
expect_json "$r" .totals.written 20
expect_json "$r" .totals.skipped 0
expect_json "$r" .totals.failed 0
expect_report_invariant "$r"
expect_eq "$(dbsize)" 20 "the 20 hot keys restored"
expect_eq "$(rcli exists short:1)" 0 "a key whose TTL ran out since the snapshot is not restored"
for key in k:10 k:11 k:12 k:13 k:491 k:498 "$BIN"; do
  expect_eq "$(rcli type "$key")" string "TYPE $key"
done
for i in 10 11 12 13 14 15 16 17 18 491 492 493 494 495 496 497 498; do
  expect_eq "$(rcli get "k:$i")" "val-$i" "GET k:$i restored"
  ttl=$(rcli ttl "k:$i")
  if ((i % 2 == 0)); then
    expect_ge "$ttl" 3501 "TTL of k:$i restored (EX 3600 at the snapshot)"
    expect_le "$ttl" 3600 "TTL of k:$i restored (EX 3600 at the snapshot)"
  else
    expect_eq "$ttl" -1 "k:$i restored without expiry"
  fi
done
expect_eq "$(rcli get "$BIN")" binary-value "GET of the non-UTF-8 key restored"
expect_eq "$(rcli type h:1)" hash "TYPE h:1"
expect_eq "$(rcli hgetall h:1 | paste -sd ' ')" "name ada score 42" "HGETALL h:1 restored"
expect_eq "$(rcli ttl h:1)" -1 "h:1 restored without expiry"
expect_eq "$(rcli type l:1)" list "TYPE l:1"
expect_eq "$(rcli lrange l:1 0 -1 | paste -sd ' ')" "first second third" "LRANGE l:1 restored"

# only_missing: RESTORE without REPLACE; an existing key is left alone and counted as skipped.
sed 's/    value: {restore: snapshot}/    value: {restore: snapshot}\n    only_missing: true/' \
  "$T/snap/restore.yaml" >"$T/snap/restore-missing.yaml"
rcli set k:10 changed-by-traffic >/dev/null
rcli del k:11 >/dev/null
expect_exit 0 cw run "$T/snap/restore-missing.yaml"
r=$T/out.json
expect_json "$r" .totals.planned 20
expect_json "$r" .totals.written 1
expect_json "$r" .totals.skipped 19
expect_report_invariant "$r"
expect_eq "$(rcli get k:10)" changed-by-traffic "only_missing leaves the changed key alone"
expect_eq "$(rcli ttl k:10)" -1 "only_missing leaves its TTL alone"
expect_eq "$(rcli get k:11)" val-11 "only_missing restores the missing key"

# --- e. idle time (allkeys-lru), database 1 -------------------------------------------------------
rcli config set maxmemory-policy allkeys-lru >/dev/null
for i in $(seq 1 100); do resp SET "e:$i" "e-$i"; done | pipe_in 1
sleep 2.2
for i in $(seq 41 50); do resp GET "e:$i"; done | pipe_in 1
expect_exit 0 cw snapshot "$T/snap/m.yaml" --target idle --out "$T/idle.jsonl" --top 10
s=$T/out.json
expect_json "$s" .target idle
expect_json "$s" .ranked_by idle_time
expect_json "$s" .maxmemory_policy allkeys-lru
expect_json "$s" .keys_in_db 100
expect_json "$s" .examined 100
expect_json "$s" .kept 10
header "$T/idle.jsonl" .ranked_by idle_time
header "$T/idle.jsonl" .maxmemory_policy allkeys-lru
header "$T/idle.jsonl" .server "$(redis_url 1)"
header "$T/idle.jsonl" .target idle
expect_eq "$(keys_of "$T/idle.jsonl" | LC_ALL=C sort | paste -sd ' ')" \
  "$(printf 'e:%s\n' $(seq 41 50) | LC_ALL=C sort | paste -sd ' ')" "the 10 keys read last"
expect_eq "$(tail -n +2 "$T/idle.jsonl" | jq -r 'select(has("freq") or (.idle_s | type) != "number" or .idle_s > 1) | .key' | wc -l)" \
  0 "each line has idle_s 0 or 1 and no freq"
expect_eq "$(tail -n +2 "$T/idle.jsonl" | jq -r .idle_s | sort -n | paste -sd ' ')" \
  "$(tail -n +2 "$T/idle.jsonl" | jq -r .idle_s | paste -sd ' ')" "least idle first"
expect_ge "$(rcli -n 1 object idletime e:1)" 2 "taking the snapshot read no key (OBJECT IDLETIME)"

# --rate: 100 keys at 50 keys/s take about 2 s (a burst of up to 1 s allowed).
start=$(now_ms)
expect_exit 0 cw snapshot "$T/snap/m.yaml" --target idle --out "$T/idle-slow.jsonl" --top 1 --rate 50
expect_ge "$(($(now_ms) - start))" 1000 "ms to examine 100 keys at --rate 50"
expect_json "$T/out.json" .examined 100

# --- f. Errors ------------------------------------------------------------------------------------
# Usage and manifest errors: 2, and no file.
out=$T/never.jsonl
expect_exit 2 cw snapshot "$T/snap/m.yaml" --target nosuchtarget --out "$out"
err=$(cat "$T/err.txt")
expect_contains "$err" nosuchtarget "the unknown target is named"
expect_contains "$err" main "the manifest's targets are listed (main)"
expect_contains "$err" idle "the manifest's targets are listed (idle)"
expect_exit 2 cw snapshot "$T/snap/m.yaml" --target main
expect_exit 2 cw snapshot "$T/snap/m.yaml" --out "$out"
expect_exit 2 cw snapshot "$T/snap/m.yaml" --target main --out "$out" --top abc
expect_exit 2 cw snapshot "$T/snap/m.yaml" --target main --out "$out" --progress sometimes
expect_exit 2 cw snapshot "$T/no-such-manifest.yaml" --target main --out "$out"
expect_contains "$(cat "$T/err.txt")" no-such-manifest.yaml "the missing manifest is named"
[[ ! -e "$out" ]] || fail "a usage error created $out"

# A closed port: 3, and an existing --out file is left untouched.
port=$(closed_port)
cat >"$T/down.yaml" <<EOF
version: 1
targets:
  down: {url: "redis://127.0.0.1:${port}/0"}
groups:
  - name: g
    keys: [x]
    value: {text: "v"}
EOF
echo old >"$T/kept.jsonl"
expect_exit 3 cw snapshot "$T/down.yaml" --target down --out "$T/kept.jsonl"
msg="$(cat "$T/err.txt") $(cat "$T/out.json")"
[[ "$msg" == *down* || "$msg" == *"$port"* ]] || fail "neither stdout nor stderr names target down or port $port: $msg"
expect_eq "$(cat "$T/kept.jsonl")" old "--out is untouched when the target is unreachable"

# --out in a missing directory: 74, nothing created.
expect_exit 74 cw snapshot "$T/snap/m.yaml" --target main --out "$T/no/such/dir/hot.jsonl"
expect_contains "$(cat "$T/err.txt")" "$T/no/such/dir/hot.jsonl" "stderr names the unwritable --out"
[[ ! -e "$T/no" ]] || fail "a failed --out left something behind"
# stdout on /dev/full: 74.
rc=0
"$CACHEWARM" snapshot "$T/snap/m.yaml" --target main --out "$T/full.jsonl" >/dev/full 2>"$T/err.txt" || rc=$?
expect_eq "$rc" 74 "exit code with stdout on /dev/full"

# SIGINT and SIGTERM while scanning 2000 keys at 50 keys/s: 130 promptly, --out untouched, no
# temporary file left beside it.
for i in $(seq 1 2000); do resp SET "big:$i" x; done | pipe_in 2
mkdir "$T/interrupt"
for sig in INT TERM; do
  echo old >"$T/interrupt/hot.jsonl"
  set -m
  "$CACHEWARM" snapshot "$T/snap/m.yaml" --target big --out "$T/interrupt/hot.jsonl" --rate 50 \
    >"$T/out.json" 2>"$T/err.txt" &
  pid=$!
  set +m
  on_exit "kill -9 $pid 2>/dev/null"
  sleep 1
  kill -0 "$pid" 2>/dev/null || fail "snapshot --rate 50 of 2000 keys ended within 1 s: $(cat "$T/err.txt")"
  start=$(now_ms)
  kill "-$sig" "$pid"
  for ((n = 0; n < 100; n++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "snapshot still running 10 s after SIG$sig"
  rc=0
  wait "$pid" || rc=$?
  expect_eq "$rc" 130 "exit code after SIG$sig"
  expect_le "$(($(now_ms) - start))" 5000 "ms from SIG$sig to exit"
  expect_eq "$(cat "$T/interrupt/hot.jsonl")" old "--out untouched after SIG$sig"
  expect_eq "$(ls -A "$T/interrupt")" hot.jsonl "no temporary file left after SIG$sig"
done

# Run-time errors of keys_from {snapshot}: exit 3, the report's error names the file and line.
# warm_from NAME FILE VALUE: a manifest $T/snap/NAME.yaml warming from FILE.
warm_from() {
  cat >"$T/snap/$1.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: g
    keys_from: {snapshot: $2}
    value: $3
EOF
}
rcli flushall >/dev/null
warm_from missing no-such.jsonl '{text: "v"}'
expect_exit 3 cw run "$T/snap/missing.yaml"
expect_contains "$(jget "$T/out.json" .error)" no-such.jsonl "the missing snapshot is named"

printf '%s\n' '{"key":"k:1","freq":9,"ttl_ms":-1}' '{"key":"k:2","freq":8,"ttl_ms":-1}' \
  >"$T/snap/headless.jsonl"
warm_from headless headless.jsonl '{text: "v"}'
expect_exit 3 cw run "$T/snap/headless.yaml"
expect_contains "$(jget "$T/out.json" .error)" "headless.jsonl:1: not a cachewarm snapshot" \
  "a first line that is not a header"
expect_eq "$(dbsize)" 0 "nothing written from a file without a header"

{
  head -n 2 "$f"
  echo 'this is not JSON'
} >"$T/snap/badline.jsonl"
warm_from badline badline.jsonl '{text: "v"}'
expect_exit 3 cw run "$T/snap/badline.yaml"
expect_contains "$(jget "$T/out.json" .error)" "badline.jsonl:3:" "a bad key line is named FILE:LINE"

rcli flushall >/dev/null
warm_from novalues hot.jsonl '{restore: snapshot}'
expect_exit 3 cw run "$T/snap/novalues.yaml"
err=$(jget "$T/out.json" .error)
expect_contains "$err" "without --values" "restore from a snapshot taken without --values"
expect_contains "$err" hot.jsonl "the snapshot without values is named"
expect_eq "$(dbsize)" 0 "nothing restored from a snapshot without values"

# restore with a group ttl: a manifest error.
sed 's/    value: {restore: snapshot}/    value: {restore: snapshot}\n    ttl: 1h/' \
  "$T/snap/restore.yaml" >"$T/snap/restore-ttl.yaml"
expect_exit 2 cw validate "$T/snap/restore-ttl.yaml"
grep -Eq 'restore-ttl\.yaml:[0-9]+:[0-9]+: ' "$T/err.txt" ||
  fail "validate does not name restore-ttl.yaml:LINE:COLUMN: $(cat "$T/err.txt")"
expect_contains "$(cat "$T/err.txt")" ttl "the error names ttl"
expect_exit 2 cw run "$T/snap/restore-ttl.yaml"
expect_eq "$(dbsize)" 0 "nothing written for a manifest error"
