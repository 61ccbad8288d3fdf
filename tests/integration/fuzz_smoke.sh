#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/) find nothing in a bounded run. Builds nothing itself:
# scripts/fuzz.sh builds them into build-fuzz/ and calls this with CACHEWARM_FUZZ_DIR set;
# without it (plain ctest) the test is skipped.
#
#   CACHEWARM_FUZZ_DIR      the build dir holding fuzz_manifest and fuzz_parsers
#   CACHEWARM_FUZZ_SECONDS  time per target (default 20)
#
# Each target first replays tests/fuzz/regressions/<target>/* (inputs that once crashed it), then
# fuzzes a copy of tests/fuzz/corpus/<corpus>/ in $T with tests/fuzz/<target>.dict. Any crash,
# leak, sanitizer report, timeout (-timeout=5) or out-of-memory (-rss_limit_mb=1024) fails the
# test; the failing input is printed (base64) so it can be added to the regressions.
source "$(dirname "$0")/lib.sh"

fuzz_dir=${CACHEWARM_FUZZ_DIR:-}
[[ -n "$fuzz_dir" ]] || skip "CACHEWARM_FUZZ_DIR is not set (scripts/fuzz.sh builds and runs the fuzzers)"
seconds=${CACHEWARM_FUZZ_SECONDS:-20}
declare -A corpus_of=([fuzz_manifest]=manifest [fuzz_parsers]=parsers)
for fuzzer in "${!corpus_of[@]}"; do
  [[ -x "$fuzz_dir/$fuzzer" ]] || skip "$fuzz_dir/$fuzzer is not built (scripts/fuzz.sh)"
done

# show_artifacts FUZZER: prints every input libFuzzer saved for FUZZER.
show_artifacts() {
  local artifact
  for artifact in "$T/artifacts/$1"-*; do
    [[ -f "$artifact" ]] || continue
    echo "--- $artifact (base64) ---" >&2
    base64 "$artifact" >&2
  done
}

mkdir -p "$T/artifacts"
for fuzzer in fuzz_manifest fuzz_parsers; do
  binary="$fuzz_dir/$fuzzer"
  regressions=("$CACHEWARM_SOURCE_DIR/tests/fuzz/regressions/$fuzzer"/*)
  if [[ -e "${regressions[0]}" ]]; then
    if ! "$binary" -rss_limit_mb=1024 -timeout=5 "${regressions[@]}" >"$T/$fuzzer.replay.log" 2>&1; then
      tail -n 40 "$T/$fuzzer.replay.log" >&2
      fail "$fuzzer crashes on a regression input (tests/fuzz/regressions/$fuzzer/)"
    fi
  fi

  cp -r "$CACHEWARM_SOURCE_DIR/tests/fuzz/corpus/${corpus_of[$fuzzer]}" "$T/corpus-$fuzzer"
  rc=0
  "$binary" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=5 -print_final_stats=1 \
    -dict="$CACHEWARM_SOURCE_DIR/tests/fuzz/$fuzzer.dict" -artifact_prefix="$T/artifacts/$fuzzer-" \
    "$T/corpus-$fuzzer" >"$T/$fuzzer.log" 2>&1 || rc=$?
  if ((rc != 0)); then
    tail -n 60 "$T/$fuzzer.log" >&2
    show_artifacts "$fuzzer"
    fail "$fuzzer found a crash, hang or leak after up to ${seconds}s (exit $rc; log above)"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$fuzzer.log")
  echo "$fuzzer: ${runs:-?} inputs in ${seconds}s, no findings" >&2
done
