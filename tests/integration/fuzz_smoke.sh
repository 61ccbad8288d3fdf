#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/) find nothing in a bounded run, and every regression input
# is replayed. Builds nothing itself: scripts/fuzz.sh builds the fuzzers and a cachewarm binary
# (clang, ASan+UBSan, UB fatal) into build-fuzz/ and calls this with CACHEWARM_FUZZ_DIR set;
# without it (plain ctest) the test is skipped, and scripts/test.sh leaves it out of its ctest
# phases by name.
#
#   CACHEWARM_FUZZ_DIR      the build dir holding fuzz_manifest, fuzz_parsers and cachewarm
#   CACHEWARM_FUZZ_SECONDS  time per target (default 20)
#
# tests/fuzz/regressions/ holds inputs that once crashed something, one folder per consumer:
#   fuzz_manifest/, fuzz_parsers/  run through that fuzzer (libFuzzer replays each file once);
#   run/                           manifests that crashed `cachewarm run` (the fuzzers do not reach
#                                  the runner): each goes through fuzz_manifest and then through
#                                  `cachewarm run` against a throwaway redis-server (REDIS_PORT
#                                  is set); it must exit 0, 1 or 2 with no sanitizer report.
# A missing or empty regressions dir, an empty folder, or a file or folder of another name is an
# error (a misplaced input would silently never be replayed), and each fuzzer must report having
# executed every one of its inputs. Then each target fuzzes a copy of
# tests/fuzz/corpus/<corpus>/ in $T with tests/fuzz/<target>.dict. Any crash, leak, sanitizer
# report, timeout (-timeout=5) or out-of-memory (-rss_limit_mb=1024) fails the test; the failing
# input is printed (base64) so it can be added to the regressions.
source "$(dirname "$0")/lib.sh"

fuzz_dir=${CACHEWARM_FUZZ_DIR:-}
[[ -n "$fuzz_dir" ]] || skip "CACHEWARM_FUZZ_DIR is not set (scripts/fuzz.sh builds and runs the fuzzers)"
seconds=${CACHEWARM_FUZZ_SECONDS:-20}
fuzzers=(fuzz_manifest fuzz_parsers)
declare -A corpus_of=([fuzz_manifest]=manifest [fuzz_parsers]=parsers)
for binary in "${fuzzers[@]}" cachewarm; do
  [[ -x "$fuzz_dir/$binary" ]] || fail "$fuzz_dir/$binary is not built (scripts/fuzz.sh builds it)"
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

# --- The regressions: where they are, and that there are some -----------------------------------
regressions=$CACHEWARM_SOURCE_DIR/tests/fuzz/regressions
[[ -d "$regressions" ]] || fail "$regressions is missing: nothing would be replayed"
declare -A inputs_of=()
count=0
for entry in "$regressions"/* "$regressions"/.[!.]*; do
  [[ -e "$entry" ]] || continue
  folder=${entry##*/}
  case "$folder" in
    fuzz_manifest | fuzz_parsers | run) ;;
    *) fail "tests/fuzz/regressions/$folder: not replayed; inputs go in fuzz_manifest/, fuzz_parsers/ or run/" ;;
  esac
  [[ -d "$entry" ]] || fail "tests/fuzz/regressions/$folder is not a folder"
  n=0
  for input in "$entry"/* "$entry"/.[!.]*; do
    [[ -e "$input" ]] || continue
    [[ -f "$input" ]] || fail "tests/fuzz/regressions/$folder/${input##*/} is not a file"
    inputs_of[$folder]+="$input"$'\n'
    n=$((n + 1))
  done
  ((n > 0)) || fail "tests/fuzz/regressions/$folder/ is empty"
  count=$((count + n))
done
((count > 0)) || fail "tests/fuzz/regressions/ holds no input: nothing would be replayed"
# The manifests that crashed `cachewarm run` must also load without a crash.
inputs_of[fuzz_manifest]+=${inputs_of[run]:-}

# replay FUZZER: runs every input of FUZZER through it, once each (libFuzzer runs the files it is
# given and exits); a crash fails, and so does an input libFuzzer did not report as executed.
replay() {
  local fuzzer=$1 inputs=() executed
  mapfile -t inputs < <(printf '%s' "${inputs_of[$fuzzer]:-}")
  if ((${#inputs[@]} == 0)); then
    echo "$fuzzer: no regression inputs yet" >&2
    return 0
  fi
  if ! "$fuzz_dir/$fuzzer" -rss_limit_mb=1024 -timeout=5 "${inputs[@]}" >"$T/$fuzzer.replay.log" 2>&1; then
    tail -n 60 "$T/$fuzzer.replay.log" >&2
    fail "$fuzzer crashes on a regression input (log above)"
  fi
  executed=$(grep -c '^Executed .* in [0-9]* ms$' "$T/$fuzzer.replay.log" || true)
  expect_eq "$executed" "${#inputs[@]}" "$fuzzer: regression inputs executed (of ${inputs[*]##*/})"
  echo "$fuzzer: replayed ${#inputs[@]} regression input(s)" >&2
}

# replay_run: every manifest in run/ through the fuzz build's `cachewarm run` (UB and ASan
# findings abort it) against a throwaway redis-server.
replay_run() {
  local manifest rc report
  [[ -n "${inputs_of[run]:-}" ]] || return 0
  start_redis
  while IFS= read -r manifest; do
    [[ -n "$manifest" ]] || continue
    rcli flushall >/dev/null
    rc=0
    timeout --kill-after=5 60 "$fuzz_dir/cachewarm" run "$manifest" --progress never \
      >"$T/out.json" 2>"$T/err.txt" || rc=$?
    if grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$T/err.txt" || ((rc > 2)); then
      _cw_dump_output
      fail "cachewarm run crashes on tests/fuzz/regressions/run/${manifest##*/} (exit $rc)"
    fi
    if ((rc == 2)); then
      # Rejected when loaded: it must say where.
      expect_contains "$(cat "$T/err.txt")" "${manifest##*/}:" "a rejected regression names its file:line"
    else
      report=$T/out.json
      expect_report_invariant "$report"
      expect_eq "$(dbsize)" "$(jget "$report" .totals.written)" "${manifest##*/}: DBSIZE equals the keys written"
    fi
    echo "cachewarm run: tests/fuzz/regressions/run/${manifest##*/} exited $rc without a sanitizer report" >&2
  done < <(printf '%s' "${inputs_of[run]}")
}

# show_artifacts FUZZER: prints every input libFuzzer saved for FUZZER.
show_artifacts() {
  local artifact
  for artifact in "$T/artifacts/$1"-*; do
    [[ -f "$artifact" ]] || continue
    echo "--- $artifact (base64) ---" >&2
    base64 "$artifact" >&2
  done
}

for fuzzer in "${fuzzers[@]}"; do
  replay "$fuzzer"
done
replay_run

mkdir -p "$T/artifacts"
for fuzzer in "${fuzzers[@]}"; do
  binary="$fuzz_dir/$fuzzer"
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
