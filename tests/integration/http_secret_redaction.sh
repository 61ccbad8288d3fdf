#!/usr/bin/env bash
# Header values are secrets: the API token (and a password in base_url) appear nowhere in
# stdout, stderr or the report file of validate, a dry run and a run with failures of every
# kind, while the server's /echo-headers proves the token was sent.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN="tok-$RANDOM$RANDOM-secret"
export API_PASSWORD="pw-$RANDOM$RANDOM-secret"
host_port=${HTTP_URL#http://}

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source timeout=500ms retries=1 max_body=1KiB)
  basic: {http: {base_url: "http://user:\${API_PASSWORD}@$host_port", timeout: 2s, retries: 1}}
groups:
  - name: echo
    keys: [echo]
    value: {source: api, get: "/echo-headers", json_pointer: /Authorization}
  - name: failures
    pattern: "f:{n}"
    with: {n: "1..2"}
    value: {source: api, get: "/status/404/{n}", json_pointer: /data}
  - name: forbidden
    keys: [f403]
    value: {source: api, get: "/status/403", json_pointer: /data}
  - name: server_errors
    keys: [f500]
    value: {source: api, get: "/flaky/1000/{key}", json_pointer: /data}
  - name: resets
    keys: [r1]
    value: {source: api, get: "/reset/{key}", json_pointer: /data}
  - name: slow
    keys: [s1]
    value: {source: api, get: "/slow/2000/{key}", json_pointer: /data}
  - name: big
    keys: [b1]
    value: {source: api, get: "/big/5000?k={key}", json_pointer: /data}
  - name: not_json
    keys: [t1]
    value: {source: api, get: "/text/{key}", json_pointer: /data}
  - name: basic
    keys: [p500]
    value: {source: basic, get: "/flaky/1000/{key}"}
YAML

check_no_secrets() {
  local file
  for file in "$T/out.json" "$T/err.txt" "$@"; do
    expect_not_contains "$(cat "$file")" "$API_TOKEN" "API_TOKEN leaked into $(basename "$file")"
    expect_not_contains "$(cat "$file")" "$API_PASSWORD" "base_url password leaked into $(basename "$file")"
  done
}

expect_exit 0 cw validate "$T/m.yaml"
check_no_secrets
expect_exit 1 cw run "$T/m.yaml" --dry-run
check_no_secrets
expect_exit 1 cw run "$T/m.yaml" --report "$T/report.json" --log-format json
check_no_secrets "$T/report.json"
expect_exit 1 cw run "$T/m.yaml" --log-format text --progress always
check_no_secrets

# The token was sent: the server echoed it back, and it was warmed into redis.
expect_eq "$(rcli get echo)" "Bearer $API_TOKEN" "GET echo: the Authorization header the server saw"
r=$T/report.json
expect_json "$r" '.totals.written' 1
expect_json "$r" '[.groups[].errors[].kind] | sort | unique | join(",")' \
  "http_error,http_status,http_timeout,invalid_json,not_found,too_large"
expect_report_invariant "$r"
