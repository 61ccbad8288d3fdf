#!/usr/bin/env bash
# Template variables in a `get` path are percent-encoded (RFC 3986: all but unreserved
# characters), so keys with spaces, slashes, `?`, `%`, `+` and UTF-8 reach the server as one
# path segment, as its request log shows, and come back intact.
source "$(dirname "$0")/lib.sh"

start_redis
start_http_server
export API_TOKEN=encoding-token

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  $(http_api_source)
groups:
  - name: odd_keys
    keys: ["a b", "x/y", "what?", "ü-straße", "100%", "a+b&c=d", "~tilde_.-"]
    value: {source: api, get: "/text/{key}"}
YAML

expect_exit 0 cw run "$T/m.yaml"
for path in /text/a%20b /text/x%2Fy /text/what%3F /text/%C3%BC-stra%C3%9Fe /text/100%25 \
  /text/a%2Bb%26c%3Dd /text/~tilde_.-; do
  expect_contains "$(cat "$T/http.log")" "GET $path 200" "the server's log has $path"
done
expect_eq "$(rcli get "a b")" "value a b" "GET \"a b\""
expect_eq "$(rcli get "x/y")" "value x/y" "GET x/y (the slash stayed inside one segment)"
expect_eq "$(rcli get "what?")" "value what?" "GET what?"
expect_eq "$(rcli get "ü-straße")" "value ü-straße" "GET ü-straße"
expect_eq "$(rcli get "a+b&c=d")" "value a+b&c=d" "GET a+b&c=d"
expect_json "$T/out.json" .totals.written 7
