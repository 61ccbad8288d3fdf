#!/usr/bin/env bash
# A server that resets the connection without answering gives `http_error` failures after the
# source's retries, and does not disturb the other keys of the run.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=reset-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source)
groups:
  - name: mixed
    pattern: "k:{kind}:{id}"
    with: {kind: [items, reset], id: "1..10"}
    value: {source: api, get: "/{kind}/{id}", json_pointer: /data/name}
YAML

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json
expect_eq "$(dbsize)" 10 "DBSIZE: every /items key"
expect_eq "$(rcli get k:items:4)" "item 4" "GET k:items:4"
expect_eq "$(rcli exists k:reset:4)" 0 "k:reset:4 not written"
# curl itself may retry once on a reused connection that died, so the server can see more.
attempts=$(http_requests /reset/4)
expect_ge "$attempts" 3 "/reset/4: at least 1 + retries attempts"
expect_le "$attempts" 6 "/reset/4: at most twice 1 + retries attempts"
expect_json "$r" '.groups[0].errors[] | select(.kind == "http_error") | .count' 10
expect_json "$r" '[.groups[0].errors[0].samples[] | select(test("^k:reset:[0-9]+: http api GET /reset/[0-9]+: .* \\(3 attempts\\)$"))] | length > 0' true
expect_report_invariant "$r"
