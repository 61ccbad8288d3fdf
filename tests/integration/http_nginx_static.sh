#!/usr/bin/env bash
# Static JSON served by a real nginx: a key list fetched from it (keys_from with a JSON array of
# objects) drives per-key GETs through keep-alive connections, with json_pointer and
# hash_from_json shaping the values; the values in Redis equal the files nginx serves.
source "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || skip "nginx is not installed (scripts/deps.sh)"
# shellcheck source=../../scripts/nginx-server.sh
source "$CACHEWARM_SOURCE_DIR/scripts/nginx-server.sh"

mkdir -p "$T/www/products"
for id in $(seq 1 300); do
  printf '{"data":{"id":%d,"name":"product %d","tags":["a","b"]},"etag":"v%d"}\n' \
    "$id" "$id" "$id" >"$T/www/products/$id.json"
done
# The list of hot products, as an API would publish it (ids 1..300, as objects).
seq 1 300 | jq -R '{sku: .}' | jq -s . >"$T/www/hot.json"

mkdir -p "$T/nginx"
chmod 755 "$T" # nginx workers run as www-data and must reach $T/www
cw_nginx_start "$T/nginx" "$T/www" || fail "could not start nginx"
on_exit "cw_stop_pid $CW_NGINX_PID"
start_redis

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  cdn: {http: {base_url: "http://127.0.0.1:$CW_NGINX_PORT", concurrency: 8, timeout: 5s}}
defaults: {ttl: 1h}
groups:
  - name: product-json
    keys_from: {source: cdn, get: /hot.json, field: sku}
    key: "product:{sku}"
    value: {source: cdn, get: "/products/{sku}.json", json_pointer: /data}
  - name: product-hash
    keys_from: {source: cdn, get: /hot.json, field: sku}
    key: "product:{sku}:fields"
    value: {source: cdn, get: "/products/{sku}.json", json_pointer: /data, hash_from_json: true}
EOF

expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.written 600
expect_eq "$(dbsize)" 600 "DBSIZE"
expect_eq "$(rcli get product:42)" "$(jq -c .data "$T/www/products/42.json")" \
  "json_pointer /data stored as compact JSON, equal to nginx's file"
expect_eq "$(rcli hget product:7:fields name)" "product 7" "hash_from_json: string member raw"
expect_eq "$(rcli hget product:7:fields tags)" '["a","b"]' "hash_from_json: array member as JSON"
expect_eq "$(rcli hlen product:300:fields)" 3 "hash_from_json: one field per member"
expect_report_invariant "$r"
