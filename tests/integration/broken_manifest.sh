#!/usr/bin/env bash
# A broken manifest: `run` exits 2 before touching Redis (DBSIZE 0, no report on stdout) and
# names file:line:column; `validate` lists every problem at once, one per line.
source "$(dirname "$0")/lib.sh"

start_redis
cp "$FIXTURES/broken.yaml" "$FIXTURES/broken_syntax.yaml" "$T/"
line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1; }

expect_exit 2 cw run "$T/broken.yaml"
expect_eq "$(dbsize)" 0 "run writes nothing"
expect_eq "$(cat "$T/out.json")" "" "no report on stdout for a manifest error"
# The unknown field `tll` is reported at its own line and column (1-based).
tll_line=$(line_of MISTAKE-unknown-field "$T/broken.yaml")
tll_col=$(sed -n "${tll_line}p" "$T/broken.yaml" | awk '{ print index($0, "tll") }')
expect_contains "$(cat "$T/err.txt")" "$T/broken.yaml:$tll_line:$tll_col: " \
  "run names file:line:column of the unknown field"
grep -Eq 'broken\.yaml:[0-9]+:[0-9]+: ' "$T/err.txt" || fail "run's stderr has no file:line:column:"

expect_exit 2 cw validate "$T/broken.yaml"
err=$(cat "$T/err.txt")
for marker in MISTAKE-unknown-field MISTAKE-bad-duration MISTAKE-unknown-source MISTAKE-empty-range; do
  expect_contains "$err" "broken.yaml:$(line_of "$marker" "$T/broken.yaml"):" \
    "validate reports the line marked $marker"
done
count=$(grep -cE 'broken\.yaml:[0-9]+:[0-9]+: ' "$T/err.txt" || true)
expect_ge "$count" 4 "validate lists every problem, one file:line:column line each"
expect_contains "$err" tll "the unknown field is named"
expect_contains "$err" nosuchsource "the unknown source is named"
expect_eq "$(dbsize)" 0 "validate writes nothing"

# Invalid YAML: the parser's position, 1-based.
expect_exit 2 cw validate "$T/broken_syntax.yaml"
l=$(line_of 'keys: \[a, b' "$T/broken_syntax.yaml")
if ! grep -Eq "broken_syntax\.yaml:($l|$((l + 1))):[0-9]+: " "$T/err.txt"; then
  fail "validate of invalid YAML does not name broken_syntax.yaml:$l or $((l + 1)): $(cat "$T/err.txt")"
fi
expect_exit 2 cw run "$T/broken_syntax.yaml"
expect_eq "$(cat "$T/out.json")" "" "no report on stdout for invalid YAML"

# A manifest that does not exist is a usage error too.
expect_exit 2 cw run "$T/does-not-exist.yaml"
expect_contains "$(cat "$T/err.txt")" does-not-exist.yaml "the missing file is named"
expect_eq "$(dbsize)" 0 "DBSIZE at the end"
