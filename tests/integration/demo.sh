#!/usr/bin/env bash
# The shipped demo (configs/demo.yaml + configs/demo/seed.sql, as scripts/demo.sh runs them)
# validates, warms every group with the expected counts, and a re-run of after-deploy skips.
source "$(dirname "$0")/lib.sh"

db=$T/catalog.db
make_db "$db" <"$CACHEWARM_SOURCE_DIR/configs/demo/seed.sql"
start_redis
export CACHEWARM_DEMO_DB=$db
manifest=$CACHEWARM_SOURCE_DIR/configs/demo.yaml

expect_exit 0 cw validate "$manifest"

expect_exit 0 cw run "$manifest" --progress never
r=$T/out.json
expect_eq "$(dbsize)" 4002 "DBSIZE after the demo"
expect_json "$r" .totals.written 4002
expect_json "$r" .totals.planned 4002
expect_json "$r" .status ok
expect_json "$r" '[.groups[] | "\(.name)=\(.written)"] | sort | join(",")' \
  "after-deploy=2,product-cards=2000,product-pages=1000,top-products=1000"
expect_report_invariant "$r"

top=$(sql "$db" "SELECT id FROM products ORDER BY views DESC LIMIT 1")
expect_eq "$(rcli get "product:$top")" "$(sql "$db" "SELECT payload FROM products WHERE id = $top")" \
  "GET product:$top (the most viewed) equals its payload"
expect_eq "$(rcli hget product:42:card name)" "$(sql "$db" "SELECT name FROM products WHERE id = 42")" \
  "HGET product:42:card name"
expect_eq "$(rcli hget product:42:card price)" "$(sql "$db" "SELECT price FROM products WHERE id = 42")" \
  "HGET product:42:card price"
expect_eq "$(rcli hlen product:42:card)" 2 "HLEN product:42:card"
expect_eq "$(rcli get product:500:page:de)" \
  '<html lang="de"><body data-product="500">loading</body></html>' "GET product:500:page:de"
expect_eq "$(rcli get config:banners)" "$(sql "$db" "SELECT body FROM blobs WHERE name = 'config:banners'")" \
  "GET config:banners"
ttl=$(rcli ttl "product:$top")
expect_ge "$ttl" 6470 "TTL of a top product (2h - 10%)"
expect_le "$ttl" 7920 "TTL of a top product (2h + 10%)"
ttl=$(rcli ttl product:1:page:en)
expect_ge "$ttl" 3590 "TTL of a page (defaults.ttl 1h)"
expect_le "$ttl" 3600 "TTL of a page (defaults.ttl 1h)"

# After a deploy: the config keys exist, so only_missing skips them.
rcli set config:features from-traffic >/dev/null
expect_exit 0 cw run "$manifest" -g after-deploy
expect_json "$T/out.json" .totals.skipped 2
expect_json "$T/out.json" .totals.written 0
expect_eq "$(rcli get config:features)" from-traffic "config:features untouched"
