# shellcheck shell=bash
# shellcheck disable=SC2034 # globals (TLS_*) are for the sourcing tests
# TLS helpers for the integration tests: source it after lib.sh.
#
# Sourcing it generates, with the openssl CLI, into $TLS_CERTS ($T/tls), EC prime256v1 keys:
#   ca.pem/ca.key              the test CA
#   other-ca.pem/other-ca.key  a second CA that signed nothing the servers use
#   server.pem/server.key      signed by ca.pem, SAN IP:127.0.0.1,DNS:localhost, serverAuth
#   expired.pem/expired.key    signed by ca.pem, same SAN, valid only on 2020-01-01
#   localhost.pem/.key         signed by ca.pem, SAN DNS:localhost only (no IP)
#   client.pem/client.key      signed by ca.pem, clientAuth (mutual TLS)
#
# start_tls_redis [redis-server args...] starts a TLS-only redis-server (plain port 0) on a free
# loopback port; rcli_tls talks to it. Later arguments override the defaults (redis-server takes
# the last value of a repeated option), e.g. `start_tls_redis --tls-auth-clients yes` or
# `start_tls_redis --tls-cert-file "$TLS_CERTS/expired.pem" --tls-key-file "$TLS_CERTS/expired.key"`.

command -v openssl >/dev/null || skip "openssl is not installed (scripts/deps.sh)"

TLS_CERTS=$(cd "$T" && pwd)/tls
TLS_PORT=
TLS_PID=
TLS_DIR=
TLS_ARGS=()

# _tls_openssl ARGS...: openssl, its chatter in $TLS_CERTS/openssl.log; fails the test on error.
_tls_openssl() {
  openssl "$@" >>"$TLS_CERTS/openssl.log" 2>&1 ||
    fail "openssl $1 failed: $(tail -n 5 "$TLS_CERTS/openssl.log")"
}

# _tls_key_csr NAME CN: NAME.key (EC P-256) and NAME.csr with subject CN.
_tls_key_csr() {
  _tls_openssl ecparam -name prime256v1 -genkey -noout -out "$TLS_CERTS/$1.key"
  _tls_openssl req -new -config "$TLS_CERTS/openssl.cnf" -key "$TLS_CERTS/$1.key" \
    -subj "/CN=$2" -out "$TLS_CERTS/$1.csr"
}

# _tls_ca NAME CN: a self-signed CA, NAME.pem/NAME.key.
_tls_ca() {
  _tls_openssl ecparam -name prime256v1 -genkey -noout -out "$TLS_CERTS/$1.key"
  _tls_openssl req -new -x509 -config "$TLS_CERTS/openssl.cnf" -extensions v3_ca \
    -key "$TLS_CERTS/$1.key" -subj "/CN=$2" -days 3 -out "$TLS_CERTS/$1.pem"
}

# _tls_sign NAME CN EXTENSIONS SERIAL: NAME.pem signed by ca.pem for 3 days.
_tls_sign() {
  _tls_key_csr "$1" "$2"
  _tls_openssl x509 -req -in "$TLS_CERTS/$1.csr" -CA "$TLS_CERTS/ca.pem" \
    -CAkey "$TLS_CERTS/ca.key" -set_serial "$4" -days 3 -sha256 \
    -extfile "$TLS_CERTS/openssl.cnf" -extensions "$3" -out "$TLS_CERTS/$1.pem"
}

# tls_make_certs: every certificate listed at the top, in $TLS_CERTS.
tls_make_certs() {
  mkdir -p "$TLS_CERTS"
  cat >"$TLS_CERTS/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[localhost_only]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
# openssl 3.0's x509 has no -not_before/-not_after: the expired certificate comes from
# \`openssl ca\`, whose -startdate/-enddate set any validity period.
[ca]
default_ca = test_ca
[test_ca]
database = $TLS_CERTS/index.txt
new_certs_dir = $TLS_CERTS
serial = $TLS_CERTS/serial
default_md = sha256
policy = policy_any
copy_extensions = none
unique_subject = no
[policy_any]
commonName = supplied
EOF
  : >"$TLS_CERTS/index.txt"
  echo 1000 >"$TLS_CERTS/serial"

  _tls_ca ca "cachewarm test CA"
  _tls_ca other-ca "cachewarm other CA"
  _tls_sign server localhost server 1
  _tls_sign localhost localhost localhost_only 2
  _tls_sign client cachewarm-client client 3
  _tls_key_csr expired localhost
  _tls_openssl ca -batch -config "$TLS_CERTS/openssl.cnf" -cert "$TLS_CERTS/ca.pem" \
    -keyfile "$TLS_CERTS/ca.key" -in "$TLS_CERTS/expired.csr" -out "$TLS_CERTS/expired.pem" \
    -notext -extensions server -startdate 20200101000000Z -enddate 20200102000000Z
  # redis-server reads the keys; keep them private like real ones.
  chmod 600 "$TLS_CERTS"/*.key
}

# _tls_redis_launch PORT DIR [args...]: a daemonized TLS-only redis-server on PORT with its files
# in DIR. Sets TLS_PID and returns 0 once `redis-cli --tls --insecure` gets PONG (or NOAUTH); returns 1 when
# the port was taken (after stopping what it started); fails the test on anything else.
_tls_redis_launch() {
  local port=$1 dir=$2 pid='' reply='' i
  shift 2
  mkdir -p "$dir"
  rm -f "$dir/redis.pid"
  # Absolute certificate paths: redis-server resolves relative ones after --dir.
  redis-server --bind 127.0.0.1 --port 0 --tls-port "$port" \
    --tls-cert-file "$TLS_CERTS/server.pem" --tls-key-file "$TLS_CERTS/server.key" \
    --tls-ca-cert-file "$TLS_CERTS/ca.pem" --tls-auth-clients no \
    --save '' --appendonly no --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    "$@" >"$dir/start.txt" 2>&1 || true
  if grep -q FATAL "$dir/start.txt"; then
    fail "redis-server (TLS) rejected its arguments $*: $(cat "$dir/start.txt")"
  fi
  for ((i = 0; i < 100; i++)); do
    if [[ -z "$pid" && -s "$dir/redis.pid" ]]; then
      pid=$(cat "$dir/redis.pid")
    fi
    if [[ -n "$pid" ]]; then
      kill -0 "$pid" 2>/dev/null || break
      # --insecure: this only asks whether it is up (the expired certificate too).
      reply=$(TLS_PORT=$port rcli_tls --insecure ping 2>&1 || true)
      if [[ "$reply" == PONG || "$reply" == *NOAUTH* ]]; then
        TLS_PID=$pid
        return 0
      fi
    elif grep -q -e 'Address already in use' -e 'Failed listening' "$dir/redis.log" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  [[ -n "$pid" ]] && cw_stop_pid "$pid"
  if grep -q -e 'Address already in use' -e 'Failed listening' "$dir/redis.log" 2>/dev/null; then
    echo "start_tls_redis: port $port is taken, trying another" >&2
    return 1
  fi
  fail "redis-server (TLS) on port $port does not answer: ${reply:-no pid}; log: $(tail -n 5 "$dir/redis.log" 2>/dev/null)"
}

# start_tls_redis [extra redis-server args...]: a throwaway TLS-only redis-server (see the top).
# Sets TLS_PORT, TLS_PID, TLS_DIR and TLS_ARGS (for restart_tls_redis); stopped by PID when the
# test exits. Several servers: save TLS_PORT after each call.
start_tls_redis() {
  command -v redis-server >/dev/null || skip "redis-server is not installed (scripts/deps.sh)"
  [[ -s "$TLS_CERTS/server.pem" ]] || tls_make_certs
  local attempt port
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(closed_port)
    if _tls_redis_launch "$port" "$T/redis-tls-$port" "$@"; then
      TLS_PORT=$port
      TLS_DIR=$T/redis-tls-$port
      TLS_ARGS=("$@")
      on_exit "cw_stop_pid $TLS_PID"
      return 0
    fi
  done
  fail "could not start a TLS redis-server after $attempt attempts"
}

# kill_tls_redis: SIGKILL the last started TLS server and wait until its port is closed.
kill_tls_redis() {
  REDIS_PID=$TLS_PID REDIS_PORT=$TLS_PORT kill_redis
}

# restart_tls_redis: the TLS server again after kill_tls_redis: the same port, dir and
# start_tls_redis arguments (`--appendonly yes --appendfsync always` keeps what it acknowledged).
restart_tls_redis() {
  _tls_redis_launch "$TLS_PORT" "$TLS_DIR" "${TLS_ARGS[@]}" ||
    fail "TLS redis-server could not get its port $TLS_PORT back"
  on_exit "cw_stop_pid $TLS_PID"
}

# rcli_tls ARGS...: redis-cli over TLS against TLS_PORT, trusting ca.pem and presenting
# client.pem (so it works with --tls-auth-clients yes too). RCLI_ARGS adds e.g. `-a secret`.
# Against the expired certificate: `rcli_tls --insecure ...`.
rcli_tls() {
  # shellcheck disable=SC2086 # RCLI_ARGS is a list of words on purpose
  redis-cli --tls --cacert "$TLS_CERTS/ca.pem" --cert "$TLS_CERTS/client.pem" \
    --key "$TLS_CERTS/client.key" -h 127.0.0.1 -p "$TLS_PORT" --no-auth-warning \
    ${RCLI_ARGS:-} "$@"
}

# tls_dbsize [DB]: number of keys in DB (default 0) of the TLS server at TLS_PORT.
tls_dbsize() {
  rcli_tls -n "${1:-0}" dbsize
}

# wait_for_tls_dbsize MIN [SECONDS]: like wait_for_dbsize, for db 0 of the TLS server.
wait_for_tls_dbsize() {
  local min=$1 tries=$((${2:-10} * 20)) seen=0 i
  for ((i = 0; i < tries; i++)); do
    seen=$(tls_dbsize 0)
    ((seen >= min)) && break
    sleep 0.05
  done
  echo "$seen"
}

# tls_url [DB]: rediss:// URL of the TLS server at TLS_PORT (database DB, default 0).
tls_url() {
  echo "rediss://127.0.0.1:${TLS_PORT}/${1:-0}"
}

tls_make_certs
