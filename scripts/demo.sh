#!/usr/bin/env bash
# End-to-end demo: builds cachewarm (Release, build-release/), creates the demo catalog
# build-release/demo/catalog.db from configs/demo/seed.sql, starts a throwaway redis-server on a
# free loopback port, warms it with configs/demo.yaml, prints the JSON report on stdout, checks
# that the keys landed (DBSIZE and spot checks against sqlite3), and stops that redis-server.
# Exits non-zero if the run or the verification fails. Safe to run again (everything is recreated).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scripts/deps.sh
binary=$(scripts/build.sh Release)

demo_dir=$repo/build-release/demo
db=$demo_dir/catalog.db
mkdir -p "$demo_dir"
rm -f "$db"
sqlite3 -bail "$db" <configs/demo/seed.sql >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cachewarm-demo.XXXXXX")
# shellcheck source=redis-server.sh
source scripts/redis-server.sh
redis_pid=
cleanup() {
  [[ -n "$redis_pid" ]] && cw_stop_pid "$redis_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

# A throwaway redis-server on a free port, persistence off.
if ! cw_redis_start "$tmp"; then
  echo "demo: could not start redis-server" >&2
  exit 1
fi
port=$CW_REDIS_PORT
redis_pid=$CW_REDIS_PID
rcli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }

echo "demo: redis-server pid $redis_pid on 127.0.0.1:$port, catalog $db" >&2
rc=0
REDIS_PORT=$port CACHEWARM_DEMO_DB=$db "$binary" run configs/demo.yaml --progress never \
  >"$tmp/report.json" || rc=$?
cat "$tmp/report.json"
if ((rc != 0)); then
  echo "demo: cachewarm run exited $rc" >&2
  exit "$rc"
fi

# Verification against the server's truth.
problems=()
written=$(jq -r '.totals.written' "$tmp/report.json")
planned=$(jq -r '.totals.planned' "$tmp/report.json")
keys=$(rcli dbsize)
[[ "$keys" == "$written" ]] || problems+=("DBSIZE $keys != report totals.written $written")

top_id=$(sqlite3 "$db" "SELECT id FROM products ORDER BY views DESC LIMIT 1")
[[ "$(rcli get "product:$top_id")" == "$(sqlite3 "$db" "SELECT payload FROM products WHERE id = $top_id")" ]] ||
  problems+=("GET product:$top_id differs from the catalog's payload")

card=$(rcli hgetall product:42:card | paste -sd '|')
expected_card=$(sqlite3 "$db" "SELECT 'name', name, 'price', price FROM products WHERE id = 42" |
  tr '|' '\n' | paste -sd '|')
# HGETALL's field order is not guaranteed: compare as sorted field/value pairs.
sort_pairs() { tr '|' '\n' | paste -d '|' - - | sort | paste -sd '|'; }
[[ "$(sort_pairs <<<"$card")" == "$(sort_pairs <<<"$expected_card")" ]] ||
  problems+=("HGETALL product:42:card is '$card', expected '$expected_card'")

[[ "$(rcli get config:features)" == "$(sqlite3 "$db" "SELECT body FROM blobs WHERE name = 'config:features'")" ]] ||
  problems+=("GET config:features differs from blobs.body")

ttl=$(rcli ttl "product:$top_id")
((ttl >= 6470 && ttl <= 7920)) || problems+=("TTL product:$top_id is $ttl, expected 2h +-10%")

if ((${#problems[@]} > 0)); then
  printf 'demo: FAILED: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "demo: ok: $written of $planned keys written to 127.0.0.1:$port (DBSIZE $keys), spot checks passed" >&2
