#!/usr/bin/env bash
# Retries: a path that fails twice with 500 succeeds within `retries: 2`; one that always fails
# gives `http_status` after exactly 1 + retries attempts (the server's own count); a 429 with
# `Retry-After: 1` is retried no sooner than a second later.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=retries-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source)
groups:
  - name: flaky
    pattern: "flaky:{id}"
    with: {id: "1..20"}
    value: {source: api, get: "/flaky/2/{id}", json_pointer: /data/name}
  - name: broken
    pattern: "broken:{id}"
    with: {id: "1..5"}
    value: {source: api, get: "/flaky/1000/{id}"}
  - name: limited
    pattern: "limited:{id}"
    with: {id: "1..3"}
    value: {source: api, get: "/ratelimited/{id}", json_pointer: /data/id}
YAML

start_ms=$(now_ms)
expect_exit 1 cw run "$T/m.yaml" -g flaky -g broken
r=$T/out.json
expect_eq "$(rcli get flaky:13)" "item 13" "GET flaky:13 (succeeded on the third attempt)"
for id in 1 20; do
  expect_eq "$(http_requests "/flaky/2/$id")" 3 "/flaky/2/$id: 2 failures + 1 success"
done
for id in 1 2 3 4 5; do
  expect_eq "$(http_requests "/flaky/1000/$id")" 3 "/flaky/1000/$id: exactly 1 + retries attempts"
  expect_eq "$(rcli exists "broken:$id")" 0 "broken:$id not written"
done
expect_json "$r" '.groups[] | select(.name == "flaky") | .written' 20
expect_json "$r" '.groups[] | select(.name == "broken") | .errors[] | select(.kind == "http_status") | .count' 5
expect_json "$r" '.groups[] | select(.name == "broken") | .errors[0].samples[0] | contains("status 500 (3 attempts)")' true
expect_report_invariant "$r"

start_ms=$(now_ms)
expect_exit 0 cw run "$T/m.yaml" -g limited
elapsed=$(($(now_ms) - start_ms))
expect_ge "$elapsed" 1000 "a 429 with Retry-After: 1 waits at least 1 s (took ${elapsed} ms)"
expect_eq "$(rcli get limited:2)" 2 "GET limited:2"
for id in 1 2 3; do
  expect_eq "$(http_requests "/ratelimited/$id")" 2 "/ratelimited/$id: the 429, then the retry"
done
expect_json "$T/out.json" .totals.written 3
