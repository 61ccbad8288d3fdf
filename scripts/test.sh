#!/usr/bin/env bash
# Installs dependencies, builds RelWithDebInfo into build/ and runs every test (unit + integration)
# with CTest. Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `-R integration.dry_run`.
# Exits non-zero on any failure; the last line is ctest's summary.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/deps.sh
scripts/build.sh RelWithDebInfo >/dev/null
exec ctest --test-dir build --output-on-failure -j2 "$@"
