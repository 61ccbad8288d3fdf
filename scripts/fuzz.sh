#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) and a cachewarm binary with clang, ASan and UBSan in
# build-fuzz/, replays every input in tests/fuzz/regressions/ (through its fuzzer, and the run/
# ones through `cachewarm run` against a throwaway redis-server), then runs each fuzzer for a
# bounded time on a copy of its seed corpus (tests/integration/fuzz_smoke.sh).
#
#   scripts/fuzz.sh                         20 s per target
#   CACHEWARM_FUZZ_SECONDS=300 scripts/fuzz.sh
#   CACHEWARM_FUZZ_BUILD_DIR=/tmp/bf scripts/fuzz.sh
#
# A crash leaves its input in the temp dir named in the output (CW_KEEP_TMP=1 keeps it); add a
# minimal reproducer to tests/fuzz/regressions/<fuzzer>/ (the smoke test replays them first; a
# manifest that crashes `cachewarm run` goes in tests/fuzz/regressions/run/). Exits 77 when
# clang++ is missing (scripts/deps.sh installs it; scripts/test.sh fails on that skip).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${CACHEWARM_FUZZ_BUILD_DIR:-$repo/build-fuzz}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is not installed" >&2; exit 77; }
# Warnings are not errors here: clang 14 warns differently from GCC 12, which CI's -Werror is for.
CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCACHEWARM_FUZZ=ON -DCACHEWARM_WERROR=OFF >/dev/null
ninja -j2 -C "$build" fuzz_manifest fuzz_parsers cachewarm

CACHEWARM_FUZZ_DIR=$build CACHEWARM_SOURCE_DIR=$repo bash "$repo/tests/integration/fuzz_smoke.sh"
