#!/usr/bin/env bash
# Every TLS refusal of the spec is a target error (exit 3) whose phrase is on stderr and in the
# report's error or group reason, with nothing written: a CA that did not sign the server
# (`unknown CA`), an expired server certificate (`expired`), a server_name not in the SAN
# (`host name mismatch`), a mutual-TLS server without a client certificate (`requires a client
# certificate`; with cert_file/key_file it works), a plain server on rediss:// (`use redis://`),
# a TLS server on redis:// (`use rediss://`). Manifest errors in tls: exit 2 with
# FILE:LINE:COL, from `run` and `validate`, before anything is written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_tls.sh"

# A refusal must come quickly; a hang fails as exit 124.
CW_RUN_TIMEOUT=${CW_RUN_TIMEOUT:-40}

start_tls_redis
good_port=$TLS_PORT
start_tls_redis --tls-cert-file "$TLS_CERTS/expired.pem" --tls-key-file "$TLS_CERTS/expired.key"
expired_port=$TLS_PORT
start_tls_redis --tls-auth-clients yes
mtls_port=$TLS_PORT
start_redis
plain_port=$REDIS_PORT

ca=$TLS_CERTS/ca.pem

# manifest FILE URL [TLS_FLOW]: target `main` (reconnect_budget 2s) with tls: TLS_FLOW when
# given, and one group of 20 keys rf:1..20.
manifest() {
  local tls_line=''
  [[ -z "${3:-}" ]] || tls_line="    tls: $3"
  cat >"$1" <<EOF
version: 1
targets:
  main:
    url: "$2"
    reconnect_budget: 2s
$tls_line
groups:
  - name: g
    pattern: "rf:{i}"
    with: {i: "1..20"}
    value: {text: "v{i}"}
EOF
}

# refused FILE PHRASE: `run FILE` exits 3 with PHRASE on stderr and in the report's error or a
# group's reason, and the report counts nothing as written.
refused() {
  expect_exit 3 cw run "$1"
  expect_contains "$(cat "$T/err.txt")" "$2" "stderr of $(basename "$1")"
  local r=$T/out.json
  expect_json "$r" .status failed
  expect_json "$r" .totals.written 0
  expect_report_invariant "$r"
  expect_contains "$(jget "$r" '[.error // empty, (.groups[].reason // empty)] | join("\n")')" "$2" \
    "the report's error or group reason of $(basename "$1")"
}

# --- Handshake refusals --------------------------------------------------------------------------
manifest "$T/wrong-ca.yaml" "rediss://127.0.0.1:${good_port}/0" "{ca_file: $TLS_CERTS/other-ca.pem}"
refused "$T/wrong-ca.yaml" "unknown CA"
expect_eq "$(TLS_PORT=$good_port tls_dbsize)" 0 "nothing written with the wrong CA"

manifest "$T/old-cert.yaml" "rediss://127.0.0.1:${expired_port}/0" "{ca_file: $ca}"
refused "$T/old-cert.yaml" "expired"
expect_eq "$(TLS_PORT=$expired_port rcli_tls --insecure dbsize)" 0 "nothing written to the expired server"

manifest "$T/name.yaml" "rediss://127.0.0.1:${good_port}/0" "{ca_file: $ca, server_name: redis.example.com}"
refused "$T/name.yaml" "host name mismatch"
expect_eq "$(TLS_PORT=$good_port tls_dbsize)" 0 "nothing written with a mismatched server_name"

manifest "$T/no-client-cert.yaml" "rediss://127.0.0.1:${mtls_port}/0" "{ca_file: $ca}"
# In TLS 1.3 the server's certificate_required alert comes after the client's Finished, so it
# races the client's first request (a reset instead of the alert): the phrase must win every time.
for _ in 1 2 3 4 5; do
  refused "$T/no-client-cert.yaml" "requires a client certificate"
done
expect_eq "$(TLS_PORT=$mtls_port tls_dbsize)" 0 "nothing written without a client certificate"

manifest "$T/plain-on-rediss.yaml" "rediss://127.0.0.1:${plain_port}/0" "{ca_file: $ca}"
refused "$T/plain-on-rediss.yaml" "use redis://"
expect_eq "$(dbsize)" 0 "nothing written to the plain server"

manifest "$T/tls-on-redis.yaml" "redis://127.0.0.1:${good_port}/0"
refused "$T/tls-on-redis.yaml" "use rediss://"
expect_eq "$(TLS_PORT=$good_port tls_dbsize)" 0 "nothing written over plain text to the TLS server"

# --- Manifest errors: exit 2, FILE:LINE:COL, no report, nothing written -------------------------
line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1; }
col_of() { sed -n "$(line_of "$1" "$2")p" "$2" | awk -v s="$1" '{ print index($0, s) }'; }

# manifest_error FILE POSITIONS_REGEX: `run FILE` exits 2 with FILE:LINE:COL (one of
# POSITIONS_REGEX, e.g. `5:(7|16)`) on stderr, prints no report and writes nothing.
manifest_error() {
  expect_exit 2 cw run "$1"
  grep -Eq "$(basename "$1" .yaml)\.yaml:($2): " "$T/err.txt" ||
    fail "run $(basename "$1"): stderr has no $(basename "$1"):($2): ...: $(cat "$T/err.txt")"
  expect_eq "$(cat "$T/out.json")" "" "no report on stdout for a manifest error"
  expect_eq "$(TLS_PORT=$good_port tls_dbsize)" 0 "nothing written by $(basename "$1")"
}

cat >"$T/missing-ca.yaml" <<EOF
version: 1
targets:
  main:
    url: "rediss://127.0.0.1:${good_port}/0"
    tls:
      ca_file: no-such-ca.pem
groups:
  - name: g
    keys: [a, b]
    value: {text: "x"}
EOF
l=$(line_of ca_file "$T/missing-ca.yaml")
manifest_error "$T/missing-ca.yaml" "$l:($(col_of ca_file "$T/missing-ca.yaml")|$(col_of no-such-ca "$T/missing-ca.yaml"))"
expect_contains "$(cat "$T/err.txt")" no-such-ca.pem "the missing file is named"

cat >"$T/unknown-field.yaml" <<EOF
version: 1
targets:
  main:
    url: "rediss://127.0.0.1:${good_port}/0"
    tls:
      ca_file: $ca
      verfy: true
groups:
  - name: g
    keys: [a, b]
    value: {text: "x"}
EOF
pos="$(line_of verfy "$T/unknown-field.yaml"):$(col_of verfy "$T/unknown-field.yaml")"
manifest_error "$T/unknown-field.yaml" "$pos"
expect_contains "$(cat "$T/err.txt")" verfy "the unknown field is named"
expect_exit 2 cw validate "$T/unknown-field.yaml"
expect_contains "$(cat "$T/err.txt")" "unknown-field.yaml:$pos: " "validate names the unknown field's position"

cat >"$T/tls-on-plain-url.yaml" <<EOF
version: 1
targets:
  main:
    url: "redis://127.0.0.1:${good_port}/0"
    tls:
      ca_file: $ca
groups:
  - name: g
    keys: [a, b]
    value: {text: "x"}
EOF
# At the tls: key (or the url it contradicts).
f=$T/tls-on-plain-url.yaml
manifest_error "$f" "$(line_of 'tls:' "$f"):$(col_of 'tls:' "$f")|$(line_of 'url:' "$f"):($(col_of 'url:' "$f")|$(col_of '"redis' "$f"))"
expect_exit 2 cw validate "$f"
grep -Eq 'tls-on-plain-url\.yaml:[0-9]+:[0-9]+: ' "$T/err.txt" || fail "validate: no FILE:LINE:COL for tls: on redis://: $(cat "$T/err.txt")"

cat >"$T/cert-without-key.yaml" <<EOF
version: 1
targets:
  main:
    url: "rediss://127.0.0.1:${mtls_port}/0"
    tls:
      ca_file: $ca
      cert_file: $TLS_CERTS/client.pem
groups:
  - name: g
    keys: [a, b]
    value: {text: "x"}
EOF
f=$T/cert-without-key.yaml
manifest_error "$f" "$(line_of 'cert_file' "$f"):[0-9]+|$(line_of 'tls:' "$f"):[0-9]+"
expect_contains "$(cat "$T/err.txt")" key_file "the missing key_file is named"
expect_eq "$(TLS_PORT=$mtls_port tls_dbsize)" 0 "nothing written to the mTLS server"

# --- Controls: the same servers accept a correct configuration ----------------------------------
manifest "$T/mtls.yaml" "rediss://127.0.0.1:${mtls_port}/0" \
  "{ca_file: $ca, cert_file: $TLS_CERTS/client.pem, key_file: $TLS_CERTS/client.key}"
expect_exit 0 cw run "$T/mtls.yaml"
expect_json "$T/out.json" .totals.written 20
expect_json "$T/out.json" '.groups[0].targets[0].tls.verify' true
expect_eq "$(TLS_PORT=$mtls_port tls_dbsize)" 20 "mutual TLS with cert_file/key_file writes every key"
expect_eq "$(TLS_PORT=$mtls_port rcli_tls get rf:20)" v20 "GET rf:20 on the mTLS server"

manifest "$T/good.yaml" "rediss://127.0.0.1:${good_port}/0" "{ca_file: $ca}"
expect_exit 0 cw run "$T/good.yaml"
expect_eq "$(TLS_PORT=$good_port tls_dbsize)" 20 "the right CA works on the server the refusals used"

manifest "$T/plain.yaml" "redis://127.0.0.1:${plain_port}/0"
expect_exit 0 cw run "$T/plain.yaml"
expect_json "$T/out.json" '.groups[0].targets[0] | has("tls")' false
expect_eq "$(dbsize)" 20 "redis:// works on the plain server"
