#!/usr/bin/env bash
# A response slower than the source's timeout is an `http_timeout` failure after 1 + retries
# attempts; a response within the timeout is written.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=timeout-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source timeout=400ms retries=1)
groups:
  - name: slow
    keys: [s1, s2]
    value: {source: api, get: "/slow/3000/{key}", json_pointer: /data/id}
  - name: quick
    keys: [q1]
    value: {source: api, get: "/slow/50/{key}", json_pointer: /data/id}
YAML

start_ms=$(now_ms)
expect_exit 1 cw run "$T/m.yaml"
elapsed=$(($(now_ms) - start_ms))
r=$T/out.json
expect_eq "$(rcli get q1)" q1 "GET q1 (50 ms is within the timeout)"
expect_eq "$(rcli exists s1)" 0 "s1 timed out: not written"
expect_eq "$(http_requests /slow/3000/s1)" 2 "/slow/3000/s1: 1 + retries attempts"
expect_le "$elapsed" 2900 "timed-out requests are abandoned, not waited for (took ${elapsed} ms)"
expect_json "$r" '.groups[] | select(.name == "slow") | .errors[] | select(.kind == "http_timeout") | .count' 2
expect_json "$r" '.groups[] | select(.name == "slow") | .errors[0].samples[0] | contains("timed out")' true
expect_report_invariant "$r"
