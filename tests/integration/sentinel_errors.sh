#!/usr/bin/env bash
# Sentinel targets that cannot work: manifest errors (exit 2 with file:line:column, nothing
# printed on stdout) for an unknown field under `sentinel:` and a sentinel URL without a master
# name; no sentinel reachable (exit 3); sentinels that do not monitor the master name (exit 3).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_sentinel.sh"

line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1; }
c1=$(closed_port)
c2=$(closed_port)
c3=$(closed_port)
closed_url="redis+sentinel://127.0.0.1:$c1,127.0.0.1:$c2,127.0.0.1:$c3/mymaster"

# --- Manifest errors ----------------------------------------------------------------------------
cat >"$T/unknown.yaml" <<EOF
version: 1
targets:
  ha:
    url: "$closed_url"
    sentinel:
      password: secret
      pasword: typo
groups:
  - name: g
    keys: [a]
    value: {text: "v"}
EOF
l=$(line_of pasword "$T/unknown.yaml")
c=$(sed -n "${l}p" "$T/unknown.yaml" | awk '{ print index($0, "pasword") }')
for cmd in run validate; do
  expect_exit 2 cw "$cmd" "$T/unknown.yaml"
  expect_contains "$(cat "$T/err.txt")" "$T/unknown.yaml:$l:$c: " "$cmd names file:line:column of the unknown sentinel field"
  expect_contains "$(cat "$T/err.txt")" pasword "$cmd names the unknown field"
  expect_eq "$(cat "$T/out.json")" "" "$cmd prints no report for a manifest error"
done

for url in "redis+sentinel://127.0.0.1:$c1,127.0.0.1:$c2" "redis+sentinel://127.0.0.1:$c1,127.0.0.1:$c2/"; do
  cat >"$T/noname.yaml" <<EOF
version: 1
targets:
  ha:
    connect_timeout: 1s
    url: "$url"
groups:
  - name: g
    keys: [a]
    value: {text: "v"}
EOF
  # The position is the url's value or the target's key (where other URL errors point).
  l=$(line_of 'url:' "$T/noname.yaml")
  h=$(line_of '  ha:' "$T/noname.yaml")
  for cmd in run validate; do
    expect_exit 2 cw "$cmd" "$T/noname.yaml"
    grep -Eq "noname\.yaml:($l:[0-9]+|$h:3): .*master" "$T/err.txt" ||
      fail "$cmd on url $url: no noname.yaml:$l:COL or :$h:3 error about the master name: $(cat "$T/err.txt")"
    expect_eq "$(cat "$T/out.json")" "" "$cmd prints no report for a URL without a master name"
  done
done

# --- No sentinel reachable ----------------------------------------------------------------------
cat >"$T/closed.yaml" <<EOF
version: 1
targets:
  ha: {url: "$closed_url", connect_timeout: 1s}
groups:
  - name: g
    pattern: "k:{i}"
    with: {i: "1..100"}
    value: {text: "v"}
EOF
start=$(now_ms)
expect_exit 3 cw run "$T/closed.yaml" --progress never
expect_le $(($(now_ms) - start)) 30000 "exit 3 comes quickly when no sentinel answers (ms)"
r=$T/out.json
expect_json "$r" .status failed
expect_json "$r" .totals.written 0
expect_report_invariant "$r"
expect_contains "$(cat "$T/err.txt")" "no sentinel reachable" "stderr says no sentinel is reachable"
expect_contains "$(jget "$r" '[.error // "", .groups[].reason] | join("\n")')" "no sentinel reachable" \
  "the report's error says no sentinel is reachable"

# --- Real sentinels, an unknown master name -----------------------------------------------------
start_sentinel_setup mymaster
cat >"$T/nosuch.yaml" <<EOF
version: 1
targets:
  ha: {url: "$(sentinel_url nosuch)"}
groups:
  - name: g
    pattern: "k:{i}"
    with: {i: "1..100"}
    value: {text: "v"}
EOF
expect_exit 3 cw run "$T/nosuch.yaml" --progress never
r=$T/out.json
expect_json "$r" .status failed
expect_json "$r" .totals.written 0
expect_report_invariant "$r"
expect_contains "$(cat "$T/err.txt")" 'does not know master "nosuch"' "stderr names the unknown master"
expect_contains "$(jget "$r" '[.error // "", .groups[].reason] | join("\n")')" 'does not know master "nosuch"' \
  "the report's error names the unknown master"
expect_eq "$(dbsize)" 0 "nothing written to the real master"

# The same sentinels with the right name work (the failure above is the name, not the setup).
sed 's#/nosuch"#/mymaster"#' "$T/nosuch.yaml" >"$T/mymaster.yaml"
expect_exit 0 cw run "$T/mymaster.yaml" --progress never
expect_json "$T/out.json" .totals.written 100
expect_eq "$(dbsize)" 100 "DBSIZE of the master with the right name"
