#!/usr/bin/env bash
# Passwords in target URLs and header values never appear in any output: stdout, stderr, the
# report file, the state file, JSON logs, validate, plan and cron, including when the target is
# unreachable, the password is wrong and the HTTP source fails.
source "$(dirname "$0")/lib.sh"

s_redis=redis-Secret-4242
s_wrong=wrong-Secret-1717
s_header=header-Secret-9393
export CW_REDIS_PASSWORD=$s_redis CW_WRONG_PASSWORD=$s_wrong API_TOKEN=$s_header

start_redis --requirepass "$s_redis"
start_http_server
down=$(closed_port)

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "redis://default:\${CW_REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT/0"}
  wrongpw: {url: "redis://default:\${CW_WRONG_PASSWORD}@127.0.0.1:$REDIS_PORT/0"}
  down: {url: "redis://:\${CW_REDIS_PASSWORD}@127.0.0.1:$down/0"}
sources:
  api: {http: {base_url: "$HTTP_URL", headers: {Authorization: "Bearer \${API_TOKEN}"}, retries: 0}}
schedules:
  always: {cron: "* * * * *"}
groups:
  - name: pages
    schedule: always
    target: main
    keys: [ok-1, ok-2]
    value: {source: api, get: "/status/500?{key}"}
  - name: elsewhere
    targets: [wrongpw, down]
    keys: [x]
    value: {text: "y"}
EOF

outputs=()
run_and_keep() {
  local name=$1
  shift
  "$CACHEWARM" "$@" >"$T/$name.out" 2>"$T/$name.err" || true
  outputs+=("$T/$name.out" "$T/$name.err")
}
run_and_keep run run "$T/m.yaml" --report "$T/report.json" --resume "$T/state.json" \
  --log-format json --progress always
outputs+=("$T/report.json")
[[ -f "$T/state.json" ]] && outputs+=("$T/state.json")
run_and_keep dry run "$T/m.yaml" --dry-run
run_and_keep validate validate "$T/m.yaml"
run_and_keep plan plan "$T/m.yaml"
run_and_keep planjson plan "$T/m.yaml" --json
run_and_keep cron cron "$T/m.yaml"
run_and_keep due run "$T/m.yaml" --due -g pages

# The run really failed in the ways that print URLs and requests.
expect_json "$T/report.json" .status failed
expect_contains "$(cat "$T/run.err")" "127.0.0.1:$down" "the unreachable target is named"
expect_contains "$(cat "$T/run.err")" "WRONGPASS" "the wrong password is reported"
expect_contains "$(cat "$T/report.json")" "status 500" "the HTTP failure is reported"
expect_contains "$(cat "$T/http.log")" "" "the server saw the requests"

for file in "${outputs[@]}"; do
  for secret in "$s_redis" "$s_wrong" "$s_header"; do
    if grep -aq -- "$secret" "$file"; then
      fail "secret ${secret} leaked into $(basename "$file"): $(grep -a -- "$secret" "$file" | head -3)"
    fi
  done
done
expect_contains "$(cat "$T/run.err" "$T/report.json")" "***" "URLs are shown redacted"
