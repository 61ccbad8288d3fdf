# shellcheck shell=bash
# shellcheck disable=SC2034 # globals (T, FIXTURES, REDIS_*) are for the sourcing tests
# Shared helpers for the integration tests: source it first from tests/integration/<feature>.sh.
#
#   CACHEWARM             the binary under test (CTest sets it; default $repo/build/cachewarm)
#   CACHEWARM_SOURCE_DIR  the repository root (CTest sets it)
#   T                     a per-test temp dir, removed on exit (kept when CW_KEEP_TMP=1)
#
# Each test starts its own redis-server on a random free loopback port (start_redis) and asserts
# against the server's truth (DBSIZE, GET, HGETALL, TTL, EXISTS) and the JSON report (expect_json).
# Exit 77 means "skipped" (CTest SKIP_RETURN_CODE 77), only through `skip REASON`: scripts/test.sh
# names every skipped test with its reason and fails on skips unless CACHEWARM_ALLOW_SKIPS=1.

set -Eeuo pipefail

CW_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

_cw_on_err() {
  local rc=$? cmd=$BASH_COMMAND i
  echo "FAIL: ${CW_TEST_NAME}: command exited $rc: $cmd" >&2
  for ((i = 0; i < ${#FUNCNAME[@]} - 1; i++)); do
    echo "  at ${BASH_SOURCE[i + 1]##*/}:${BASH_LINENO[i]} (${FUNCNAME[i + 1]})" >&2
  done
}
trap _cw_on_err ERR

CACHEWARM_SOURCE_DIR=${CACHEWARM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHEWARM=${CACHEWARM:-$CACHEWARM_SOURCE_DIR/build/cachewarm}
FIXTURES=$CACHEWARM_SOURCE_DIR/tests/fixtures
export CACHEWARM CACHEWARM_SOURCE_DIR

T=$(mktemp -d "${TMPDIR:-/tmp}/cw-${CW_TEST_NAME}.XXXXXX")

# Cleanup actions run in reverse order of registration, then the temp dir goes.
_cw_cleanups=()
on_exit() { _cw_cleanups+=("$*"); }
_cw_run_cleanups() {
  local rc=$? i
  trap - ERR
  set +e
  for ((i = ${#_cw_cleanups[@]} - 1; i >= 0; i--)); do
    eval "${_cw_cleanups[i]}"
  done
  if [[ "${CW_KEEP_TMP:-0}" == 1 ]]; then
    echo "kept temp dir $T" >&2
  else
    rm -rf "$T"
  fi
  if ((rc == 0)); then
    echo "PASS: ${CW_TEST_NAME}" >&2
  elif ((rc == 77)) && [[ -z "${_cw_skip_reason:-}" ]]; then
    # exit 77 without `skip`: still say so (scripts/test.sh reads the first SKIP: line).
    echo "SKIP: ${CW_TEST_NAME}: exited 77 without a reason" >&2
  fi
  exit "$rc"
}
trap _cw_run_cleanups EXIT
# Killed by CTest's timeout or Ctrl-C: still stop our redis-servers (the EXIT trap runs).
trap 'exit 143' TERM
trap 'exit 130' INT

# --- Failing, skipping --------------------------------------------------------------------------

# _cw_where: file:line of the innermost caller outside lib.sh.
_cw_where() {
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [[ "${BASH_SOURCE[i]##*/}" != lib.sh ]]; then
      echo "${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
      return
    fi
  done
  echo "?"
}

# fail MSG: prints MSG with the caller's location and exits 1.
fail() {
  _cw_dump_output
  echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): $*" >&2
  exit 1
}

# skip REASON: the test cannot run here (exit 77). REASON says what is missing and how to get it
# (e.g. "nginx is not installed (scripts/deps.sh)"); it is printed as `SKIP: <test>: REASON`,
# which scripts/test.sh copies into its summary. A skip without a reason is a failure.
_cw_skip_reason=
skip() {
  if [[ -z "${*// /}" ]]; then
    fail "skip called without a reason"
  fi
  _cw_skip_reason=$*
  echo "SKIP: ${CW_TEST_NAME}: $_cw_skip_reason" >&2
  exit 77
}

# Shows what the last expect_exit captured (called on assertion failures).
_cw_dump_output() {
  # A sanitizer report on stderr (UBSan's; scripts/test.sh sends ASan's and TSan's to files) is
  # longer than the tail: show it from its first line.
  if [[ -s "$T/err.txt" ]] && grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer' "$T/err.txt"; then
    echo "--- sanitizer report on the stderr of the last cachewarm run ---" >&2
    sed -n -E '/runtime error:|ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer/,$p' "$T/err.txt" | head -n 150 >&2
  fi
  if [[ -s "$T/err.txt" ]]; then
    echo "--- stderr of the last cachewarm run (tail) ---" >&2
    tail -n 20 "$T/err.txt" >&2
  fi
  if [[ -s "$T/out.json" ]]; then
    echo "--- stdout of the last cachewarm run (head) ---" >&2
    head -c 3000 "$T/out.json" >&2
    echo >&2
  fi
}

# sanitized: true when the binary under test is built with a sanitizer (scripts/test.sh's
# build-asan/ and build-tsan/), whose shadow memory and quarantine make max RSS meaningless.
# Not `ldd | grep -q`: grep -q exits at the first match, ldd then dies of SIGPIPE, and under
# pipefail the pipeline fails, so the check came out false at random.
sanitized() {
  local libs
  libs=$(ldd "$CACHEWARM" 2>/dev/null) || return 1
  [[ "$libs" =~ lib(a|t|l|ub)san ]]
}

# --- Assertions ---------------------------------------------------------------------------------

# expect_eq ACTUAL EXPECTED MSG
expect_eq() {
  if [[ "$1" != "$2" ]]; then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): ${3:-values differ}" >&2
    echo "  expected: $2" >&2
    echo "  actual:   $1" >&2
    exit 1
  fi
}

# expect_ne ACTUAL UNEXPECTED MSG
expect_ne() {
  if [[ "$1" == "$2" ]]; then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): ${3:-values equal}" >&2
    echo "  both: $1" >&2
    exit 1
  fi
}

# expect_ge ACTUAL MIN MSG / expect_le ACTUAL MAX MSG (integers)
expect_ge() {
  if ! [[ "$1" =~ ^-?[0-9]+$ ]] || (($1 < $2)); then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): ${3:-too small}" >&2
    echo "  expected >= $2, actual: $1" >&2
    exit 1
  fi
}
expect_le() {
  if ! [[ "$1" =~ ^-?[0-9]+$ ]] || (($1 > $2)); then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): ${3:-too large}" >&2
    echo "  expected <= $2, actual: $1" >&2
    exit 1
  fi
}

# expect_contains HAYSTACK NEEDLE MSG
expect_contains() {
  if [[ "$1" != *"$2"* ]]; then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): ${3:-text not found}" >&2
    echo "  expected to contain: $2" >&2
    echo "  actual: $(printf '%s' "$1" | head -c 2000)" >&2
    exit 1
  fi
}

# expect_not_contains HAYSTACK NEEDLE MSG
expect_not_contains() {
  if [[ "$1" == *"$2"* ]]; then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): ${3:-unexpected text}" >&2
    echo "  must not contain: $2" >&2
    exit 1
  fi
}

# expect_json FILE JQ_EXPR EXPECTED: `jq -r JQ_EXPR FILE` must print exactly EXPECTED.
expect_json() {
  local file=$1 expr=$2 expected=$3 actual
  if ! actual=$(jq -r "$expr" "$file" 2>"$T/jq.err"); then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): jq '$expr' failed on $file:" >&2
    cat "$T/jq.err" >&2
    exit 1
  fi
  if [[ "$actual" != "$expected" ]]; then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): report $expr" >&2
    echo "  expected: $expected" >&2
    echo "  actual:   $actual" >&2
    exit 1
  fi
}

# jget FILE JQ_EXPR: prints `jq -r JQ_EXPR FILE` (fails the test if FILE is not valid JSON).
jget() {
  jq -r "$2" "$1" || fail "jq '$2' failed on $1"
}

# expect_report_invariant FILE: planned == written + skipped + failed, in totals and per group,
# and totals equal the sum over the groups.
expect_report_invariant() {
  local file=$1
  expect_json "$file" '.totals.planned == .totals.written + .totals.skipped + .totals.failed' true
  expect_json "$file" '[.groups[] | .planned == .written + .skipped + .failed] | all' true
  expect_json "$file" '.totals.written == ([.groups[].written] | add // 0)' true
  expect_json "$file" '.totals.planned == ([.groups[].planned] | add // 0)' true
}

# expect_exit CODE CMD...: runs CMD with stdout in $T/out.json and stderr in $T/err.txt
# (bounded by CW_RUN_TIMEOUT seconds, default 120) and asserts its exit code.
expect_exit() {
  local expected=$1 rc=0
  shift
  # `timeout` runs programs, not shell functions.
  if [[ "$1" == cw ]]; then
    set -- "$CACHEWARM" "${@:2}"
  fi
  timeout --kill-after=5 "${CW_RUN_TIMEOUT:-120}" "$@" >"$T/out.json" 2>"$T/err.txt" || rc=$?
  if [[ "$rc" != "$expected" ]]; then
    _cw_dump_output
    echo "FAIL: ${CW_TEST_NAME}: $(_cw_where): exit code of: $*" >&2
    echo "  expected: $expected" >&2
    echo "  actual:   $rc$( ((rc == 124)) && echo ' (timed out)')" >&2
    exit 1
  fi
}

# cw ARGS...: runs the binary under test.
cw() { "$CACHEWARM" "$@"; }

# --- Data -----------------------------------------------------------------------------------

# make_db FILE: runs sqlite3 on FILE with SQL read from stdin (FILE is created if missing).
make_db() {
  sqlite3 -bail "$1" >/dev/null
}

# sql FILE QUERY: prints QUERY's result (one row a line, columns separated by |).
sql() {
  sqlite3 -bail "$1" "$2"
}

# --- Redis --------------------------------------------------------------------------------------

REDIS_PORT=
REDIS_PID=
REDIS_ARGS=()


# shellcheck source=../../scripts/redis-server.sh
source "$CACHEWARM_SOURCE_DIR/scripts/redis-server.sh"

# start_redis [extra redis-server args...]: a throwaway redis-server (see cw_redis_start) with its
# files in $T. Sets REDIS_PORT, REDIS_PID and REDIS_DIR; it is stopped by PID when the test exits.
start_redis() {
  command -v redis-server >/dev/null || skip "redis-server is not installed (scripts/deps.sh)"
  cw_redis_start "$T" "$@" || fail "could not start redis-server"
  REDIS_PORT=$CW_REDIS_PORT
  REDIS_PID=$CW_REDIS_PID
  REDIS_DIR=$CW_REDIS_DIR
  REDIS_ARGS=("$@")
  export REDIS_PORT
  on_exit "cw_stop_pid $REDIS_PID"
}

# kill_redis: SIGKILL the test's redis-server (no shutdown, no save), then wait until its port is
# closed.
kill_redis() {
  kill -9 "$REDIS_PID"
  for _ in $(seq 1 100); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  fail "redis-server $REDIS_PID still listens on $REDIS_PORT after SIGKILL"
}

# restart_redis: the test's redis-server again after kill_redis: the same port, dir and
# start_redis arguments (with `--appendonly yes --appendfsync always` it keeps what it
# acknowledged). Sets REDIS_PID; stopped by PID when the test exits.
restart_redis() {
  local pid='' reply
  rm -f "$REDIS_DIR/redis.pid"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --daemonize yes \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    "${REDIS_ARGS[@]}" >"$T/restart.txt" 2>&1 || fail "redis-server restart: $(cat "$T/restart.txt")"
  for _ in $(seq 1 100); do
    if [[ -s "$REDIS_DIR/redis.pid" ]]; then
      pid=$(cat "$REDIS_DIR/redis.pid")
      break
    fi
    sleep 0.05
  done
  [[ -n "$pid" ]] || fail "restarted redis-server wrote no pidfile: $(tail -n 5 "$REDIS_DIR/redis.log")"
  REDIS_PID=$pid
  on_exit "cw_stop_pid $pid"
  for _ in $(seq 1 100); do
    reply=$(rcli ping 2>&1 || true)
    [[ "$reply" == PONG ]] && return 0
    sleep 0.1
  done
  fail "restarted redis-server does not answer PING: $reply"
}

# rcli ARGS...: redis-cli against the test's server (RCLI_ARGS adds e.g. `-a secret` or `-n 3`).
rcli() {
  # shellcheck disable=SC2086 # RCLI_ARGS is a list of words on purpose
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --no-auth-warning ${RCLI_ARGS:-} "$@"
}

# dbsize [DB]: number of keys in DB (default 0).
dbsize() {
  rcli -n "${1:-0}" dbsize
}

# wait_for_dbsize MIN [SECONDS]: waits (up to SECONDS, default 10) until database 0 of the test's
# server holds at least MIN keys, and prints the last DBSIZE seen (the caller asserts on it).
wait_for_dbsize() {
  local min=$1 tries=$((${2:-10} * 20)) seen=0 i
  for ((i = 0; i < tries; i++)); do
    seen=$(dbsize)
    ((seen >= min)) && break
    sleep 0.05
  done
  echo "$seen"
}

# resume_manifest FILE KEYS [TARGET_FIELDS]: the manifest of the --resume tests: a group `first`
# of two keys, then a group `big` of KEYS pattern keys (big:N = vN) at 5000/s in batches of 100.
# TARGET_FIELDS (e.g. "reconnect_budget: 1s") are added to the target.
resume_manifest() {
  cat >"$1" <<MANIFEST
version: 1
targets:
  main: {url: "$(redis_url)"${3:+, $3}}
groups:
  - name: first
    keys: [first:a, first:b]
    value: {text: "done"}
  - name: big
    pattern: "big:{n}"
    with: {n: "1..$2"}
    value: {text: "v{n}"}
    rate: 5000/s
    batch: 100
MANIFEST
}

# redis_url [DB]: the URL of the test's server (database DB, default 0).
redis_url() {
  echo "redis://127.0.0.1:${REDIS_PORT}/${1:-0}"
}

# scan_keys [DB]: every key of DB, sorted bytewise, one a line.
scan_keys() {
  rcli -n "${1:-0}" --scan | LC_ALL=C sort
}

# closed_port: prints a loopback port in 20000-45000 where nothing listens.
closed_port() {
  local port
  while :; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 25001))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
}

# now_ms: wall-clock milliseconds, for elapsed-time lower bounds.
now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

# --- The tests' HTTP server --------------------------------------------------------------

# start_http_server: the tests' fault server (tests/fixtures/http_server.py) on a free loopback
# port; sets HTTP_URL, logs requests to $T/http.log, and is stopped by PID when the test exits.
start_http_server() {
  command -v python3 >/dev/null || skip "python3 is not installed"
  python3 "$FIXTURES/http_server.py" --port 0 --port-file "$T/http.port" --log "$T/http.log" \
    >/dev/null 2>"$T/http.err" &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for _ in $(seq 1 100); do
    [[ -s "$T/http.port" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "http_server.py exited: $(cat "$T/http.err")"
    sleep 0.1
  done
  [[ -s "$T/http.port" ]] || fail "http_server.py did not report its port"
  HTTP_URL="http://127.0.0.1:$(cat "$T/http.port")"
}

# http_api_source [FIELD=VALUE...]: the `api` HTTP source of the tests that use the tests' HTTP
# server, as one YAML line for a manifest's `sources:` (after start_http_server):
#   api: {http: {base_url: "$HTTP_URL", headers: {Authorization: "Bearer ${API_TOKEN}"},
#                timeout: 2s, concurrency: 16, retries: 2}}
# ${API_TOKEN} is left for cachewarm to read from the environment (the test exports it). Each
# FIELD=VALUE replaces a default or adds a field: `http_api_source timeout=400ms retries=1`.
http_api_source() {
  local -A fields=([timeout]=2s [concurrency]=16 [retries]=2)
  local order=(timeout concurrency retries) arg field line
  for arg in "$@"; do
    field=${arg%%=*}
    [[ "$arg" == *=* && -n "$field" ]] || fail "http_api_source: expected FIELD=VALUE, got '$arg'"
    [[ -v "fields[$field]" ]] || order+=("$field")
    fields[$field]=${arg#*=}
  done
  line="api: {http: {base_url: \"$HTTP_URL\", headers: {Authorization: \"Bearer \${API_TOKEN}\"}"
  for field in "${order[@]}"; do
    line+=", $field: ${fields[$field]}"
  done
  echo "$line}}"
}

# http_get URL: prints the body of a GET (python3, so the tests need no curl binary).
http_get() {
  python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"
}

# http_requests PATH: how many requests the server got for PATH (from its /stats).
http_requests() {
  http_get "$HTTP_URL/stats" | jq -r --arg path "$1" '.[$path] // 0'
}

# --- The tests' scripted Redis server ----------------------------------------------------------

# start_resp_server NAME [resp_server.py args...]: a scripted RESP server
# (tests/fixtures/resp_server.py) on a free loopback port, e.g. answering the first writes of
# each connection with `-LOADING`. Sets RESP_PORT; logs to $T/NAME.err; stopped by PID when the
# test exits. Ask it with `redis-cli -p "$RESP_PORT"` (GET, DBSIZE, KEYS *, CWSTATS), and
# script it again with CWRESET ERROR N.
start_resp_server() {
  local name=$1 pid
  shift
  command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh installs it)"
  rm -f "$T/$name.port"
  python3 "$FIXTURES/resp_server.py" --port 0 --port-file "$T/$name.port" "$@" \
    >/dev/null 2>"$T/$name.err" &
  pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for _ in $(seq 1 100); do
    [[ -s "$T/$name.port" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "resp_server.py exited: $(cat "$T/$name.err")"
    sleep 0.1
  done
  [[ -s "$T/$name.port" ]] || fail "resp_server.py did not report its port"
  RESP_PORT=$(cat "$T/$name.port")
}
