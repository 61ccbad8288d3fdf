#!/usr/bin/env bash
# A body over the source's max_body is a `too_large` failure, whether the server announces it
# with Content-Length or streams it chunked; a body within the limit is written.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=too-large-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source max_body=64KiB)
groups:
  - name: bodies
    keys: ["1000", "65536", "65537", "2000000"]
    value: {source: api, get: "/big/{key}"}
  - name: chunked
    keys: ["100", "300000"]
    value: {source: api, get: "/bigchunked/{key}"}
YAML

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json
expect_eq "$(rcli strlen 1000)" 1000 "STRLEN 1000"
expect_eq "$(rcli strlen 65536)" 65536 "STRLEN 65536 (exactly max_body)"
expect_eq "$(rcli strlen 100)" 100 "STRLEN 100 (chunked)"
for k in 65537 2000000 300000; do
  expect_eq "$(rcli exists "$k")" 0 "$k is over max_body: not written"
done
expect_eq "$(http_requests /big/2000000)" 1 "too_large is not retried"
expect_json "$r" '[.groups[].errors[] | select(.kind == "too_large") | .count] | add' 3
expect_json "$r" '.groups[] | select(.name == "chunked") | .errors[0].samples[0]' \
  "300000: http api GET /bigchunked/300000: the body is over max_body (65536 bytes)"
expect_json "$r" .totals.written 3
expect_report_invariant "$r"
