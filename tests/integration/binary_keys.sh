#!/usr/bin/env bash
# Keys and values with spaces, newlines, tabs, quotes, UTF-8 and non-UTF-8 bytes survive unchanged
# from the key list and the database to Redis; a value over --max-value-size is refused per key
# (kind too_large) while the others are written.
source "$(dirname "$0")/lib.sh"

start_redis
# Keys from a file: one per line, so newlines come from the database instead.
printf '%s\n' 'a key with spaces' $'tab\there' 'quote"s and '"'"'apostrophes' \
  'clé:ünïcødé:🔑' 'semi;colon $(not a shell) {braces}' >"$T/keys.txt"
make_db "$T/blobs.db" <<'SQL'
CREATE TABLE blobs (id INTEGER, k BLOB, v BLOB);
INSERT INTO blobs VALUES (1, X'6C696E65310A6C696E6532', X'00FF0A0D80'),
                         (2, X'6E756C0062797465', CAST('plain' AS BLOB)),
                         (3, CAST('big' AS BLOB), zeroblob(2000));
SQL

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: "$T/blobs.db"}
groups:
  - name: odd-keys
    keys_from: {file: "$T/keys.txt"}
    value: {text: "value of {key}"}
  - name: binary
    query: {source: db, sql: "SELECT id, k, v FROM blobs ORDER BY id"}
    key: "bin:{k}"
    value: {column: v}
EOF

expect_exit 1 cw run "$T/m.yaml" --max-value-size 1KiB
r=$T/out.json
while IFS= read -r key; do
  expect_eq "$(rcli get "$key")" "value of $key" "GET of an odd key"
done <"$T/keys.txt"
# Binary keys and values, compared byte for byte (hex) with what SQLite holds.
expect_eq "$(rcli --no-raw get $'bin:line1\nline2')" '"\x00\xff\n\r\x80"' "binary value under a key with a newline"
# A key with a NUL byte (redis-cli -x takes the last argument from stdin, byte for byte).
expect_eq "$(printf 'bin:nul\0byte' | rcli -x get)" plain "key with a NUL byte"
expect_eq "$(rcli exists bin:big)" 0 "the oversized value is not written"
expect_eq "$(dbsize)" 7 "every other key is written"
expect_json "$r" '.groups[1].written' 2
expect_json "$r" '.groups[1].failed' 1
expect_json "$r" '.groups[1].errors[0].kind' too_large
expect_json "$r" '.groups[1].errors[0].samples[0]' \
  "bin:big: value of 2000 bytes is over the 1024-byte limit (--max-value-size)"
expect_report_invariant "$r"
expect_exit 2 cw run "$T/m.yaml" --max-value-size 12parsecs
