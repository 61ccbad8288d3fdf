#!/usr/bin/env bash
# bench-http.sh: how fast does `cachewarm run` fetch values over HTTP, next to curl itself?
# Not a test (CTest does not run it); run it by hand after a Release build:
#
#   scripts/bench-http.sh [-n URLS] [-r RUNS] [-c CONCURRENCY] [-b BATCH]
#   CACHEWARM=build-release/cachewarm scripts/bench-http.sh        # default: build/cachewarm
#
# It starts, in a temp dir and on random free 127.0.0.1 ports:
#   - nginx (installed with `apt-get install nginx-light` when missing and run as root), run with
#     `-p` the temp dir as prefix and a generated nginx.conf (keep-alive, no access log), serving
#     URLS (default 20,000) small JSON files it generates: /items/<i>.json;
#   - a throwaway redis-server (scripts/redis-server.sh).
# Then, RUNS times (default 3), alternating:
#   - curl --parallel --parallel-max CONCURRENCY fetching every URL to /dev/null (the URLs from a
#     config file of `url =` / `output =` lines);
#   - `cachewarm run` of one pattern group fetching the same URLs (http source with
#     `concurrency: CONCURRENCY`, default 64; group `batch: BATCH`, default 1000) into redis,
#     flushed before each run; each run must write every key.
# It prints the median wall time and requests per second of each, and the ratio. Everything it
# started is stopped by PID on exit, and the temp dir is removed (BENCH_KEEP_TMP=1 keeps it).
set -Eeuo pipefail

urls=20000
runs=3
concurrency=64
batch=1000
while getopts "n:r:c:b:h" opt; do
  case $opt in
  n) urls=$OPTARG ;;
  r) runs=$OPTARG ;;
  c) concurrency=$OPTARG ;;
  b) batch=$OPTARG ;;
  *)
    sed -n '2,20s/^# \{0,1\}//p' "$0"
    [[ $opt == h ]] && exit 0
    exit 2
    ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
CACHEWARM=${CACHEWARM:-$repo/build/cachewarm}
[[ -x "$CACHEWARM" ]] || {
  echo "bench-http: no cachewarm binary at $CACHEWARM (build first, or set CACHEWARM)" >&2
  exit 2
}
for tool in curl redis-server redis-cli awk sort; do
  command -v "$tool" >/dev/null || {
    echo "bench-http: $tool is not installed (scripts/deps.sh)" >&2
    exit 2
  }
done
if ! command -v nginx >/dev/null; then
  if [[ $(id -u) != 0 ]]; then
    echo "bench-http: nginx is not installed (apt-get install nginx-light, as root)" >&2
    exit 2
  fi
  echo "bench-http: installing nginx-light" >&2
  # Debian's policy-rc.d in containers keeps the package from starting a system nginx.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-http.XXXXXX")
nginx_pid=
redis_pid=
cleanup() {
  trap - ERR
  set +e
  if [[ -n "$nginx_pid" ]]; then
    cw_stop_pid "$nginx_pid" # the master stops its workers
  fi
  if [[ -n "$redis_pid" ]]; then
    cw_stop_pid "$redis_pid"
  fi
  if [[ "${BENCH_KEEP_TMP:-0}" == 1 ]]; then
    echo "bench-http: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'echo "bench-http: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# shellcheck source=redis-server.sh
source "$repo/scripts/redis-server.sh"

# --- Data and servers -----------------------------------------------------------------------
mkdir -p "$tmp/www/items"
awk -v dir="$tmp/www/items" -v n="$urls" 'BEGIN {
  for (i = 1; i <= n; i++) {
    f = dir "/" i ".json"
    printf "{\"data\":{\"id\":\"%d\",\"name\":\"item %d\",\"price\":%d},\"meta\":{\"v\":1}}\n", \
      i, i, (i * 37) % 1000 > f
    close(f)
  }
}'

# shellcheck source=nginx-server.sh
source "$repo/scripts/nginx-server.sh"
if ! cw_nginx_start "$tmp" "$tmp/www"; then
  echo "bench-http: could not start nginx" >&2
  exit 1
fi
nginx_pid=$CW_NGINX_PID
port=$CW_NGINX_PORT
curl -sf -o /dev/null "http://127.0.0.1:$port/items/$urls.json" || {
  echo "bench-http: nginx does not serve /items/$urls.json on port $port" >&2
  exit 1
}

cw_redis_start "$tmp" || exit 1
redis_pid=$CW_REDIS_PID
redis_port=$CW_REDIS_PORT

# --- What each side runs ----------------------------------------------------------------------
awk -v base="http://127.0.0.1:$port/items/" -v n="$urls" 'BEGIN {
  for (i = 1; i <= n; i++) {
    printf "url = \"%s%d.json\"\noutput = \"/dev/null\"\n", base, i
  }
}' >"$tmp/curl.conf"

cat >"$tmp/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://127.0.0.1:$redis_port/0"}
sources:
  web: {http: {base_url: "http://127.0.0.1:$port", timeout: 10s, concurrency: $concurrency,
               retries: 0}}
groups:
  - name: items
    pattern: "item:{id}"
    with: {id: "1..$urls"}
    batch: $batch
    value: {source: web, get: "/items/{id}.json"}
EOF

now_ns() { date +%s%N; }

# run_curl / run_cachewarm: one timed run each; the wall time in nanoseconds goes to `elapsed`.
elapsed=0
run_curl() {
  local start ok
  start=$(now_ns)
  curl --silent --no-progress-meter --fail --parallel --parallel-max "$concurrency" \
    -K "$tmp/curl.conf" -w '%{http_code}\n' >"$tmp/curl.codes" 2>"$tmp/curl.err"
  elapsed=$(($(now_ns) - start))
  ok=$(grep -c '^200$' "$tmp/curl.codes" || true)
  if [[ "$ok" != "$urls" ]]; then
    echo "bench-http: curl got $ok of $urls responses with 200" >&2
    exit 1
  fi
}

run_cachewarm() {
  local start keys
  redis-cli -h 127.0.0.1 -p "$redis_port" flushall >/dev/null
  start=$(now_ns)
  if ! "$CACHEWARM" run "$tmp/m.yaml" >"$tmp/report.json" 2>"$tmp/cachewarm.err"; then
    echo "bench-http: cachewarm run failed:" >&2
    tail -n 5 "$tmp/cachewarm.err" >&2
    exit 1
  fi
  elapsed=$(($(now_ns) - start))
  keys=$(redis-cli -h 127.0.0.1 -p "$redis_port" dbsize)
  if [[ "$keys" != "$urls" ]]; then
    echo "bench-http: cachewarm wrote $keys of $urls keys" >&2
    exit 1
  fi
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# One warm-up of each, so neither side pays for cold page caches or a cold binary.
run_curl
run_cachewarm

curl_times=()
cw_times=()
for ((i = 1; i <= runs; i++)); do
  run_curl
  curl_times+=("$elapsed")
  run_cachewarm
  cw_times+=("$elapsed")
  echo "bench-http: run $i/$runs: curl $((curl_times[-1] / 1000000)) ms," \
    "cachewarm $((cw_times[-1] / 1000000)) ms" >&2
done
curl_ns=$(printf '%s\n' "${curl_times[@]}" | median)
cw_ns=$(printf '%s\n' "${cw_times[@]}" | median)

awk -v n="$urls" -v c="$concurrency" -v b="$batch" -v r="$runs" -v curl_ns="$curl_ns" \
  -v cw_ns="$cw_ns" -v curl_version="$(curl --version | head -n 1 | cut -d' ' -f1-2)" 'BEGIN {
  printf "%d GETs of small JSON files from nginx on 127.0.0.1, concurrency %d, median of %d runs\n",
    n, c, r
  printf "%-42s %10s %12s\n", "", "wall s", "requests/s"
  printf "%-42s %10.3f %12.0f\n", curl_version " --parallel --parallel-max " c, curl_ns / 1e9,
    n / (curl_ns / 1e9)
  printf "%-42s %10.3f %12.0f\n", "cachewarm run (batch " b ", into redis)", cw_ns / 1e9,
    n / (cw_ns / 1e9)
  printf "ratio cachewarm / curl wall time: %.2f\n", cw_ns / curl_ns
}'
