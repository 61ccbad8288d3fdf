#!/usr/bin/env bash
# Streaming end to end: a 2,000,000-key pattern group is written with bounded memory
# (max RSS of cachewarm < 100 MB), and every key lands (DBSIZE 2,000,000).
source "$(dirname "$0")/lib.sh"

[[ -x /usr/bin/time ]] || skip "/usr/bin/time is not installed (scripts/deps.sh installs 'time')"
# Sanitizer runtimes reserve shadow memory and quarantine far beyond 100 MB: scripts/test.sh
# leaves this test out of its asan phase by name (ctest -E). Run on such a build anyway, it
# fails here rather than on a meaningless RSS.
if sanitized; then
  fail "$CACHEWARM is built with a sanitizer: max RSS is not meaningful (scripts/test.sh excludes this test from its asan phase)"
fi
start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
defaults: {batch: 1000, concurrency: 4}
groups:
  - name: huge
    pattern: "big:{i}"
    with: {i: "1..2000000"}
    value: {text: "v{i}"}
EOF

CW_RUN_TIMEOUT=150 expect_exit 0 /usr/bin/time -v -o "$T/time.txt" "$CACHEWARM" run "$T/m.yaml"
rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$T/time.txt")
echo "max RSS ${rss_kb} kB, $(sed -n 's/^[[:space:]]*Elapsed (wall clock).*): //p' "$T/time.txt") wall" >&2
expect_le "$rss_kb" 102400 "max RSS of cachewarm in kB for 2M keys"
expect_eq "$(dbsize)" 2000000 "DBSIZE"
expect_json "$T/out.json" .totals.written 2000000
expect_json "$T/out.json" .status ok
expect_eq "$(rcli get big:1999999)" v1999999 "GET big:1999999"
