#!/usr/bin/env bash
# Per-key HTTP GET values from the tests' own server: json_pointer to an object stores compact
# JSON, to a string stores it raw, no json_pointer stores the body, and hash_from_json makes a
# hash with one field per member. Every value equals what the server serves.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=values-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source)
groups:
  - name: items
    pattern: "item:{id}"
    with: {id: "1..200"}
    value: {source: api, get: "/items/{id}", json_pointer: /data}
  - name: names
    pattern: "name:{id}"
    with: {id: "1..20"}
    value: {source: api, get: "/items/{id}", json_pointer: /data/name}
  - name: prices
    pattern: "price:{id}"
    with: {id: "1..5"}
    value: {source: api, get: "/gzip/{id}", json_pointer: /data/price}
  - name: texts
    keys: [alpha, beta]
    value: {source: api, get: "/text/{key}"}
  - name: hashes
    pattern: "h:{id}"
    with: {id: "1..10"}
    value: {source: api, get: "/items/{id}", json_pointer: /data, hash_from_json: true}
YAML

expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(dbsize)" $((200 + 20 + 5 + 2 + 10)) "DBSIZE"
expect_eq "$(rcli get item:1)" '{"id":"1","name":"item 1","price":3}' "GET item:1 (compact JSON)"
expect_eq "$(rcli get item:200)" '{"id":"200","name":"item 200","price":600}' "GET item:200"
for id in 17 99 150; do
  expect_eq "$(rcli get "item:$id")" "$(http_get "$HTTP_URL/items/$id" | jq -c .data)" \
    "GET item:$id equals the server's /data"
done
expect_eq "$(rcli get name:7)" "item 7" "GET name:7 (a JSON string is stored raw)"
expect_eq "$(rcli get price:4)" 12 "GET price:4 (a number, through a gzip-encoded body)"
expect_eq "$(rcli get alpha)" "value alpha" "GET alpha (no json_pointer: the body)"
expect_eq "$(rcli type h:3)" hash "TYPE h:3"
expect_eq "$(rcli hgetall h:3 | paste -d= - - | LC_ALL=C sort | paste -sd ';')" \
  "id=3;name=item 3;price=9" "HGETALL h:3"
expect_eq "$(http_requests /items/42)" 1 "one request per key"

expect_json "$r" .status ok
expect_json "$r" .totals.planned 237
expect_json "$r" .totals.written 237
expect_json "$r" .totals.failed 0
expect_report_invariant "$r"
