#!/usr/bin/env bash
# A 404 is a per-key `not_found` failure that is never retried, and other 4xx statuses are
# `http_status` failures, also not retried; the keys that exist are still written (exit 1).
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=not-found-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source)
groups:
  - name: missing
    keys: [m1, m2, m3]
    value: {source: api, get: "/status/404?k={key}"}
  - name: forbidden
    keys: [f1]
    value: {source: api, get: "/status/403?k={key}"}
  - name: present
    keys: ["7"]
    value: {source: api, get: "/items/{key}", json_pointer: /data/name}
  - name: absent_pointer
    keys: ["8"]
    value: {source: api, get: "/items/{key}", json_pointer: /data/nope}
YAML

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(dbsize)" 1 "DBSIZE: only the present key"
expect_eq "$(rcli get 7)" "item 7" "GET 7"
for k in m1 m2 m3; do
  expect_eq "$(http_requests "/status/404?k=$k")" 1 "404 for $k requested exactly once"
done
expect_eq "$(http_requests "/status/403?k=f1")" 1 "403 requested exactly once"

missing='.groups[] | select(.name == "missing")'
expect_json "$r" "$missing | .failed" 3
expect_json "$r" "$missing | .errors[] | select(.kind == \"not_found\") | .count" 3
expect_json "$r" "[$missing | .errors[].samples[] | select(contains(\"status 404\"))] | length" 3
expect_json "$r" \
  '.groups[] | select(.name == "forbidden") | .errors[] | select(.kind == "http_status") | .count' 1
expect_json "$r" \
  '.groups[] | select(.name == "forbidden") | .errors[0].samples[0] | contains("status 403")' true
expect_json "$r" \
  '.groups[] | select(.name == "absent_pointer") | .errors[] | select(.kind == "not_found") | .count' 1
expect_json "$r" .status partial
expect_json "$r" .totals.failed 5
expect_report_invariant "$r"
