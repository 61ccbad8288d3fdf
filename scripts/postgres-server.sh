# shellcheck shell=bash
# Throwaway PostgreSQL 15 clusters on loopback for tests/integration/postgres_*.sh.
# Source this file; it defines functions only. As root, the cluster is owned by and runs as the
# `postgres` OS user (PostgreSQL refuses to run as root); otherwise as the current user.
#
#   CW_PG_BIN       the server binaries (default /usr/lib/postgresql/15/bin)
#   CW_PG_PASSWORD  the password of the `cw` role (default: random, set by cw_pg_start)

CW_PG_BIN=${CW_PG_BIN:-/usr/lib/postgresql/15/bin}

# _cw_as_pg CMD...: runs CMD as the cluster's owner (`postgres` when we are root).
_cw_as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# cw_pg_unavailable: prints why no cluster can be started here and returns 0, or returns 1.
cw_pg_unavailable() {
  local tool
  for tool in initdb pg_ctl postgres pg_isready psql; do
    if [[ ! -x "$CW_PG_BIN/$tool" ]]; then
      echo "$CW_PG_BIN/$tool is missing (scripts/deps.sh installs postgresql)"
      return 0
    fi
  done
  if [[ $(id -u) -eq 0 ]]; then
    if ! command -v runuser >/dev/null; then
      echo "runuser is missing (needed to run PostgreSQL as a non-root user)"
      return 0
    fi
    if ! id postgres >/dev/null 2>&1; then
      echo "there is no postgres OS user to run PostgreSQL as"
      return 0
    fi
  fi
  return 1
}

# cw_pg_start DIR [-c name=value ...]: initdb's a cluster in DIR/pg (UTF8, locale C, fsync off)
# and starts it on 127.0.0.1 at a random free port in 20000-45000 (retrying on collisions), with
# its unix socket in DIR/pg; extra arguments go to the server (no spaces inside one). Local socket
# connections are trusted, TCP ones need a password (scram-sha-256). Creates the role `cw`
# (password CW_PG_PASSWORD) owning the database `cw`. Sets CW_PG_PORT, CW_PG_PID, CW_PG_DIR
# (socket directory) and CW_PG_URI (postgresql://cw:PASSWORD@127.0.0.1:PORT/cw) and returns 0
# once the server accepts connections; returns 1 (after stopping what it started) otherwise.
cw_pg_start() {
  local base=$1 dir attempt port pid i
  shift
  CW_PG_PORT='' CW_PG_PID='' CW_PG_URI='' CW_PG_DIR=''
  CW_PG_PASSWORD=${CW_PG_PASSWORD:-cw-pw-$RANDOM$RANDOM}
  dir="$base/pg"
  mkdir -p "$dir"
  # The server user must reach DIR/pg through DIR (mktemp -d makes it 0700).
  chmod a+x "$base"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
  fi
  if ! _cw_as_pg "$CW_PG_BIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1; then
    tail -n 20 "$dir/initdb.log" >&2
    echo "cw_pg_start: initdb failed" >&2
    return 1
  fi
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 25001))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue # something listens there already
    fi
    _cw_as_pg rm -f "$dir/data/postmaster.pid" "$dir/pg.log"
    # -W: pg_ctl does not wait; the loop below does, with its own bound.
    if ! _cw_as_pg "$CW_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -W -s start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
          -c synchronous_commit=off -c shared_buffers=16MB -c max_connections=40 $*" \
      >"$dir/start.txt" 2>&1; then
      cat "$dir/start.txt" >&2
      echo "cw_pg_start: pg_ctl start failed" >&2
      return 1
    fi
    pid=
    for ((i = 0; i < 150; i++)); do
      if [[ -z "$pid" && -s "$dir/data/postmaster.pid" ]]; then
        pid=$(head -n 1 "$dir/data/postmaster.pid")
      fi
      if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
        break # exited (e.g. the port was taken after all)
      fi
      if [[ -n "$pid" ]] && "$CW_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
        if _cw_as_pg "$CW_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" \
          -U postgres -d postgres \
          -c "CREATE ROLE cw LOGIN PASSWORD '$CW_PG_PASSWORD'" \
          -c "CREATE DATABASE cw OWNER cw" >"$dir/setup.txt" 2>&1; then
          CW_PG_PORT=$port CW_PG_PID=$pid CW_PG_DIR=$dir
          CW_PG_URI="postgresql://cw:${CW_PG_PASSWORD}@127.0.0.1:${port}/cw"
          export CW_PG_PORT CW_PG_PID CW_PG_DIR CW_PG_URI CW_PG_PASSWORD
          return 0
        fi
        cat "$dir/setup.txt" >&2
        cw_pg_stop "$pid"
        echo "cw_pg_start: could not create the cw role and database" >&2
        return 1
      fi
      if [[ -z "$pid" ]] && grep -q -e 'could not bind' -e 'could not create any' \
        "$dir/pg.log" 2>/dev/null; then
        break
      fi
      sleep 0.1
    done
    [[ -n "$pid" ]] && cw_pg_stop "$pid"
    echo "cw_pg_start: port $port failed (attempt $attempt):" >&2
    tail -n 5 "$dir/pg.log" >&2 2>/dev/null || true
  done
  return 1
}

# cw_pg_sql [psql args...]: runs psql as role `cw` on database `cw` of the last started cluster
# over its unix socket (unaligned, tuples only, stops at the first error); SQL from -c or stdin.
cw_pg_sql() {
  _cw_as_pg "$CW_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$CW_PG_DIR" -p "$CW_PG_PORT" \
    -U cw -d cw "$@"
}

# cw_pg_stop PID: stops a server we started, by PID (SIGINT = fast shutdown), waiting (bounded)
# until it is gone.
cw_pg_stop() {
  local pid=$1 i
  kill -INT "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
