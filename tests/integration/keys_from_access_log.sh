#!/usr/bin/env bash
# keys_from: {access_log: ...}: a run predicts its keys from an access log (gzip too) and warms
# them through the group's key template and value (the most requested product pages, as the
# rules turn them into keys; 404s filtered out); `cover` gives the fewest keys expected to cover
# a share; a log that cannot be read is exit 3 naming it, with nothing written; a bad rule is
# exit 2 at its file:line:col; `top` without `access_log` and `top` with `cover` are refused.
# Segments: `by` + `prefixes` + `targets_by_segment` make one group per region (NAME.SEGMENT),
# each warming its own region's hot set on its own target.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh installs it)"
start_redis

# Three hours of requests: /product/1 x600, /product/2 x300, /product/3 x150 (all 200), a long
# tail /product/10..59 x3 each, /product/99 x400 but every one a 404, and /about x100.
python3 - "$T/access.log" <<'PY'
import random, sys
random.seed(11)
paths = (["/product/1"] * 600 + ["/product/2"] * 300 + ["/product/3"] * 150
         + [f"/product/{i}" for i in range(10, 60) for _ in range(3)]
         + ["/product/99"] * 400 + ["/about"] * 100)
random.shuffle(paths)
with open(sys.argv[1], "w") as out:
    for i, path in enumerate(paths):
        seconds = i * 10800 // len(paths)
        h, m, s = 10 + seconds // 3600, seconds // 60 % 60, seconds % 60
        status = 404 if path == "/product/99" else 200
        out.write(f'10.0.0.{i % 9} - - [17/May/2015:{h:02d}:{m:02d}:{s:02d} +0000] '
                  f'"GET {path} HTTP/1.1" {status} 512 "-" "curl/8"\n')
PY
gzip -c "$T/access.log" >"$T/access.log.gz"

# manifest FILE LOG KEYS_FROM_EXTRA: a group warming the predicted products.
manifest() {
  cat >"$1" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: hot
    keys_from:
      access_log:
        file: $2
        status: [2xx]
        rules:
          - {match: '^/product/(?<id>\d+)', key: 'product:{id}'}
      $3
    key: "cache:{key}"
    value: {text: "warm {key}"}
YAML
}

# --- top: the three most requested products, in Redis under the group's key template ----------
manifest "$T/m.yaml" access.log "top: 3"
expect_exit 0 cw run "$T/m.yaml" --progress never
r=$T/out.json
expect_json "$r" .status ok
expect_json "$r" .totals.planned 3
expect_json "$r" .totals.written 3
expect_report_invariant "$r"
expect_eq "$(scan_keys | tr '\n' ' ')" "cache:product:1 cache:product:2 cache:product:3 " \
  "the three most requested products (not the 404s of /product/99, not /about)"
expect_eq "$(rcli get cache:product:1)" "warm product:1" "the value template sees {key}"
expect_contains "$(cat "$T/err.txt")" "access_log: " "the run logs what the log predicted"

# The same from the gzip file.
rcli flushall >/dev/null
manifest "$T/gz.yaml" access.log.gz "top: 3"
expect_exit 0 cw run "$T/gz.yaml" --progress never
expect_eq "$(scan_keys | tr '\n' ' ')" "cache:product:1 cache:product:2 cache:product:3 " \
  "the gzip log predicts the same keys"

# --- cover: the fewest keys expected to cover half the requests --------------------------------
rcli flushall >/dev/null
manifest "$T/cover.yaml" access.log "cover: 0.3"
expect_exit 0 cw run "$T/cover.yaml" --progress never
# product:1 alone is 600 of the 1200 requests that give a key: its score (an estimated share,
# lowered by the weight the model gives other features) covers 0.3 with at most one more key.
expect_eq "$(rcli exists cache:product:1)" 1 "cover 0.3 warms product:1"
expect_le "$(dbsize)" 2 "cover 0.3 warms the fewest keys (not the long tail)"
expect_json "$T/out.json" .totals.written "$(dbsize)"

# --- a log that cannot be read: exit 3 naming it, nothing written -------------------------------
rcli flushall >/dev/null
manifest "$T/missing.yaml" no-such.log "top: 3"
expect_exit 3 cw run "$T/missing.yaml" --progress never
expect_contains "$(jget "$T/out.json" .error)" "no-such.log: cannot open" \
  "the report's error names the log"
expect_eq "$(dbsize)" 0 "nothing is written when the log cannot be read"

# --- a bad rule: exit 2 at the group, the rule's problem named ----------------------------------
manifest "$T/badre.yaml" access.log "top: 3"
sed -i 's/(?<id>/(?<id/' "$T/badre.yaml"
expect_exit 2 cw run "$T/badre.yaml" --progress never
expect_contains "$(cat "$T/err.txt")" "badre.yaml:7:7: group \"hot\": access_log: rule 1: " \
  "a bad regex names the group's keys_from and the rule"
expect_eq "$(dbsize)" 0 "nothing is written for a bad rule"

# --- manifest errors, found by validate with their positions -----------------------------------
manifest "$T/both.yaml" access.log "top: 3"
sed -i 's/      top: 3/      top: 3\n      cover: 0.5/' "$T/both.yaml"
expect_exit 2 cw validate "$T/both.yaml"
expect_contains "$(cat "$T/err.txt")" "both.yaml:13:7: groups[1] (\"hot\").keys_from: \"top\" and \"cover\" cannot be combined" \
  "top and cover exclude each other"
cat >"$T/nolog.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url)"}
groups:
  - name: listed
    keys_from: {file: keys.txt, top: 5}
    value: {text: "v"}
YAML
expect_exit 2 cw validate "$T/nolog.yaml"
expect_contains "$(cat "$T/err.txt")" "nolog.yaml:6:33: groups[1] (\"listed\").keys_from: \"top\" is only allowed with \"access_log\"" \
  "top needs access_log"
manifest "$T/zero.yaml" access.log "top: 0"
expect_exit 2 cw validate "$T/zero.yaml"
expect_contains "$(cat "$T/err.txt")" "zero.yaml:12:12: groups[1] (\"hot\").keys_from.top: expected a positive integer" \
  "top must be positive"

# --- Segments: targets_by_segment warms each region's own hot set on its own target -------------
# Two regions by client address: eu (10.1.0.0/16) asks for /product/e*, us (10.2.0.0/16) for
# /product/u*; a client outside both is "other" and, with no target for it, warmed nowhere.
python3 - "$T/regions.log" <<'PY'
import sys
with open(sys.argv[1], "w") as out:
    for i in range(1800):
        s = i * 6
        h, m, sec = 10 + s // 3600, s // 60 % 60, s % 60
        for ip, path in ((f"10.1.0.{i % 7}", f"/product/e{i % 3}"),
                         (f"10.2.0.{i % 7}", f"/product/u{i % 4}"),
                         ("192.0.2.1", "/product/o1")):
            out.write(f'{ip} - - [17/May/2015:{h:02d}:{m:02d}:{sec:02d} +0000] '
                      f'"GET {path} HTTP/1.1" 200 512 "-" "curl/8"\n')
PY
cat >"$T/regions.yaml" <<YAML
version: 1
targets:
  main: {url: "$(redis_url 0)"}
  eu: {url: "$(redis_url 1)"}
groups:
  - name: hot
    keys_from:
      access_log:
        file: regions.log
        by: "{host}"
        prefixes: {eu: [10.1.0.0/16], us: [10.2.0.0/16]}
        rules: [{match: '^/product/(?<id>\\w+)', key: '{id}'}]
      top: 10
    key: "product:{key}"
    value: {text: "p-{key}"}
    targets_by_segment: {eu: eu, us: main}
YAML
rcli flushall >/dev/null
expect_exit 0 cw run "$T/regions.yaml" -g hot --progress never
r=$T/out.json
expect_json "$r" '[.groups[].name] | join(",")' "hot.eu,hot.us"
expect_json "$r" .totals.written 7
expect_eq "$(scan_keys 1 | paste -sd,)" "product:e0,product:e1,product:e2" "eu's keys on the eu target"
expect_eq "$(scan_keys 0 | paste -sd,)" "product:u0,product:u1,product:u2,product:u3" \
  "us's keys on the main target"
expect_eq "$(rcli -n 1 get product:e1)" "p-e1" "an eu value"
expect_exit 0 cw plan "$T/regions.yaml"
expect_contains "$(cat "$T/out.json")" "hot.us" "plan lists the segment groups"
