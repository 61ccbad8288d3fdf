#!/usr/bin/env bash
# bench-predict.sh: how fast does `cachewarm predict --top 1000` read a big access log, next to
# the shell pipeline an operator would write for the most requested paths?
# Not a test (CTest does not run it); run it by hand after a Release build, or as
# `scripts/bench --predict [OPTIONS]`:
#
#   scripts/bench-predict.sh [-n LINES] [-r RUNS]
#   CACHEWARM=build-release/cachewarm scripts/bench-predict.sh      # default: build/cachewarm
#
# In a temp dir it generates LINES (default 5,000,000) lines of a combined access log over 24
# hours: GETs of /product/<id> for 200,000 ids drawn from a Zipf-like law (s = 1.1), from 5,000
# client addresses. Then, RUNS times (default 3), alternating, it times
#   awk '{print $7}' LOG | sort | uniq -c | sort -rn | head -1000      (the anchor)
#   cachewarm predict --log LOG --top 1000
# and prints the median wall time, lines/s, median CPU s (user+sys of the whole pipeline, or of
# cachewarm) and the largest peak RSS (of any one process), how many of the pipeline's 1000
# paths cachewarm's 1000 keys share (they rank differently: the model predicts the next hour,
# the pipeline counts the whole day), and the ratio of wall times (target: cachewarm at least 3x
# faster). The temp dir is removed on exit (BENCH_KEEP_TMP=1 keeps it). Needs python3, GNU time.
set -Eeuo pipefail

lines=5000000
runs=3
while (($#)); do
  case $1 in
  -n | -r)
    if (($# < 2)) || [[ ! "$2" =~ ^[1-9][0-9]*$ ]]; then
      echo "bench-predict: $1 needs a positive integer" >&2
      exit 2
    fi
    [[ $1 == -n ]] && lines=$2 || runs=$2
    shift 2
    ;;
  -h | --help)
    sed -n '2,/^set -Eeuo/{/^set -Eeuo/d;s/^# \{0,1\}//;p}' "$0"
    exit 0
    ;;
  *)
    echo "bench-predict: unknown argument $1 (see --help)" >&2
    exit 2
    ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
CACHEWARM=${CACHEWARM:-$repo/build/cachewarm}
[[ -x "$CACHEWARM" ]] || {
  echo "bench-predict: no cachewarm binary at $CACHEWARM (build first, or set CACHEWARM)" >&2
  exit 2
}
[[ -x /usr/bin/time ]] || {
  echo "bench-predict: GNU time is missing (apt-get install time)" >&2
  exit 2
}
command -v python3 >/dev/null || {
  echo "bench-predict: python3 is missing" >&2
  exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-predict.XXXXXX")
cleanup() {
  if [[ "${BENCH_KEEP_TMP:-0}" == 1 ]]; then
    echo "bench-predict: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
say() { echo "bench-predict: $*" >&2; }

log=$tmp/access.log
say "generating $lines lines into $log"
python3 - "$log" "$lines" <<'PY'
import bisect, itertools, random, sys, time
path, n = sys.argv[1], int(sys.argv[2])
random.seed(20261202)
ids = 200000
cumulative = list(itertools.accumulate(1 / (i + 1) ** 1.1 for i in range(ids)))
total = cumulative[-1]
t0 = 1431820800  # 2015-05-17T00:00:00Z
stamps = {}
with open(path, "w") as out:
    for i in range(n):
        t = t0 + i * 86400 // n
        stamp = stamps.get(t)
        if stamp is None:
            stamps.clear()
            stamp = stamps[t] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
        k = bisect.bisect_left(cumulative, random.random() * total)
        c = random.randrange(5000)
        out.write(f'10.{c >> 8}.{c & 255}.1 - - [{stamp}] "GET /product/{k} HTTP/1.1" 200 '
                  f'{512 + k % 4096} "-" "Mozilla/5.0"\n')
PY

# timed NAME COMMAND...: appends "wall cpu rss_kb" to $tmp/NAME.times.
timed() {
  local name=$1
  shift
  /usr/bin/time -o "$tmp/time.txt" -f "%e %U %S %M" "$@"
  read -r wall user sys rss <"$tmp/time.txt"
  echo "$wall $(echo "$user + $sys" | bc) $rss" >>"$tmp/$name.times"
}

for ((i = 1; i <= runs; i++)); do
  say "run $i/$runs"
  timed pipeline sh -c "awk '{print \$7}' '$log' | sort | uniq -c | sort -rn | head -1000 >'$tmp/pipeline.out'"
  timed cachewarm "$CACHEWARM" predict --log "$log" --top 1000 --output text \
    >"$tmp/cachewarm.out" 2>"$tmp/cachewarm.err"
done
[[ $(wc -l <"$tmp/pipeline.out") == 1000 ]] || {
  echo "bench-predict: the pipeline printed $(wc -l <"$tmp/pipeline.out") lines, not 1000" >&2
  exit 1
}
[[ $(wc -l <"$tmp/cachewarm.out") == 1000 ]] || {
  echo "bench-predict: cachewarm printed $(wc -l <"$tmp/cachewarm.out") keys, not 1000" >&2
  cat "$tmp/cachewarm.err" >&2
  exit 1
}
shared=$(awk '{print $2}' "$tmp/pipeline.out" | sort | comm -12 - <(sort "$tmp/cachewarm.out") | wc -l)

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
column_of() { cut -d' ' -f"$2" "$tmp/$1.times"; }
row() {
  local wall cpu rss
  wall=$(column_of "$1" 1 | median)
  cpu=$(column_of "$1" 2 | median)
  rss=$(column_of "$1" 3 | sort -n | tail -1)
  printf '%-44s %8.3f %12.0f %8.2f %12.1f\n' "$2" "$wall" "$(echo "$lines / $wall" | bc -l)" \
    "$cpu" "$(echo "$rss / 1024" | bc -l)"
}
echo "Predict: the 1000 hottest of $lines combined log lines, median of $runs run(s)"
printf '%-44s %8s %12s %8s %12s\n' contender "wall s" "lines/s" "CPU s" "peak RSS MB"
row pipeline "awk | sort | uniq -c | sort -rn | head"
row cachewarm "cachewarm predict --top 1000"
pipeline_wall=$(column_of pipeline 1 | median)
cachewarm_wall=$(column_of cachewarm 1 | median)
ratio=$(echo "$pipeline_wall / $cachewarm_wall" | bc -l)
verdict=MISS
(($(echo "$ratio >= 3" | bc -l))) && verdict=PASS
echo "keys shared by the two top-1000 lists: $shared"
printf 'cachewarm predict speed-up over the pipeline (wall): %.2fx  (target >= 3)  %s\n' \
  "$ratio" "$verdict"
