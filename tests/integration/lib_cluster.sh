# shellcheck shell=bash
# shellcheck disable=SC2034 # globals (CLUSTER_*) are for the sourcing tests
# Redis Cluster helpers for the integration tests: source it after lib.sh.
#
#   start_cluster MASTERS REPLICAS_PER_MASTER [extra redis-server args...]
#       MASTERS*(1+REPLICAS_PER_MASTER) redis-servers with cluster mode on (MASTERS >= 3: what
#       `redis-cli --cluster create` accepts), each on a loopback port chosen at run time, with
#       its own dir, log and nodes.conf in $T/redis-PORT (TLS: $T/redis-tls-PORT), node timeout
#       $CLUSTER_NODE_TIMEOUT ms (1000 when unset or empty), no persistence, diskless sync
#       without delay.
#       Extra arguments go last (redis-server takes the last value of a repeated option). Joined
#       with `redis-cli --cluster create ... --cluster-replicas R --cluster-yes`; returns once
#       every node says cluster_state:ok, every node knows every other one (no fail, pfail,
#       handshake or noaddr flag, all at 127.0.0.1), all agree on which master serves which
#       slots, and every replica's master_link_status is up (wait_for_cluster_synced).
#       One cluster per test. Sets:
#         CLUSTER_PORTS         every node's port, the first MASTERS created as masters
#         CLUSTER_MASTER_PORTS  the masters' ports after start_cluster (cluster_masters is now)
#         CLUSTER_PIDS          associative: port -> pid
#         CLUSTER_DIRS          associative: port -> the node's dir (redis.log, nodes.conf)
#         CLUSTER_CLI_ARGS      what redis-cli and redis-benchmark need to talk to a node (the
#                               TLS options with CLUSTER_TLS=1, else nothing)
#       CLUSTER_TLS=1 (set before start_cluster): TLS-only nodes (--port 0 --tls-port PORT) with
#       --tls-cluster yes --tls-replication yes, the certificates of lib_tls.sh (sourced here
#       when the test did not source it: server.pem for the ports and the bus, client.pem for
#       the nodes' outgoing bus and replication links, ca.pem), --tls-auth-clients no.
#       With --requirepass X pass --masterauth X too, and set RCLI_ARGS="-a X" (all redis-cli
#       calls here use it).
#   cluster_url [PORT...]         redis+cluster://127.0.0.1:P1,127.0.0.1:P2 (rediss+cluster://
#                                 with CLUSTER_TLS=1): the given ports, default the first two of
#                                 CLUSTER_MASTER_PORTS
#   cluster_rcli PORT ARGS...     redis-cli against the node on PORT (add -c to follow MOVED/ASK)
#   cluster_node_id PORT          the node's cluster id (CLUSTER MYID)
#   cluster_masters               the live nodes whose ROLE is master now, one port a line
#   cluster_dbsize                the sum of DBSIZE over cluster_masters
#   cluster_keys_per_master       PORT:DBSIZE of each of cluster_masters, one a line
#   cluster_commandstats_set_calls
#                                 the sum of cmdstat_set calls over cluster_masters (a replica
#                                 counts the SETs it replicates: after a failover the new master
#                                 includes what it got from the old one)
#   kill_cluster_node PORT        SIGKILL the node on PORT (by PID), waits until its port is
#                                 closed; later waits and queries leave it out
#   wait_for_cluster_ok [SECONDS] waits (default 30 s) until every live node says
#                                 cluster_state:ok and all of them agree that each of the 16384
#                                 slots is served by a live master without fail flags
#   wait_for_cluster_synced [SECONDS]
#                                 wait_for_cluster_ok, and every live node knows every other one
#                                 and every live replica's master_link_status is up
#   cluster_reshard FROM_PORT TO_PORT NSLOTS
#                                 moves NSLOTS slots (with their keys) from the master on
#                                 FROM_PORT to the one on TO_PORT (`redis-cli --cluster reshard
#                                 ... --cluster-yes`, output in $T/cluster-reshard-N.log), then
#                                 wait_for_cluster_ok
#
# Everything is started with daemonize and stopped by PID when the test exits (lib.sh's on_exit;
# all nodes in parallel: a redis-server takes a second or two to exit after SIGTERM).
#
# Mind:
# - A node's cluster bus listens on port+10000, so a node needs both ports free (the ports stay in
#   20000-45000, the bus ports below 55536). A port nobody listens on can still be taken: the
#   local port of a TIME_WAIT or outgoing connection in the ephemeral range (32768-60999 here)
#   makes bind fail. A node that cannot bind exits before writing its pidfile ("Could not create
#   server TCP listening socket"), and its start is retried on another port; the retries are
#   noted in $T/cluster-start-N.err.
# - Right after kill_cluster_node every node still says cluster_state:ok until it has marked the
#   master failed (about 1-2 s with node timeout 1000): wait_for_cluster_ok therefore also wants
#   every slot on a master that runs. A killed master is replaced within about 2-3 s; until then
#   the whole cluster answers CLUSTERDOWN (cluster-require-full-coverage yes). With node timeout
#   1000 a node that gets no CPU for a second is failed over too: on a loaded machine a test may
#   set CLUSTER_NODE_TIMEOUT higher.
# - --repl-diskless-sync-delay 0: Redis 7's default of 5 s delays each replica's first sync.
# - A master that gives away its last slot (cluster_reshard with NSLOTS >= its slots moves them
#   all, no error) becomes a replica of the node that took it (Redis 7's
#   cluster-allow-replica-migration yes): cluster_masters then lists one master less.
# - `redis-cli -c` reading commands from stdin prints a "-> Redirected to slot [N] located at ..."
#   line before each reply it got after a MOVED or ASK (with the command as arguments it does not).
# - TLS: the cluster bus asks the connecting node for a certificate whatever tls-auth-clients
#   says, and server.pem is for serverAuth only; without client.pem as tls-client-cert-file
#   `--cluster create` waits for the join forever, and the logs say nothing at notice level.
# - `redis-benchmark --cluster` refetches the slot map on MOVED/ASK but does not resend those
#   requests: its -n is not the number of SETs done (cluster_commandstats_set_calls is). Over TLS
#   it takes the options in CLUSTER_CLI_ARGS: `redis-benchmark "${CLUSTER_CLI_ARGS[@]}" --cluster
#   -h 127.0.0.1 -p PORT ...`.

CLUSTER_PORTS=()
CLUSTER_MASTER_PORTS=()
declare -gA CLUSTER_PIDS=()
declare -gA CLUSTER_DIRS=()
declare -gA _cw_cluster_killed=()
CLUSTER_CLI_ARGS=()
# CLUSTER_NODE_TIMEOUT and CLUSTER_TLS get no value here, so that a test's
# `CLUSTER_NODE_TIMEOUT=${CLUSTER_NODE_TIMEOUT:-2000}` after sourcing this file sets its default.
_cw_cluster_tls=0
_cw_cluster_reshards=0
_cw_cluster_starters=()

# cluster_rcli PORT ARGS...: redis-cli against 127.0.0.1:PORT (RCLI_ARGS adds e.g. `-a secret`).
cluster_rcli() {
  # shellcheck disable=SC2086 # RCLI_ARGS is a list of words on purpose
  redis-cli "${CLUSTER_CLI_ARGS[@]}" -h 127.0.0.1 -p "$1" --no-auth-warning ${RCLI_ARGS:-} "${@:2}"
}

# _cw_cluster_live_ports: the ports of the nodes not killed and still running, in start order.
_cw_cluster_live_ports() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    if [[ -z "${_cw_cluster_killed[$port]:-}" ]] &&
      kill -0 "${CLUSTER_PIDS[$port]}" 2>/dev/null; then
      echo "$port"
    fi
  done
}

# _cw_cluster_stop: stops every node started (those in $T/cluster-nodes.txt), in parallel. When the
# test is stopped while start_cluster starts nodes, it first waits for those starts to end (they
# ignore SIGINT and SIGTERM), so that no node is left out of the file.
_cw_cluster_stop() {
  local i port pid dir waits=()
  ((${#_cw_cluster_starters[@]} == 0)) || wait "${_cw_cluster_starters[@]}" 2>/dev/null
  [[ -f "$T/cluster-nodes.txt" ]] || return 0
  while read -r i port pid dir; do
    cw_stop_pid "$pid" &
    waits+=("$!")
  done <"$T/cluster-nodes.txt"
  ((${#waits[@]} == 0)) || wait "${waits[@]}"
}

# _cw_cluster_start_node INDEX ARGS...: one node (plain or TLS) on a free port pair; appends
# "INDEX PORT PID DIR" to $T/cluster-nodes.txt (start_cluster runs several at once, each in a
# subshell, and _cw_cluster_stop stops what the file lists).
_cw_cluster_start_node() {
  local index=$1 attempt port
  shift
  # Ctrl-C or a SIGTERM to the test must not end a start half-way (redis-server installs its own
  # handlers, so the nodes still stop on SIGTERM).
  trap '' INT TERM
  if ((!_cw_cluster_tls)); then
    # cw_redis_start picks the port (20000-45000) and retries when the bus port is taken; the
    # relative nodes.conf lands in its --dir.
    cw_redis_start "$T" --cluster-config-file nodes.conf "$@" ||
      fail "could not start a cluster node (redis-server $*)"
    echo "$index $CW_REDIS_PORT $CW_REDIS_PID $CW_REDIS_DIR" >>"$T/cluster-nodes.txt"
    return 0
  fi
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(closed_port)
    # The bus port must be free too (closed_port's range keeps it below 55536).
    if (exec 3<>"/dev/tcp/127.0.0.1/$((port + 10000))") 2>/dev/null; then
      continue
    fi
    if _tls_redis_launch "$port" "$T/redis-tls-$port" \
      --cluster-config-file "$T/redis-tls-$port/nodes.conf" "$@"; then
      echo "$index $port $TLS_PID $T/redis-tls-$port" >>"$T/cluster-nodes.txt"
      return 0
    fi
  done
  fail "could not start a TLS cluster node after $attempt attempts"
}

# _cw_cluster_log_tail FILE: the last lines of a `redis-cli --cluster` log, without the colour
# escapes it writes even when its output is no terminal.
_cw_cluster_log_tail() {
  tail -n 15 "$1" | sed 's/\x1b\[[0-9;]*m//g'
}

# _cw_cluster_dump: every live node's view, state and log tail (on failures).
_cw_cluster_dump() {
  local port
  for port in $(_cw_cluster_live_ports); do
    echo "--- node $port (pid ${CLUSTER_PIDS[$port]}): $(cluster_rcli "$port" cluster info 2>&1 |
      tr -d '\r' | grep -E '^cluster_(state|known_nodes|current_epoch)' | paste -sd' ')" >&2
    cluster_rcli "$port" cluster nodes 2>&1 | tr -d '\r' | sed 's/^/    /' >&2
    cluster_rcli "$port" info replication 2>&1 | tr -d '\r' |
      grep -E '^(role|master_link_status|connected_slaves):' | paste -sd' ' | sed 's/^/    /' >&2
    tail -n 8 "${CLUSTER_DIRS[$port]}/redis.log" 2>/dev/null | sed 's/^/    log: /' >&2
  done
}

# _cw_cluster_check MODE: one look at every live node; prints what is not right yet (nothing when
# all is). MODE ok: cluster_state:ok everywhere, and all live nodes agree on the slot map, in which
# each of the 16384 slots has a live master without fail flags. MODE synced: that, and each node
# lists every live node at 127.0.0.1 without fail/pfail/handshake/noaddr flags and no node not
# started here, and every live replica's master_link_status is up.
_cw_cluster_check() {
  local mode=$1 live port
  live=" $(_cw_cluster_live_ports | paste -sd' ') "
  # One redis-cli per node (it runs the lines of its stdin as commands) and one awk for all: on a
  # loaded machine each process start costs tens of milliseconds.
  for port in $live; do
    echo "=== $port"
    cluster_rcli "$port" 2>&1 <<<$'CLUSTER INFO\nCLUSTER NODES\nINFO replication' ||
      echo "ERROR redis-cli failed"
  done | awk -v mode="$mode" -v live="$live" -v all=" ${CLUSTER_PORTS[*]} " '
    function node_done(   i, j, t, m, prev_end, prev_port, k, lp) {
      if (me == "") return
      if (err != "") { print me ": " err; me = ""; return }
      if (state != "ok") problems = problems "; cluster_state:" state
      # The slot map: the ranges sorted by their first slot (insertion sort: a handful of them),
      # adjacent ones of the same master merged, as " first-last:port ...".
      for (i = 2; i <= nr; i++)
        for (j = i; j > 1 && rs[j] < rs[j - 1]; j--) {
          t = rs[j]; rs[j] = rs[j - 1]; rs[j - 1] = t
          t = re[j]; re[j] = re[j - 1]; re[j - 1] = t
          t = rp[j]; rp[j] = rp[j - 1]; rp[j - 1] = t
        }
      m = ""; prev_end = -1; prev_port = ""
      for (i = 1; i <= nr; i++) {
        if (rs[i] != prev_end + 1) {
          problems = problems "; slots " (prev_end + 1) "-" (rs[i] - 1) \
            " without a master that is up (or overlapping)"
          break
        }
        if (rp[i] == prev_port) sub(/-[0-9]+:[0-9]+$/, "-" re[i] ":" rp[i], m)
        else m = m " " rs[i] "-" re[i] ":" rp[i]
        prev_end = re[i]; prev_port = rp[i]
      }
      if (i > nr && prev_end != 16383)
        problems = problems "; slots " (prev_end + 1) "-16383 without a master that is up"
      if (mode == "synced") {
        if (bad != "") problems = problems "; sees" bad
        k = split(live, lp, " ")
        for (i = 1; i <= k; i++) if (!(lp[i] in known)) problems = problems "; does not know " lp[i]
        if (role == "slave" && link != "up") problems = problems "; master_link_status:" link
      }
      if (problems == "" && first_map != "" && m != first_map)
        problems = "; slot map" m " differs from the one of " first_me ":" first_map
      if (problems != "") print me ":" substr(problems, 2)
      else if (first_map == "") { first_map = m; first_me = me }
      me = ""
    }
    { sub(/\r$/, "") }
    /^=== / { node_done(); me = $2; state = role = link = bad = err = problems = ""; nr = 0
              split("", known); next }
    /^ERROR redis-cli failed/ { err = "no answer: " last; next }
    /^cluster_state:/ { state = substr($0, 15) }
    /^role:/ { role = substr($0, 6) }
    /^master_link_status:/ { link = substr($0, 20) }
    { last = $0 }
    NF >= 8 && $2 ~ /@/ {
      addr = $2; sub(/@.*/, "", addr); port = addr; sub(/.*:/, "", port)
      ip = addr; sub(/:[^:]*$/, "", ip)
      if (index(all, " " port " ") == 0) bad = bad " unknown node " $2
      if (index(live, " " port " ") > 0) {
        known[port] = 1
        if ($3 ~ /fail|handshake|noaddr/ || ip != "127.0.0.1") bad = bad " " $2 " " $3
      }
      if ($3 ~ /master/ && $3 !~ /fail/ && index(live, " " port " ") > 0) {
        for (i = 9; i <= NF; i++) {
          if ($i ~ /^\[/) continue
          r = $i; if (r !~ /-/) r = r "-" r
          split(r, se, "-")
          nr++; rs[nr] = se[1] + 0; re[nr] = se[2] + 0; rp[nr] = port
        }
      }
    }
    END { node_done() }'
}

# _cw_cluster_wait MODE SECONDS: polls _cw_cluster_check MODE; fails the test after SECONDS.
_cw_cluster_wait() {
  local mode=$1 seconds=$2 deadline problems
  deadline=$(($(now_ms) + seconds * 1000))
  while :; do
    problems=$(_cw_cluster_check "$mode")
    [[ -z "$problems" ]] && return 0
    (($(now_ms) < deadline)) || break
    sleep 0.1
  done
  _cw_cluster_dump
  fail "the cluster is not $mode after ${seconds} s: $(paste -sd'|' <<<"$problems" | head -c 2000)"
}

# wait_for_cluster_ok [SECONDS] / wait_for_cluster_synced [SECONDS]: see the top of this file.
wait_for_cluster_ok() { _cw_cluster_wait ok "${1:-30}"; }
wait_for_cluster_synced() { _cw_cluster_wait synced "${1:-30}"; }

# start_cluster MASTERS REPLICAS_PER_MASTER [extra redis-server args...]: see the top.
start_cluster() {
  local masters=$1 replicas=$2 i port pid dir addrs=() args failed=0
  shift 2
  [[ "$masters" =~ ^[0-9]+$ && "$replicas" =~ ^[0-9]+$ ]] ||
    fail "start_cluster MASTERS REPLICAS_PER_MASTER: got '$masters' '$replicas'"
  ((masters >= 3)) || fail "start_cluster: redis-cli --cluster create needs at least 3 masters"
  ((${#CLUSTER_PORTS[@]} == 0)) || fail "start_cluster: one cluster per test"
  command -v redis-server >/dev/null || skip "redis-server is not installed (scripts/deps.sh)"
  command -v redis-cli >/dev/null || skip "redis-cli is not installed (scripts/deps.sh)"
  args=(--cluster-enabled yes --cluster-node-timeout "${CLUSTER_NODE_TIMEOUT:-1000}"
    --appendonly no --save '' --repl-diskless-sync-delay 0)
  if [[ "${CLUSTER_TLS:-0}" == 1 ]]; then
    _cw_cluster_tls=1
    if ! declare -F tls_make_certs >/dev/null; then
      # shellcheck source=lib_tls.sh
      source "$CACHEWARM_SOURCE_DIR/tests/integration/lib_tls.sh"
    fi
    [[ -s "$TLS_CERTS/server.pem" ]] || tls_make_certs
    # A node's outgoing bus and replication links present a certificate; the bus side asks for
    # one whatever tls-auth-clients says, and server.pem is for serverAuth only.
    args+=(--tls-cluster yes --tls-replication yes
      --tls-client-cert-file "$TLS_CERTS/client.pem" --tls-client-key-file "$TLS_CERTS/client.key")
    CLUSTER_CLI_ARGS=(--tls --cacert "$TLS_CERTS/ca.pem")
  fi
  # The nodes start in parallel (each takes a few hundred milliseconds, mostly waiting).
  on_exit "_cw_cluster_stop"
  # Their notes on ports found taken stay in $T/cluster-start-N.err unless one gives up.
  for ((i = 0; i < masters * (1 + replicas); i++)); do
    _cw_cluster_start_node "$i" "${args[@]}" "$@" 2>"$T/cluster-start-$i.err" &
    _cw_cluster_starters+=("$!")
  done
  for pid in "${_cw_cluster_starters[@]}"; do
    wait "$pid" || failed=1
  done
  _cw_cluster_starters=()
  if ((failed)); then
    cat "$T"/cluster-start-*.err >&2
    fail "start_cluster: could not start every node"
  fi
  while read -r i port pid dir; do
    CLUSTER_PORTS+=("$port")
    CLUSTER_PIDS[$port]=$pid
    CLUSTER_DIRS[$port]=$dir
    addrs+=("127.0.0.1:$port")
  done < <(sort -n "$T/cluster-nodes.txt")
  # shellcheck disable=SC2086 # RCLI_ARGS is a list of words on purpose
  if ! timeout 60 redis-cli "${CLUSTER_CLI_ARGS[@]}" --no-auth-warning ${RCLI_ARGS:-} \
    --cluster create "${addrs[@]}" --cluster-replicas "$replicas" --cluster-yes \
    >"$T/cluster-create.log" 2>&1; then
    _cw_cluster_dump
    fail "redis-cli --cluster create failed: $(_cw_cluster_log_tail "$T/cluster-create.log")"
  fi
  wait_for_cluster_synced 30
  mapfile -t CLUSTER_MASTER_PORTS < <(cluster_masters)
  ((${#CLUSTER_MASTER_PORTS[@]} == masters)) ||
    fail "start_cluster: ${#CLUSTER_MASTER_PORTS[@]} masters, expected $masters"
}

# cluster_url [PORT...]: see the top of this file.
cluster_url() {
  local port hosts=()
  (($# > 0)) || set -- "${CLUSTER_MASTER_PORTS[@]:0:2}"
  for port in "$@"; do
    hosts+=("127.0.0.1:$port")
  done
  echo "redis$( ((_cw_cluster_tls)) && echo s)+cluster://$(
    IFS=,
    echo "${hosts[*]}"
  )"
}

# cluster_node_id PORT: the node's cluster id.
cluster_node_id() {
  local id
  id=$(cluster_rcli "$1" cluster myid | tr -d '\r')
  [[ "$id" =~ ^[0-9a-f]{40}$ ]] || fail "CLUSTER MYID on port $1: $id"
  echo "$id"
}

# cluster_masters: the live nodes whose ROLE is master now, one port a line.
cluster_masters() {
  local port
  for port in $(_cw_cluster_live_ports); do
    if [[ "$(cluster_rcli "$port" role 2>/dev/null | head -n 1 | tr -d '\r')" == master ]]; then
      echo "$port"
    fi
  done
}

# cluster_keys_per_master: PORT:DBSIZE of each master, one a line.
cluster_keys_per_master() {
  local port n
  for port in $(cluster_masters); do
    n=$(cluster_rcli "$port" dbsize | tr -d '\r')
    echo "$port:$n"
  done
}

# cluster_dbsize: the number of keys in the cluster (the sum of DBSIZE over the masters).
cluster_dbsize() {
  local line total=0
  for line in $(cluster_keys_per_master); do
    total=$((total + ${line#*:}))
  done
  echo "$total"
}

# cluster_commandstats_set_calls: the sum of cmdstat_set calls over the masters.
cluster_commandstats_set_calls() {
  local port n total=0
  for port in $(cluster_masters); do
    n=$(cluster_rcli "$port" info commandstats | tr -d '\r' |
      sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

# kill_cluster_node PORT: SIGKILL the node on PORT and wait until its port is closed.
kill_cluster_node() {
  local port=$1
  [[ -n "${CLUSTER_PIDS[$port]:-}" ]] || fail "kill_cluster_node: no cluster node on port $port"
  [[ -z "${_cw_cluster_killed[$port]:-}" ]] ||
    fail "kill_cluster_node: the node on $port is killed already"
  REDIS_PID=${CLUSTER_PIDS[$port]} REDIS_PORT=$port kill_redis
  _cw_cluster_killed[$port]=1
}

# cluster_reshard FROM_PORT TO_PORT NSLOTS: see the top of this file.
cluster_reshard() {
  local from=$1 to=$2 n=$3 from_id to_id log
  from_id=$(cluster_node_id "$from")
  to_id=$(cluster_node_id "$to")
  _cw_cluster_reshards=$((_cw_cluster_reshards + 1))
  log=$T/cluster-reshard-$_cw_cluster_reshards.log
  # shellcheck disable=SC2086 # RCLI_ARGS is a list of words on purpose
  if ! timeout 300 redis-cli "${CLUSTER_CLI_ARGS[@]}" --no-auth-warning ${RCLI_ARGS:-} \
    --cluster reshard "127.0.0.1:$from" --cluster-from "$from_id" --cluster-to "$to_id" \
    --cluster-slots "$n" --cluster-yes >"$log" 2>&1; then
    _cw_cluster_dump
    fail "redis-cli --cluster reshard $from -> $to ($n slots) failed:" \
      "$(_cw_cluster_log_tail "$log")"
  fi
  wait_for_cluster_ok 30
}
