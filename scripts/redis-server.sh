# shellcheck shell=bash
# Throwaway redis-servers on loopback for scripts/demo.sh and tests/integration/lib.sh.
# Source this file; it defines functions only.

# shellcheck source=stop-pid.sh
source "$(dirname "${BASH_SOURCE[0]}")/stop-pid.sh"

# cw_redis_start DIR [redis-server args...]: starts redis-server bound to 127.0.0.1 on a random
# free port in 20000-45000 (retrying on collisions), persistence off, its files in DIR/redis-PORT.
# Sets CW_REDIS_PORT, CW_REDIS_PID and CW_REDIS_DIR and returns 0 once it answers PING (NOAUTH
# from a --requirepass server counts); returns 1 (after stopping what it started) otherwise.
cw_redis_start() {
  local base=$1 attempt port dir pid i reply
  shift
  CW_REDIS_PORT= CW_REDIS_PID= CW_REDIS_DIR=
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 25001))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue # something listens there already
    fi
    dir="$base/redis-$port"
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
      --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      "$@" >"$dir/start.txt" 2>&1 || true
    if grep -q 'FATAL' "$dir/start.txt"; then
      cat "$dir/start.txt" >&2
      echo "cw_redis_start: redis-server rejected its arguments: $*" >&2
      return 1
    fi
    pid=
    for ((i = 0; i < 100; i++)); do
      if [[ -z "$pid" && -s "$dir/redis.pid" ]]; then
        pid=$(cat "$dir/redis.pid")
      fi
      if [[ -n "$pid" ]]; then
        # Our process writes the pidfile only after binding the port, so a reply is from it.
        if ! kill -0 "$pid" 2>/dev/null; then
          break
        fi
        reply=$(redis-cli -h 127.0.0.1 -p "$port" --no-auth-warning ping 2>&1 || true)
        if [[ "$reply" == PONG || "$reply" == *NOAUTH* ]]; then
          CW_REDIS_PORT=$port CW_REDIS_PID=$pid CW_REDIS_DIR=$dir
          return 0
        fi
      elif grep -q -e 'Address already in use' -e 'Could not create server TCP' \
        "$dir/redis.log" 2>/dev/null; then
        break
      fi
      sleep 0.1
    done
    [[ -n "$pid" ]] && cw_stop_pid "$pid"
    echo "cw_redis_start: port $port failed (attempt $attempt):" >&2
    tail -n 5 "$dir/redis.log" >&2 2>/dev/null || true
  done
  return 1
}
