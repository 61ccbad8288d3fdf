#!/usr/bin/env bash
# keys_from a plain key list (format lines, by default): 1000 keys with spaces, tabs and UTF-8,
# plus comments, a blank line and CRLF endings that are not keys. Redis then holds exactly the
# listed keys, each with its templated value, and the report agrees.
source "$(dirname "$0")/lib.sh"

start_redis

# Three kinds of keys, all distinct: with spaces, UTF-8, and a tab.
awk 'BEGIN {
  for (i = 1; i <= 1000; i++) {
    if (i % 3 == 0) { printf "key %d with spaces\n", i }
    else if (i % 3 == 1) { printf "ключ:%d:ü\n", i }
    else { printf "tab\t%d\n", i }
  }
}' >"$T/expected.txt"
{
  echo "# exported by hand for this test"
  head -n 500 "$T/expected.txt"
  echo
  echo "#another comment"
  tail -n 500 "$T/expected.txt" | sed 's/$/\r/' # CRLF endings: the '\r' is not part of the key
} >"$T/keys.txt"

cat >"$T/m.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: listed
    keys_from: {file: keys.txt}   # relative: resolved against this manifest's directory
    value: {text: "v-{key}"}
YAML

cd "$CACHEWARM_SOURCE_DIR"
expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

# The server's truth: exactly the listed keys, byte for byte.
expect_eq "$(dbsize)" 1000 "DBSIZE after the run"
expect_eq "$(scan_keys)" "$(LC_ALL=C sort "$T/expected.txt")" "the key set in Redis equals the file's"
expect_eq "$(rcli get 'key 3 with spaces')" "v-key 3 with spaces" "GET of a key with spaces"
expect_eq "$(rcli get 'ключ:1000:ü')" "v-ключ:1000:ü" "GET of a UTF-8 key from the CRLF half"
expect_eq "$(rcli get "$(printf 'tab\t2')")" "$(printf 'v-tab\t2')" "GET of a key with a tab"
expect_eq "$(rcli exists '# exported by hand for this test')" 0 "comment lines are not keys"

expect_json "$r" .status ok
expect_json "$r" .totals.written 1000
expect_json "$r" .totals.failed 0
expect_json "$r" '.groups[] | select(.name == "listed") | .written' 1000
expect_report_invariant "$r"
