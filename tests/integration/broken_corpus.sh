#!/usr/bin/env bash
# The corpus of broken manifests (tests/fixtures/broken/NAME.yaml): `validate` exits 2 and prints
# exactly NAME.expected on stderr (its first line, a `#` comment, is not part of the output), with
# the path as given (`broken/NAME.yaml`, run from tests/fixtures); `run` exits 2 before touching
# Redis (no report on stdout, DBSIZE 0). No secret from a URL is ever printed.
source "$(dirname "$0")/lib.sh"

# The corpus's unset-variable case needs this one unset.
unset CW_BROKEN_CORPUS_UNSET
# Paths are relative to tests/fixtures from here on.
if [[ "$CACHEWARM" == */* ]]; then
  CACHEWARM="$(cd "$(dirname "$CACHEWARM")" && pwd)/$(basename "$CACHEWARM")"
fi
cd "$FIXTURES" || fail "cannot cd to $FIXTURES"

start_redis
shopt -s nullglob
manifests=(broken/*.yaml)
expect_ge "${#manifests[@]}" 25 "the corpus has at least 25 broken manifests"

for manifest in "${manifests[@]}"; do
  name=$(basename "$manifest" .yaml)
  expected_file="broken/$name.expected"
  [[ -f "$expected_file" ]] || fail "$manifest has no $expected_file"
  head -n 1 "$manifest" | grep -q '^# Hand-written for the tests' \
    || fail "$manifest does not start with the hand-written header comment"

  expect_exit 2 cw validate "$manifest"
  expect_eq "$(cat "$T/out.json")" "" "$name: validate prints nothing on stdout"
  expected=$(sed '1{/^#/d}' "$expected_file")
  actual=$(cat "$T/err.txt")
  if [[ "$actual" != "$expected" ]]; then
    diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") >&2 || true
    fail "$name: validate's stderr differs from $expected_file (diff above: - expected, + actual)"
  fi
  expect_not_contains "$actual" hunter2 "$name: validate never prints a URL's password"

  expect_exit 2 cw run "$manifest"
  expect_eq "$(cat "$T/out.json")" "" "$name: run prints no report"
  expect_contains "$(cat "$T/err.txt")" "nothing was written" "$name: run says it wrote nothing"
  expect_not_contains "$(cat "$T/err.txt")" hunter2 "$name: run never prints a URL's password"
  expect_eq "$(dbsize)" 0 "$name: run writes nothing"
done

# Every .expected belongs to a manifest (no stale goldens).
for expected_file in broken/*.expected; do
  [[ -f "${expected_file%.expected}.yaml" ]] || fail "$expected_file has no manifest"
done
expect_eq "$(dbsize)" 0 "DBSIZE at the end"
