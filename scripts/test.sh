#!/usr/bin/env bash
# Installs dependencies and runs every test (unit + integration) with CTest, in up to three phases:
#   default  RelWithDebInfo build in build/, every test but fuzz_smoke (the fuzz phase runs it).
#   asan     Debug (-O0 -g) build with ASan+UBSan in build-asan/, every test but lint,
#            fuzz_smoke and the max-RSS tests (streaming_memory, postgres_large_stream), with
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
# failed, except that a failed default build stops the script.
#
# Skipped tests (exit 77: a server or tool is missing) fail the run: scripts/deps.sh installs
# every server the tests use, so a skip means a test did not run that should have. A developer
# without some server sets CACHEWARM_ALLOW_SKIPS=1 to let skips pass. Tests a phase leaves out on
# purpose are not skips: they are excluded by name (ctest -E) or by label (-L/-LE), and the
# summary names each with its reason.
#
# Exits non-zero if any phase failed or (without CACHEWARM_ALLOW_SKIPS=1) any test was skipped.
# The summary lists passed, failed and skipped tests per phase, each failed test by name with
# ctest's status for it (Failed, Timeout, SEGFAULT, ...), each skipped test with the reason it
# printed, and each exclusion. CI shows only the tail of the output, so just before the summary
# the last 25 lines of each failed test's own output (from ctest's
# <build dir>/Testing/Temporary/LastTest.log) are printed again, each under
# `--- FAILED TEST <name> (phase <phase>) ---`. The summary's last line sums all phases in
# ctest's format plus the skips, e.g. `100% tests passed, 0 tests failed, 0 tests skipped out of 1859` (a phase
# whose build fails, or that only produced sanitizer reports, counts as one failed test).
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

allow_skips=${CACHEWARM_ALLOW_SKIPS:-0}

summary=()
details=() # skipped and excluded tests, printed after the per-phase lines
failed_tails=() # the end of each failed test's output, printed just before the summary
failed_tail_lines=25
total_passed=0
total_failed=0
total_skipped=0
status=0

# note PHASE PASSED FAILED SKIPPED TEXT: records a phase's result for the summary. Skips fail
# the run unless CACHEWARM_ALLOW_SKIPS=1.
note() {
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  total_skipped=$((total_skipped + $4))
  if (($3 > 0)) || (($4 > 0 && allow_skips != 1)); then
    status=1
  fi
  summary+=("$(printf '  %-8s %s' "$1" "$5")")
}

# exclude PHASE TEST REASON: PHASE does not run TEST, on purpose (run_ctest passes ctest -E and
# the summary names TEST with REASON).
declare -A excluded_in=() exclusion_reason=()
exclude() {
  excluded_in[$1]+="$2 "
  exclusion_reason[$1 $2]=$3
}

# Tests no ctest phase runs: fuzz_smoke needs the fuzzers that scripts/fuzz.sh builds with clang
# (the fuzz phase runs it); the max-RSS tests measure memory that ASan's shadow and quarantine
# inflate far beyond their 100 MB budget.
for phase in default asan; do
  exclude "$phase" integration.fuzz_smoke "run by the fuzz phase: scripts/fuzz.sh builds the fuzzers with clang"
done
exclude asan integration.streaming_memory "checks max RSS, which ASan's shadow memory and quarantine inflate"
exclude asan integration.postgres_large_stream "checks max RSS, which ASan's shadow memory and quarantine inflate"

# build PHASE TYPE DIR CMAKE_ARGS...: builds; on failure records the phase as failed.
build() {
  local phase=$1 start=$SECONDS
  shift
  echo "=== $phase: building $2/ ($1${3:+ ${*:3}})"
  if ! scripts/build.sh "$@" >/dev/null; then
    echo "=== $phase: BUILD FAILED"
    note "$phase" 0 1 0 "build of $2/ FAILED after $((SECONDS - start)) s"
    return 1
  fi
  build_seconds=$((SECONDS - start))
  echo "=== $phase: built in ${build_seconds} s"
}

# skip_reason LOG TEST: the reason TEST gave for its skip, from ctest's LastTest.log (lib.sh's
# skip prints `SKIP: <test>: <reason>`); ctest itself does not show a skipped test's output.
skip_reason() {
  local reason
  reason=$(awk -v test="$2" '
    $0 ~ /^[0-9]+\/[0-9]+ Test: / { current = substr($0, index($0, "Test: ") + 6); next }
    current == test && /^SKIP: / { sub(/^SKIP: [^:]*: /, ""); print; exit }' "$1" 2>/dev/null)
  echo "${reason:-no reason printed}"
}

# failed_tests LOG: the tests ctest's output LOG lists under `The following tests FAILED:`, one
# `NAME<tab>STATUS` line each, from lines such as `\t  2 - integration.foo (Timeout)`. A unit
# test's name (doctest's TEST_CASE) may hold spaces and parentheses: the status is the last
# parenthesis. The `did not run` block before it (skips) is not read.
failed_tests() {
  awk '
    { sub(/\r$/, ""); gsub(/\033\[[0-9;]*m/, "") } # no colours when piped, but in case
    /^The following tests FAILED:/ { block = 1; next }
    block && match($0, /^[ \t]*[0-9]+ - /) {
      rest = substr($0, RLENGTH + 1)
      if (match(rest, / \([^()]*\)$/)) {
        print substr(rest, 1, RSTART - 1) "\t" substr(rest, RSTART + 2, RLENGTH - 3)
      } else {
        print rest "\t"
      }
      next
    }
    { block = 0 }' "$1" 2>/dev/null
}

# failed_output LOG TEST LINES: the last LINES lines of TEST's output in ctest's LastTest.log
# (between `Output:` + a dashed line and `<end of output>`; the last run of TEST if it ran more
# than once), lines longer than 2000 bytes cut; nothing if LOG has no output of TEST. The first
# line printed is the number of output lines TEST had.
failed_output() {
  awk -v test="$2" -v keep="$3" '
    state == 2 {
      # i > 1: the output did not end with a newline
      i = index($0, "<end of output>")
      if (i != 1) buf[n++ % keep] = (i ? substr($0, 1, i - 1) : $0)
      if (i) {
        state = 0
        done = n
        first = (n > keep ? n - keep : 0)
        for (j = first; j < n; j++) out[j - first] = buf[j % keep]
      }
      next
    }
    state == 1 { state = (/^-+$/ ? 2 : 0); next }
    /^[0-9]+\/[0-9]+ Test: / { current = substr($0, index($0, "Test: ") + 6); next }
    current == test && /^Output:$/ { state = 1; n = 0; next }
    END {
      if (done == "") exit
      print done
      shown = (done > keep ? keep : done)
      for (j = 0; j < shown; j++) {
        line = out[j]
        if (length(line) > 2000)
          line = substr(line, 1, 2000) " [... " (length(line) - 2000) " more bytes]"
        print line
      }
    }' "$1" 2>/dev/null
}

# run_ctest PHASE DIR CTEST_ARGS...: runs ctest in DIR (without PHASE's exclusions), prints its
# output, then the sanitizer reports found in DIR/sanitizer-reports, and records the phase's
# result: passed, failed and skipped tests, each failed test by name (its summary lines follow
# the phase's, the end of its output goes to failed_tails), each skipped test with its reason.
run_ctest() {
  local phase=$1 dir=$2 start=$SECONDS rc=0 line passed=0 failed=0 skipped=0 total=0 reports=()
  local skipped_tests=() name exclusions=() names=()
  shift 2
  read -r -a names <<<"${excluded_in[$phase]:-}"
  if ((${#names[@]} > 0)); then
    # ^(integration\.a|integration\.b)$
    exclusions=(-E "^($(printf '%s\n' "${names[@]//./\\.}" | paste -sd '|'))\$")
    for name in "${names[@]}"; do
      details+=("$(printf '  %-8s excluded: %s (%s)' "$phase" "$name" "${exclusion_reason[$phase $name]}")")
    done
  fi
  echo "=== $phase: ctest --test-dir $dir ${exclusions[*]} $*"
  ctest --test-dir "$dir" --output-on-failure -j2 "${exclusions[@]}" "$@" 2>&1 \
    | tee "$dir/ctest-$phase.log" || rc=$?
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$dir/ctest-$phase.log" | tail -n 1)
  if [[ "$line" =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=${BASH_REMATCH[1]}
    total=${BASH_REMATCH[2]}
  elif ((rc != 0)); then
    failed=1 # ctest itself failed (no summary line)
  fi
  # Name each failed test, and keep the end of its output for just before the summary.
  local failed_list=() failed_lines=() status_of tail_text count
  local log=$dir/Testing/Temporary/LastTest.log
  mapfile -t failed_list < <(failed_tests "$dir/ctest-$phase.log")
  for line in "${failed_list[@]}"; do
    name=${line%%$'\t'*}
    status_of=${line#*$'\t'}
    failed_lines+=("$(printf '  %-8s FAILED TEST: %s (%s)' "$phase" "$name" "${status_of:-no status}")")
    tail_text=$(failed_output "$log" "$name" "$failed_tail_lines")
    if [[ -n "$tail_text" ]]; then
      count=${tail_text%%$'\n'*}
      tail_text=${tail_text#"$count"}
      tail_text=${tail_text#$'\n'}
      if ((count == 0)); then
        tail_text="(ctest status: ${status_of:-none}; the test printed nothing: ctest's own messages are in $dir/ctest-$phase.log)"
      elif ((count > failed_tail_lines)); then
        tail_text="(ctest status: ${status_of:-none}; the last $failed_tail_lines of its $count output lines, from ${log#"$repo"/})"$'\n'"$tail_text"
      else
        tail_text="(ctest status: ${status_of:-none}; its $count output line(s), from ${log#"$repo"/})"$'\n'"$tail_text"
      fi
    else
      tail_text="(ctest status: ${status_of:-none}; no output of it in ${log#"$repo"/}: see ${dir}/ctest-$phase.log)"
    fi
    failed_tails+=("--- FAILED TEST $name (phase $phase) ---"$'\n'"$tail_text")
  done
  if ((${#failed_list[@]} < failed)); then
    failed_lines+=("$(printf '  %-8s %d failed test(s) not named by ctest (ctest exit %d): see %s' "$phase" \
      "$((failed - ${#failed_list[@]}))" "$rc" "$dir/ctest-$phase.log")")
  fi
  # ctest counts a skipped test as not failed: take the skips out of the passed ones.
  mapfile -t skipped_tests < <(sed -n -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) *\.*\*\*\*Skipped.*/\1/p' \
    "$dir/ctest-$phase.log" | sort)
  skipped=${#skipped_tests[@]}
  passed=$((total - failed - skipped))
  for name in "${skipped_tests[@]}"; do
    details+=("$(printf '  %-8s SKIPPED: %s: %s' "$phase" "$name" \
      "$(skip_reason "$dir/Testing/Temporary/LastTest.log" "$name")")")
  done
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
  local text="$passed passed, $failed failed, $skipped skipped of $total tests in $((SECONDS - start)) s"
  text+="${build_seconds:+ (build ${build_seconds} s)}"
  if ((${#reports[@]} > 0)); then
    text+=", ${#reports[@]} sanitizer report(s) in ${dir}/sanitizer-reports/"
  fi
  if ((failed > 0)); then
    text="FAILED: $text"
  elif ((skipped > 0 && allow_skips != 1)); then
    text="FAILED (skips; CACHEWARM_ALLOW_SKIPS=1 lets them pass): $text"
  fi
  echo "=== $phase: $text"
  note "$phase" "$passed" "$failed" "$skipped" "$text"
  if ((${#failed_lines[@]} > 0)); then
    summary+=("${failed_lines[@]}")
  fi
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
    details+=("  asan     leaves out the tests labelled lint (formatting does not depend on the build)")
  fi
else
  echo "=== asan: not run (CACHEWARM_SANITIZERS=$sanitizers)"
  summary+=("  asan     not run (CACHEWARM_SANITIZERS=$sanitizers)")
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
    details+=("  tsan     runs only the tests labelled unit or concurrency (ctest -L)")
  fi
else
  echo "=== tsan: not run (CACHEWARM_SANITIZERS=$sanitizers)"
  summary+=("  tsan     not run (CACHEWARM_SANITIZERS=$sanitizers)")
fi

# --- Phase 4: libFuzzer targets for a bounded time (clang, ASan+UBSan) -------------------------
if [[ "$sanitizers" == all || "$sanitizers" == fuzz ]]; then
  echo "=== fuzz: scripts/fuzz.sh (${CACHEWARM_FUZZ_SECONDS:-20} s per target)"
  fuzz_start=$SECONDS
  fuzz_rc=0
  mkdir -p build
  CACHEWARM_FUZZ_SECONDS=${CACHEWARM_FUZZ_SECONDS:-20} scripts/fuzz.sh 2>&1 | tee build/fuzz.log ||
    fuzz_rc=${PIPESTATUS[0]}
  if ((fuzz_rc == 0)); then
    note fuzz 1 0 0 "1 passed (scripts/fuzz.sh: regressions replayed, fuzz_manifest and fuzz_parsers ran without a crash) in $((SECONDS - fuzz_start)) s"
  elif ((fuzz_rc == 77)); then
    why=$(grep -E '^(SKIP: [^:]*: |fuzz\.sh: )' build/fuzz.log | tail -n 1 | sed -E 's/^(SKIP: [^:]*: |fuzz\.sh: )//')
    details+=("  fuzz     SKIPPED: scripts/fuzz.sh: ${why:-no reason printed}")
    text="0 passed, 0 failed, 1 skipped (scripts/fuzz.sh exited 77)"
    ((allow_skips == 1)) || text="FAILED (skips; CACHEWARM_ALLOW_SKIPS=1 lets them pass): $text"
    note fuzz 0 0 1 "$text"
  else
    note fuzz 0 1 0 "FAILED: scripts/fuzz.sh exited $fuzz_rc ($((SECONDS - fuzz_start)) s)"
  fi
else
  echo "=== fuzz: not run (CACHEWARM_SANITIZERS=$sanitizers)"
  summary+=("  fuzz     not run (CACHEWARM_SANITIZERS=$sanitizers)")
fi

# --- Summary -----------------------------------------------------------------------------------
# The end of each failed test's output first, so that the tail of a CI log shows why it failed.
if ((${#failed_tails[@]} > 0)); then
  echo
  printf '%s\n' "${failed_tails[@]}"
fi
echo
echo "=== scripts/test.sh summary (CACHEWARM_SANITIZERS=$sanitizers, ${SECONDS} s in all)"
printf '%s\n' "${summary[@]}"
if ((${#details[@]} > 0)); then
  printf '%s\n' "${details[@]}"
fi
if ((total_skipped > 0)); then
  if ((allow_skips == 1)); then
    echo "  $total_skipped skipped test(s) allowed by CACHEWARM_ALLOW_SKIPS=1"
  else
    echo "  $total_skipped skipped test(s) fail the run: install what they need (scripts/deps.sh) or set CACHEWARM_ALLOW_SKIPS=1"
  fi
fi
total=$((total_passed + total_failed + total_skipped))
percent=100
if ((total > 0)); then
  percent=$((total_passed * 100 / total))
fi
if ((total_passed < total && percent > 99)); then
  percent=99
fi
echo "${percent}% tests passed, ${total_failed} tests failed, ${total_skipped} tests skipped out of ${total}"
exit "$status"
