# shellcheck shell=bash
# Source this file; it defines one function, shared by the server helpers in scripts/.

# cw_stop_pid PID: stops a process we started (a redis-server, an nginx master), by PID: SIGTERM,
# then up to 10 s for it to go, then SIGKILL.
cw_stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
