#!/usr/bin/env bash
# `cachewarm predict` and `cachewarm evaluate` on small access logs written here (no Redis):
#   predict: --top gives the most requested keys in order; --output json has descending scores
#   in (0,1], the expected cover, the model's candidate and the log's counts (2 garbage lines are
#   2 `unparsed`, named FILE:LINE in the examples); --cover gives the shortest prefix of the
#   ranking whose scores reach the share; --at leaves out the requests at or after it; a gzip
#   copy of the log gives the same output; --rules turn paths into keys and count the lines no
#   rule matches as no_rule; --by predicts per segment (SEGMENT<TAB>KEY lines, or JSON
#   segments), --by-prefixes maps addresses to named segments ("other" for the rest), and too
#   many segments, a bad prefix line or prefixes without --by are usage errors.
#   evaluate: on a hand-made log of 4 hourly windows (one empty) exactly one window pair is
#   scored, with the metrics worked out by hand below; the default Ks are 100 and 1000; --chart
#   writes an SVG with one panel per K and the three series.
#   Errors: an unknown --log-format and a tsv log without --key/--rules are usage errors (2), a
#   missing log file is 3, and bad rules files are 2 with their FILE:LINE:COL.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed (scripts/deps.sh)"

# One window (17 May 2015, 10:00:00 to 10:17:30): /a x50, /b x30, /c x20, /d x5, interleaved,
# from 4 clients; plus 2 lines that are not log lines (lines 12 and 60 of the file).
python3 - "$T/access.log" <<'PY'
import sys
from datetime import datetime, timedelta

counts = {"/a": 50, "/b": 30, "/c": 20, "/d": 5}
order = []
while any(counts.values()):
    for path in ("/a", "/b", "/c", "/d"):
        if counts[path] > 0:
            order.append(path)
            counts[path] -= 1
start = datetime(2015, 5, 17, 10, 0, 0)
lines = []
for i, path in enumerate(order):
    t = (start + timedelta(seconds=10 * i)).strftime("%d/%b/%Y:%H:%M:%S")
    lines.append(f'10.0.0.{i % 4 + 1} - - [{t} +0000] "GET {path} HTTP/1.1" 200 12 "-" "curl"')
lines.insert(11, "not a log line")
lines.insert(59, "garbage 12 34")
with open(sys.argv[1], "w") as f:
    f.write("\n".join(lines) + "\n")
PY
log=$T/access.log
expect_eq "$(wc -l <"$log")" 107 "the generated log's line count"

cd "$CACHEWARM_SOURCE_DIR"

# --- predict --top: the three most requested paths, most requested first ----------------------
expect_exit 0 cw predict --log "$log" --top 3
printf '/a\n/b\n/c\n' >"$T/expected.txt"
cmp -s "$T/out.json" "$T/expected.txt" || fail "predict --top 3 printed $(od -c "$T/out.json" | head -n 5)"
expect_contains "$(cat "$T/err.txt")" "2 unparsed" "the log's counts on stderr"

# --- predict --output json ------------------------------------------------------------------------
expect_exit 0 cw predict --log "$log" --top 3 --output json
cp "$T/out.json" "$T/top3.json"
r=$T/top3.json
expect_json "$r" '.keys | map(.key) | join(",")' "/a,/b,/c"
expect_json "$r" '.top' 3
# shellcheck disable=SC2016 # jq's variables
expect_json "$r" '[.keys[].score] | . as $s | [range(1; length)] | all($s[. - 1] > $s[.])' true
expect_json "$r" '[.keys[].score] | all(type == "number" and . > 0 and . <= 1)' true
expect_json "$r" '.expected_cover | type == "number" and . > 0 and . <= 1' true
# With --top, the expected cover is what the listed keys' scores add up to.
expect_json "$r" '(.expected_cover - ([.keys[].score] | add)) | (if . < 0 then -. else . end) < 1e-9' true
expect_json "$r" '.model.candidate | type == "string" and length > 0' true
expect_json "$r" '.log.lines' 107
expect_json "$r" '.log.requests' 105
expect_json "$r" '.log.skipped.unparsed' 2
expect_json "$r" '[.log.skipped[]] | add' 2
expect_json "$r" '.log.examples | length' 2
expect_json "$r" '.log.examples[0]' "$log:12: unparsed: \"not a log line\""
expect_json "$r" '.log.examples[1]' "$log:60: unparsed: \"garbage 12 34\""

# --- predict --cover: the shortest prefix of the ranking whose scores reach 0.4 -------------------
expect_exit 0 cw predict --log "$log" --top 4 --output json
cp "$T/out.json" "$T/top4.json"
expect_json "$T/top4.json" '.keys | map(.key) | join(",")' "/a,/b,/c,/d"
# shellcheck disable=SC2016 # jq's variables
n=$(jget "$T/top4.json" 'reduce .keys[].score as $s ({n: 0, sum: 0};
      if .sum >= 0.4 then . else {n: (.n + 1), sum: (.sum + $s)} end) | .n')
expect_ge "$n" 1 "some prefix of the ranking reaches 0.4"
expect_json "$T/top4.json" "[.keys[:$n][].score] | add >= 0.4" true
jget "$T/top4.json" ".keys[:$n][].key" >"$T/expected.txt"
expect_exit 0 cw predict --log "$log" --cover 0.4
cmp -s "$T/out.json" "$T/expected.txt" \
  || fail "predict --cover 0.4 printed $(tr '\n' ' ' <"$T/out.json"), expected $(tr '\n' ' ' <"$T/expected.txt")"
expect_exit 0 cw predict --log "$log" --cover 0.4 --output json
expect_json "$T/out.json" '.cover' 0.4
expect_json "$T/out.json" '.keys | length' "$n"
expect_json "$T/out.json" '.expected_cover >= 0.4' true
# --top and --cover exclude each other.
expect_exit 2 cw predict --log "$log" --cover 0.4 --top 3

# --- predict --at: only the requests before it count -----------------------------------------
cat >"$T/at.log" <<'LOG'
10.0.0.1 - - [17/May/2015:10:00:00 +0000] "GET /early HTTP/1.1" 200 12 "-" "curl"
10.0.0.1 - - [17/May/2015:10:30:00 +0000] "GET /early HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:10:59:59 +0000] "GET /edge HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:11:00:00 +0000] "GET /late HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:11:10:00 +0000] "GET /late HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:11:20:00 +0000] "GET /late HTTP/1.1" 200 12 "-" "curl"
LOG
expect_exit 0 cw predict --log "$T/at.log"
expect_contains "$(cat "$T/out.json")" /late "predict without --at sees every request"
expect_exit 0 cw predict --log "$T/at.log" --at 2015-05-17T11:00:00Z
expect_eq "$(cat "$T/out.json")" $'/early\n/edge' "predict --at 11:00 (a request exactly at --at is left out)"
expect_contains "$(cat "$T/err.txt")" "3 requests at or after --at left out"
# The same instant written with an offset.
expect_exit 0 cw predict --log "$T/at.log" --at 2015-05-17T13:00:00+02:00 --output json
expect_json "$T/out.json" '.keys | map(.key) | join(",")' "/early,/edge"
expect_exit 2 cw predict --log "$T/at.log" --at yesterday
expect_contains "$(cat "$T/err.txt")" "--at"

# --- A gzip-compressed copy gives byte-identical output ----------------------------------------
gzip -c "$log" >"$T/access.log.gz"
for args in "--top 3" "--cover 0.9" ""; do
  # shellcheck disable=SC2086 # $args is a list of words on purpose
  expect_exit 0 cw predict --log "$log" $args
  mv "$T/out.json" "$T/plain.txt"
  # shellcheck disable=SC2086
  expect_exit 0 cw predict --log "$T/access.log.gz" $args
  cmp -s "$T/out.json" "$T/plain.txt" || fail "predict $args: the gzip copy's output differs"
done
# JSON too (its examples name the file: the gzip copy has the same name in another directory;
# the gzip magic bytes, not the name, make it read as gzip).
mkdir "$T/gz"
cp "$T/access.log.gz" "$T/gz/access.log"
(cd "$T" && "$CACHEWARM" predict --log access.log --output json >"$T/plain.json" 2>/dev/null)
(cd "$T/gz" && "$CACHEWARM" predict --log access.log --output json >"$T/gz.json" 2>/dev/null)
cmp -s "$T/plain.json" "$T/gz.json" || fail "predict --output json: the gzip copy's output differs: $(diff "$T/plain.json" "$T/gz.json")"
expect_json "$T/gz.json" '.log.examples[0]' 'access.log:12: unparsed: "not a log line"'

# --- evaluate on 1h windows, worked out by hand --------------------------------------------------
# window 0 (10:00-11:00): /a x3 then /b; window 1 (11:00-12:00): /a /c /a /c; window 2: empty;
# window 3 (13:00-14:00): /c. The only pair of consecutive non-empty windows is 0 -> 1 (1 -> 3
# is not one). At K=1 both baselines (and the model, which has no history to weigh and falls
# back on the all-time counts) predict /a for window 1: cover 2/4, precision 1 (window 1's top
# key is /a: 2-2 with /c, and /a was requested first), recall 1/2.
cat >"$T/eval.log" <<'LOG'
10.0.0.1 - - [17/May/2015:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl"
10.0.0.1 - - [17/May/2015:10:10:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:10:20:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:10:30:00 +0000] "GET /b HTTP/1.1" 200 12 "-" "curl"
10.0.0.1 - - [17/May/2015:11:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl"
10.0.0.3 - - [17/May/2015:11:10:00 +0000] "GET /c HTTP/1.1" 200 12 "-" "curl"
10.0.0.1 - - [17/May/2015:11:20:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl"
10.0.0.3 - - [17/May/2015:11:30:00 +0000] "GET /c HTTP/1.1" 200 12 "-" "curl"
10.0.0.3 - - [17/May/2015:13:30:00 +0000] "GET /c HTTP/1.1" 200 12 "-" "curl"
LOG
expect_exit 0 cw evaluate --log "$T/eval.log" --output json --window 1h --top 1
cp "$T/out.json" "$T/eval.json"
e=$T/eval.json
expect_json "$e" '.windows' 1
expect_json "$e" '.window_seconds == 3600' true
expect_json "$e" '.requests' 9
expect_json "$e" '.out_of_order' 0
expect_json "$e" '.log.lines' 9
expect_json "$e" '.log.requests' 9
expect_json "$e" '.per_window | length' 1
expect_json "$e" '.per_window[0].window' 1
expect_json "$e" '.per_window[0].start' 2015-05-17T11:00:00Z
expect_json "$e" '.per_window[0].requests' 4
expect_json "$e" '.per_window[0].distinct' 2
expect_json "$e" '.results | length' 1
expect_json "$e" '.results[0].top' 1
hand='.cover == 0.5 and .precision == 1 and .recall == 0.5'
expect_json "$e" ".results[0].baselines.last_window | $hand" true
expect_json "$e" ".results[0].baselines.all_time | $hand" true
expect_json "$e" ".results[0].model | $hand" true
expect_json "$e" '.per_window[0].tops | length' 1
expect_json "$e" '.per_window[0].tops[0].top' 1
expect_json "$e" ".per_window[0].tops[0] | [.model, .last_window, .all_time] | all($hand)" true
expect_json "$e" '.results[0].model.weights.candidate | type == "string" and length > 0' true
# Keys seen before their window: in window 1, /a (2 of 4 requests) was seen in window 0; /c was
# not, though its second request comes after its first in the same window.
expect_json "$e" '.seen_share' 0.5

# The default Ks.
expect_exit 0 cw evaluate --log "$T/eval.log" --output json
expect_json "$T/out.json" '.results | map(.top) | tojson' '[100,1000]'

# --- evaluate --chart --------------------------------------------------------------------------
expect_exit 0 cw evaluate --log "$T/eval.log" --chart "$T/c.svg" --top 5 --top 10
[[ -s "$T/c.svg" ]] || fail "evaluate --chart wrote no $T/c.svg"
expect_eq "$(grep -o '<g class="panel"' "$T/c.svg" | wc -l)" 2 "panels in the chart"
chart=$(python3 - "$T/c.svg" <<'PY'
import sys
import xml.etree.ElementTree as ET

ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
panels = [g for g in root.iter(ns + "g") if g.get("class") == "panel"]
print(";".join(
    ",".join(p.get("data-series") for p in g.iter(ns + "polyline")) for g in panels))
PY
) || fail "python3 xml.etree could not read the chart"
expect_eq "$chart" "model,last_window,all_time;model,last_window,all_time" \
  "each panel's polylines (data-series)"

# --- Errors ----------------------------------------------------------------------------------
expect_exit 2 cw predict --log "$log" --log-format nope
expect_contains "$(cat "$T/err.txt")" '"nope"'
expect_exit 2 cw evaluate --log "$log" --log-format nope
expect_contains "$(cat "$T/err.txt")" '"nope"'

expect_exit 3 cw predict --log "$T/missing.log"
expect_contains "$(cat "$T/err.txt")" "$T/missing.log"
expect_exit 3 cw evaluate --log "$T/missing.log"
expect_contains "$(cat "$T/err.txt")" "$T/missing.log"

printf 'time\turl\n1431856800\t/a\n' >"$T/plain.tsv"
expect_exit 2 cw predict --log "$T/plain.tsv" --log-format tsv --header --time-field time
expect_contains "$(cat "$T/err.txt")" "--key or --rules"

# A rule without a key: the rules file's line and column.
cat >"$T/nokey.yaml" <<'YAML'
- {match: "^/p/(?<id>\\d+)"}
YAML
expect_exit 2 cw predict --log "$log" --rules "$T/nokey.yaml"
expect_contains "$(cat "$T/err.txt")" "$T/nokey.yaml:1:3:"
expect_contains "$(cat "$T/err.txt")" 'missing "key"'

# A regex that does not compile: the message starts with the rules file's path and line:col.
cat >"$T/badregex.yaml" <<'YAML'
- {match: "(", key: "x"}
YAML
expect_exit 2 cw predict --log "$log" --rules "$T/badregex.yaml"
message=$(head -n 1 "$T/err.txt")
message=${message#cachewarm: error: }
[[ "$message" == "$T/badregex.yaml:1:3: "* ]] \
  || fail "the bad regex's message does not start with $T/badregex.yaml:1:3: ($message)"
expect_contains "$message" "rule 1"

# Rules that work: /p/N -> product:N; lines no rule matches are counted, not keys.
cat >"$T/rules.yaml" <<'YAML'
- {match: "^/p/(?<id>\\d+)", key: "product:{id}"}
YAML
cat >"$T/products.log" <<'LOG'
10.0.0.1 - - [17/May/2015:10:00:00 +0000] "GET /p/7 HTTP/1.1" 200 12 "-" "curl"
10.0.0.1 - - [17/May/2015:10:00:01 +0000] "GET /p/12 HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:10:00:02 +0000] "GET /p/7 HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:10:00:03 +0000] "GET /about HTTP/1.1" 200 12 "-" "curl"
10.0.0.3 - - [17/May/2015:10:00:04 +0000] "GET /p/7?ref=x HTTP/1.1" 200 12 "-" "curl"
LOG
expect_exit 0 cw predict --log "$T/products.log" --rules "$T/rules.yaml"
expect_eq "$(cat "$T/out.json")" $'product:7\nproduct:12' "keys given by the rules"
expect_exit 0 cw predict --log "$T/products.log" --rules "$T/rules.yaml" --output json
expect_json "$T/out.json" '.keys | map(.key) | join(",")' "product:7,product:12"
expect_json "$T/out.json" '.log.lines' 5
expect_json "$T/out.json" '.log.requests' 4
expect_json "$T/out.json" '.log.skipped.no_rule' 1
expect_json "$T/out.json" '.log.examples[0] | startswith("'"$T/products.log"':4: no_rule:")' true

# --by: a prediction per segment. By the client's address: 10.0.0.1 and .2 ask for /p/7, .3 for
# /p/12 only; with a prefix file, 10.0.0.0/31 is "eu" (10.0.0.0 and .1) and the rest "other"
# (where /p/7 and /p/12 tie and the more recent, /p/7, comes first).
cat >"$T/seg.log" <<'LOG'
10.0.0.1 - - [17/May/2015:10:00:00 +0000] "GET /p/7 HTTP/1.1" 200 12 "-" "curl"
10.0.0.1 - - [17/May/2015:10:00:01 +0000] "GET /p/7 HTTP/1.1" 200 12 "-" "curl"
10.0.0.3 - - [17/May/2015:10:00:02 +0000] "GET /p/12 HTTP/1.1" 200 12 "-" "curl"
10.0.0.2 - - [17/May/2015:10:00:03 +0000] "GET /p/7 HTTP/1.1" 200 12 "-" "curl"
LOG
expect_exit 0 cw predict --log "$T/seg.log" --by '{host}' --top 1
expect_eq "$(cat "$T/out.json")" $'10.0.0.1\t/p/7\n10.0.0.2\t/p/7\n10.0.0.3\t/p/12' \
  "one SEGMENT<TAB>KEY line per segment's key"
printf '# regions\n10.0.0.0/31 eu\n' >"$T/prefixes.txt"
expect_exit 0 cw predict --log "$T/seg.log" --by '{host}' --by-prefixes "$T/prefixes.txt" \
  --top 2 --output json
expect_json "$T/out.json" '[.segments[].segment] | join(",")' "eu,other"
expect_json "$T/out.json" '.segments[0].keys | map(.key) | join(",")' "/p/7"
expect_json "$T/out.json" '.segments[1].keys | map(.key) | join(",")' "/p/7,/p/12"
expect_json "$T/out.json" '.log.requests' 4
expect_exit 2 cw predict --log "$T/seg.log" --by '{host}' --max-segments 2
expect_contains "$(cat "$T/err.txt")" '--by: more than 2 segments (the next one is "10.0.0.2")' \
  "too many segments"
printf '10.0.0.0/40 eu\n' >"$T/bad-prefixes.txt"
expect_exit 2 cw predict --log "$T/seg.log" --by '{host}' --by-prefixes "$T/bad-prefixes.txt"
expect_contains "$(cat "$T/err.txt")" "--by-prefixes $T/bad-prefixes.txt:1: bad prefix" \
  "a bad prefix names its file and line"
expect_exit 2 cw predict --log "$T/seg.log" --by-prefixes "$T/prefixes.txt"
expect_exit 2 cw predict --log "$T/seg.log" --by '{nope}'
