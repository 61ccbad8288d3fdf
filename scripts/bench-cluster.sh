# shellcheck shell=bash
# A throwaway Redis Cluster on loopback for scripts/bench: MASTERS masters, no replicas.
# Source this file (after scripts/redis-server.sh, for cw_stop_pid); it defines functions only.
#
#   bench_cluster_start DIR MASTERS  starts MASTERS (>= 3) redis-servers with cluster mode on,
#                                    each on a loopback port it picks in 20000-45000 whose bus
#                                    port (port + 10000, so below 55536) is free too, with its
#                                    own dir, log and nodes.conf in DIR/cluster-PORT, no
#                                    persistence; joins them with `redis-cli --cluster create
#                                    ... --cluster-replicas 0 --cluster-yes` and returns 0 once
#                                    every node says cluster_state:ok (1 otherwise, the reason
#                                    on stderr). Sets BENCH_CLUSTER_PORTS (the masters' ports)
#                                    and BENCH_CLUSTER_PIDS (their PIDs, in the same order);
#                                    the PIDs of nodes started before a failure stay in
#                                    BENCH_CLUSTER_PIDS, so bench_cluster_stop stops them too.
#   bench_cluster_stop               stops every node started, by PID, all at once (a
#                                    redis-server takes a second or two to exit after SIGTERM).
#   bench_cluster_cli PORT ARGS...   redis-cli against the node on PORT.
#   bench_cluster_flush              FLUSHALL on every master.
#   bench_cluster_dbsize             the sum of DBSIZE over the masters.
#   bench_cluster_resetstat          CONFIG RESETSTAT on every master.
#   bench_cluster_set_calls          the sum of the masters' cmdstat_set calls (since the last
#                                    bench_cluster_resetstat).
#
# Mind: a port nobody listens on can still be taken (a TIME_WAIT or an outgoing connection's
# local port in the ephemeral range, 32768-60999, makes bind fail): a node that cannot bind its
# port or its bus port exits before writing its pidfile, and is started again on other ports.

BENCH_CLUSTER_PORTS=()
BENCH_CLUSTER_PIDS=()

bench_cluster_cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

# _bench_cluster_listening PORT: something accepts connections on 127.0.0.1:PORT.
_bench_cluster_listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _bench_cluster_start_node DIR: one cluster-enabled redis-server on a free port pair; appends
# its port and PID to BENCH_CLUSTER_PORTS and BENCH_CLUSTER_PIDS. Returns 1 after 8 attempts.
_bench_cluster_start_node() {
  local base=$1 attempt port dir pid i reply
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 25001))
    if _bench_cluster_listening "$port" || _bench_cluster_listening $((port + 10000)); then
      continue
    fi
    dir=$base/cluster-$port
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
      --cluster-config-file "$dir/nodes.conf" --save '' --appendonly no --daemonize yes \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >"$dir/start.txt" 2>&1 ||
      true
    if grep -q FATAL "$dir/start.txt"; then
      cat "$dir/start.txt" >&2
      return 1 # e.g. a redis-server that does not know --cluster-enabled
    fi
    pid=
    for ((i = 0; i < 100; i++)); do
      if [[ -z "$pid" && -s "$dir/redis.pid" ]]; then
        pid=$(cat "$dir/redis.pid")
        BENCH_CLUSTER_PIDS+=("$pid")
      fi
      if [[ -n "$pid" ]]; then
        # The pidfile is written after both ports are bound, so a reply is from our node.
        kill -0 "$pid" 2>/dev/null || break
        reply=$(bench_cluster_cli "$port" ping 2>&1 || true)
        if [[ "$reply" == PONG ]]; then
          BENCH_CLUSTER_PORTS+=("$port")
          return 0
        fi
      elif grep -q -e 'Address already in use' -e 'Could not create server TCP' \
        -e 'Failed listening' "$dir/redis.log" 2>/dev/null; then
        break
      fi
      sleep 0.1
    done
    if [[ -n "$pid" ]]; then
      cw_stop_pid "$pid"
      unset 'BENCH_CLUSTER_PIDS[-1]'
    fi
    echo "bench: cluster node on port $port failed (attempt $attempt)${reply:+: $reply}:" >&2
    tail -n 5 "$dir/redis.log" >&2 2>/dev/null || true
  done
  return 1
}

bench_cluster_start() {
  local base=$1 masters=$2 i port addrs=() waited states
  ((masters >= 3)) || {
    echo "bench: redis-cli --cluster create needs at least 3 masters" >&2
    return 1
  }
  for ((i = 0; i < masters; i++)); do
    _bench_cluster_start_node "$base" || return 1
    addrs+=("127.0.0.1:${BENCH_CLUSTER_PORTS[i]}")
  done
  if ! timeout 60 redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes \
    >"$base/cluster-create.log" 2>&1; then
    echo "bench: redis-cli --cluster create failed:" >&2
    # It writes colour escapes even when its output is no terminal.
    tail -n 15 "$base/cluster-create.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
    return 1
  fi
  # Every node must have learnt every slot's master (by gossip) before cluster_state is ok.
  for ((waited = 0; waited < 300; waited++)); do
    states=$(for port in "${BENCH_CLUSTER_PORTS[@]}"; do
      bench_cluster_cli "$port" cluster info 2>&1 | tr -d '\r' | grep '^cluster_state:' ||
        echo "cluster_state:unknown"
    done | sort -u)
    [[ "$states" == cluster_state:ok ]] && return 0
    sleep 0.1
  done
  echo "bench: the cluster is not ok after 30 s: $(paste -sd' ' <<<"$states")" >&2
  return 1
}

bench_cluster_stop() {
  local pid waits=()
  for pid in "${BENCH_CLUSTER_PIDS[@]}"; do
    cw_stop_pid "$pid" &
    waits+=("$!")
  done
  ((${#waits[@]} == 0)) || wait "${waits[@]}"
  BENCH_CLUSTER_PIDS=()
}

bench_cluster_flush() {
  local port
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do
    bench_cluster_cli "$port" flushall >/dev/null
  done
}

bench_cluster_resetstat() {
  local port
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do
    bench_cluster_cli "$port" config resetstat >/dev/null
  done
}

bench_cluster_dbsize() {
  local port n total=0
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do
    n=$(bench_cluster_cli "$port" dbsize | tr -d '\r')
    total=$((total + n))
  done
  echo "$total"
}

bench_cluster_set_calls() {
  local port n total=0
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do
    n=$(bench_cluster_cli "$port" info commandstats | tr -d '\r' |
      sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
