#!/usr/bin/env bash
# rediss:// targets against one TLS-only redis-server (requirepass + an ACL user): a verified run
# (ca_file relative to the manifest) writes every key and reports `"tls": {"verify": true}`;
# user:password and /db in a rediss:// URL authenticate and select over TLS; `verify: false`
# works without a CA, warns on stderr and reports `"verify": false`; `server_name: localhost`
# verifies a certificate that names only localhost when the URL says 127.0.0.1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_tls.sh"

admin='admin-Tls-pw-0000'
start_tls_redis --requirepass "$admin"
export RCLI_ARGS="-a $admin"
rcli_tls acl setuser warmer on '>w4rm-Tls-pass' '~warm:*' '+@all' >/dev/null
port=$TLS_PORT

# manifest FILE URL TLS_BLOCK PREFIX COUNT: one target `main` (URL, tls: TLS_BLOCK as YAML flow,
# none when empty) and one group writing PREFIX:1..COUNT = "PREFIX-v{i}".
manifest() {
  local tls_line=''
  [[ -z "$3" ]] || tls_line="    tls: $3"
  cat >"$1" <<EOF
version: 1
targets:
  main:
    url: "$2"
$tls_line
groups:
  - name: g
    pattern: "$4:{i}"
    with: {i: "1..$5"}
    value: {text: "$4-v{i}"}
EOF
}

# --- A verified run: ca_file relative to the manifest's directory ($T), not to the cwd ---------
manifest "$T/verified.yaml" "rediss://default:${admin}@127.0.0.1:${port}/0" '{ca_file: tls/ca.pem}' tk 200
expect_exit 0 cw run "$T/verified.yaml"
r=$T/out.json
expect_json "$r" .status ok
expect_report_invariant "$r"
expect_json "$r" .totals.planned 200
expect_json "$r" .totals.written 200
expect_json "$r" '.groups[0].targets[0].name' main
expect_json "$r" '.groups[0].targets[0].tls.verify' true
expect_not_contains "$(cat "$T/err.txt")" "verify: false" "no verify warning for a verified target"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" "$admin" "the password is never printed"
expect_eq "$(tls_dbsize 0)" 200 "DBSIZE of db 0 after the verified run"
expect_eq "$(rcli_tls get tk:1)" tk-v1 "GET tk:1"
expect_eq "$(rcli_tls get tk:137)" tk-v137 "GET tk:137"
expect_eq "$(rcli_tls get tk:200)" tk-v200 "GET tk:200"

# --- AUTH as an ACL user and SELECT 3, over TLS --------------------------------------------------
manifest "$T/acl.yaml" "rediss://warmer:w4rm-Tls-pass@127.0.0.1:${port}/3" \
  "{ca_file: $TLS_CERTS/ca.pem}" warm 50
expect_exit 0 cw run "$T/acl.yaml"
r=$T/out.json
expect_json "$r" .totals.written 50
expect_json "$r" '.groups[0].targets[0].tls.verify' true
expect_report_invariant "$r"
expect_eq "$(tls_dbsize 3)" 50 "DBSIZE of db 3"
expect_eq "$(tls_dbsize 0)" 200 "db 0 still holds only the first run's keys"
expect_eq "$(rcli_tls -n 3 get warm:7)" warm-v7 "GET warm:7 in db 3"
expect_eq "$(rcli_tls -n 0 exists warm:7)" 0 "warm:7 is not in db 0"
expect_not_contains "$(cat "$T/out.json" "$T/err.txt")" w4rm-Tls-pass "the password is never printed"

# --- verify: false without any CA ----------------------------------------------------------------
# Control: the same CA-less target, verified, does not trust the test CA.
manifest "$T/noca.yaml" "rediss://default:${admin}@127.0.0.1:${port}/5" '' nv 20
expect_exit 3 cw run "$T/noca.yaml"
expect_contains "$(cat "$T/err.txt")" "unknown CA" "a CA-less verified target does not trust the test CA"
expect_eq "$(tls_dbsize 5)" 0 "nothing written by the refused run"

manifest "$T/noverify.yaml" "rediss://default:${admin}@127.0.0.1:${port}/5" '{verify: false}' nv 20
expect_exit 0 cw run "$T/noverify.yaml"
r=$T/out.json
expect_contains "$(cat "$T/err.txt")" "verify: false" "verify: false logs a warning"
expect_json "$r" .status ok
expect_json "$r" .totals.written 20
expect_json "$r" '.groups[0].targets[0].tls.verify' false
expect_report_invariant "$r"
expect_eq "$(tls_dbsize 5)" 20 "DBSIZE of db 5 with verify: false"
expect_eq "$(rcli_tls -n 5 get nv:20)" nv-v20 "GET nv:20 in db 5"

# --- server_name: localhost while the URL says 127.0.0.1 -----------------------------------------
# The server now presents a certificate whose only SAN is DNS:localhost (new connections).
rcli_tls config set tls-cert-file "$TLS_CERTS/localhost.pem" tls-key-file "$TLS_CERTS/localhost.key" >/dev/null
expect_eq "$(rcli_tls --sni localhost ping)" PONG "the server answers with localhost.pem"
san=$(openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null |
  openssl x509 -noout -ext subjectAltName 2>/dev/null || true)
expect_contains "$san" "DNS:localhost" "the server presents localhost.pem"
expect_not_contains "$san" "127.0.0.1" "the server presents localhost.pem"

# Control: without server_name the name checked is 127.0.0.1, which that certificate lacks.
manifest "$T/noname.yaml" "rediss://default:${admin}@127.0.0.1:${port}/6" "{ca_file: $TLS_CERTS/ca.pem}" sn 30
expect_exit 3 cw run "$T/noname.yaml"
expect_contains "$(cat "$T/err.txt")" "host name mismatch" "127.0.0.1 is not in localhost.pem"
expect_eq "$(tls_dbsize 6)" 0 "nothing written without server_name"

manifest "$T/sni.yaml" "rediss://default:${admin}@127.0.0.1:${port}/6" \
  "{ca_file: $TLS_CERTS/ca.pem, server_name: localhost}" sn 30
expect_exit 0 cw run "$T/sni.yaml"
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.written 30
expect_json "$r" '.groups[0].targets[0].tls.verify' true
expect_report_invariant "$r"
expect_eq "$(tls_dbsize 6)" 30 "DBSIZE of db 6 with server_name: localhost"
expect_eq "$(rcli_tls -n 6 get sn:30)" sn-v30 "GET sn:30 in db 6"
