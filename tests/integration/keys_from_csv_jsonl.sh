#!/usr/bin/env bash
# keys_from CSV and JSON Lines files, formats chosen by extension (.csv, .ndjson): a key template
# over two CSV columns (quoted cells with commas and doubled quotes; the value from a third
# column), and a JSON Lines member as the key (strings, and numbers as their JSON text).
source "$(dirname "$0")/lib.sh"

start_redis

{
  echo 'region,id,name,email'
  for i in $(seq 1 60); do
    if ((i % 2 == 0)); then region=eu; else region=us; fi
    echo "$region,$i,\"Smith, Jane $i \"\"J\"\"\",j$i@example.com"
  done
} >"$T/users.csv"

{
  for i in $(seq 1 40); do
    if ((i % 4 == 0)); then
      echo "{\"sku\": $i, \"price\": 1.5}"
    else
      echo "{\"sku\": \"SKU-$i\", \"note\": \"a, b\"}"
    fi
  done
} >"$T/events.ndjson"

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: users
    keys_from: {file: users.csv, field: id}
    key: "user:{region}:{id}"
    value: {text: "{name}"}
  - name: products
    keys_from: {file: events.ndjson, field: sku}
    value: {text: "v-{key}"}
YAML

cd "$CACHEWARM_SOURCE_DIR"
expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(dbsize)" 100 "DBSIZE after the run (60 users + 40 products)"
expect_eq "$(rcli get user:us:1)" 'Smith, Jane 1 "J"' "GET user:us:1 (a quoted CSV cell)"
expect_eq "$(rcli get user:eu:60)" 'Smith, Jane 60 "J"' "GET user:eu:60"
expect_eq "$(rcli exists user:eu:1)" 0 "the key template uses each row's own region"
expect_eq "$(rcli --scan --pattern 'user:*' | wc -l)" 60 "one key per CSV row"
expect_eq "$(rcli get SKU-1)" "v-SKU-1" "GET SKU-1 (a JSON Lines string member)"
expect_eq "$(rcli get 4)" "v-4" "GET 4 (a JSON Lines number member)"
expect_eq "$(rcli get 40)" "v-40" "GET 40"

expect_json "$r" .status ok
expect_json "$r" .totals.written 100
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[] | select(.name == "users") | .written' 60
expect_json "$r" '.groups[] | select(.name == "products") | .written' 40
expect_report_invariant "$r"
