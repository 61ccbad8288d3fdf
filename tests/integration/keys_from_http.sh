#!/usr/bin/env bash
# keys_from documents fetched over HTTP: a sitemap.xml (key template over {path}, value {url},
# whitespace trimmed and entities decoded) and a JSON array of strings ({value}), served by
# python3 -m http.server on 127.0.0.1.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
start_redis

mkdir "$T/www"
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
  echo '  <url><loc>https://example.com/</loc></url>'
  for i in $(seq 1 25); do
    echo "  <url><loc>https://example.com/post/$i</loc><lastmod>2024-01-01</lastmod></url>"
  done
  echo '  <url>'
  echo '    <loc>'
  echo '      https://example.com/search?q=a&amp;page=2'
  echo '    </loc>'
  echo '  </url>'
  echo '  <url><loc>https://example.com/caf&#xE9;</loc></url>'
  echo '</urlset>'
} >"$T/www/sitemap.xml"
echo '["home", "about us", "produkt/ä"]' >"$T/www/keys.json"

# A free port can be taken by a test running beside this one before the server binds it: then
# the server exits ("Address already in use") and another port is tried, up to 5 times.
for attempt in 1 2 3 4 5; do
  port=$(closed_port)
  python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" >"$T/http.log" 2>&1 &
  http_pid=$!
  on_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || ! kill -0 "$http_pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  kill -0 "$http_pid" 2>/dev/null && break
  grep -q "Address already in use" "$T/http.log" && ((attempt < 5)) ||
    fail "python3 -m http.server exited: $(cat "$T/http.log")"
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "http.server is not listening on $port"

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  site: {http: {base_url: "http://127.0.0.1:$port"}}
groups:
  - name: pages
    keys_from: {source: site, get: "/sitemap.xml"}
    key: "page:{path}"
    value: {text: "{url}"}
  - name: slugs
    keys_from: {source: site, get: "/keys.json"}
    key: "slug:{value}"
    value: {text: "v-{key}"}
YAML

cd "$CACHEWARM_SOURCE_DIR"
expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

{
  echo "page:/"
  for i in $(seq 1 25); do echo "page:/post/$i"; done
  echo "page:/search?q=a&page=2"
  echo "page:/café"
  echo "slug:home"
  echo "slug:about us"
  echo "slug:produkt/ä"
} | LC_ALL=C sort >"$T/expected.txt"
expect_eq "$(dbsize)" 31 "DBSIZE after the run (28 pages + 3 slugs)"
expect_eq "$(scan_keys)" "$(cat "$T/expected.txt")" "the key set in Redis"
expect_eq "$(rcli get 'page:/')" "https://example.com/" "GET page:/"
expect_eq "$(rcli get 'page:/post/7')" "https://example.com/post/7" "GET page:/post/7"
expect_eq "$(rcli get 'page:/search?q=a&page=2')" "https://example.com/search?q=a&page=2" \
  "GET of a URL with a decoded &amp;, trimmed of whitespace"
expect_eq "$(rcli get 'page:/café')" "https://example.com/café" "GET of a URL with &#xE9;"
expect_eq "$(rcli get 'slug:about us')" "v-slug:about us" "GET slug:about us"

expect_json "$r" .status ok
expect_json "$r" .totals.written 31
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[] | select(.name == "pages") | .written' 28
expect_json "$r" '.groups[] | select(.name == "slugs") | .written' 3
expect_report_invariant "$r"
grep -q 'GET /sitemap.xml' "$T/http.log" || fail "the sitemap was not fetched: $(cat "$T/http.log")"
