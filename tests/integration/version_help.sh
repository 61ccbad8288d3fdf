#!/usr/bin/env bash
# `version`, `--version` and `--help` exit 0; usage errors exit 2; and every long option that
# `cachewarm run --help`, `predict --help`, `evaluate --help` and `snapshot --help` list is
# documented in man/cachewarm.1.
source "$(dirname "$0")/lib.sh"

project_version=$(sed -n 's/^project(cachewarm VERSION \([0-9.]*\).*/\1/p' "$CACHEWARM_SOURCE_DIR/CMakeLists.txt")
[[ -n "$project_version" ]] || fail "no project VERSION in CMakeLists.txt"

expect_exit 0 cw version
expect_contains "$(cat "$T/out.json")" "$project_version" "cachewarm version prints the project version"
expect_exit 0 cw --version
expect_contains "$(cat "$T/out.json")" "$project_version" "cachewarm --version prints the project version"
expect_exit 0 cw --help
expect_contains "$(cat "$T/out.json" "$T/err.txt")" run "--help lists the run command"
expect_exit 0 cw run --help
cp "$T/out.json" "$T/run-help.txt"
cat "$T/err.txt" >>"$T/run-help.txt"

expect_exit 2 cw
expect_exit 2 cw no-such-command
expect_exit 2 cw run --no-such-option "$CACHEWARM_SOURCE_DIR/configs/demo.yaml"
expect_exit 2 cw run "$CACHEWARM_SOURCE_DIR/configs/demo.yaml" --progress sometimes
expect_exit 2 cw run "$CACHEWARM_SOURCE_DIR/configs/demo.yaml" --rate fast

# Each option the contract names is in `run --help`.
help=$(cat "$T/run-help.txt")
for opt in --group --dry-run --rate --concurrency --batch --report --progress --fail-under --log-format; do
  expect_contains "$help" "$opt" "run --help lists $opt"
done

# Every long option of `run --help` is in the man page (groff escapes '-' as '\-').
man=$CACHEWARM_SOURCE_DIR/man/cachewarm.1
[[ -f "$man" ]] || fail "man/cachewarm.1 does not exist"
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man")
missing=()
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' "$T/run-help.txt" | sort -u); do
  [[ "$opt" == --help ]] && continue
  [[ "$man_text" == *"$opt"* ]] || missing+=("$opt")
done
((${#missing[@]} == 0)) || fail "long options of 'run --help' missing from man/cachewarm.1: ${missing[*]}"
# ... and so is every long option of `predict --help`, `evaluate --help` and `snapshot --help`.
for command in predict evaluate snapshot; do
  expect_exit 0 cw "$command" --help
  for opt in $(cat "$T/out.json" "$T/err.txt" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    [[ "$opt" == --help ]] && continue
    [[ "$man_text" == *"$opt"* ]] || missing+=("$command $opt")
  done
done
((${#missing[@]} == 0)) || fail "long options missing from man/cachewarm.1: ${missing[*]}"
if command -v groff >/dev/null; then
  groff -man -z -wall "$man" 2>"$T/groff.txt" || true
  [[ -s "$T/groff.txt" ]] && fail "groff -man -z -wall warns: $(cat "$T/groff.txt")"
fi
true
