#!/usr/bin/env bash
# Configures and builds cachewarm with CMake + Ninja (at most 2 jobs: our machines have 2 cores).
# Usage: scripts/build.sh [Release|RelWithDebInfo|Debug [DIR [CMAKE_ARG...]]]
#   RelWithDebInfo (default) -> build/   Release -> build-release/   Debug -> build-debug/
# DIR (relative to the repository) overrides the build directory; the CMAKE_ARGs after it are
# passed to cmake as they are (one word each, so "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" works), e.g.
#   scripts/build.sh Debug build-asan -DCACHEWARM_SANITIZE=address,undefined
# (scripts/test.sh builds build-asan/ and build-tsan/ this way.) Extra CMake options can also be
# passed through CACHEWARM_CMAKE_ARGS (split on spaces), e.g.
#   CACHEWARM_CMAKE_ARGS="-DCACHEWARM_SANITIZE=address,undefined" scripts/build.sh Debug
# Prints the path of the built binary on stdout.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
type=${1:-RelWithDebInfo}
case "$type" in
  RelWithDebInfo) dir=build ;;
  Release) dir=build-release ;;
  Debug) dir=build-debug ;;
  *)
    echo "usage: scripts/build.sh [Release|RelWithDebInfo|Debug [DIR [CMAKE_ARG...]]]" >&2
    exit 2
    ;;
esac
dir=${2:-$dir}

cd "$repo"
# shellcheck disable=SC2086 # CACHEWARM_CMAKE_ARGS is a list of words on purpose
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" ${CACHEWARM_CMAKE_ARGS:-} "${@:3}" >&2
ninja -C "$dir" -j2 >&2
echo "$repo/$dir/cachewarm"
