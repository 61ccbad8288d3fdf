# shellcheck shell=bash
# shellcheck disable=SC2034 # globals (MASTER_PORT, REPLICA_PORTS, ...) are for the sourcing tests
# Redis Sentinel helpers for the integration tests: source it after lib.sh.
#
#   start_sentinel_setup [NAME]   a master, two replicas and three redis-sentinels on loopback
#                                 ports chosen at run time, monitoring the master as NAME
#                                 (default mymaster) with quorum 2. Returns once the replicas are
#                                 in sync and every sentinel knows both replicas and the other two
#                                 sentinels. Sets MASTER_PORT, MASTER_PID, REPLICA_PORTS,
#                                 REPLICA_PIDS, SENTINEL_PORTS, SENTINEL_PIDS, SENTINEL_NAME, and
#                                 REDIS_PORT/REDIS_PID to the master's (so rcli, dbsize and
#                                 kill_redis of lib.sh act on the master).
#   sentinel_url [NAME]           redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/NAME
#   node PORT ARGS...             redis-cli against the redis-server or sentinel on PORT
#   current_master_port           the master's port, as the first sentinel that answers says
#   wait_for_new_master OLDPORT [SECONDS]
#                                 waits (default 30 s) until every sentinel reports the same
#                                 master, other than OLDPORT, and that node's ROLE is master;
#                                 prints its port (fails the test otherwise)
#   wait_for_sync PORT COUNT [SECONDS]
#                                 waits until the node on PORT holds COUNT keys, prints DBSIZE
#
# Everything is started with daemonize and stopped by PID when the test exits (lib.sh's
# on_exit; the sentinels first, so that none of them starts a failover while the servers stop).
# Each sentinel gets its own config file in $T (a sentinel rewrites its config file). The
# sentinels discover the replicas from the master's INFO and each other through the master's
# __sentinel__:hello channel; on loopback they announce 127.0.0.1, so no announce-ip or
# resolve-hostnames settings are needed. down-after-milliseconds is $SENTINEL_DOWN_AFTER_MS
# (default 2000; a test may set it before start_sentinel_setup) and failover-timeout 3000, so a
# killed master is replaced within a few seconds. With 1000, on a busy machine a sentinel
# sometimes marked the just promoted replica down and failed over a second time; tests take the
# final master from wait_for_new_master after the run, not the first one promoted.
#
# Mind:
# - A sentinel sends PING, INFO and its hello PUBLISH on one connection. While a master's writes
#   are paused (CLIENT PAUSE WRITE blocks PUBLISH) its PINGs go unanswered, and the sentinels
#   fail it over after down-after-milliseconds.
# - After a failover the old master (if alive) only becomes a replica of the new one when a
#   sentinel reconfigures it, about 10 s later (tests that need it sooner do it themselves);
#   what it acknowledges in between is lost on resync.

MASTER_PORT=
MASTER_PID=
REPLICA_PORTS=()
REPLICA_PIDS=()
SENTINEL_PORTS=()
SENTINEL_PIDS=()
SENTINEL_NAME=mymaster
SENTINEL_DOWN_AFTER_MS=${SENTINEL_DOWN_AFTER_MS:-2000}

# node PORT ARGS...: redis-cli against 127.0.0.1:PORT.
node() {
  redis-cli -h 127.0.0.1 -p "$1" --no-auth-warning "${@:2}"
}

# _cw_stop_pids PID...: cw_stop_pid on each PID, in parallel.
_cw_stop_pids() {
  local pid waits=()
  for pid in "$@"; do
    cw_stop_pid "$pid" &
    waits+=("$!")
  done
  wait "${waits[@]}"
}

# _cw_info_field PORT SECTION FIELD: one field of INFO SECTION of the node on PORT (empty if none).
_cw_info_field() {
  node "$1" info "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^$3:\(.*\)\$/\1/p"
}

# _cw_start_sentinel NAME: one redis-sentinel monitoring 127.0.0.1:$MASTER_PORT as NAME, on a free
# port (retrying on collisions), its config, log and pid file in $T/sentinel-PORT.
_cw_start_sentinel() {
  local name=$1 attempt port dir pid i reply
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(closed_port)
    dir=$T/sentinel-$port
    mkdir -p "$dir"
    cat >"$dir/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
daemonize yes
pidfile $dir/sentinel.pid
logfile $dir/sentinel.log
dir $dir
sentinel monitor $name 127.0.0.1 $MASTER_PORT 2
sentinel down-after-milliseconds $name $SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $name 3000
sentinel parallel-syncs $name 1
EOF
    redis-sentinel "$dir/sentinel.conf" >"$dir/start.txt" 2>&1 || true
    pid=
    for ((i = 0; i < 100; i++)); do
      if [[ -z "$pid" && -s "$dir/sentinel.pid" ]]; then
        pid=$(cat "$dir/sentinel.pid")
        on_exit "cw_stop_pid $pid"
      fi
      if [[ -n "$pid" ]]; then
        kill -0 "$pid" 2>/dev/null || break
        reply=$(node "$port" ping 2>&1 || true)
        if [[ "$reply" == PONG ]]; then
          SENTINEL_PORTS+=("$port")
          SENTINEL_PIDS+=("$pid")
          return 0
        fi
      elif grep -q -e 'Address already in use' -e 'Could not create server TCP' \
        "$dir/sentinel.log" 2>/dev/null; then
        break
      fi
      sleep 0.1
    done
    [[ -n "$pid" ]] && cw_stop_pid "$pid"
    echo "start_sentinel_setup: sentinel on port $port failed (attempt $attempt):" >&2
    cat "$dir/start.txt" >&2 2>/dev/null || true
    tail -n 5 "$dir/sentinel.log" >&2 2>/dev/null || true
  done
  fail "could not start redis-sentinel"
}

# start_sentinel_setup [NAME]: see the top of this file.
start_sentinel_setup() {
  local name=${1:-mymaster} i port s replicas sentinels ok
  command -v redis-sentinel >/dev/null ||
    skip "redis-sentinel is not installed (Debian package redis-sentinel; scripts/deps.sh)"
  SENTINEL_NAME=$name
  # Diskless sync without the default 5 s delay on every node: any of them can become the master.
  start_redis --repl-diskless-sync-delay 0
  MASTER_PORT=$REDIS_PORT
  MASTER_PID=$REDIS_PID
  for i in 1 2; do
    start_redis --repl-diskless-sync-delay 0 --replicaof 127.0.0.1 "$MASTER_PORT"
    REPLICA_PORTS+=("$REDIS_PORT")
    REPLICA_PIDS+=("$REDIS_PID")
  done
  # lib.sh's rcli, dbsize, wait_for_dbsize and kill_redis act on the master.
  REDIS_PORT=$MASTER_PORT
  REDIS_PID=$MASTER_PID
  REDIS_ARGS=()
  export REDIS_PORT

  ok=0
  for ((i = 0; i < 100; i++)); do
    if [[ "$(_cw_info_field "$MASTER_PORT" replication connected_slaves)" == 2 &&
      "$(_cw_info_field "${REPLICA_PORTS[0]}" replication master_link_status)" == up &&
      "$(_cw_info_field "${REPLICA_PORTS[1]}" replication master_link_status)" == up ]]; then
      ok=1
      break
    fi
    sleep 0.1
  done
  ((ok)) || fail "the replicas did not connect to the master: $(node "$MASTER_PORT" info replication | tr -d '\r')"

  for i in 1 2 3; do
    _cw_start_sentinel "$name"
  done
  # Runs before the per-process cleanups registered above (which then find nothing to stop): the
  # sentinels, then the servers, each set in parallel (a redis-server takes a second or two to
  # act on SIGTERM).
  on_exit "_cw_stop_pids ${SENTINEL_PIDS[*]}; _cw_stop_pids $MASTER_PID ${REPLICA_PIDS[*]}"

  # Every sentinel knows both replicas (not down) and the two other sentinels.
  ok=0
  for ((i = 0; i < 200; i++)); do
    ok=1
    for s in "${SENTINEL_PORTS[@]}"; do
      replicas=$(node "$s" --json sentinel replicas "$name" 2>/dev/null |
        jq -r '[.[] | select((.flags | test("down|disconnected")) | not) | .port] | sort | join(",")' 2>/dev/null || true)
      sentinels=$(node "$s" --json sentinel sentinels "$name" 2>/dev/null |
        jq -r '[.[] | select((.flags | test("down|disconnected")) | not)] | length' 2>/dev/null || true)
      if [[ "$replicas" != "$(printf '%s\n' "${REPLICA_PORTS[@]}" | sort | paste -sd,)" ||
        "$sentinels" != 2 ]]; then
        ok=0
        break
      fi
    done
    ((ok)) && break
    sleep 0.1
  done
  if ((!ok)); then
    for port in "${SENTINEL_PORTS[@]}"; do
      echo "--- sentinel $port: $(node "$port" info sentinel | tr -d '\r' | grep '^master0')" >&2
      tail -n 10 "$T/sentinel-$port/sentinel.log" >&2
    done
    fail "the sentinels did not discover the replicas and each other within 20 s"
  fi
}

# sentinel_url [NAME]: the redis+sentinel:// URL of the three sentinels for master NAME.
sentinel_url() {
  local name=${1:-$SENTINEL_NAME} s hosts=()
  for s in "${SENTINEL_PORTS[@]}"; do
    hosts+=("127.0.0.1:$s")
  done
  echo "redis+sentinel://$(
    IFS=,
    echo "${hosts[*]}"
  )/$name"
}

# _cw_sentinel_master_port PORT: the master's port according to the sentinel on PORT (empty if
# it does not answer).
_cw_sentinel_master_port() {
  node "$1" sentinel get-master-addr-by-name "$SENTINEL_NAME" 2>/dev/null | tr -d '\r' | sed -n 2p
}

# current_master_port: the master's port, as the first sentinel that answers says.
current_master_port() {
  local s port
  for s in "${SENTINEL_PORTS[@]}"; do
    port=$(_cw_sentinel_master_port "$s")
    if [[ "$port" =~ ^[0-9]+$ ]]; then
      echo "$port"
      return 0
    fi
  done
  fail "no sentinel reports a master for $SENTINEL_NAME"
}

# wait_for_new_master OLDPORT [SECONDS]: see the top of this file.
wait_for_new_master() {
  local old=$1 tries=$((${2:-30} * 10)) i s port seen ports
  for ((i = 0; i < tries; i++)); do
    seen='' ports=''
    for s in "${SENTINEL_PORTS[@]}"; do
      port=$(_cw_sentinel_master_port "$s")
      ports+="$port "
      if [[ ! "$port" =~ ^[0-9]+$ || "$port" == "$old" ]] || [[ -n "$seen" && "$port" != "$seen" ]]; then
        seen=
        break
      fi
      seen=$port
    done
    if [[ -n "$seen" ]] && [[ "$(node "$seen" role 2>/dev/null | head -n 1 | tr -d '\r')" == master ]]; then
      echo "$seen"
      return 0
    fi
    sleep 0.1
  done
  for s in "${SENTINEL_PORTS[@]}"; do
    echo "--- sentinel $s log (tail)" >&2
    tail -n 15 "$T/sentinel-$s/sentinel.log" >&2
  done
  fail "no new master (other than $old) within ${2:-30} s; the sentinels say: $ports"
}

# wait_for_sync PORT COUNT [SECONDS]: waits (default 15 s) until the node on PORT holds COUNT
# keys in database 0, and prints the last DBSIZE seen (the caller asserts on it).
wait_for_sync() {
  local port=$1 count=$2 tries=$((${3:-15} * 10)) seen='' i
  for ((i = 0; i < tries; i++)); do
    seen=$(node "$port" dbsize 2>/dev/null || true)
    [[ "$seen" == "$count" ]] && break
    sleep 0.1
  done
  echo "$seen"
}
