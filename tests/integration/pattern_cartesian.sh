#!/usr/bin/env bash
# `pattern` + `with`: the cartesian product of ranges (zero-padded when written so) and lists,
# exactly those keys, with {text: ...} values templated from the same variables.
source "$(dirname "$0")/lib.sh"

start_redis
cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: pages
    pattern: "page:{id}:{lang}"
    with: {id: "008..012", lang: [en, de, fr]}
    value: {text: "id={id} lang={lang}"}
  - name: grid
    pattern: "grid:{x}:{y}"
    with: {x: "1..3", y: "01..02"}
    value: {text: "{y}/{x}"}
EOF

expect_exit 0 cw run "$T/m.yaml"
r=$T/out.json

expected=$(
  for id in 008 009 010 011 012; do for lang in en de fr; do echo "page:$id:$lang"; done; done
  for x in 1 2 3; do for y in 01 02; do echo "grid:$x:$y"; done; done
)
expect_eq "$(scan_keys)" "$(LC_ALL=C sort <<<"$expected")" "the exact key set"
expect_eq "$(rcli get page:010:de)" "id=010 lang=de" "GET page:010:de"
expect_eq "$(rcli get page:008:fr)" "id=008 lang=fr" "GET page:008:fr"
expect_eq "$(rcli get grid:3:02)" "02/3" "GET grid:3:02"
expect_eq "$(rcli exists page:8:en)" 0 "no unpadded keys"

expect_json "$r" .status ok
expect_json "$r" '.groups[] | select(.name == "pages") | .planned' 15
expect_json "$r" '.groups[] | select(.name == "grid") | .planned' 6
expect_json "$r" .totals.written 21
expect_report_invariant "$r"
