#!/usr/bin/env bash
# Installs dependencies and runs every test (unit + integration) with CTest, in up to three phases:
#   default  RelWithDebInfo build in build/, every test.
#   asan     Debug (-O0 -g) build with ASan+UBSan in build-asan/, every test but lint, with
#            ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
#            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
#   tsan     Debug (-O1 -g) build with TSan in build-tsan/, the unit tests and the integration
#            tests labelled `concurrency` (worker pool, rate limiter, ack tracker, interrupts),
#            with TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
#   fuzz     scripts/fuzz.sh: the libFuzzer targets (clang, ASan+UBSan, build-fuzz/) run for
#            CACHEWARM_FUZZ_SECONDS (default 20) each on their seed corpus
# CACHEWARM_SANITIZERS selects the extra phases: all (the default, CI's too), asan, tsan, fuzz or
# none (only the default phase). Extra arguments go to ctest in every phase, e.g.
# `scripts/test.sh -L unit` or `CACHEWARM_SANITIZERS=none scripts/test.sh -R integration.dry_run`.
#
# ASan, LSan and TSan reports are written to <build dir>/sanitizer-reports/ (log_path) and
# printed after the phase; a report fails the phase even if every test passed (e.g. one from a
# process whose exit code a test does not check). Every phase runs even if an earlier one
# failed, except that a failed default build stops the script. Exits non-zero if any phase
# failed. The last line sums all phases in ctest's format, e.g.
# `100% tests passed, 0 tests failed out of 1859` (a phase whose build fails, or that only
# produced sanitizer reports, counts as one failed test).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit

sanitizers=${CACHEWARM_SANITIZERS:-all}
case "$sanitizers" in
  all | asan | tsan | fuzz | none) ;;
  *)
    echo "scripts/test.sh: CACHEWARM_SANITIZERS must be all, asan, tsan, fuzz or none (got '$sanitizers')" >&2
    exit 2
    ;;
esac

scripts/deps.sh || exit

# Both sanitizer builds are Debug (assertions and _GLIBCXX_ASSERTIONS on). ASan+UBSan at -O0:
# GCC 12 compiles it ~5x faster than at -O1 (src/manifest/parse.cpp: 8 s vs 40 s; at -O1 this
# build alone took ~4x the default build), and the tests spend their time in I/O and process
# start-up. TSan at -O1 (as fast to compile as -O0, and -O0 TSan code runs much slower).
# Instrumentation changes what GCC inlines, and with it -Wmaybe-uninitialized's false positives
# (TSan at -O1: `*format` of a std::optional<KeyFormat> in src/manifest/parse.cpp, which the
# default build compiles clean): the warning is still shown, only the default build's -Werror
# gates on warnings.
asan_flags=("-DCMAKE_CXX_FLAGS_DEBUG=-g -Wno-error=maybe-uninitialized")
tsan_flags=("-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g -Wno-error=maybe-uninitialized")

summary=()
total_passed=0
total_failed=0
status=0

# note PHASE PASSED FAILED TEXT: records a phase's result for the summary.
note() {
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  if (($3 > 0)); then
    status=1
  fi
  summary+=("$(printf '  %-8s %s' "$1" "$4")")
}

# build PHASE TYPE DIR CMAKE_ARGS...: builds; on failure records the phase as failed.
build() {
  local phase=$1 start=$SECONDS
  shift
  echo "=== $phase: building $2/ ($1${3:+ ${*:3}})"
  if ! scripts/build.sh "$@" >/dev/null; then
    echo "=== $phase: BUILD FAILED"
    note "$phase" 0 1 "build of $2/ FAILED after $((SECONDS - start)) s"
    return 1
  fi
  build_seconds=$((SECONDS - start))
  echo "=== $phase: built in ${build_seconds} s"
}

# run_ctest PHASE DIR CTEST_ARGS...: runs ctest in DIR, prints its output, then the sanitizer
# reports found in DIR/sanitizer-reports, and records the phase's result.
run_ctest() {
  local phase=$1 dir=$2 start=$SECONDS rc=0 line passed=0 failed=0 total=0 reports=()
  shift 2
  echo "=== $phase: ctest --test-dir $dir $*"
  ctest --test-dir "$dir" --output-on-failure -j2 "$@" 2>&1 | tee "$dir/ctest-$phase.log" || rc=$?
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$dir/ctest-$phase.log" | tail -n 1)
  if [[ "$line" =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=${BASH_REMATCH[1]}
    total=${BASH_REMATCH[2]}
    passed=$((total - failed))
  elif ((rc != 0)); then
    failed=1 # ctest itself failed (no summary line)
  fi
  if [[ -d "$dir/sanitizer-reports" ]]; then
    mapfile -t reports < <(find "$dir/sanitizer-reports" -type f | sort)
  fi
  if ((${#reports[@]} > 0)); then
    local f
    for f in "${reports[@]}"; do
      echo "=== $phase: sanitizer report ${f#"$repo"/}"
      cat "$f"
    done
    if ((failed == 0)); then
      # Every test passed, yet something reported: count one of them as failed.
      failed=1
      passed=$((passed > 0 ? passed - 1 : 0))
    fi
  fi
  if ((rc != 0 && failed == 0)); then
    failed=1
  fi
  local text="$passed passed, $failed failed of $total tests in $((SECONDS - start)) s"
  text+="${build_seconds:+ (build ${build_seconds} s)}"
  if ((${#reports[@]} > 0)); then
    text+=", ${#reports[@]} sanitizer report(s) in ${dir}/sanitizer-reports/"
  fi
  ((failed > 0)) && text="FAILED: $text"
  note "$phase" "$passed" "$failed" "$text"
}

# --- Phase 1: the normal build and every test ------------------------------------------------
build_seconds=
build default RelWithDebInfo build || {
  echo "scripts/test.sh: the build failed" >&2
  exit 1
}
run_ctest default build "$@"

# --- Phase 2: ASan + UBSan, every test ---------------------------------------------------------
if [[ "$sanitizers" == all || "$sanitizers" == asan ]]; then
  build_seconds=
  if build asan Debug build-asan -DCACHEWARM_SANITIZE=address,undefined "${asan_flags[@]}"; then
    rm -rf build-asan/sanitizer-reports
    mkdir -p build-asan/sanitizer-reports
    report_dir=$repo/build-asan/sanitizer-reports
    # LeakSanitizer works here (checked with a deliberate leak: reported, exit 134). ASan and LSan
    # reports go to files (log_exe_name appends cachewarm or cachewarm_unit), as an integration
    # test only shows the tail of cachewarm's stderr. UBSan, linked with ASan, ignores log_path
    # (GCC 12) and reports on stderr (lib.sh prints the whole report); its halt exits 1 like a
    # cachewarm error would, so abort_on_error=1 makes it exit 134 (SIGABRT) instead.
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$report_dir/asan:log_exe_name=1" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1" \
      run_ctest asan build-asan -LE '^lint$' "$@"
  fi
else
  echo "=== asan: skipped (CACHEWARM_SANITIZERS=$sanitizers)"
  summary+=("  asan     skipped (CACHEWARM_SANITIZERS=$sanitizers)")
fi

# --- Phase 3: TSan, unit tests and the `concurrency` integration tests -------------------------
if [[ "$sanitizers" == all || "$sanitizers" == tsan ]]; then
  build_seconds=
  if build tsan Debug build-tsan -DCACHEWARM_SANITIZE=thread "${tsan_flags[@]}"; then
    rm -rf build-tsan/sanitizer-reports
    mkdir -p build-tsan/sanitizer-reports
    report_dir=$repo/build-tsan/sanitizer-reports
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$report_dir/tsan:log_exe_name=1" \
      run_ctest tsan build-tsan -L '^(unit|concurrency)$' "$@"
  fi
else
  echo "=== tsan: skipped (CACHEWARM_SANITIZERS=$sanitizers)"
  summary+=("  tsan     skipped (CACHEWARM_SANITIZERS=$sanitizers)")
fi

# --- Phase 4: libFuzzer targets for a bounded time (clang, ASan+UBSan) -------------------------
if [[ "$sanitizers" == all || "$sanitizers" == fuzz ]]; then
  echo "=== fuzz: scripts/fuzz.sh (${CACHEWARM_FUZZ_SECONDS:-20} s per target)"
  fuzz_start=$SECONDS
  fuzz_rc=0
  CACHEWARM_FUZZ_SECONDS=${CACHEWARM_FUZZ_SECONDS:-20} scripts/fuzz.sh || fuzz_rc=$?
  if ((fuzz_rc == 0)); then
    note fuzz 1 0 "fuzz_manifest and fuzz_parsers ran without a crash ($((SECONDS - fuzz_start)) s)"
  elif ((fuzz_rc == 77)); then
    summary+=("  fuzz     skipped (clang++ or the fuzzers are not available)")
  else
    note fuzz 0 1 "FAILED: scripts/fuzz.sh exited $fuzz_rc ($((SECONDS - fuzz_start)) s)"
  fi
else
  echo "=== fuzz: skipped (CACHEWARM_SANITIZERS=$sanitizers)"
  summary+=("  fuzz     skipped (CACHEWARM_SANITIZERS=$sanitizers)")
fi

# --- Summary -----------------------------------------------------------------------------------
echo
echo "=== scripts/test.sh summary (CACHEWARM_SANITIZERS=$sanitizers, ${SECONDS} s in all)"
printf '%s\n' "${summary[@]}"
total=$((total_passed + total_failed))
percent=100
if ((total > 0)); then
  percent=$((total_passed * 100 / total))
fi
if ((total_failed > 0 && percent > 99)); then
  percent=99
fi
echo "${percent}% tests passed, ${total_failed} tests failed out of ${total}"
exit "$status"
