#!/usr/bin/env bash
# Passwords in target URLs and header values never appear in any output: stdout, stderr, the
# report file, the state file, JSON logs, validate, plan and cron, including when the target is
# unreachable, the password is wrong and the HTTP source fails. Each invocation has its exact exit
# code and output checked, both secrets are shown to have been used (a key written with the
# password holds the echoed header), and printed URLs carry `***` in the password's place.
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
  $(http_api_source retries=0)
schedules:
  always: {cron: "* * * * *"}
groups:
  - name: echo
    target: main
    keys: [auth]
    value: {source: api, get: "/echo-headers", json_pointer: /Authorization}
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

# keep NAME: expect_exit's stdout and stderr become $T/NAME.out and $T/NAME.err, and join the
# outputs that are searched for secrets.
outputs=()
keep() {
  mv "$T/out.json" "$T/$1.out"
  mv "$T/err.txt" "$T/$1.err"
  outputs+=("$T/$1.out" "$T/$1.err")
}
wrongpw_label="target wrongpw (redis://default:***@127.0.0.1:$REDIS_PORT/0)"
down_label="target down (redis://:***@127.0.0.1:$down/0)"

# --- run: the wrong password and the closed port make the targets unreachable: exit 3. ---------
expect_exit 3 cw run "$T/m.yaml" --report "$T/report.json" --resume "$T/state.json" \
  --log-format json --progress always
keep run
outputs+=("$T/report.json" "$T/state.json")
r=$T/report.json
cmp -s "$r" "$T/run.out" || fail "--report FILE differs from the report on stdout"
expect_json "$r" .status failed
expect_json "$r" '[.groups[] | {name, ran, written, failed}] | tostring' \
  '[{"name":"echo","ran":true,"written":1,"failed":0},{"name":"pages","ran":true,"written":0,"failed":2},{"name":"elsewhere","ran":false,"written":0,"failed":0}]'
expect_json "$r" '.groups[1].errors[0].samples | sort | join(",")' \
  'ok-1: http api GET /status/500: status 500,ok-2: http api GET /status/500: status 500'
expect_json "$r" '.groups[2].reason' "not started: target wrongpw, down unreachable"
expect_json "$r" .error "$wrongpw_label: authentication failed: WRONGPASS invalid username-password pair or user is disabled.
$down_label: Connection refused"
# The JSON log lines carry the same redacted labels (a line can follow the progress bar's \r).
expect_eq "$(grep -ao '{"level":.*}$' "$T/run.err" | jq -r 'select(.level == "error") | .message' | sort)" \
  "$down_label: Connection refused
$wrongpw_label: authentication failed: WRONGPASS invalid username-password pair or user is disabled." \
  "the error log lines of the run"
# Both secrets were really used: the password let cachewarm in, and the header reached the server.
expect_eq "$(RCLI_ARGS="-a $s_redis" rcli get auth)" "Bearer $s_header" "the echoed Authorization header"
expect_eq "$(stat -c %a "$T/state.json")" 600 "state file mode"
expect_json "$T/state.json" '.groups | keys | join(",")' "echo,pages"

# --- A dry run connects to nothing but still fetches values: pages fails (HTTP 500), exit 1. -----
expect_exit 1 cw run "$T/m.yaml" --dry-run
keep dry
expect_json "$T/dry.out" .status partial
expect_json "$T/dry.out" .dry_run true
expect_json "$T/dry.out" '[.totals.planned, .totals.written, .totals.failed] | join(",")' "5,3,2"

# --- validate, plan and cron succeed and print targets by name only. ----------------------------
expect_exit 0 cw validate "$T/m.yaml"
keep validate
expect_eq "$(cat "$T/validate.out")" "$T/m.yaml: ok (3 groups, 3 targets, 1 sources)" "validate"
expect_exit 0 cw plan "$T/m.yaml"
keep plan
expect_contains "$(cat "$T/plan.out")" "wrongpw,down" "plan lists the targets by name"
expect_exit 0 cw plan "$T/m.yaml" --json
keep planjson
expect_json "$T/planjson.out" '[.groups[].targets | join(",")] | join(" ")' "main main wrongpw,down"
expect_exit 0 cw cron "$T/m.yaml"
keep cron
expect_contains "$(cat "$T/cron.out")" "run --due --window 5m --progress never --log-format json $T/m.yaml" "the cron line"

# --- run --due -g pages: only pages runs, and all its keys fail (HTTP 500): exit 1. -------------
expect_exit 1 cw run "$T/m.yaml" --due -g pages
keep due
expect_json "$T/due.out" .status failed
expect_json "$T/due.out" '[.groups[] | select(.ran) | .name] | join(",")' pages
expect_json "$T/due.out" .totals.failed 2

# The server saw every request: ok-1 and ok-2 from the run, the dry run and the due run.
expect_eq "$(grep -cxF 'GET /status/500?ok-1 500' "$T/http.log")" 3 "requests for ok-1"
expect_eq "$(grep -cxF 'GET /status/500?ok-2 500' "$T/http.log")" 3 "requests for ok-2"

# No secret anywhere; the URLs that were printed show the redacted form.
expect_eq "${#outputs[@]}" 16 "outputs searched"
for file in "${outputs[@]}"; do
  [[ -f "$file" ]] || fail "missing output $file"
  for secret in "$s_redis" "$s_wrong" "$s_header"; do
    if grep -aq -- "$secret" "$file"; then
      fail "secret ${secret} leaked into $(basename "$file"): $(grep -a -- "$secret" "$file" | head -3)"
    fi
  done
done
for file in "$T/run.err" "$T/report.json" "$T/run.out"; do
  expect_contains "$(cat "$file")" "$wrongpw_label" "$(basename "$file") names wrongpw redacted"
  expect_contains "$(cat "$file")" "$down_label" "$(basename "$file") names down redacted"
done
